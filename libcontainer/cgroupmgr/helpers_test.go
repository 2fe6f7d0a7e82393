package cgroupmgr

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testEnv owns one cgroup prefix, /runc-test-cgroups-<random>, in every
// hierarchy, and the processes a test starts. Its cleanup thaws, kills and
// reaps them, then removes every directory under the prefix and fails the
// test if one is left.
type testEnv struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	procs  []*proc
}

// proc is a child process, reaped in the background.
type proc struct {
	cmd   *exec.Cmd
	pid   int
	done  chan struct{}
	state *os.ProcessState
	out   *bytes.Buffer
	stdin io.WriteCloser
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	requireRoot(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, prefix: "/runc-test-cgroups-" + hex.EncodeToString(b)}
	t.Cleanup(e.cleanup)
	return e
}

// cgroupMounts returns the mount points of every cgroup and cgroup2 mount.
func cgroupMounts(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mnts []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		i := slices.Index(fields, "-")
		if i < 0 || i+1 >= len(fields) {
			continue
		}
		if fs := fields[i+1]; fs == "cgroup" || fs == "cgroup2" {
			mnts = append(mnts, fields[4])
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return mnts
}

// dirsUnder returns every directory at or below the prefix, deepest first.
func (e *testEnv) dirsUnder() []string {
	var dirs []string
	for _, mnt := range cgroupMounts(e.t) {
		top := filepath.Join(mnt, e.prefix)
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return dirs
}

func (e *testEnv) cleanup() {
	// Frozen v1 processes cannot die: thaw first.
	for _, d := range e.dirsUnder() {
		if _, err := os.Stat(filepath.Join(d, "freezer.state")); err == nil {
			_ = os.WriteFile(filepath.Join(d, "freezer.state"), []byte("THAWED"), 0)
		}
	}
	// Anything left in our cgroups is ours (forks of the processes we
	// started): kill it too, so that pipes close and Wait returns.
	for _, d := range e.dirsUnder() {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
	}
	e.mu.Lock()
	procs := e.procs
	e.mu.Unlock()
	for _, p := range procs {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			e.t.Errorf("cleanup: pid %d did not exit", p.pid)
		}
	}
	for _, d := range e.dirsUnder() {
		var err error
		for range 50 {
			if err = unix.Rmdir(d); err == nil || errors.Is(err, unix.ENOENT) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			e.t.Errorf("cleanup: rmdir %s: %v", d, err)
		}
	}
	if left := e.dirsUnder(); len(left) > 0 {
		e.t.Errorf("cleanup: cgroups left behind: %v", left)
	}
}

// start starts a child process that cleanup will kill. If stdin is true,
// the child's stdin is a pipe (p.stdin).
func (e *testEnv) start(stdin bool, name string, args ...string) *proc {
	e.t.Helper()
	cmd := exec.Command(name, args...)
	p := &proc{cmd: cmd, done: make(chan struct{}), out: &bytes.Buffer{}}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if stdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			e.t.Fatal(err)
		}
		p.stdin = w
	}
	e.startCmd(cmd, p)
	return p
}

// startCmd starts cmd, for p, which cleanup will kill.
func (e *testEnv) startCmd(cmd *exec.Cmd, p *proc) {
	e.t.Helper()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	p.pid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
}

// wait waits for p to exit and returns the signal that killed it (0 if it
// exited normally).
func (p *proc) wait(t *testing.T, timeout time.Duration) syscall.Signal {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("pid %d still running after %v", p.pid, timeout)
	}
	ws := p.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// mkSub creates the sub-cgroup name in every directory of paths, copying
// cpuset.cpus and cpuset.mems from the parent on v1 (a v1 cpuset cgroup
// with none cannot take processes; v2 needs nothing).
func mkSub(t *testing.T, paths map[string]string, name string) {
	t.Helper()
	for k, dir := range paths {
		sub := filepath.Join(dir, name)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if k == "" {
			continue // the cgroup v2 directory (v2 or hybrid)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
				if err := os.WriteFile(filepath.Join(sub, f), b, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// readFile returns the trimmed content of dir/name.
func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// procsOf returns the pids in dir/cgroup.procs.
func procsOf(t *testing.T, dir string) []int {
	t.Helper()
	var pids []int
	for _, f := range strings.Fields(readFile(t, dir, "cgroup.procs")) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, n)
	}
	return pids
}

// procState returns the State: letter of /proc/pid/status.
func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "State:"); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("no State in /proc/%d/status", pid)
	return ""
}

// eventually polls cond for up to 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
