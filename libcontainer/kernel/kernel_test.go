package kernel

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOlder(t *testing.T) {
	for _, tc := range []struct {
		release string
		want    bool
	}{
		{"6.18.0", false},
		{"6.1.0-28-amd64", false},
		{"5.14.0-362.8.1.el9_3.x86_64", false},
		{"5.15.0-91-generic", false},
		{"5.13.19", true},
		{"5.4.0-150-generic", true},
		{"4.19.0-26-amd64", true},
		{"2.6.78", true}, // setarch --uname-2.6
		{"3.10.0-1160.el7.x86_64", true},
		{"garbage", false},
		{"", false},
		{"6", false},
		{"6.x", false},
		{"4.x", false},
		{"10.0", false},
		{"5.9-rc1", true},
	} {
		if got := older(tc.release, Floor); got != tc.want {
			t.Errorf("older(%q, %s) = %v, want %v", tc.release, Floor, got, tc.want)
		}
	}
}

func TestCheckRelease(t *testing.T) {
	err := checkRelease("4.19.0")
	if err == nil || err.Error() != "this kernel is Linux 4.19.0; runc needs Linux "+Floor+" or newer" {
		t.Errorf("checkRelease(4.19.0) = %v", err)
	}
	if err := checkRelease("6.1.0"); err != nil {
		t.Errorf("checkRelease(6.1.0) = %v", err)
	}
	// The floor parses (older panics otherwise) and this host is above it.
	if err := Check(); err != nil {
		t.Errorf("Check on this host: %v", err)
	}
	if !strings.Contains(Floor, ".") {
		t.Errorf("Floor %q is not major.minor", Floor)
	}
}

// BenchmarkUnameCheck is what Check costs the first time in a process
// (later calls return the saved answer): about 2 µs here, next to some
// 30 ms for a container start.
func BenchmarkUnameCheck(b *testing.B) {
	for range b.N {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			b.Fatal(err)
		}
		if err := checkRelease(unix.ByteSliceToString(u.Release[:])); err != nil {
			b.Fatal(err)
		}
	}
}
