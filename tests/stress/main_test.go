// Package stress drives the built runc binary hard, with real containers:
// many lifecycles in a row, many containers at once, races on one ID,
// faults at each stage of create, broken bundles and every signal. After
// each test the host must be exactly as before: mounts, cgroups, processes,
// state directories and the caller's open files.
//
// See README.md. Environment: RUNC_BINARY (default ../../runc),
// BUSYBOX_ROOTFS (default ../rootfs/busybox), STRESS_LONG=1 for the long
// form, STRESS_STRICT=0 to only report (not fail on) host changes that are
// not ours, REF_RUNC (default: Debian's runc at /usr/sbin/runc) for the
// signal fidelity comparison.
package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

var (
	runcBin   string // the runtime under test
	refRunc   string // the reference runtime (Debian's runc 1.1.5), "" if absent
	rootfsSrc string

	long   = os.Getenv("STRESS_LONG") == "1"
	strict = os.Getenv("STRESS_STRICT") != "0"

	// tag is in the name of everything this run makes: IDs, cgroups,
	// directories. A leak is anything new that carries it.
	tag      = fmt.Sprintf("rs%d", os.Getpid())
	cgPrefix = "/runc-stress-" + tag

	baseDir string // bundles, state roots, the rootfs copy
	rootfs  string // a read-only busybox rootfs shared by most bundles
)

func TestMain(m *testing.M) {
	// Every orphan of what we start (a container's init once its stage 0
	// exits, a stage 0 whose runtime was killed) becomes our child, as
	// under containerd's shim: "no new processes" is "no children left".
	// They are reaped promptly, as a shim would: a pid namespace's init
	// cannot finish dying while a process of its namespace whose parent
	// is outside (an exec'd process whose runc was killed) is not reaped.
	os.Exit(harness.Main(m, harness.Suite{
		Name:         "stress",
		Target:       "make test-stress",
		IDPrefix:     tag,
		CgroupPrefix: cgPrefix,
		Subreaper:    true,
		Setup:        setup,
	}))
}

func setup() (func(), error) {
	runcBin, rootfsSrc = harness.Bin, harness.Rootfs
	refRunc = os.Getenv("REF_RUNC")
	if refRunc == "" {
		refRunc = "/usr/sbin/runc"
	}
	if _, err := os.Stat(refRunc); err != nil {
		refRunc = ""
	}
	var err error
	if baseDir, err = os.MkdirTemp("", "runc-stress-"+tag+"-"); err != nil {
		return nil, err
	}
	teardown := func() { os.RemoveAll(baseDir) }
	rootfs = filepath.Join(baseDir, "rootfs")
	if out, err := harness.Output("cp", "-a", rootfsSrc, rootfs); err != nil {
		teardown()
		return nil, fmt.Errorf("copy rootfs: %w: %s", err, out)
	}
	fmt.Printf("stress: runc %s, reference %q, long=%v strict=%v\n", runcBin, refRunc, long, strict)
	return teardown, nil
}
