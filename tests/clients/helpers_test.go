package clients

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/ptytest"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// cmdTimeout bounds every client command.
const cmdTimeout = 120 * time.Second

// result is what one command gave.
type result struct {
	Stdout, Stderr string
	Code           int
	Dur            time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.Code, r.Stdout, r.Stderr)
}

// proc is a command running in the background, its output going to files
// (a detached container may hold a pipe open forever).
type proc struct {
	t              *testing.T
	argv           []string
	cmd            *exec.Cmd
	stdout, stderr *os.File
	start          time.Time
	done           chan struct{}
	err            error
}

// spawn starts argv in the work directory with stdin (empty: /dev/null)
// and env added to ours.
func spawn(t *testing.T, stdin string, env []string, argv ...string) *proc {
	t.Helper()
	return spawnIn(t, work, stdin, env, argv...)
}

// spawnIn is spawn in the directory dir.
func spawnIn(t *testing.T, dir, stdin string, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{t: t, argv: argv, stdout: tempFile(t), stderr: tempFile(t), done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	if stdin != "" {
		p.cmd.Stdin = strings.NewReader(stdin)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", argv[0], err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits up to timeout for the command and returns what it gave.
func (p *proc) wait(timeout time.Duration) result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s: timed out after %v\nstdout: %q\nstderr: %q", strings.Join(p.argv, " "), timeout, fileText(p.stdout), fileText(p.stderr))
	}
	r := result{Stdout: fileText(p.stdout), Stderr: fileText(p.stderr), Dur: time.Since(p.start)}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		r.Code = ee.ExitCode()
	} else if p.err != nil {
		p.t.Fatalf("%s: %v", p.argv[0], p.err)
	}
	return r
}

// output returns what the command has written to stdout so far.
func (p *proc) output() string { return fileText(p.stdout) }

// waitOutput waits until the command's stdout holds want.
func (p *proc) waitOutput(want string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.output(), want) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no %q in stdout %q (stderr %q)", strings.Join(p.argv, " "), want, p.output(), fileText(p.stderr))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// command runs argv to completion.
func command(t *testing.T, stdin string, env []string, argv ...string) result {
	t.Helper()
	return spawn(t, stdin, env, argv...).wait(cmdTimeout)
}

func tempFile(t *testing.T) *os.File {
	f, err := os.CreateTemp(work, "out-*")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	t.Cleanup(func() { f.Close() })
	return f
}

func fileText(f *os.File) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	return string(data)
}

// eventually polls cond every 50ms until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cgroupDirs returns the directories of cgroup path that exist.
func cgroupDirs(path string) []string {
	var out []string
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, path)); err == nil {
			out = append(out, filepath.Join(h, path))
		}
	}
	return out
}

// cgroupFile reads a file of a v1 controller's cgroup (or of the unified
// hierarchy when controller is "").
func cgroupFile(t *testing.T, controller, path, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, path, file))
	if err != nil {
		t.Fatalf("cgroup file: %v", err)
	}
	return strings.TrimSpace(string(data))
}

// removeCgroupTree removes path from every hierarchy, deepest first, and
// returns the directories that were there below path itself.
func removeCgroupTree(path string) []string {
	var left []string
	for _, h := range testhost.CgroupHierarchies() {
		root := filepath.Join(h, path)
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			// the clients' parents (root/docker, root/podman/conmon ...)
			// are theirs to leave
			rel, _ := filepath.Rel(root, dirs[i])
			if rel != "." && strings.Count(rel, "/") > 0 && rel != "podman/conmon" {
				left = append(left, dirs[i])
			}
			os.Remove(dirs[i])
		}
	}
	return left
}

// processesMatching returns the PIDs (not ours) whose command line holds s.
func processesMatching(s string) []int {
	return testhost.Processes(func(args []string) bool { return strings.Contains(strings.Join(args, "\x00"), s) })
}

// processesWithArg returns the PIDs (not ours) with id as an argument, or
// as a path component of one.
func processesWithArg(id string) []int {
	return testhost.Processes(func(args []string) bool {
		return slices.ContainsFunc(args, func(arg string) bool {
			return arg == id || strings.Contains(arg, "/"+id+"/") || strings.HasSuffix(arg, "/"+id)
		})
	})
}

func killPid(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// unmountAll lazily unmounts mounts, deepest first.
func unmountAll(mnts []string) {
	for i := 0; i < 4; i++ {
		for _, m := range mnts {
			unix.Unmount(m, unix.MNT_DETACH)
		}
	}
}

// leftovers is what a container may leave behind once removed: checked
// against a snapshot of the mounts taken before it was created.
type leftovers struct {
	mounts map[string]bool
}

func snapshot() *leftovers { return &leftovers{mounts: testhost.MountPoints()} }

// check fails t if, within a few seconds, the container's cgroup still
// exists in a hierarchy, a process still holds id in its command line or
// lives in the cgroup, or a mount appeared under the work directory.
func (l *leftovers) check(t *testing.T, cgroup, id string) {
	t.Helper()
	var dirs, newMounts []string
	var procs, inCg []int
	ok := eventually(10*time.Second, func() bool {
		dirs = cgroupDirs(cgroup)
		procs = processesWithArg(id)
		inCg = testhost.ProcessesIn(cgroup)
		newMounts = nil
		for m := range testhost.MountPoints() {
			if !l.mounts[m] && strings.HasPrefix(m, work+"/") && !storageHome(m) {
				newMounts = append(newMounts, m)
			}
		}
		return len(dirs) == 0 && len(procs) == 0 && len(inCg) == 0 && len(newMounts) == 0
	})
	if !ok {
		for _, p := range procs {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			t.Logf("process %d: %s", p, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
		t.Errorf("left behind after removal: cgroups %v, processes %v, processes in the cgroup %v, mounts %v", dirs, procs, inCg, newMounts)
	}
}

// storageHome tells the engines' own mounts of their image stores (made
// on first use, kept while they run) from a container's.
func storageHome(m string) bool {
	return m == filepath.Join(work, "podman/root/overlay") || m == filepath.Join(work, "docker/data/overlay2")
}

// mustContain fails t unless s holds every one of subs.
func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s: %q does not contain %q", what, s, sub)
		}
	}
}

// ptyProc is a client command on the peer of a pty whose master we hold,
// as in a user's terminal.
type ptyProc struct {
	*ptytest.Proc
	t    *testing.T
	argv []string
}

// spawnPty starts argv on a new rows x cols pty, as its controlling
// terminal.
func spawnPty(t *testing.T, env []string, rows, cols uint16, argv ...string) *ptyProc {
	t.Helper()
	p, err := ptytest.Start(argv, work, env, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &ptyProc{Proc: p, t: t, argv: argv}
}

// expect waits until the terminal has shown want.
func (p *ptyProc) expect(want string) {
	p.t.Helper()
	if !eventually(30*time.Second, func() bool { return strings.Contains(p.Text(), want) }) {
		p.t.Fatalf("%s: terminal never showed %q; it showed %q", strings.Join(p.argv, " "), want, p.Text())
	}
}

// send types s on the terminal.
func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.Master.WriteString(s); err != nil {
		p.t.Fatal(err)
	}
}

// shell checks an interactive shell on the terminal: it runs on a pty,
// what is typed reaches it, the pty is rows x cols ("rows cols"; "" not to
// check: clients size it once the process started, so this polls), and
// `exit code` ends the client with that code.
func (p *ptyProc) shell(size string, code int) {
	p.t.Helper()
	p.send("tty; echo $((6*7))x\r")
	p.expect("42x")
	mustContain(p.t, "terminal", p.Text(), "/dev/pts/")
	if size != "" {
		waitFor(p.t, "the terminal's size", func() bool {
			p.send("stty size\r")
			time.Sleep(100 * time.Millisecond)
			return strings.Contains(p.Text(), size)
		})
	}
	p.send(fmt.Sprintf("exit %d\r", code))
	if got := p.wait(); got != code {
		p.t.Fatalf("exit code %d, want %d; terminal: %q", got, code, p.Text())
	}
}

// wait waits for the client to exit and returns its exit code.
func (p *ptyProc) wait() int {
	p.t.Helper()
	code, ok := p.Wait(cmdTimeout)
	if !ok {
		p.t.Fatalf("%s: timed out; terminal: %q", strings.Join(p.argv, " "), p.Text())
	}
	return code
}
