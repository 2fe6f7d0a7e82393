package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RunTimeout bounds a runc invocation that Run waits for.
const RunTimeout = 60 * time.Second

// Result is what one runc invocation gave.
type Result struct {
	Stdout, Stderr string
	Code           int // 128+N if killed by signal N
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
}

// Call is how a runc invocation is started, beyond its arguments.
type Call struct {
	Stdin  io.Reader
	Stdout *os.File   // nil: a temporary file, read into the Result
	Env    []string   // added to the environment
	Files  []*os.File // fds 3, 4, ...
	Attr   *syscall.SysProcAttr
	// Wrap, if set, starts runc through this command (runc's argv
	// appended), e.g. a shell that sets variables naming its own pid.
	Wrap []string
	// Bin, if set, is the runc to run instead of the bundle's (FaultBin,
	// say).
	Bin string
}

// Proc is a runc invocation in progress. Its output goes to files, not
// pipes: a container started by create or run -d keeps runc's stdio open,
// and a pipe would never reach EOF.
type Proc struct {
	Cmd            *exec.Cmd
	t              testing.TB
	args           []string
	stdout, stderr *os.File
	start          time.Time
	end            time.Time
	done           chan struct{}
	err            error

	mu     sync.Mutex
	closed bool   // the temporary files are closed
	last   Result // what they held then
}

// StartCmd starts cmd, t's cleanup killing it if it still runs when the
// test ends. Unless the caller set them, cmd.Stdout and cmd.Stderr are
// temporary files that Stdout, Stderr and the Result read (a caller's own
// are left to it).
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, t: t, args: cmd.Args, done: make(chan struct{})}
	if cmd.Stdout == nil {
		p.stdout = TempFile(t)
		cmd.Stdout = p.stdout
	}
	if cmd.Stderr == nil {
		p.stderr = TempFile(t)
		cmd.Stderr = p.stderr
	}
	if err := startTracked(cmd); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	p.start = time.Now()
	go func() {
		p.err = cmd.Wait()
		p.end = time.Now()
		untrack(cmd.Process.Pid)
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stdout is what the process wrote to its stdout so far ("" when the
// caller gave it one of its own).
func (p *Proc) Stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.last.Stdout
	}
	return FileText(p.stdout)
}

// Stderr is what the process wrote to its stderr so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.last.Stderr
	}
	return FileText(p.stderr)
}

// Wait waits up to timeout for the process to exit and returns what it
// gave; after timeout it is killed and the test fails.
func (p *Proc) Wait(timeout time.Duration) Result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s: timed out after %v: %s", strings.Join(p.args, " "), timeout, p.result())
	}
	return p.result()
}

// Result is what the process gave, once it has exited: a process that
// could not be waited for shows as exit -1 with the error on stderr.
func (p *Proc) Result() Result {
	<-p.done
	return p.result()
}

// result is what the exited process gave; its output is read again each
// time (a container that runc started keeps writing to runc's stdio)
// until Close.
func (p *Proc) result() Result {
	r := Result{Stdout: p.Stdout(), Stderr: p.Stderr()}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	} else if p.err != nil {
		r.Code = -1
		r.Stderr += p.err.Error()
	}
	return r
}

// Close closes the temporary files that hold the process's output (the
// test's end does otherwise), keeping what they held for Stdout and
// Stderr: a loop of thousands of runs must not pile up open files.
func (p *Proc) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.last = Result{Stdout: FileText(p.stdout), Stderr: FileText(p.stderr)}
	p.closed = true
	for _, f := range []*os.File{p.stdout, p.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// Dur is how long the process ran (so far, if it still runs).
func (p *Proc) Dur() time.Duration {
	if p.Exited() {
		return p.end.Sub(p.start)
	}
	return time.Since(p.start)
}

// WaitStderr waits until the process's stderr holds s and returns it; the
// test fails if it does not within timeout or the process exits first.
func (p *Proc) WaitStderr(s string, timeout time.Duration) string {
	p.t.Helper()
	var out string
	EventuallyErr(p.t, timeout, func() error {
		exited := p.Exited()
		if out = p.Stderr(); strings.Contains(out, s) {
			return nil
		}
		if exited {
			p.t.Fatalf("%s: exited without %q on stderr: %q", strings.Join(p.args, " "), s, out)
		}
		return fmt.Errorf("stderr %q", out)
	}, fmt.Sprintf("%s: %q on stderr", strings.Join(p.args, " "), s))
	return out
}

// TempFile returns an unlinked temporary file, closed when t ends.
func TempFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.CreateTemp("", "runc-test-out-")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	t.Cleanup(func() { f.Close() })
	return f
}

// FileText returns what f holds now, read through /proc/self/fd (so that
// f's offset, where a process may be writing, does not matter).
func FileText(f *os.File) string {
	if f == nil {
		return ""
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	return string(data)
}

// The processes the tests started and are waiting for; any other child of
// a subreaper suite is an orphan it adopted, reaped by Orphans.
var (
	trackMu sync.Mutex
	tracked = map[int]bool{}
)

func startTracked(cmd *exec.Cmd) error {
	trackMu.Lock()
	defer trackMu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	tracked[cmd.Process.Pid] = true
	return nil
}

func untrack(pid int) {
	trackMu.Lock()
	delete(tracked, pid)
	trackMu.Unlock()
}

// Output runs a command to completion, as exec.Cmd.CombinedOutput, as
// one the orphan reaper leaves alone.
func Output(name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startTracked(cmd); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	untrack(cmd.Process.Pid)
	return out.Bytes(), err
}

// Children returns the pids of our children (every thread's).
func Children() []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	sort.Ints(pids)
	return pids
}

// Orphans reaps the adopted children (of a Subreaper suite) that have
// exited and returns the live ones, besides the processes the tests
// started and wait for.
func Orphans() []int {
	trackMu.Lock()
	defer trackMu.Unlock()
	var live []int
	for _, pid := range Children() {
		if tracked[pid] {
			continue
		}
		var ws unix.WaitStatus
		if p, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); p == pid || err == unix.ECHILD {
			continue
		}
		live = append(live, pid)
	}
	return live
}

// RunCmd runs cmd (as StartCmd) and waits up to timeout for what it gives.
func RunCmd(t testing.TB, cmd *exec.Cmd, timeout time.Duration) Result {
	t.Helper()
	p := StartCmd(t, cmd)
	defer p.Close()
	return p.Wait(timeout)
}

// RunCombined runs cmd as RunCmd does, with its stdout and stderr in one
// file, in the order written (as exec.Cmd.CombinedOutput has them): the
// Result's Stdout holds both.
func RunCombined(t testing.TB, cmd *exec.Cmd, timeout time.Duration) Result {
	t.Helper()
	f := TempFile(t)
	cmd.Stdout, cmd.Stderr = f, f
	r := RunCmd(t, cmd, timeout)
	r.Stdout = FileText(f)
	return r
}
