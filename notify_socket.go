package main

// NOTIFY_SOCKET (sd_notify) support, with runc's layout: when runc runs
// under a systemd Type=notify unit, the container gets its own datagram
// socket at /run/notify/notify.sock (a read-only bind mount of the
// directory <root>/<id>/notify), and runc relays the container's READY=1
// to the host's socket, followed by MAINPID (the container's init when
// runc detaches, runc itself in the foreground) and a BARRIER=1 round trip.
// `runc run -d` and `runc start` return only once the container is ready
// (or its init is gone); `runc create` does not wait.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

const (
	notifyDirInContainer = "/run/notify"
	notifySocketName     = "notify.sock"
)

// notifySocket relays one container's sd_notify messages to the host.
type notifySocket struct {
	host string // the caller's NOTIFY_SOCKET (a path, or @abstract)
	dir  string // <root>/<id>/notify
	conn *net.UnixConn
}

// newNotifySocket returns nil when runc was not given a NOTIFY_SOCKET.
func newNotifySocket(root, id string) *notifySocket {
	host := os.Getenv("NOTIFY_SOCKET")
	if host == "" {
		return nil
	}
	return &notifySocket{host: host, dir: filepath.Join(root, id, "notify")}
}

// setupSpec adds the bind mount of the socket's directory to the config;
// the returned variable goes to the container's process environment.
func (n *notifySocket) setupSpec(spec *specs.Spec) string {
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: notifyDirInContainer,
		Source:      n.dir,
		Options:     []string{"bind", "nosuid", "noexec", "nodev", "ro"},
	})
	return "NOTIFY_SOCKET=" + notifyDirInContainer + "/" + notifySocketName
}

// mkdir creates the socket's directory in the new state directory.
func (n *notifySocket) mkdir() error {
	if err := os.Mkdir(n.dir, 0o755); err != nil {
		return fmt.Errorf("create notify socket directory: %w", err)
	}
	return nil
}

// bind creates the container's socket, writable by any user of the
// container.
func (n *notifySocket) bind() error {
	path := filepath.Join(n.dir, notifySocketName)
	_ = os.Remove(path) // left by an earlier runc start
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("bind notify socket: %w", err)
	}
	if err := os.Chmod(path, 0o777); err != nil {
		conn.Close()
		return fmt.Errorf("bind notify socket: %w", err)
	}
	n.conn = conn
	return nil
}

func (n *notifySocket) close() {
	if n != nil && n.conn != nil {
		n.conn.Close()
	}
}

// waitReady waits until the container sends READY=1 (true), or until the
// process alive reports gone (false), polling it every 100ms.
func (n *notifySocket) waitReady(alive func() bool) ([]byte, bool) {
	ready := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := n.conn.Read(buf)
			if err != nil {
				return
			}
			// One message per datagram, lines of VAR=VALUE.
			for _, line := range bytes.Split(buf[:k], []byte{'\n'}) {
				if bytes.HasPrefix(line, []byte("READY=")) {
					ready <- bytes.Clone(line)
					return
				}
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line := <-ready:
			return line, true
		case <-tick.C:
			if !alive() {
				return nil, false
			}
		}
	}
}

// relay waits for the container's READY and tells the host, naming
// mainPid as the service's main process. It returns at once, with nothing
// sent, if alive reports the container gone first.
func (n *notifySocket) relay(mainPid int, alive func() bool) error {
	if n == nil || n.conn == nil {
		return nil
	}
	line, ok := n.waitReady(alive)
	if !ok {
		return nil
	}
	return notifyHost(n.host, line, mainPid)
}

// notifyHost sends READY, then MAINPID, to the host's socket and waits for
// the host to have processed them (sd_notify_barrier).
func notifyHost(host string, ready []byte, mainPid int) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: host, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("connect to NOTIFY_SOCKET %s: %w", host, err)
	}
	defer conn.Close()
	if _, err := conn.Write(append(ready, '\n')); err != nil {
		return fmt.Errorf("notify %s: %w", host, err)
	}
	if _, err := conn.Write([]byte("MAINPID=" + strconv.Itoa(mainPid) + "\n")); err != nil {
		return fmt.Errorf("notify %s: %w", host, err)
	}
	return notifyBarrier(conn)
}

// errBarrierData is returned when the barrier pipe gives data: the host
// only ever closes it.
var errBarrierData = errors.New("unexpected read from synchronization pipe")

// notifyBarrier sends BARRIER=1 with the write end of a pipe and waits (up
// to 30s) for the host to close it, which it does once it has handled
// every message before.
func notifyBarrier(conn *net.UnixConn) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	r := os.NewFile(uintptr(p[0]), "barrier pipe")
	defer r.Close()
	raw, err := conn.SyscallConn()
	if err != nil {
		unix.Close(p[1])
		return err
	}
	var serr error
	err = raw.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), []byte("BARRIER=1"), unix.UnixRights(p[1]), nil, 0)
		return serr != unix.EAGAIN
	})
	unix.Close(p[1])
	if err == nil {
		err = serr
	}
	if err != nil {
		return &os.SyscallError{Syscall: "sendmsg", Err: err}
	}
	// A pipe from os.NewFile is not in the poller: poll it ourselves.
	fds := []unix.PollFd{{Fd: int32(p[0]), Events: unix.POLLIN}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			logrus.Warn("Timeout after waiting 30s for barrier. Ignored.")
			return nil
		}
		k, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if k == 0 {
			continue
		}
		var b [1]byte
		m, err := unix.Read(p[0], b[:])
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if m > 0 {
			return errBarrierData
		}
		return err
	}
}

// pidAlive returns a check that pid has not exited (a zombie counts as
// exited), through a pidfd so that a reused pid cannot fool it.
func pidAlive(pid int) func() bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return func() bool { return false }
	}
	return func() bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			// A signal pending (the Go runtime's own SIGURG, say) makes
			// even a zero-timeout poll fail with EINTR: that says nothing
			// of the process.
			k, err := unix.Poll(fds, 0)
			if err != unix.EINTR {
				return err == nil && k == 0
			}
		}
	}
}

// startNotifySocket binds the notify socket of a created container for
// `runc start`, when runc has a NOTIFY_SOCKET and the container was
// created with one (nil otherwise).
func startNotifySocket(c *libcontainer.Container) (*notifySocket, error) {
	host := os.Getenv("NOTIFY_SOCKET")
	if host == "" {
		return nil, nil
	}
	n := &notifySocket{host: host, dir: filepath.Join(c.Dir(), "notify")}
	if _, err := os.Stat(n.dir); err != nil {
		// Created without NOTIFY_SOCKET: nothing in the container to
		// listen to.
		return nil, nil
	}
	if err := n.bind(); err != nil {
		return nil, err
	}
	return n, nil
}
