package main

import (
	"os"
	"os/signal"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

const signalBufferSize = 2048

// signalHandler forwards the signals runc receives to the container's
// process and reaps children, so that a foreground run or exec exits with
// the process's status.
type signalHandler struct {
	signals chan os.Signal
	ready   chan struct{} // closed once signal.Notify is in place
}

// newSignalHandler must be called before the process is started, so no
// signal (in particular SIGCHLD) is missed. With subreaper, orphaned
// descendants (the container's init, once its short-lived parent exits)
// are reparented to us.
func newSignalHandler(subreaper bool) *signalHandler {
	if subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			logrus.Warnf("set child subreaper: %v", err)
		}
	}
	h := &signalHandler{signals: make(chan os.Signal, signalBufferSize), ready: make(chan struct{})}
	// SIGHUP and SIGINT are the two signals a Go program leaves ignored
	// when its caller ignored them (nohup) until it asks for them, and the
	// container's process would inherit that through runc init: asked for
	// now, before the init starts, they are handled here and reach the
	// container at their default, as with runc.
	for _, s := range []os.Signal{unix.SIGHUP, unix.SIGINT} {
		if signal.Ignored(s) {
			signal.Notify(h.signals, s)
		}
	}
	// Registering every signal takes a while; do it while the container
	// is being set up. A SIGCHLD that comes before is caught by the first
	// reap in forward.
	go func() {
		signal.Notify(h.signals)
		close(h.ready)
	}()
	return h
}

// forward relays signals to pid until it exits and returns its exit code
// (128+N when killed by signal N).
func (h *signalHandler) forward(pid int, t *tty) int {
	<-h.ready
	if t != nil {
		t.resize()
	}
	if code, done := reap(pid); done {
		return code
	}
	for s := range h.signals {
		switch s {
		case unix.SIGWINCH:
			if t != nil {
				t.resize()
			}
		case unix.SIGCHLD:
			if code, done := reap(pid); done {
				return code
			}
		case unix.SIGURG:
			// The Go runtime's preemption signal; not for the container.
		default:
			us := s.(unix.Signal)
			logrus.Debugf("forwarding signal %d (%s) to %d", int(us), unix.SignalName(us), pid)
			if err := unix.Kill(pid, us); err != nil && err != unix.ESRCH {
				logrus.Error(err)
			}
		}
	}
	return -1
}

// reap collects every exited child; it reports pid's exit code once pid is
// among them.
func reap(pid int) (int, bool) {
	for {
		var ws unix.WaitStatus
		p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if p <= 0 || err != nil {
			return 0, false
		}
		if p == pid {
			return exitCode(ws), true
		}
	}
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
