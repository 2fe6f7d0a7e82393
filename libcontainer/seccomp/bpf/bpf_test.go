package bpf

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestInsns: an encoded program reads back as its instructions; one of
// no instruction, of a partial one, or of too many is refused.
func TestInsns(t *testing.T) {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	got, err := (&Filter{Program: Encode(prog)}).Insns()
	if err != nil || len(got) != 2 || got[0] != prog[0] || got[1] != prog[1] {
		t.Fatalf("Insns() = %v, %v; want %v", got, err, prog)
	}
	for _, n := range []int{0, 5, 8*MaxInsns + 8} {
		if _, err := (&Filter{Program: make([]byte, n)}).Insns(); err == nil {
			t.Errorf("a program of %d bytes was taken", n)
		}
		if _, err := (&Filter{Program: make([]byte, n)}).Load(); err == nil {
			t.Errorf("a program of %d bytes was loaded", n)
		}
	}
	if fd, err := (*Filter)(nil).Load(); fd != -1 || err != nil {
		t.Errorf("nil Filter: Load() = %d, %v", fd, err)
	}
}
