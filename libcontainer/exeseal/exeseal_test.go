package exeseal

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func checkSealed(t *testing.T, f *os.File) {
	t.Helper()
	if f.Fd() < 64 {
		t.Errorf("fd %d below 64", f.Fd())
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("fd not close-on-exec (%v)", err)
	}
	p := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err == nil {
		w.Close()
		t.Fatal("sealed binary opened for writing")
	}
	// Reading through it works (that is what execve does).
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	magic := make([]byte, 4)
	if _, err := r.Read(magic); err != nil || string(magic) != "\x7fELF" {
		t.Fatalf("read sealed binary: %q %v", magic, err)
	}
}

func TestOpen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	f, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkSealed(t, f)
}

// Prepare seals in the background for the next Open only; Open works
// the same without it.
func TestPrepareOpen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	Prepare()
	Prepare() // a second Prepare does not start another
	for range 2 {
		f, err := Open()
		if err != nil {
			t.Fatal(err)
		}
		checkSealed(t, f)
		f.Close()
	}
	if prepared != nil {
		t.Fatal("a prepared seal is left over")
	}
}

func TestOverlayIsReadOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	f, err := overlay()
	if err != nil {
		t.Skipf("overlay seal not available here: %v", err)
	}
	defer f.Close()
	_, err = os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_WRONLY, 0)
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("open for write: %v, want EROFS", err)
	}
}

func TestMemfdIsSealed(t *testing.T) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, err := memfdCopy("runc test", src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("write to sealed memfd succeeded")
	}
	if err := f.Truncate(0); err == nil {
		t.Fatal("truncate of sealed memfd succeeded")
	}
}
