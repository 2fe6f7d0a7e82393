package initproc

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/fdpass"
	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// setupConsole allocates the process's pty from the container's devpts,
// sends the master to the console socket (consoleFd), and makes the peer the
// process's stdio and controlling terminal. With mountConsole the peer is
// also bind-mounted on /dev/console. A non-nil size (process.consoleSize)
// is set on the pty before anyone sees it.
func setupConsole(consoleFd int, mountConsole bool, size *specs.Box) error {
	if consoleFd <= 0 {
		return errors.New("process.terminal is set but there is no console socket")
	}
	sock := os.NewFile(uintptr(consoleFd), "console socket")
	defer sock.Close()

	ptmx, err := openPtmx()
	if err != nil {
		return err
	}
	defer unix.Close(ptmx)
	if err := unix.IoctlSetPointerInt(ptmx, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	if size != nil && size.Width > 0 && size.Height > 0 {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(ptmx, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set process.consoleSize: %w", err)
		}
	}
	// The peer through the master, never by path (docs/security.md rule 5).
	peer, err := ioctlPtPeer(ptmx)
	if err != nil {
		return fmt.Errorf("open pty peer: %w", err)
	}
	defer unix.Close(peer)
	if mountConsole {
		if err := mountDevConsole(peer); err != nil {
			return err
		}
	}
	if err := fdpass.Send(sock, "/dev/ptmx", ptmx); err != nil {
		return fmt.Errorf("send pty master to console socket: %w", err)
	}
	// The C stage made us a session leader already (a process group
	// leader cannot setsid again).
	if sid, _ := unix.Getsid(0); sid != unix.Getpid() {
		if _, err := unix.Setsid(); err != nil {
			return fmt.Errorf("setsid: %w", err)
		}
	}
	if err := unix.IoctlSetInt(peer, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(peer, fd, 0); err != nil {
			return fmt.Errorf("dup pty to fd %d: %w", fd, err)
		}
	}
	return nil
}

// openPtmx opens the container's /dev/ptmx (normally a symlink to
// pts/ptmx: a new pty of the container's devpts) and checks that what it
// got is a pty master: in a running container (exec) /dev is the
// container's to change, and whatever we open goes to the console socket.
func openPtmx() (int, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("stat /dev/ptmx: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 5 || unix.Minor(st.Rdev) != 2 {
		unix.Close(fd)
		return -1, errors.New("/dev/ptmx is not the pty multiplexer (char 5:2)")
	}
	if _, err := unix.IoctlGetInt(fd, unix.TIOCGPTN); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("/dev/ptmx is not a pty master: %w", err)
	}
	return fd, nil
}

// ioctlPtPeer opens the peer of the pty master ptmx read-write:
// TIOCGPTPEER takes the open flags as its argument.
func ioctlPtPeer(ptmx int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(ptmx), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// mountDevConsole bind-mounts the pty peer on /dev/console. The mountpoint
// is created or opened without following symlinks and must be a regular
// file or a character device, so a container cannot redirect the mount
// (CVE-2025-52565).
func mountDevConsole(peer int) error {
	fd, err := unix.Open("/dev/console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		var cfd int
		cfd, err = unix.Open("/dev/console", unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_WRONLY, 0o600)
		if err == nil {
			unix.Close(cfd)
			fd, err = unix.Open("/dev/console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("open /dev/console mountpoint: %w", err)
	}
	dst := os.NewFile(uintptr(fd), "/dev/console")
	defer dst.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat /dev/console: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFCHR {
		return errors.New("/dev/console is not a file or character device")
	}
	// Bind through the two fds (a clone of the peer's mount moved onto the
	// mountpoint), not through /proc/self/fd paths in the container's
	// /proc, which a process of the container could cover (CVE-2025-52881).
	tree, err := mountfd.Clone(peer, "", false)
	if err == nil {
		defer tree.Close()
		err = mountfd.Attach(tree, dst)
	}
	if err != nil {
		return fmt.Errorf("bind pty on /dev/console: %w", err)
	}
	return nil
}
