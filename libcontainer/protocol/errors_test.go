package protocol

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPeerError: when the init failed and closed its end, a write to it
// fails with EPIPE and the init's own error, still unread, is reported.
func TestPeerError(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent := Sock{os.NewFile(uintptr(fds[0]), "parent")}
	child := Sock{os.NewFile(uintptr(fds[1]), "child")}
	defer parent.f.Close()
	if err := child.Write(SyncError, []byte("mount /proc: it went wrong")); err != nil {
		t.Fatal(err)
	}
	child.f.Close()
	werr := parent.Write(SyncCgroupDone, []byte("{}"))
	if werr == nil {
		t.Fatal("write to a closed peer succeeded")
	}
	if got := parent.peerError(werr); got == nil || got.Error() != "mount /proc: it went wrong" {
		t.Fatalf("peerError = %v, want the init's error", got)
	}
	if got := parent.peerError(os.ErrDeadlineExceeded); !errors.Is(got, os.ErrDeadlineExceeded) {
		t.Fatalf("other errors must pass through, got %v", got)
	}
}
