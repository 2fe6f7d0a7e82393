package integration

// A small pty driver (runc started on the peer of a pty we hold the master
// of, as a user's terminal would be) and a receiver of fds sent over a
// unix socket (runc's --console-socket and --pidfd-socket protocol).

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/ptytest"
)

// openPty returns a new pty's master and its peer, the peer sized rows x
// cols.
func openPty(t *testing.T, rows, cols uint16) (master, peer *os.File) {
	t.Helper()
	master, peer, err := ptytest.Open(rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); peer.Close() })
	return master, peer
}

// ptyRun is runc running on a pty, as in a user's terminal: the pty peer
// is its stdio and controlling terminal, and we type and read on the
// master.
type ptyRun struct {
	t      *testing.T
	b      *bundle
	master *os.File
	peer   *os.File
	p      *harness.Proc
	eof    chan struct{} // closed when the master reads EOF/EIO

	mu  sync.Mutex
	out bytes.Buffer
}

// runInPty starts runc with args on a new 24x80 pty.
func (b *bundle) runInPty(args ...string) *ptyRun {
	b.t.Helper()
	master, peer := openPty(b.t, 24, 80)
	r := &ptyRun{t: b.t, b: b, master: master, peer: peer, eof: make(chan struct{})}
	cmd := b.Cmd(args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = peer, peer, peer
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	r.p = harness.StartCmd(b.t, cmd)
	go func() {
		defer close(r.eof)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// output returns everything runc wrote to the terminal so far.
func (r *ptyRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// allOutput waits for runc to exit, closes our peer of the pty and
// returns every byte the terminal got, with runc's exit code. Nothing may
// hold the peer then: use it for a process whose container is gone.
func (r *ptyRun) allOutput() (string, int) {
	r.t.Helper()
	code := r.wait()
	r.peer.Close()
	select {
	case <-r.eof:
	case <-time.After(10 * time.Second):
		r.t.Fatalf("the pty peer is still open after runc exited; output %q", r.output())
	}
	return r.output(), code
}

// typeLine types s and Enter (a carriage return, as a keyboard sends).
func (r *ptyRun) typeLine(s string) {
	r.t.Helper()
	if _, err := r.master.WriteString(s + "\r"); err != nil {
		r.t.Fatal(err)
	}
}

// expect waits up to 10s until the output contains want.
func (r *ptyRun) expect(want string) {
	r.t.Helper()
	harness.EventuallyErr(r.t, 10*time.Second, func() error {
		if out := r.output(); !strings.Contains(out, want) {
			return fmt.Errorf("terminal output %q", out)
		}
		return nil
	}, fmt.Sprintf("%q on the terminal", want))
}

// termios returns the terminal settings of our pty (for a master, the
// kernel answers with its peer's).
func (r *ptyRun) termios() *unix.Termios {
	r.t.Helper()
	tio, err := unix.IoctlGetTermios(int(r.peer.Fd()), unix.TCGETS)
	if err != nil {
		r.t.Fatal(err)
	}
	return tio
}

// resize changes the terminal size: the kernel sends SIGWINCH to runc,
// the terminal's foreground process.
func (r *ptyRun) resize(rows, cols uint16) {
	r.t.Helper()
	if err := unix.IoctlSetWinsize(int(r.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		r.t.Fatal(err)
	}
}

// wait waits up to 60s for runc to exit and returns its exit code.
func (r *ptyRun) wait() int {
	r.t.Helper()
	select {
	case <-r.p.Done():
		res := r.p.Result()
		if res.Code == -1 {
			r.t.Fatal(res.Stderr)
		}
		return res.Code
	case <-time.After(60 * time.Second):
		r.t.Fatalf("runc on the pty did not exit; output %q", r.output())
	}
	return -1
}

// sameTermios compares the settings a program may change.
func sameTermios(a, b *unix.Termios) bool {
	return a.Iflag == b.Iflag && a.Oflag == b.Oflag && a.Cflag == b.Cflag && a.Lflag == b.Lflag && a.Cc == b.Cc
}

// fdReceiver listens on a unix socket for the fds runc sends with
// SCM_RIGHTS: the pty master (--console-socket) or a pidfd
// (--pidfd-socket), each with a name.
type fdReceiver struct {
	t    *testing.T
	Path string
	l    *net.UnixListener
	got  chan receivedFd
}

type receivedFd struct {
	name string
	file *os.File
	err  error
}

// newFdReceiver listens on a new socket in a temporary directory and
// accepts connections in the background.
func newFdReceiver(t *testing.T) *fdReceiver {
	t.Helper()
	// sun_path is short: use a short directory.
	dir, err := os.MkdirTemp("/tmp", "fdr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &fdReceiver{t: t, Path: filepath.Join(dir, "s"), got: make(chan receivedFd, 4)}
	r.l, err = net.ListenUnix("unix", &net.UnixAddr{Name: r.Path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.l.Close() })
	go func() {
		for {
			conn, err := r.l.AcceptUnix()
			if err != nil {
				return
			}
			go r.serve(conn)
		}
	}()
	return r
}

func (r *fdReceiver) serve(conn *net.UnixConn) {
	defer conn.Close()
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(name, oob)
	if err != nil {
		r.got <- receivedFd{err: err}
		return
	}
	if n == 0 && oobn == 0 {
		return // closed without sending (runc failed)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		r.got <- receivedFd{err: fmt.Errorf("control messages: %w", err)}
		return
	}
	if len(msgs) != 1 {
		r.got <- receivedFd{err: fmt.Errorf("control messages %v: want one", msgs)}
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		r.got <- receivedFd{err: fmt.Errorf("fds: %w", err)}
		return
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		r.got <- receivedFd{err: fmt.Errorf("fds %v: want one", fds)}
		return
	}
	r.got <- receivedFd{name: string(name[:n]), file: os.NewFile(uintptr(fds[0]), string(name[:n]))}
}

// receive waits up to 10s for one fd.
func (r *fdReceiver) receive() (string, *os.File) {
	r.t.Helper()
	select {
	case g := <-r.got:
		if g.err != nil {
			r.t.Fatal(g.err)
		}
		r.t.Cleanup(func() { g.file.Close() })
		return g.name, g.file
	case <-time.After(10 * time.Second):
		r.t.Fatal("no fd received on " + r.Path)
	}
	return "", nil
}

// consoleSession talks to a process through a received pty master.
type consoleSession struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
}

func newConsoleSession(t *testing.T, master *os.File) *consoleSession {
	s := &consoleSession{t: t, master: master}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *consoleSession) typeLine(line string) {
	s.t.Helper()
	if _, err := s.master.WriteString(line + "\r"); err != nil {
		s.t.Fatal(err)
	}
}

func (s *consoleSession) expect(want string) {
	s.t.Helper()
	harness.EventuallyErr(s.t, 10*time.Second, func() error {
		s.mu.Lock()
		out := s.out.String()
		s.mu.Unlock()
		if !strings.Contains(out, want) {
			return fmt.Errorf("console output %q", out)
		}
		return nil
	}, fmt.Sprintf("%q on the console", want))
}

// pidfdPid returns the pid a pidfd refers to (from its fdinfo).
func pidfdPid(t *testing.T, f *os.File) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			var pid int
			fmt.Sscan(strings.TrimSpace(v), &pid)
			return pid
		}
	}
	t.Fatalf("not a pidfd: %s", data)
	return 0
}
