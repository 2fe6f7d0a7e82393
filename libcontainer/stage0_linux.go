package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stage0 is the first process of a runc init, started with
// syscall.ForkExec rather than os/exec: os.StartProcess checks once per
// process that pidfds work, by forking and reaping a child of its own
// (0.2 ms of each create, run and exec here). It is the runtime's child
// until wait reaps it, so its pid names it until then (the init watch
// holds a pidfd of it meanwhile).
type stage0 struct {
	pid int
}

// startStage0 runs path as runc init with env, files as its fds 0, 1, ...,
// and sys (nil for none) for its clone.
func startStage0(path string, env []string, files []*os.File, sys *syscall.SysProcAttr) (*stage0, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(path, []string{"runc", "init"}, &syscall.ProcAttr{Env: env, Files: fds, Sys: sys})
	runtime.KeepAlive(files)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	return &stage0{pid: pid}, nil
}

func (p *stage0) kill() {
	_ = unix.Kill(p.pid, unix.SIGKILL)
}

// wait reaps stage 0; its error is os/exec's for a status other than 0.
func (p *stage0) wait() error {
	var ws syscall.WaitStatus
	var err error
	for {
		_, err = syscall.Wait4(p.pid, &ws, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("wait: %w", err)
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	case ws.ExitStatus() != 0:
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	}
	return nil
}

// reap waits for a killed stage 0, for a second at most: frozen on cgroup
// v1, it dies only once thawed (a failed create's cleanup thaws the
// container's cgroup), and is then reaped in the background.
func (p *stage0) reap() {
	if p.exitsWithin(time.Second) {
		_ = p.wait()
		return
	}
	go func() { _ = p.wait() }()
}

// exitsWithin reports whether stage 0 exits within d. Without a pidfd
// (out of fds) there is nothing to wait on with a deadline: no.
func (p *stage0) exitsWithin(d time.Duration) bool {
	fd, err := unix.PidfdOpen(p.pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for deadline := time.Now().Add(d); ; {
		n, err := unix.Poll(fds, max(0, int(time.Until(deadline).Milliseconds())))
		if n > 0 {
			return true
		}
		if err != unix.EINTR || !time.Now().Before(deadline) {
			return false
		}
	}
}
