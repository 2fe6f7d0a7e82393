package libcontainer

import (
	"errors"

	"golang.org/x/sys/unix"
)

// peerError is what to report when writing to the init failed with werr.
// An init that fails exits after sending syncError, and our next write then
// meets a closed socket (EPIPE): the reason is in the frames still unread,
// which a closed peer lets us read without blocking. Any other write error
// is returned as it is.
func (s syncSock) peerError(werr error) error {
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
func (s syncSock) initError() error {
	for {
		t, payload, file, err := s.read()
		if file != nil {
			file.Close()
		}
		if err != nil {
			return nil
		}
		if t == syncError {
			return initFailed(payload)
		}
	}
}

// initFailure is an error the init reported (syncError).
type initFailure struct{ msg string }

func (e *initFailure) Error() string { return e.msg }

func initFailed(payload []byte) error { return &initFailure{string(payload)} }

// initErrorPrefix is how runc 1.5 introduces what went wrong while a new
// container's init set it up.
const initErrorPrefix = "error during container init: "
