package fdpass

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSendRecv passes an fd with its name, as the console socket does.
func TestSendRecv(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	defer a.Close()
	defer b.Close()
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Send(a, "/dev/ptmx", int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	got, err := Recv(b)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Name() != "/dev/ptmx" {
		t.Errorf("name %q", got.Name())
	}
	var st1, st2 unix.Stat_t
	if err := unix.Fstat(int(got.Fd()), &st1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(int(f.Fd()), &st2); err != nil {
		t.Fatal(err)
	}
	if st1.Rdev != st2.Rdev || st1.Ino != st2.Ino {
		t.Error("the fd received is not the one sent")
	}
	if flags, _ := unix.FcntlInt(got.Fd(), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Error("the fd received is not close-on-exec")
	}

	// A message without an fd.
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := Recv(b); err == nil {
		t.Error("a message without an fd accepted")
	}
}
