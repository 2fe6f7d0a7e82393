// Package integration drives the built runc binary the way users do, on a
// busybox rootfs, and checks what they would see: output, exit codes, the
// state JSON, /proc and cgroup files, and that nothing is left behind.
//
// Environment: RUNC_BINARY (default ../../runc), BUSYBOX_ROOTFS (default
// ../rootfs/busybox), RUNC_REFERENCE (runc 1.5.3, which `make integration`
// builds with scripts/deps.sh reference; differential tests run their
// scenario with it too and compare). Every container gets an absolute
// cgroupsPath under a prefix of this run, removed at the end.
//
// Any test can be run against the reference instead of ours:
// RUNC_BINARY=.cache/runc-1.5.3/runc go test ./tests/integration -run X.
package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

var (
	runcBin   string
	refBin    string // RUNC_REFERENCE, if set
	rootfsSrc string
	// cgPrefix is the cgroup parent of every test container of this run.
	cgPrefix = fmt.Sprintf("/runc-it-%d", os.Getpid())
	idSeq    atomic.Int64
)

func TestMain(m *testing.M) {
	// The main thread stays with this goroutine: a test goroutine that
	// enters a container's namespace on a locked thread and exits (see
	// readNetSysctl) must not wedge it there, as what /proc/self shows
	// is the main thread's.
	runtime.LockOSThread()
	runcBin = envPath("RUNC_BINARY", "../../runc")
	rootfsSrc = envPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
	if os.Getenv("RUNC_REFERENCE") != "" {
		refBin = envPath("RUNC_REFERENCE", "")
	}
	for _, p := range []string{runcBin, rootfsSrc + "/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "integration: %v (run `make integration`)\n", err)
			os.Exit(1)
		}
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration: these tests need root")
		os.Exit(1)
	}
	code := m.Run()
	if err := removeCgroups(cgPrefix); err != nil {
		fmt.Fprintf(os.Stderr, "integration: cgroups left behind: %v\n", err)
		code = 1
	}
	os.Exit(code)
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

// removeCgroups removes dir (a cgroup path) from every hierarchy, deepest
// first; it reports directories that were still there.
func removeCgroups(path string) error {
	var left []string
	for _, h := range testhost.CgroupHierarchies() {
		root := filepath.Join(h, path)
		if _, err := os.Stat(root); err != nil {
			continue
		}
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if dirs[i] != root {
				left = append(left, dirs[i])
			}
			os.Remove(dirs[i])
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%s", strings.Join(left, ", "))
	}
	return nil
}

// bundle is one test container: its bundle directory, its config and its
// own state root.
type bundle struct {
	t    *testing.T
	Bin  string // the runc this bundle is run with (runcBin if empty)
	ID   string
	Dir  string
	Root string // --root
	Spec *specs.Spec
}

// newBundle makes a bundle with a copy of the busybox rootfs and the config
// `runc spec` writes, changed to run without a terminal in a cgroup under
// cgPrefix. Cleanup deletes the container and checks nothing is left.
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	dir := t.TempDir()
	b := &bundle{
		t:    t,
		ID:   fmt.Sprintf("it%d-%d", os.Getpid(), idSeq.Add(1)),
		Dir:  dir,
		Root: filepath.Join(dir, "state"),
	}
	if out, err := exec.Command("cp", "-a", rootfsSrc, filepath.Join(dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	b.mustRunc("spec", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b.Spec); err != nil {
		t.Fatal(err)
	}
	b.Spec.Process.Terminal = false
	b.Spec.Root.Readonly = false
	if len(args) > 0 {
		b.Spec.Process.Args = args
	}
	b.Spec.Linux.CgroupsPath = b.CgroupPath()
	b.write()
	t.Cleanup(b.cleanup)
	return b
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

// CgroupPath is the container's cgroupsPath.
func (b *bundle) CgroupPath() string { return cgPrefix + "/" + b.ID }

func (b *bundle) write() {
	b.t.Helper()
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *bundle) cleanup() {
	_, _, _ = b.runc("delete", "--force", b.ID)
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		b.t.Errorf("state directory of %s left behind", b.ID)
	}
	if err := removeCgroups(b.CgroupPath()); err != nil {
		b.t.Errorf("cgroups left behind: %v", err)
	}
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
			b.t.Errorf("cgroup %s left behind", filepath.Join(h, b.CgroupPath()))
			os.Remove(filepath.Join(h, b.CgroupPath()))
		}
	}
}

// result is what one runc invocation gave.
type result struct {
	Stdout, Stderr string
	Code           int
}

// runc runs the binary with --root b.Root in the bundle directory.
func (b *bundle) runc(args ...string) (string, string, int) {
	r := b.run(nil, args...)
	return r.Stdout, r.Stderr, r.Code
}

// run runs runc with the given stdin (nil: /dev/null), with a 60s timeout.
func (b *bundle) run(stdin []byte, args ...string) result {
	b.t.Helper()
	cmd := exec.Command(b.bin(), append([]string{"--root", b.Root}, args...)...)
	cmd.Dir = b.Dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// Files, not pipes: a container started by create or run -d keeps
	// runc's stdio open, and a pipe would never reach EOF.
	stdout, stderr := b.tempFile(), b.tempFile()
	defer stdout.Close()
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		b.t.Fatalf("runc %v: timed out; stdout %q stderr %q", args, readAll(stdout), readAll(stderr))
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		b.t.Fatal(err)
	}
	return result{readAll(stdout), readAll(stderr), code}
}

func (b *bundle) tempFile() *os.File {
	f, err := os.CreateTemp(b.Dir, "out-*")
	if err != nil {
		b.t.Fatal(err)
	}
	os.Remove(f.Name())
	return f
}

func readAll(f *os.File) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	return string(data)
}

// asyncRun is a runc invocation running in the background.
type asyncRun struct {
	b              *bundle
	cmd            *exec.Cmd
	stdout, stderr *os.File
	done           chan error
}

// runAsync starts runc in the background (stdin /dev/null).
func (b *bundle) runAsync(args ...string) *asyncRun {
	b.t.Helper()
	return b.runAsyncOpts(runOpts{}, args...)
}

// wait waits (up to 60s) for the background runc to exit.
func (r *asyncRun) wait() result {
	r.b.t.Helper()
	var err error
	select {
	case err = <-r.done:
		r.done <- err
	case <-time.After(60 * time.Second):
		r.b.t.Fatal("background runc did not exit")
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return result{readAll(r.stdout), readAll(r.stderr), code}
}

// waitFile waits for a file to appear.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustRunc runs runc and fails the test unless it exits 0.
func (b *bundle) mustRunc(args ...string) string {
	b.t.Helper()
	out, errOut, code := b.runc(args...)
	if code != 0 {
		b.t.Fatalf("runc %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// state returns `runc state` of the bundle's container.
func (b *bundle) state() map[string]any {
	b.t.Helper()
	out := b.mustRunc("state", b.ID)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		b.t.Fatalf("state JSON: %v: %s", err, out)
	}
	return st
}

func (b *bundle) status() string {
	b.t.Helper()
	s, _ := b.state()["status"].(string)
	return s
}

// waitStatus polls until the container shows want.
func (b *bundle) waitStatus(want string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got string
		if out, _, code := b.runc("state", b.ID); code == 0 {
			var st map[string]any
			json.Unmarshal([]byte(out), &st)
			got, _ = st["status"].(string)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("status %q, want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// initPid returns the container's init pid from its state.
func (b *bundle) initPid() int {
	b.t.Helper()
	pid, _ := b.state()["pid"].(float64)
	return int(pid)
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

// pidGone waits for pid to disappear.
func pidGone(pid int) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
