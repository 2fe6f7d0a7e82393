package libcontainer

// The way out of the runtime's waits on runc init.
//
// The runtime waits for runc init on the init socket (package protocol): for a
// frame, for room to write one, for the end of the socket. An init that
// dies closes the socket, and the wait ends there. An init that lives on
// without getting anywhere would keep the runtime waiting for good: one
// frozen by its cgroup's freezer (which a fatal signal does not get out of
// on cgroup v1), or one stopped by a signal. A watch, started with the
// init, looks once a second at the process the runtime waits for; when it
// has been frozen or stopped for stuckLimit, or has exited while the
// socket stays open (another process holds it) for goneLimit, the watch
// gives up: it names the process, its state and what the runtime waited
// for, and ends every pending and later wait on the socket (a deadline in
// the past). The caller kills the init and cleans up.
//
// An init that runs, however slowly (big mounts, createContainer hooks, a
// slow disk), is waited for: only a process that cannot make progress is
// given up on. The first look comes after a second, so that a create that
// takes less pays nothing but a goroutine.

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
)

const (
	watchTick = time.Second
	// stuckLimit is how long the init may stay frozen or stopped.
	stuckLimit = 5 * time.Second
	// goneLimit is how long the socket may stay open after the process
	// the runtime waits for has exited.
	goneLimit = 2 * time.Second
)

// initWatch watches the process the runtime waits for on sock (which
// must be non-blocking: os.File deadlines apply to it).
type initWatch struct {
	sock *os.File
	// frozenOK: a frozen process is what is expected (exec
	// --ignore-paused into a paused container waits for the resume).
	frozenOK bool

	mu       sync.Mutex
	pid      int
	pidfd    int
	name     string    // "runc init", "runc init stage 0"
	what     string    // what the runtime waits for
	progress time.Time // the last frame from the init
	err      error     // why the watch gave up

	stop chan struct{}
	done chan struct{}
}

func newInitWatch(sock *os.File, frozenOK bool) *initWatch {
	w := &initWatch{
		sock: sock, frozenOK: frozenOK, pidfd: -1, progress: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go w.run()
	return w
}

// follow makes pid (named name) the process the runtime waits for.
func (w *initWatch) follow(pid int, name string) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd of %s (pid %d): %w", name, pid, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pidfd >= 0 {
		unix.Close(w.pidfd)
	}
	w.pid, w.pidfd, w.name, w.progress = pid, fd, name, time.Now()
	return nil
}

// expect records progress: a frame came, and what comes next.
func (w *initWatch) expect(what string) {
	w.mu.Lock()
	w.what, w.progress = what, time.Now()
	w.mu.Unlock()
}

// explain returns why the watch gave up, if it did (the reason a wait on
// the socket failed), or err.
func (w *initWatch) explain(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return err
}

// close stops the watch.
func (w *initWatch) close() {
	close(w.stop)
	<-w.done
	if w.pidfd >= 0 {
		unix.Close(w.pidfd)
		w.pidfd = -1
	}
}

// waitExit waits for the followed process to exit (stage 0, once it sent
// the init's pid), within the watch's rules.
func (w *initWatch) waitExit() error {
	w.mu.Lock()
	fd := w.pidfd
	w.mu.Unlock()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 100)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("wait for runc init: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := w.explain(nil); err != nil {
			return err
		}
	}
}

type stuckKind int

const (
	notStuck stuckKind = iota
	stuckGone
	stuckStopped
	stuckFrozen
)

func (w *initWatch) run() {
	defer close(w.done)
	t := time.NewTicker(watchTick)
	defer t.Stop()
	var (
		kind  stuckKind
		since time.Time
	)
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.mu.Lock()
		k, detail := w.look()
		now := time.Now()
		if k != kind {
			kind, since = k, now
		}
		from := since
		if w.progress.After(from) {
			from = w.progress
		}
		limit := stuckLimit
		if k == stuckGone {
			limit = goneLimit
		}
		if k != notStuck && now.Sub(from) >= limit {
			w.err = fmt.Errorf("%s (pid %d) %s: gave up after %s waiting for %s", w.name, w.pid, detail, now.Sub(from).Round(time.Second), w.what)
			// Ends the runtime's wait on the socket, now and later.
			_ = w.sock.SetDeadline(time.Unix(1, 0))
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

// look tells whether the followed process is gone, stopped or frozen.
func (w *initWatch) look() (stuckKind, string) {
	if w.pidfd < 0 {
		return notStuck, ""
	}
	fds := []unix.PollFd{{Fd: int32(w.pidfd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n > 0 {
		return stuckGone, "exited, but the init socket is still open"
	}
	if !w.frozenOK {
		if dir := cgroupmgr.ProcessFrozen(w.pid); dir != "" {
			return stuckFrozen, "is frozen by the freezer of cgroup " + dir
		}
	}
	if procState(w.pid) == "T" {
		return stuckStopped, "is stopped (by a signal)"
	}
	return notStuck, ""
}

// procState returns the state letter of process pid (R, S, D, T, t, Z...),
// or "" if it is gone.
func procState(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}
