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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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

	baseDir  string // bundles, state roots, the rootfs copy
	rootfs   string // a read-only busybox rootfs shared by most bundles
	baseSpec []byte // `runc spec` output

	// execWorks is set when `runc exec` is implemented (its --help shows
	// its options): the tests then exec into containers too.
	execWorks bool
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	runcBin = envPath("RUNC_BINARY", "../../runc")
	rootfsSrc = envPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
	for _, p := range []string{runcBin, rootfsSrc + "/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "stress: %v (run `make test-stress`)\n", err)
			return 1
		}
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "stress: these tests need root")
		return 1
	}
	refRunc = os.Getenv("REF_RUNC")
	if refRunc == "" {
		refRunc = "/usr/sbin/runc"
	}
	if _, err := os.Stat(refRunc); err != nil {
		refRunc = ""
	}
	// Every orphan of what we start (a container's init once its stage 0
	// exits, a stage 0 whose runtime was killed) becomes our child, as
	// under containerd's shim: "no new processes" is "no children left".
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "stress: set child subreaper: %v\n", err)
		return 1
	}
	// Reap them promptly, as a shim would: a pid namespace's init cannot
	// finish dying while a process of its namespace whose parent is
	// outside (an exec'd process whose runc was killed) is not reaped.
	go func() {
		for {
			time.Sleep(20 * time.Millisecond)
			reapOrphans()
		}
	}()
	var err error
	if baseDir, err = os.MkdirTemp("", "runc-stress-"+tag+"-"); err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		return 1
	}
	defer os.RemoveAll(baseDir)
	rootfs = filepath.Join(baseDir, "rootfs")
	if out, err := combinedOutput("cp", "-a", rootfsSrc, rootfs); err != nil {
		fmt.Fprintf(os.Stderr, "stress: copy rootfs: %v: %s\n", err, out)
		return 1
	}
	specDir := filepath.Join(baseDir, "spec")
	os.Mkdir(specDir, 0o755)
	if out, err := combinedOutput(runcBin, "spec", "--bundle", specDir); err != nil {
		fmt.Fprintf(os.Stderr, "stress: runc spec: %v: %s\n", err, out)
		return 1
	}
	if baseSpec, err = os.ReadFile(filepath.Join(specDir, "config.json")); err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		return 1
	}
	if out, err := combinedOutput(runcBin, "exec", "--help"); err == nil && strings.Contains(string(out), "--tty") {
		execWorks = true
	}
	fmt.Printf("stress: runc %s, reference %q, long=%v strict=%v exec=%v\n", runcBin, refRunc, long, strict, execWorks)

	code := m.Run()
	reapOrphans()
	if left := removeCgroups(cgPrefix); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "stress: cgroups left behind: %s\n", strings.Join(left, ", "))
		code = 1
	}
	return code
}

func envPath(name, def string) string {
	p := os.Getenv(name)
	if p == "" {
		p = def
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

// newSpec returns the `runc spec` config changed to run args without a
// terminal on the shared read-only rootfs, in cgroup cgPath.
func newSpec(t testing.TB, cgPath string, args ...string) *specs.Spec {
	t.Helper()
	var s specs.Spec
	if err := json.Unmarshal(baseSpec, &s); err != nil {
		t.Fatal(err)
	}
	s.Root.Path = rootfs
	s.Root.Readonly = true
	s.Process.Terminal = false
	if len(args) > 0 {
		s.Process.Args = args
	}
	s.Linux.CgroupsPath = cgPath
	return &s
}
