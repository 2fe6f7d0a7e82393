package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer"
	"github.com/seed4bdd2c93/runc/libcontainer/fdpass"
)

// tty is the runtime's end of a foreground process's stdio: either a pty
// master copied to and from our own stdio, or pipes.
type tty struct {
	master  console.Console // pty master, for process.terminal
	host    console.Console // our terminal, made raw while the pty is in use
	raw     bool            // host is in raw mode (restore it)
	recv    *os.File        // our end of the console socketpair
	closers []io.Closer     // closed once the process started (the child ends)
	wg      sync.WaitGroup  // output copiers
}

// checkTerminal applies runc's rules on process.terminal, --detach and
// --console-socket, with runc's wording: a detached terminal needs a
// console socket, and a console socket is only for a detached terminal.
func checkTerminal(terminal, detach bool, consoleSocket string) error {
	if detach && terminal && consoleSocket == "" {
		return errors.New("cannot allocate tty if runc will detach without setting console socket")
	}
	if (!detach || !terminal) && consoleSocket != "" {
		return errors.New("cannot use console socket if runc will not detach or allocate tty")
	}
	return nil
}

// hostConsole finds the terminal runc runs on, as runc does: stderr,
// stdout or stdin (any may be redirected), else the controlling terminal.
func hostConsole() (console.Console, error) {
	for _, f := range []*os.File{os.Stderr, os.Stdout, os.Stdin} {
		if c, err := console.ConsoleFromFile(f); err == nil {
			return c, nil
		}
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("unable to get console: %w", err)
	}
	return c, nil
}

// setupIO prepares p's stdio for a process that will (terminal) or will not
// get a pty, foreground or detached, as runc does:
//   - terminal, detached: the master goes to --console-socket;
//   - terminal in the foreground: the master comes back to us and is
//     copied to and from our terminal, which is made raw meanwhile;
//   - no terminal, detached: the process inherits our stdio as it is;
//   - no terminal, foreground: pipes copied to our stdio, so the container
//     never holds our terminal.
func setupIO(p *libcontainer.Process, terminal, detach bool, consoleSocket string, rootUID, rootGID int) (*tty, error) {
	if err := checkTerminal(terminal, detach, consoleSocket); err != nil {
		return nil, err
	}
	if terminal {
		if detach {
			f, err := dialUnix(consoleSocket)
			if err != nil {
				return nil, fmt.Errorf("connect to console socket %s: %w", consoleSocket, err)
			}
			p.ConsoleSocket = f
			return &tty{closers: []io.Closer{f}}, nil
		}
		host, err := hostConsole()
		if err != nil {
			return nil, err
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		p.ConsoleSocket = os.NewFile(uintptr(fds[1]), "console socket (child)")
		t := &tty{host: host, recv: os.NewFile(uintptr(fds[0]), "console socket"), closers: []io.Closer{p.ConsoleSocket}}
		p.OnReady = t.recvConsole
		return t, nil
	}
	if detach {
		return &tty{}, nil
	}
	t := &tty{}
	ends := [3][2]*os.File{}
	for i := range ends {
		r, w, err := os.Pipe()
		if err != nil {
			t.close()
			return nil, err
		}
		ends[i] = [2]*os.File{r, w}
		// The container's root must be able to reopen its stdio.
		if rootUID != 0 || rootGID != 0 {
			_ = unix.Fchown(int(r.Fd()), rootUID, rootGID)
		}
	}
	p.Stdin, p.Stdout, p.Stderr = ends[0][0], ends[1][1], ends[2][1]
	t.closers = append(t.closers, ends[0][0], ends[1][1], ends[2][1])
	go func() {
		_, _ = io.Copy(ends[0][1], os.Stdin)
		ends[0][1].Close()
	}()
	for i, out := range []*os.File{os.Stdout, os.Stderr} {
		r := ends[i+1][0]
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			_, _ = io.Copy(out, r)
			r.Close()
		}()
	}
	return t, nil
}

// recvConsole receives the pty master of a foreground terminal and clears
// ONLCR on it, as runc does: what the container writes reaches our
// terminal as it was written, and our terminal (raw, but with output
// processing) turns "\n" into "\r\n" once. It is called as soon as the
// init has sent the master, before the process runs, so that none of its
// output is translated.
func (t *tty) recvConsole() error {
	if t.recv == nil {
		return nil
	}
	f, err := fdpass.Recv(t.recv)
	t.recv.Close()
	t.recv = nil
	if err != nil {
		return fmt.Errorf("receive pty master: %w", err)
	}
	master, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return err
	}
	t.master = master
	if err := console.ClearONLCR(master.Fd()); err != nil {
		return fmt.Errorf("clear onlcr on the pty: %w", err)
	}
	return nil
}

// started closes our copies of the process's ends and, for a foreground
// terminal, receives the pty master (if recvConsole has not) and starts
// copying.
func (t *tty) started() error {
	for _, c := range t.closers {
		c.Close()
	}
	t.closers = nil
	if err := t.recvConsole(); err != nil {
		return err
	}
	master := t.master
	if master == nil {
		return nil
	}
	if t.host != nil {
		if err := t.host.SetRaw(); err != nil {
			return fmt.Errorf("failed to set the terminal from the stdin: %w", err)
		}
		t.raw = true
	}
	t.resize()
	go func() { _, _ = io.Copy(master, os.Stdin) }()
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		_, _ = io.Copy(os.Stdout, master)
	}()
	return nil
}

// resize gives the pty our terminal's size.
func (t *tty) resize() {
	if t.master == nil || t.host == nil {
		return
	}
	if ws, err := t.host.Size(); err == nil {
		_ = t.master.Resize(ws)
	}
}

// wait waits for the output copiers to drain.
func (t *tty) wait() {
	if t.master != nil {
		// The master gives EIO once every peer is closed.
		t.wg.Wait()
		return
	}
	t.wg.Wait()
}

// close restores our terminal and releases everything.
func (t *tty) close() {
	for _, c := range t.closers {
		c.Close()
	}
	if t.recv != nil {
		t.recv.Close()
	}
	if t.raw {
		_ = t.host.Reset()
		t.raw = false
	}
	if t.master != nil {
		t.master.Close()
	}
}
