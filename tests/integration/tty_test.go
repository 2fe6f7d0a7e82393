package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// terminalSession drives an interactive busybox sh through runc on a pty:
// runc's terminal must be raw while the container's pty is in use, output
// and input copied, SIGWINCH passed on as a resize, and the exit code and
// the terminal settings given back at the end.
func terminalSession(t *testing.T, r *ptyRun, before *unix.Termios) {
	t.Helper()
	r.expect("# ")
	tio := r.termios()
	if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 || tio.Iflag&unix.ICRNL != 0 {
		t.Errorf("runc's terminal is not raw while the container runs: lflag %#x iflag %#x", tio.Lflag, tio.Iflag)
	}
	r.typeLine("echo hello-$((40+2))")
	r.expect("hello-42")
	// The container's pty has our size...
	r.typeLine("stty size")
	r.expect("24 80")
	// ...and follows it.
	r.resize(30, 100)
	var typed time.Time
	harness.EventuallyErr(t, 10*time.Second, func() error {
		if strings.Contains(r.output(), "30 100") {
			return nil
		}
		if time.Since(typed) >= 100*time.Millisecond { // ask again, not flooding the shell
			r.typeLine("stty size")
			typed = time.Now()
		}
		return fmt.Errorf("output %q", r.output())
	}, "the container's pty resized")
	// The process has the pty as its controlling terminal, from the
	// container's own devpts.
	r.typeLine("tty; ls /dev/pts/ | tr '\\n' ' '; echo END")
	r.expect("/dev/pts/0")
	r.expect("ptmx END")
	// A Ctrl-C typed goes to the container's shell, not to runc.
	// Once sleep runs (the shell made it the terminal's foreground
	// before its exec).
	r.typeLine("sleep 30")
	harness.Eventually(t, 10*time.Second, func() bool {
		for _, pid := range r.b.cgroupProcs() {
			if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); string(cmdline) == "sleep\x0030\x00" {
				return true
			}
		}
		return false
	}, "sleep 30 runs in the container")
	if _, err := r.master.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	r.typeLine("echo after-$((6*7))-interrupt")
	r.expect("after-42-interrupt")
	r.typeLine("exit 7")
	if code := r.wait(); code != 7 {
		t.Errorf("exit %d, want 7; output %q", code, r.output())
	}
	if after := r.termios(); !sameTermios(before, after) {
		t.Errorf("terminal settings not restored:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestRunTerminalInteractive(t *testing.T) {
	b := newBundle(t, "sh")
	b.Spec.Process.Terminal = true
	b.write()
	r := b.runInPty("run", b.ID)
	terminalSession(t, r, r.termios())
}

func TestExecTerminalInteractive(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	r := b.runInPty("exec", "-t", b.ID, "sh")
	terminalSession(t, r, r.termios())
}

// The caller's terminal is given back as it was on the other ways out:
// the process killed by a signal, and exec failing in the container.
func TestTerminalRestoredOnEveryExit(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)

	r := b.runInPty("exec", "-t", b.ID, "sh")
	before := r.termios()
	r.expect("# ")
	r.typeLine("kill -9 $$")
	if code := r.wait(); code != 128+9 {
		t.Errorf("exec -t killed by SIGKILL: exit %d, want 137", code)
	}
	if !sameTermios(before, r.termios()) {
		t.Error("terminal not restored after the process was killed")
	}

	r = b.runInPty("exec", "-t", b.ID, "nosuchcommand")
	before = r.termios()
	if code := r.wait(); code != 255 {
		t.Errorf("exec -t of a missing command: exit %d, want 255", code)
	}
	r.expect("exec failed")
	if !sameTermios(before, r.termios()) {
		t.Error("terminal not restored after exec failed")
	}
}

// Without any terminal to make raw, a foreground terminal fails as in
// runc (it would otherwise garble the caller's output).
func TestForegroundTerminalWithoutTTY(t *testing.T) {
	b := newBundle(t, "true")
	b.Spec.Process.Terminal = true
	b.write()
	r := b.runNoCtty("run", b.ID)
	if r.Code == 0 || !strings.Contains(r.Stderr, "/dev/tty") {
		t.Errorf("run with terminal and no tty: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Error("state directory left after the failed run")
	}
}

// runNoCtty runs runc in a new session without a controlling terminal.
func (b *bundle) runNoCtty(args ...string) result {
	b.t.Helper()
	r := b.runAsyncAttr(&syscall.SysProcAttr{Setsid: true}, args...)
	return r.wait()
}

func TestTerminalFlagErrors(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.Spec.Process.Terminal = true
	b.write()
	rcv := newFdReceiver(t)
	const noSocket = "cannot allocate tty if runc will detach without setting console socket"
	const noTTY = "cannot use console socket if runc will not detach or allocate tty"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-d", b.ID}, noSocket},
		{[]string{"create", b.ID}, noSocket},
		{[]string{"run", "--console-socket", rcv.Path, b.ID}, noTTY},
	} {
		_, stderr, code := b.runc(tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("runc %v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	b.Spec.Process.Terminal = false
	b.write()
	if _, stderr, code := b.runc("create", "--console-socket", rcv.Path, b.ID); code != 1 || !strings.Contains(stderr, noTTY) {
		t.Errorf("create --console-socket without terminal: exit %d, stderr %q", code, stderr)
	}
	b.mustRunc("run", "-d", b.ID)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "-d", "-t", b.ID, "true"}, noSocket},
		{[]string{"exec", "--console-socket", rcv.Path, b.ID, "true"}, noTTY},
		{[]string{"exec", "-d", "--console-socket", rcv.Path, b.ID, "true"}, noTTY},
		{[]string{"exec", "-t", "--console-socket", rcv.Path, b.ID, "true"}, noTTY},
	} {
		_, stderr, code := b.runc(tc.args...)
		if code != 255 || !strings.Contains(stderr, "exec failed: "+tc.want) {
			t.Errorf("runc %v: exit %d, stderr %q; want 255 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// The --console-socket protocol of containerd and conmon: one message per
// connection, text "/dev/ptmx", the pty master in SCM_RIGHTS. The pty
// comes from the container's devpts, is the process's controlling
// terminal and /dev/console, and has process.consoleSize.
func TestCreateConsoleSocket(t *testing.T) {
	b := newBundle(t, "sh")
	b.Spec.Process.Terminal = true
	b.Spec.Process.ConsoleSize = &specs.Box{Height: 40, Width: 120}
	b.write()
	rcv := newFdReceiver(t)
	b.mustRunc("create", "--console-socket", rcv.Path, b.ID)
	name, master := rcv.receive()
	if name != "/dev/ptmx" {
		t.Errorf("console socket message %q, want /dev/ptmx", name)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(master.Fd()), &st); err != nil || unix.Major(st.Rdev) != 5 || unix.Minor(st.Rdev) != 2 {
		t.Fatalf("received fd is not a pty master: %v rdev %d:%d", err, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	b.mustRunc("start", b.ID)
	s := newConsoleSession(t, master)
	s.typeLine("tty; stty size; stat -c 'console=%t:%T' /dev/console; stat -c 'pts0=%t:%T' /dev/pts/0; echo ok-$((1+1))")
	s.expect("ok-2")
	s.expect("/dev/pts/0")
	s.expect("40 120")
	s.mu.Lock()
	out := s.out.String()
	s.mu.Unlock()
	if i := strings.Index(out, "console="); i < 0 || !strings.Contains(out, "pts0="+strings.Fields(out[i+len("console="):])[0]) {
		t.Errorf("/dev/console is not the process's pty:\n%s", out)
	}
	s.typeLine("exit 5")
	b.waitStatus("stopped")
}

func TestExecConsoleSocket(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	rcv := newFdReceiver(t)
	pidFile := filepath.Join(b.Dir, "exec.pid")
	b.mustRunc("exec", "-d", "-t", "--console-socket", rcv.Path, "--pid-file", pidFile, b.ID, "sh")
	name, master := rcv.receive()
	if name != "/dev/ptmx" {
		t.Errorf("console socket message %q, want /dev/ptmx", name)
	}
	pid := readPidFile(t, pidFile)
	s := newConsoleSession(t, master)
	s.typeLine("tty; echo pid-$$")
	s.expect("/dev/pts/")
	s.expect("pid-")
	// The pty is the exec'd process's stdio (an interactive sh opens
	// /dev/tty as fd 10 itself; TestExecNoFdLeaks checks for leaks).
	fds := hostFds(t, pid)
	for _, fd := range []string{"0", "1", "2"} {
		if !strings.HasPrefix(fds[fd], "/dev/pts/") {
			t.Errorf("fd %s of the exec'd process is %q, want its pty", fd, fds[fd])
		}
	}
	s.typeLine("exit 0")
	if !pidGone(pid) {
		t.Errorf("exec'd shell %d did not exit", pid)
	}
}

// A foreground terminal relays exactly what the container wrote, as runc
// 1.5 does: runc clears ONLCR on the container's pty, so each newline is
// turned into "\r\n" once, by the caller's terminal (left with OPOST in its
// raw mode), not twice ("\r\r\n" before).
func TestForegroundTerminalRelaysBytes(t *testing.T) {
	const script = `printf 'a\nb\n'; printf 'c\r\n'; printf 'd'`
	type got struct{ Run, Exec string }
	ours, ref := differential(t, func(t *testing.T, bin string) got {
		var g got
		b := newBundleWith(t, bin, "sh", "-c", script)
		b.Spec.Process.Terminal = true
		// runc 1.5.3 warns on the terminal about ambient capabilities
		// it cannot raise: none here.
		b.Spec.Process.Capabilities.Ambient = nil
		b.write()
		out, code := b.runInPty("run", b.ID).allOutput()
		if code != 0 {
			t.Fatalf("run: exit %d, output %q", code, out)
		}
		g.Run = out

		b = newBundleWith(t, bin, "sleep", "100")
		b.Spec.Process.Capabilities.Ambient = nil
		b.write()
		b.mustRunc("run", "-d", b.ID)
		out, code = b.runInPty("exec", "-t", b.ID, "sh", "-c", script).allOutput()
		if code != 0 {
			t.Fatalf("exec -t: exit %d, output %q", code, out)
		}
		g.Exec = out
		return g
	})
	const want = "a\r\nb\r\nc\r\r\nd"
	if ours != ref {
		t.Errorf("terminal output differs from runc 1.5.3:\nours %q\nref  %q", ours, ref)
	}
	if ours.Run != want || ours.Exec != want {
		t.Errorf("terminal output: run %q, exec -t %q; want %q", ours.Run, ours.Exec, want)
	}
}
