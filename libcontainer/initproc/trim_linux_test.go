package initproc

import (
	"debug/elf"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestLoadBias: the segments loadBias places are where the kernel mapped
// this test binary (its first PT_LOAD starts with the ELF header).
func TestLoadBias(t *testing.T) {
	auxv, err := unix.Auxv()
	if err != nil {
		t.Fatal(err)
	}
	var phdr, phnum uintptr
	for _, kv := range auxv {
		switch kv[0] {
		case atPhdr:
			phdr = kv[1]
		case atPhnum:
			phnum = kv[1]
		}
	}
	progs := unsafe.Slice((*elf.Prog64)(unsafe.Add(nil, phdr)), phnum)
	bias, ok := loadBias(phdr, progs)
	if !ok {
		t.Fatal("no load bias for this binary")
	}
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Off != 0 {
			continue
		}
		hdr := unsafe.Slice((*byte)(unsafe.Add(nil, bias+uintptr(p.Vaddr))), 4)
		if string(hdr) != elf.ELFMAG {
			t.Errorf("no ELF header at %#x (bias %#x)", bias+uintptr(p.Vaddr), bias)
		}
		return
	}
	t.Fatalf("%s has no PT_LOAD at offset 0", os.Args[0])
}
