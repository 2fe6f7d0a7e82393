package ptytest

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is a command running on a new pty as its controlling terminal, as
// in a user's terminal: what it shows is collected, what is written to
// Master is typed.
type Proc struct {
	Master *os.File
	cmd    *exec.Cmd
	done   chan struct{}
	err    error

	mu  sync.Mutex
	out bytes.Buffer
}

// Start starts argv in dir on a new rows x cols pty, TERM=xterm and env
// added to the caller's environment.
func Start(argv []string, dir string, env []string, rows, cols uint16) (*Proc, error) {
	master, peer, err := Open(rows, cols)
	if err != nil {
		return nil, err
	}
	p := &Proc{Master: master, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), append([]string{"TERM=xterm"}, env...)...)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = peer, peer, peer
	p.cmd.Dir = dir
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = p.cmd.Start()
	peer.Close()
	if err != nil {
		master.Close()
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p, nil
}

// Text returns what the terminal has shown so far.
func (p *Proc) Text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Wait waits up to timeout for the command to exit and returns its exit
// code (-1 if it did not exit by itself), and false on a timeout.
func (p *Proc) Wait(timeout time.Duration) (int, bool) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return 0, false
	}
	// let the reader drain what is left
	time.Sleep(100 * time.Millisecond)
	if p.cmd.ProcessState != nil {
		return p.cmd.ProcessState.ExitCode(), true
	}
	return -1, true
}

// Stop kills the command if it still runs and closes the master.
func (p *Proc) Stop() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
	p.Master.Close()
}
