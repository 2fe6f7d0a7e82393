package initproc

// Unit tests of the runtime's own defences (the integration tests in
// tests/integration/cve_test.go perform the attacks end to end).

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary's main goroutine keeps the main thread to itself. A
// goroutine that exits locked to the main thread does not end it (Go
// wedges it instead), and the main thread's root is what /proc/<pid>/root
// shows: an onOwnFS chroot that landed there broke later tests.
func init() { runtime.LockOSThread() }

// onOwnFS runs fn on a locked OS thread with its own filesystem context
// (root and cwd, CLONE_FS), which is thrown away afterwards: chroot and
// chdir in fn do not touch the rest of the test binary.
func onOwnFS(t *testing.T, fn func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			ch <- err
			return
		}
		ch <- fn()
	}()
	return <-ch
}

// TestEnterCwdOutsideRoot is CVE-2024-21626's check: a working directory
// that is not below the process's root (a leaked host directory fd used as
// cwd, here simulated by a cwd left outside a chroot) must be refused.
func TestEnterCwdOutsideRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chroot)")
	}
	outside, root := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(outside, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	err = onOwnFS(t, func() error {
		if err := unix.Chroot(root); err != nil {
			return err
		}
		if err := unix.Fchdir(fd); err != nil {
			return err
		}
		// "." is the leaked directory: it resolves, but outside "/".
		_, err := enterCwd(".")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "outside of the container's root") {
		t.Fatalf("cwd outside the root: error %v, want it refused", err)
	}

	err = onOwnFS(t, func() error {
		if err := unix.Chroot(root); err != nil {
			return err
		}
		_, err := enterCwd("/inside")
		return err
	})
	if err != nil {
		t.Fatalf("cwd inside the root: %v", err)
	}

	err = onOwnFS(t, func() error { _, err := enterCwd("/nonexistent-cwd-for-test"); return err })
	if err == nil || !strings.Contains(err.Error(), "chdir to cwd") {
		t.Fatalf("missing cwd: error %v", err)
	}
}

// TestCloseExecFrom checks that every fd from the given number on is
// close-on-exec afterwards, and those below are untouched (CVE-2024-21626:
// no runtime fd may reach the container process).
func TestCloseExecFrom(t *testing.T) {
	var fds []int
	for i := 0; i < 4; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0) // deliberately not O_CLOEXEC
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	from := fds[2]
	if err := closeExecFrom(from); err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		cloexec := flags&unix.FD_CLOEXEC != 0
		if fd >= from && !cloexec {
			t.Errorf("fd %d (>= %d) is not close-on-exec", fd, from)
		}
		if fd < from && fd > fds[0] && cloexec {
			t.Errorf("fd %d (< %d) became close-on-exec", fd, from)
		}
	}
}

// TestReopenFd reopens an O_PATH handle for writing (as the init does with
// the exec fifo) and checks the new fd writes to the same file.
func TestReopenFd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ofd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ofd)
	w, err := reopenFd(ofd, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if flags, _ := unix.FcntlInt(uintptr(w), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Error("the reopened fd is not close-on-exec")
	}
	if _, err := unix.Write(w, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	unix.Close(w)
	if got, _ := os.ReadFile(path); string(got) != "ok" {
		t.Fatalf("file holds %q", got)
	}
	// The caller's fd is still open (reopenFd works on a copy).
	if _, err := unix.FcntlInt(uintptr(ofd), unix.F_GETFD, 0); err != nil {
		t.Fatalf("the O_PATH fd was closed: %v", err)
	}
}

// TestMountDevConsole is CVE-2025-52565's check: the pty peer is bound on
// /dev/console only if that is a plain file or character device; a symlink
// (to a file the container wants covered) or a directory is refused and
// its target left alone. It runs chrooted in a private mount namespace on
// a throwaway thread.
func TestMountDevConsole(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (mount namespace, chroot)")
	}
	for name, tc := range map[string]struct {
		setup string // what dev/console is
		ok    bool
	}{
		"missing":   {"", true},
		"file":      {"file", true},
		"symlink":   {"symlink", false},
		"directory": {"dir", false},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(root, "victim")
			if err := os.WriteFile(victim, []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			console := filepath.Join(root, "dev/console")
			var err error
			switch tc.setup {
			case "file":
				err = os.WriteFile(console, nil, 0o600)
			case "symlink":
				err = os.Symlink("/victim", console)
			case "dir":
				err = os.Mkdir(console, 0o755)
			}
			if err != nil {
				t.Fatal(err)
			}
			var after unix.Stat_t
			err = onOwnFS(t, func() error {
				if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
					return err
				}
				if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
					return err
				}
				// The peer stands for the pty: a character device on a
				// mount of this namespace, as the container's devpts is.
				peer, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
				if err != nil {
					return err
				}
				defer unix.Close(peer)
				if err := unix.Chroot(root); err != nil {
					return err
				}
				if err := mountDevConsole(peer); err != nil {
					return err
				}
				return unix.Stat("/dev/console", &after)
			})
			if tc.ok {
				if err != nil {
					t.Fatalf("mountDevConsole: %v", err)
				}
				var null unix.Stat_t
				unix.Stat("/dev/null", &null)
				if after.Mode&unix.S_IFMT != unix.S_IFCHR || after.Rdev != null.Rdev {
					t.Fatalf("/dev/console is not the peer after the mount (mode %o rdev %d)", after.Mode, after.Rdev)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "not a file or character device") {
				t.Fatalf("dev/console %s: error %v, want a refusal", tc.setup, err)
			}
			if data, _ := os.ReadFile(victim); string(data) != "victim\n" {
				t.Fatalf("the symlink's target changed: %q", data)
			}
		})
	}
}
