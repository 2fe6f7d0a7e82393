// Package ptytest opens pseudo-terminals for the test suites that drive
// runc (or a client of it) as a user's terminal would.
package ptytest

import (
	"os"

	"golang.org/x/sys/unix"
)

// Open returns a new pty's master and its peer (both close-on-exec), the
// terminal sized rows x cols.
func Open(rows, cols uint16) (master, peer *os.File, err error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	master = os.NewFile(uintptr(m), "pty master")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, err
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if e != 0 {
		master.Close()
		return nil, nil, e
	}
	peer = os.NewFile(r, "pty peer")
	if err := unix.IoctlSetWinsize(m, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		master.Close()
		peer.Close()
		return nil, nil, err
	}
	return master, peer, nil
}
