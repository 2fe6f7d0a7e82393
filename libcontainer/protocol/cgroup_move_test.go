package protocol

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The init failed (and was reaped) while the runtime moved it into its
// cgroup, which then failed with ESRCH: the init's own error is reported,
// not the cgroup's (containerd showed "apply cgroup: ... no such process"
// for a bind mount whose source was missing). A cgroup error with the init
// alive is reported as it is, without waiting on the socket.
func TestCgroupMoveError(t *testing.T) {
	pair := func() (parent, child Sock) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return Sock{os.NewFile(uintptr(fds[0]), "parent")}, Sock{os.NewFile(uintptr(fds[1]), "child")}
	}
	esrch := fmt.Errorf("apply cgroup: write cgroup.procs: %w", unix.ESRCH)

	parent, child := pair()
	if err := child.Write(SyncError, []byte("mounts[7]: open source: no such file or directory")); err != nil {
		t.Fatal(err)
	}
	child.f.Close()
	got := cgroupMoveError(parent, os.Getpid(), esrch)
	if got == nil || got.Error() != "mounts[7]: open source: no such file or directory" {
		t.Fatalf("got %v, want the init's error", got)
	}
	parent.f.Close()

	// gone without a word: the cgroup's error
	parent, child = pair()
	child.f.Close()
	if got := cgroupMoveError(parent, os.Getpid(), esrch); !errors.Is(got, unix.ESRCH) {
		t.Fatalf("got %v, want the cgroup error", got)
	}
	parent.f.Close()

	// alive (us), another error: returned at once, the socket left alone
	// (reading it would block: the child end is open)
	parent, child = pair()
	defer parent.f.Close()
	defer child.f.Close()
	other := errors.New("apply cgroup: permission denied")
	if got := cgroupMoveError(parent, os.Getpid(), other); !errors.Is(got, other) {
		t.Fatalf("got %v, want %v", got, other)
	}
}
