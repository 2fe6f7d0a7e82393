package initproc

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/fdpass"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/testfault"
)

// setnsInit prepares a process joining a running container (runc exec):
// the C stage has put it into the container's namespaces and the parent
// into its cgroup. It joins the container's session keyring, gets its pty
// if it asked for one, and finishes like the container's own process.
func (l *linuxInit) setnsInit() error {
	testfault.At("init:setns")
	if l.cfg.InitRoot {
		if err := l.enterInitRoot(); err != nil {
			return err
		}
	}
	if err := l.joinKeyring(); err != nil {
		return err
	}
	if l.cfg.Process.Terminal {
		if err := setupConsole(l.cfg.ConsoleFd, false, l.cfg.Process.ConsoleSize); err != nil {
			return err
		}
	}
	return l.finish()
}

// enterInitRoot chroots into the root directory of the container's init,
// which the parent sends: a container without a mount namespace has none
// for the C stage to join, and its root is a chroot (see rootfs/hostns.go).
func (l *linuxInit) enterInitRoot() error {
	_, f, err := l.expectFile(protocol.SyncMountFd)
	if err == nil && f == nil {
		err = fmt.Errorf("%s without a file", protocol.SyncMountFd)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Fchdir(int(f.Fd())); err != nil {
		return fmt.Errorf("enter the container's root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("enter the container's root: chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("enter the container's root: %w", err)
	}
	return nil
}

// sendPidfd sends a pidfd of this process (the future container process:
// the execve keeps it) on the --pidfd-socket connection at fd sockFd, as
// runc does: the message text is the init type ("standard" or "setns").
func sendPidfd(sockFd int, name string) error {
	sock := os.NewFile(uintptr(sockFd), "pidfd socket")
	defer sock.Close()
	pidfd, err := unix.PidfdOpen(unix.Getpid(), 0)
	if err != nil {
		return fmt.Errorf("failed to pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	if err := fdpass.Send(sock, name, pidfd); err != nil {
		return fmt.Errorf("failed to send pidfd on socket: %w", err)
	}
	return nil
}

// fixStdioPermissions gives the process's user the ownership of its stdio
// (the pty peer, or the pipes runc made), so that it can reopen them
// through /proc/self/fd, as runc does. /dev/null and files the user
// already owns are left alone; so is anything we may not chown (an unmapped
// owner, a read-only /dev).
func fixStdioPermissions(uid int) error {
	var null unix.Stat_t
	if err := unix.Stat("/dev/null", &null); err != nil {
		return &os.PathError{Op: "stat", Path: "/dev/null", Err: err}
	}
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			if errors.Is(err, unix.EBADF) {
				continue
			}
			return fmt.Errorf("fstat stdio fd %d: %w", fd, err)
		}
		if int(st.Uid) == uid || (st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev) {
			continue
		}
		if err := unix.Fchown(fd, uid, int(st.Gid)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) {
				continue
			}
			return fmt.Errorf("chown stdio fd %d: %w", fd, err)
		}
	}
	return nil
}
