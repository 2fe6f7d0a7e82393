// Package daemon starts and stops the daemons the client suites run
// (containerd, dockerd): each in its own session, its output in a log
// file, stopped by its PID.
package daemon

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Daemon is a daemon this run started.
type Daemon struct {
	Name string
	Cmd  *exec.Cmd
	Log  string
	done chan struct{}
}

// Start starts argv in dir, in its own session, with env added to ours
// and its output in logPath, and waits up to timeout for ready() to hold.
func Start(name, dir, logPath string, env []string, timeout time.Duration, ready func() bool, argv ...string) (*Daemon, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	d := &Daemon{Name: name, Log: logPath, done: make(chan struct{})}
	d.Cmd = exec.Command(argv[0], argv[1:]...)
	d.Cmd.Stdout, d.Cmd.Stderr = logf, logf
	d.Cmd.Dir = dir
	if env != nil {
		d.Cmd.Env = append(os.Environ(), env...)
	}
	d.Cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { d.Cmd.Wait(); close(d.done) }()
	deadline := time.Now().Add(timeout)
	for !d.Exited() && !ready() {
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("%s did not become ready in %v; log %s:\n%s", name, timeout, logPath, Tail(logPath, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.Exited() {
		return nil, fmt.Errorf("%s exited: log %s:\n%s", name, logPath, Tail(logPath, 20))
	}
	return d, nil
}

// Exited tells whether the daemon has exited.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the daemon's PID, then SIGKILL after 30s.
func (d *Daemon) Stop() error {
	d.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return nil
	case <-time.After(30 * time.Second):
	}
	d.Cmd.Process.Kill()
	<-d.done
	return fmt.Errorf("%s (pid %d) ignored SIGTERM for 30s; killed", d.Name, d.Cmd.Process.Pid)
}

// Tail returns the last n lines of the file at path.
func Tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// SocketUp tells whether something accepts connections on the unix
// socket at path.
func SocketUp(path string) bool {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Connect(fd, &unix.SockaddrUnix{Name: path}) == nil
}
