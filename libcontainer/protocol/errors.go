package protocol

import (
	"errors"

	"golang.org/x/sys/unix"
)

// peerError is what to report when writing to the init failed with werr.
// An init that fails exits after sending SyncError, and our next write then
// meets a closed socket (EPIPE): the reason is in the frames still unread,
// which a closed peer lets us read without blocking. Any other write error
// is returned as it is.
func (s Sock) peerError(werr error) error {
	if !errors.Is(werr, unix.EPIPE) && !errors.Is(werr, unix.ECONNRESET) {
		return werr
	}
	if err := s.initError(); err != nil {
		return err
	}
	return werr
}

// initError returns the error an init that has exited sent before it did,
// or nil if it sent none. It reads up to the end of the socket: call it
// only once the init is gone.
func (s Sock) initError() error {
	for {
		t, payload, file, err := s.Read()
		if file != nil {
			file.Close()
		}
		if err != nil {
			return nil
		}
		if t == SyncError {
			return initFailed(payload)
		}
	}
}

// cgroupMoveError is what to report when moving the init into its cgroup
// failed with cerr. The init sets up its rootfs meanwhile: if that failed,
// it sent its error and exited, and once it was reaped the move found no
// process (ESRCH). Its error, still unread, is the one to report.
func cgroupMoveError(sock Sock, pid int, cerr error) error {
	if errors.Is(cerr, unix.ESRCH) || unix.Kill(pid, 0) == unix.ESRCH {
		if ierr := sock.initError(); ierr != nil {
			return ierr
		}
	}
	return cerr
}

// initFailure is an error the init reported (SyncError).
type initFailure struct{ msg string }

func (e *initFailure) Error() string { return e.msg }

// initFailed returns the error of a SyncError frame.
func initFailed(payload []byte) error { return &initFailure{string(payload)} }

// initErrorPrefix is how runc 1.5 introduces what went wrong while a new
// container's init set it up.
const initErrorPrefix = "error during container init: "
