package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/hooks"
	"github.com/seed4bdd2c93/runc/libcontainer/nssock"
)

// Start lets a created container's init exec the process (runc start), then
// runs the poststart hooks.
func (c *Container) Start() error {
	switch c.Status() {
	case Created:
	case Stopped:
		return errors.New("cannot start a container that has stopped")
	case Running:
		return errors.New("cannot start an already running container")
	case Paused:
		return errors.New("cannot start a paused container")
	}
	if err := c.openFifo(); err != nil {
		return err
	}
	return c.Poststart()
}

// Poststart runs the poststart hooks of a container whose process has
// started. A failing hook kills the container, as in runc.
func (c *Container) Poststart() error {
	if h := c.state.Config.Hooks; h != nil && len(h.Poststart) > 0 {
		if err := hooks.Run(h.Poststart, "poststart", c.state.hookState(Running, c.state.InitPid)); err != nil {
			_ = c.signalInit(unix.SIGKILL)
			return err
		}
	}
	return nil
}

// openFifo opens exec.fifo for reading, which releases the init, and reads
// its byte. Should the init die instead, its pidfd wakes us. It returns
// once the init has exec'd the process: the init keeps its (close-on-exec)
// end of the fifo open until then, so EOF means the process is executing
// (or the init died on the way), and poststart hooks come after that.
//
// The pidfd is taken before the fifo is opened: once it is, the process
// may run, exit and be reaped (a shim reaps at once) before start looks
// again, and its PID then names nothing; the pidfd still names it.
func (c *Container) openFifo() error {
	pidfd, err := unix.PidfdOpen(c.state.InitPid, 0)
	if err != nil {
		return fmt.Errorf("container init is gone: %w", err)
	}
	defer unix.Close(pidfd)
	path := filepath.Join(c.dir, fifoName)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return errors.New("cannot start an already running container")
		}
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("wait for exec fifo: %w", err)
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0 {
			var b [1]byte
			n, err := unix.Read(fd, b[:])
			if err == unix.EAGAIN {
				continue
			}
			if n == 1 {
				if err := os.Remove(path); err != nil {
					return err
				}
				// The init no longer serves it (nssock_linux.go).
				_ = os.Remove(filepath.Join(c.dir, nssock.Name))
				return waitExec(fd, pidfd)
			}
			return errors.New("cannot start an already running container")
		}
		if fds[1].Revents != 0 {
			return errors.New("container init exited before it could be started")
		}
	}
}

// waitExec waits for EOF on the exec fifo (the init's end closes when it
// execs the process, or exits), or for the init to exit.
func waitExec(fifo, pidfd int) error {
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	var buf [16]byte
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("wait for the container process to start: %w", err)
		}
		if fds[1].Revents != 0 {
			return nil
		}
		if fds[0].Revents != 0 {
			n, err := unix.Read(fifo, buf[:])
			if err == unix.EAGAIN || err == unix.EINTR || (err == nil && n > 0) {
				continue
			}
			return nil
		}
	}
}
