package initproc

import (
	"debug/elf"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The auxiliary vector's entries for the program headers (elf.h).
const (
	atPhdr  = 3
	atPhnum = 5
)

// dropBinaryPages takes the pages of runc's read-only segments (code,
// read-only data) out of this process's page tables, before a created
// container's init waits for `runc start`, which may be long: they stay
// in the page cache (shared with every runc), and the few the init runs
// after are faulted back in. Nothing is lost: these segments are never
// written (the binary is not position-independent, and writable data,
// relocated data included, is in a PF_W segment, which stays).
func dropBinaryPages() {
	auxv, err := unix.Auxv()
	if err != nil {
		return
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
	if phdr == 0 || phnum == 0 || phnum > 64 {
		return
	}
	// The kernel's AT_PHDR: our own program headers, mapped for the
	// life of the process.
	progs := unsafe.Slice((*elf.Prog64)(unsafe.Add(nil, phdr)), phnum)
	bias, ok := loadBias(phdr, progs)
	if !ok {
		return // where the segments are is not known
	}
	page := uintptr(unix.Getpagesize())
	for _, p := range progs {
		if elf.ProgType(p.Type) != elf.PT_LOAD || elf.ProgFlag(p.Flags)&elf.PF_W != 0 {
			continue
		}
		start := (bias + uintptr(p.Vaddr)) &^ (page - 1)
		end := (bias + uintptr(p.Vaddr+p.Memsz) + page - 1) &^ (page - 1)
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED)
	}
}

// loadBias is where the binary is loaded relative to its link addresses
// (0 for a binary that is not position-independent): from PT_PHDR, or
// else from the segment that maps the ELF header, whose magic and
// program header offset must match.
func loadBias(phdr uintptr, progs []elf.Prog64) (uintptr, bool) {
	for _, p := range progs {
		if elf.ProgType(p.Type) == elf.PT_PHDR {
			return phdr - uintptr(p.Vaddr), true
		}
	}
	for _, p := range progs {
		if elf.ProgType(p.Type) != elf.PT_LOAD || p.Off != 0 {
			continue
		}
		// the ELF header is at the start of this segment, the
		// program headers e_phoff bytes after it
		hdr := (*elf.Header64)(unsafe.Add(nil, phdr-uintptr(elf64HeaderSize)))
		if string(hdr.Ident[:4]) != elf.ELFMAG || hdr.Phoff != elf64HeaderSize {
			return 0, false
		}
		return phdr - elf64HeaderSize - uintptr(p.Vaddr), true
	}
	return 0, false
}

// elf64HeaderSize is the size of an ELF64 header, where linkers put the
// program headers.
const elf64HeaderSize = 64
