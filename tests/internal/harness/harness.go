// Package harness is what the suites that drive the built runc binary
// share (tests/integration, tests/stress): the run's set-up and summary
// (Main), the test bundle (New, NewBundle: a busybox rootfs, `runc spec`,
// the edits every test container gets, and a cleanup that checks nothing
// is left), running runc with a timeout and its output captured (Run,
// Start), waiting without hand-written loops (Eventually, Poll,
// Consistently) and the host features tests need (Requires), which never
// skip silently. tests/README.md says how to use it.
//
// Environment: RUNC_BINARY (default ../../runc), RUNC_FAULT_BINARY (runc
// built with the test fault hook, for the tests that stop it at a stage;
// default ../../runc.faults), BUSYBOX_ROOTFS (default ../rootfs/busybox),
// RUNC_REFERENCE (runc 1.5.3, for the differential tests),
// RUNC_TEST_REQUIRE (features this run must have: a test that needs a
// missing one fails instead of skipping).
package harness

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// What Main found, for the suite's tests.
var (
	// Bin is the runc under test (RUNC_BINARY).
	Bin string
	// Ref is the reference runc 1.5.3 (RUNC_REFERENCE), "" if unset.
	Ref string
	// Rootfs is the busybox rootfs that bundles copy (BUSYBOX_ROOTFS).
	Rootfs string
	// CgroupPrefix is the cgroup parent of every test container of the
	// run (Suite.CgroupPrefix), removed at the end.
	CgroupPrefix string
)

// Suite describes a test package to Main.
type Suite struct {
	// Name prefixes what Main prints ("integration").
	Name string
	// Target is the make target that runs the suite, for messages.
	Target string
	// IDPrefix starts every container ID of the run (NewID).
	IDPrefix string
	// CgroupPrefix is the cgroup parent of the run's containers (an
	// absolute path, unique to the run).
	CgroupPrefix string
	// Mandatory matches the names of the tests that may never skip
	// (the CVE tests): Requires and Skip fail them instead.
	Mandatory string
	// Subreaper makes the test process the subreaper of what it starts,
	// reaping adopted orphans in the background (Orphans lists the live
	// ones), as a container manager's shim would.
	Subreaper bool
	// Setup runs after the checks and before the tests; the function it
	// returns (if any) runs after them.
	Setup func() (teardown func(), err error)
}

var (
	suite Suite
	idSeq atomic.Int64
)

// Main is the suite's TestMain: it reads the environment, checks the
// binary, the rootfs, root and RUNC_TEST_REQUIRE, runs the tests, removes
// the run's cgroup parent (a cgroup left there fails the run) and prints
// what was skipped and why. `go test -list` needs none of it.
func Main(m interface{ Run() int }, s Suite) int {
	suite = s
	if !flag.Parsed() {
		flag.Parse()
	}
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "%s: %s\n", s.Name, fmt.Sprintf(format, args...))
		return 1
	}
	Bin = EnvPath("RUNC_BINARY", "../../runc")
	FaultBin = EnvPath("RUNC_FAULT_BINARY", "../../runc.faults")
	Rootfs = EnvPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
	if os.Getenv("RUNC_REFERENCE") != "" {
		Ref = EnvPath("RUNC_REFERENCE", "")
	}
	CgroupPrefix = s.CgroupPrefix
	for _, p := range []string{Bin, Rootfs + "/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			return fail("%v (run `%s`)", err, s.Target)
		}
	}
	if os.Geteuid() != 0 {
		return fail("these tests need root")
	}
	if s.Mandatory != "" {
		mandatory = regexp.MustCompile(s.Mandatory)
	}
	req, err := ParseRequired(os.Getenv("RUNC_TEST_REQUIRE"))
	if err != nil {
		return fail("%v", err)
	}
	var names []string
	for _, f := range req {
		if err := f.Check(); err != nil {
			return fail("RUNC_TEST_REQUIRE names %s, which this host lacks: %v", f.Name, err)
		}
		required[f.Name] = true
		names = append(names, f.Name)
	}
	if len(names) > 0 {
		fmt.Printf("%s: required and present: %s\n", s.Name, strings.Join(names, ", "))
	}
	if s.Subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fail("set child subreaper: %v", err)
		}
		go func() {
			for {
				time.Sleep(20 * time.Millisecond)
				Orphans()
			}
		}()
	}
	var teardown func()
	if s.Setup != nil {
		if teardown, err = s.Setup(); err != nil {
			return fail("%v", err)
		}
	}

	code := m.Run()

	if teardown != nil {
		teardown()
	}
	if s.Subreaper {
		Orphans()
	}
	if left := RemoveCgroups(CgroupPrefix); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "%s: cgroups left behind: %s\n", s.Name, strings.Join(left, ", "))
		code = 1
	}
	if sum := Summary(); sum != "" {
		fmt.Printf("%s: %s", s.Name, sum)
	} else {
		fmt.Printf("%s: nothing skipped\n", s.Name)
	}
	return code
}

// EnvPath returns the absolute form of the path in the environment
// variable name, or of def when it is unset or empty.
func EnvPath(name, def string) string {
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

// NewID returns a container ID unique to the run: the suite's IDPrefix
// (or prefix, if given) and a sequence number.
func NewID(prefix ...string) string {
	p := suite.IDPrefix
	if len(prefix) > 0 {
		p = prefix[0]
	}
	return fmt.Sprintf("%s-%d", p, Seq())
}

// Seq returns the next number of the run's sequence (for names that must
// be unique to the run).
func Seq() int64 { return idSeq.Add(1) }
