// Package bpf loads a compiled seccomp filter: the half of applying
// linux.seccomp that runc init does. The runtime compiles the profile
// (package seccomp, with libseccomp) and sends the init the program, which
// the init installs with seccomp(2) just before the execve: the init needs
// no libseccomp, and compiling (tens of milliseconds for a container
// engine's default profile) is done once per profile, not once per start.
package bpf

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MaxInsns is the kernel's limit on a cBPF program (BPF_MAXINSNS).
const MaxInsns = 4096

// insnSize is the size of one instruction, a struct sock_filter.
const insnSize = int(unsafe.Sizeof(unix.SockFilter{}))

// Filter is a compiled linux.seccomp section, as runc sends it to runc init.
type Filter struct {
	// Program is the cBPF program: its struct sock_filter instructions,
	// in the host's byte order (the init runs on the same host).
	Program []byte
	// Flags are the seccomp(2) SECCOMP_FILTER_FLAG_* flags to load it
	// with.
	Flags uint
	// Listener: linux.seccomp.listenerPath is set, so the filter's notify
	// fd goes to a seccomp agent.
	Listener bool
}

// Encode returns prog as a Filter's Program holds it.
func Encode(prog []unix.SockFilter) []byte {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(prog))), len(prog)*insnSize)
	return append([]byte(nil), raw...)
}

// Insns returns the program's instructions, or an error for a program of
// no instruction, of too many, or of a partial one. They share Program's
// memory (Load must not allocate: the init loads the filter under the
// process's rlimits, RLIMIT_AS included).
func (f *Filter) Insns() ([]unix.SockFilter, error) {
	n := len(f.Program) / insnSize
	if len(f.Program)%insnSize != 0 || n == 0 || n > MaxInsns {
		return nil, fmt.Errorf("seccomp: a program of %d bytes is not 1 to %d instructions of %d bytes", len(f.Program), MaxInsns, insnSize)
	}
	p := unsafe.Pointer(unsafe.SliceData(f.Program))
	if uintptr(p)%unsafe.Alignof(unix.SockFilter{}) != 0 {
		// Never from the Go heap (which aligns to 8 bytes and more).
		return nil, errors.New("seccomp: misaligned program")
	}
	return unsafe.Slice((*unix.SockFilter)(p), n), nil
}

// Load installs the filter on the calling thread; it is inherited across
// execve and by children created afterwards. The caller must hold
// runtime.LockOSThread and should exec soon after.
//
// no_new_privs is not touched: if the spec does not ask for it, the caller
// must still hold CAP_SYS_ADMIN here. With SECCOMP_FILTER_FLAG_NEW_LISTENER,
// Load returns the listener fd (O_CLOEXEC) for the caller to pass on to
// the seccomp agent; otherwise (and for a nil Filter) it returns -1.
func (f *Filter) Load() (int, error) {
	if f == nil {
		return -1, nil
	}
	prog, err := f.Insns()
	if err != nil {
		return -1, err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(f.Flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(f.Program)
	switch {
	case errno == unix.EACCES:
		return -1, fmt.Errorf("load seccomp filter: %w (the calling thread needs no_new_privs or CAP_SYS_ADMIN)", errno)
	case errno != 0:
		return -1, fmt.Errorf("load seccomp filter (flags %#x): %w", f.Flags, errno)
	}
	if f.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		return int(r), nil
	}
	return -1, nil
}
