package nssock

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// TestMessage sends two namespaces and receives the one asked for, then
// asks for one that was not sent.
func TestMessage(t *testing.T) {
	dir := t.TempDir()
	ln, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ln)
	if err := Addr(dir, func(addr string) error { return unix.Bind(ln, &unix.SockaddrUnix{Name: addr}) }); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(ln, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, Name)); err != nil {
		t.Fatalf("the socket is not in the directory: %v", err)
	}
	var nss []namespaces.File
	for n, typ := range map[string]uint32{"net": unix.CLONE_NEWNET, "uts": unix.CLONE_NEWUTS} {
		f, err := os.Open("/proc/self/ns/" + n)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		nss = append(nss, namespaces.File{Type: typ, File: f})
	}
	msg := NewMessage(nss)
	go func() {
		for {
			conn, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
			if err != nil {
				return
			}
			_ = msg.Send(conn)
			unix.Close(conn)
		}
	}()
	ask := func(want map[uint32]bool) ([]namespaces.File, error) {
		conn, err := Dial(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(conn)
		return Receive(conn, want)
	}

	got, err := ask(map[uint32]bool{unix.CLONE_NEWUTS: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != unix.CLONE_NEWUTS {
		t.Fatalf("got %+v", got)
	}
	defer got[0].Close()
	var st1, st2 unix.Stat_t
	if err := unix.Fstat(int(got[0].Fd()), &st1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat("/proc/self/ns/uts", &st2); err != nil {
		t.Fatal(err)
	}
	if st1.Ino != st2.Ino {
		t.Error("the namespace received is not the one sent")
	}

	if _, err := ask(map[uint32]bool{unix.CLONE_NEWIPC: true}); err == nil {
		t.Error("a namespace that was not sent was taken as received")
	}
}
