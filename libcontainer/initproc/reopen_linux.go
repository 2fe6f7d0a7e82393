package initproc

import (
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// reopenFd opens the file that fd (an O_PATH handle) refers to again, with
// flags, and returns the new fd (which the caller owns).
//
// Reopening goes through /proc/thread-self/fd/<fd>, and the init does it
// inside the container, where /proc is the container's: a process of the
// container with mount rights could cover /proc/<pid>/fd with files of its
// own and redirect the open (and what we write next) elsewhere
// (CVE-2025-52881). pathrs-lite reopens through a private procfs, or checks
// that nothing is mounted over the path it takes (docs/security.md rule 4).
func reopenFd(fd int, flags int) (int, error) {
	// pathrs wants an *os.File; give it a copy of fd, so that closing it
	// (or its finalizer) leaves the caller's fd alone.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	f := os.NewFile(uintptr(dup), "reopen source")
	defer f.Close()
	r, err := pathrs.Reopen(f, flags)
	if err != nil {
		return -1, err
	}
	defer r.Close()
	// A plain fd (not an *os.File whose finalizer could close it) that
	// the caller may keep until execve.
	return unix.FcntlInt(r.Fd(), unix.F_DUPFD_CLOEXEC, 0)
}
