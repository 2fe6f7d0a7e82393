// Package integration drives the built runc binary the way users do, on a
// busybox rootfs, and checks what they would see: output, exit codes, the
// state JSON, /proc and cgroup files, and that nothing is left behind.
//
// Environment: RUNC_BINARY (default ../../runc), BUSYBOX_ROOTFS (default
// ../rootfs/busybox), RUNC_REFERENCE (runc 1.5.3, which `make integration`
// builds with scripts/deps.sh reference; differential tests run their
// scenario with it too and compare), RUNC_TEST_REQUIRE (host features the
// run must have: a test needing one of them fails rather than skips).
// Every container gets an absolute cgroupsPath under a prefix of this
// run, removed at the end. The machinery is tests/internal/harness (see
// tests/README.md); the CVE tests never skip.
//
// Any test can be run against the reference instead of ours:
// RUNC_BINARY=.cache/runc-1.5.3/runc go test ./tests/integration -run X.
package integration

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

var (
	runcBin   string
	refBin    string // RUNC_REFERENCE, if set
	rootfsSrc string
	// cgPrefix is the cgroup parent of every test container of this run.
	cgPrefix = fmt.Sprintf("/runc-it-%d", os.Getpid())
)

func TestMain(m *testing.M) {
	// The main thread stays with this goroutine: a test goroutine that
	// enters a container's namespace on a locked thread and exits (see
	// readNetSysctl) must not wedge it there, as what /proc/self shows
	// is the main thread's.
	runtime.LockOSThread()
	os.Exit(harness.Main(m, harness.Suite{
		Name:         "integration",
		Target:       "make integration",
		IDPrefix:     fmt.Sprintf("it%d", os.Getpid()),
		CgroupPrefix: cgPrefix,
		// A CVE test never skips: where the host lacks what it needs,
		// it fails.
		Mandatory: `^TestCVE_`,
		Setup: func() (func(), error) {
			runcBin, refBin, rootfsSrc = harness.Bin, harness.Ref, harness.Rootfs
			return removeTestCmds, nil
		},
	}))
}

// removeCgroups removes dir (a cgroup path) from every hierarchy, deepest
// first; it reports directories that were still there.
func removeCgroups(path string) error {
	if left := harness.RemoveCgroups(path); len(left) > 0 {
		return fmt.Errorf("%s", strings.Join(left, ", "))
	}
	return nil
}

// bundle is one test container (harness.Bundle: its bundle directory,
// its config, its own state root, the runc it is run with), with this
// suite's shorthands.
type bundle struct {
	*harness.Bundle
	t *testing.T
}

// newBundle makes a bundle with a copy of the busybox rootfs and the config
// `runc spec` writes, changed to run without a terminal in a cgroup under
// cgPrefix. Cleanup deletes the container and checks nothing is left.
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	return &bundle{harness.NewBundle(t, args...), t}
}

// reference returns the reference runc (RUNC_REFERENCE), failing the test
// when it is not set: a differential test must not pass on ours alone.
func reference(t *testing.T) string {
	t.Helper()
	if refBin == "" {
		t.Fatal("RUNC_REFERENCE is not set (make integration builds runc 1.5.3 with scripts/deps.sh reference)")
	}
	return refBin
}

// differential runs scenario once with ours and once with the reference
// runc, each as a subtest ("ours", "runc-1.5.3") on bundles it makes with
// newBundleWith(t, bin, ...), and returns what each gave, for the test to
// compare.
func differential[T any](t *testing.T, scenario func(t *testing.T, bin string) T) (ours, ref T) {
	t.Helper()
	ref0 := reference(t)
	t.Run("ours", func(t *testing.T) { ours = scenario(t, runcBin) })
	t.Run("runc-1.5.3", func(t *testing.T) { ref = scenario(t, ref0) })
	if t.Failed() {
		t.FailNow()
	}
	return ours, ref
}

// newBundleWith is newBundle for a bundle run with bin (runcBin or the
// reference).
func newBundleWith(t *testing.T, bin string, args ...string) *bundle {
	t.Helper()
	b := newBundle(t, args...)
	b.Bin = bin
	return b
}

// bin is the runc the bundle is run with.
func (b *bundle) bin() string {
	if b.Bin == "" {
		return runcBin
	}
	return b.Bin
}

func (b *bundle) write() {
	b.t.Helper()
	b.Write()
}

// result is what one runc invocation gave.
type result = harness.Result

// runc runs the binary with --root b.Root in the bundle directory.
func (b *bundle) runc(args ...string) (string, string, int) {
	b.t.Helper()
	r := b.run(nil, args...)
	return r.Stdout, r.Stderr, r.Code
}

// run runs runc with the given stdin (nil: /dev/null), with a 60s timeout.
func (b *bundle) run(stdin []byte, args ...string) result {
	b.t.Helper()
	var c harness.Call
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	return b.RunWith(c, args...)
}

func (b *bundle) tempFile() *os.File {
	b.t.Helper()
	return harness.TempFile(b.t)
}

func readAll(f *os.File) string { return harness.FileText(f) }

// asyncRun is a runc invocation running in the background.
type asyncRun struct {
	*harness.Proc
	b *bundle
}

// runAsync starts runc in the background (stdin /dev/null).
func (b *bundle) runAsync(args ...string) *asyncRun {
	b.t.Helper()
	return b.runAsyncOpts(runOpts{}, args...)
}

// wait waits (up to 60s) for the background runc to exit.
func (r *asyncRun) wait() result {
	r.b.t.Helper()
	return r.Wait(60 * time.Second)
}

// waitFile waits for a file to appear.
func waitFile(t *testing.T, path string) {
	t.Helper()
	harness.Eventually(t, 10*time.Second, func() bool {
		_, err := os.Stat(path)
		return err == nil
	}, path+" to appear")
}

// mustRunc runs runc and fails the test unless it exits 0.
func (b *bundle) mustRunc(args ...string) string {
	b.t.Helper()
	return b.MustRun(args...).Stdout
}

// state returns `runc state` of the bundle's container.
func (b *bundle) state() map[string]any {
	b.t.Helper()
	return b.MustState()
}

func (b *bundle) status() string {
	b.t.Helper()
	return b.Status()
}

// waitStatus polls until the container shows want.
func (b *bundle) waitStatus(want string) {
	b.t.Helper()
	b.WaitStatus(want)
}

// initPid returns the container's init pid from its state.
func (b *bundle) initPid() int {
	b.t.Helper()
	return b.InitPid()
}

func mustContain(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%s: %q does not contain %q", what, s, sub)
	}
}

// procStatus returns the lines of /proc/<pid>/status as a map.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// pidGone waits (up to 5s) for pid to disappear.
func pidGone(pid int) bool {
	return harness.Poll(5*time.Second, func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	})
}
