package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

// dialUnix connects to the unix stream socket at path (a console or pidfd
// socket of the caller) and returns the connection as a file for the init.
func dialUnix(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// setupPidfdSocket connects to --pidfd-socket: the init sends a pidfd of
// the container's (or the exec'd) process on it. The returned file is
// closed by the caller once the process has started.
func setupPidfdSocket(p *libcontainer.Process, path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := dialUnix(path)
	if err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", path, err)
	}
	p.PidfdSocket = f
	return f, nil
}
