package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// listenFds returns the socket-activation fds systemd passed us
// (LISTEN_FDS, from fd 3), only when LISTEN_PID names this process, as
// runc (and sd_listen_fds) do. They go to the container's process as
// fds 3.. with LISTEN_FDS=n and LISTEN_PID=1.
func listenFds() []*os.File {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return nil
	}
	files := make([]*os.File, 0, n)
	for fd := 3; fd < 3+n; fd++ {
		unix.CloseOnExec(fd)
		files = append(files, os.NewFile(uintptr(fd), "LISTEN_FD_"+strconv.Itoa(fd)))
	}
	return files
}

// preservedFds returns our fds base..base+n-1 (--preserve-fds), which must
// be open, as files to pass on.
func preservedFds(base, n int) ([]*os.File, error) {
	if n < 0 {
		return nil, fmt.Errorf("--preserve-fds %d must not be negative", n)
	}
	files := make([]*os.File, 0, n)
	for fd := base; fd < base+n; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("unable to stat preserved-fd %d (of %d): %w", fd-base, n, &os.PathError{Op: "fstat", Path: "/proc/self/fd/" + strconv.Itoa(fd), Err: err})
		}
		files = append(files, os.NewFile(uintptr(fd), "PreserveFD:"+strconv.Itoa(fd)))
	}
	return files, nil
}

// killProcess kills a process we started and failed to hand over, and
// reaps it if it is ours to reap.
func killProcess(pid int) {
	if pid <= 0 {
		return
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	_, _ = unix.Wait4(pid, &ws, 0, nil)
}
