package seccomp

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// seccompData is the input of a seccomp program (struct seccomp_data).
type seccompData struct {
	nr   uint32
	arch uint32
	args [6]uint64
}

// word returns the 32-bit word at byte offset off of struct seccomp_data
// (little-endian layout; the tests run on x86-64).
func (d *seccompData) word(off uint32) (uint32, error) {
	switch {
	case off == 0:
		return d.nr, nil
	case off == 4:
		return d.arch, nil
	case off == 8 || off == 12:
		return 0, nil // instruction_pointer
	case off >= 16 && off < 64 && off%4 == 0:
		arg := d.args[(off-16)/8]
		if (off-16)%8 == 0 {
			return uint32(arg), nil
		}
		return uint32(arg >> 32), nil
	}
	return 0, fmt.Errorf("load from bad offset %d", off)
}

// runBPF interprets a seccomp cBPF program for one input, like the kernel
// would, and returns the action value. It supports what libseccomp and our
// prologue emit: absolute loads, ALU with constants, jumps, returns, and the
// scratch memory. Anything else, or a jump out of the program, is an error.
func runBPF(prog []unix.SockFilter, d seccompData) (uint32, error) {
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		jump := func(cond bool) {
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			v, err := d.word(in.K)
			if err != nil {
				return 0, fmt.Errorf("pc %d: %w", pc, err)
			}
			a = v
		case unix.BPF_LD | unix.BPF_IMM:
			a = in.K
		case unix.BPF_LDX | unix.BPF_IMM:
			x = in.K
		case unix.BPF_LD | unix.BPF_MEM:
			a = mem[in.K]
		case unix.BPF_LDX | unix.BPF_MEM:
			x = mem[in.K]
		case unix.BPF_ST:
			mem[in.K] = a
		case unix.BPF_STX:
			mem[in.K] = x
		case unix.BPF_MISC | unix.BPF_TAX:
			x = a
		case unix.BPF_MISC | unix.BPF_TXA:
			a = x
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			a &= in.K
		case unix.BPF_ALU | unix.BPF_OR | unix.BPF_K:
			a |= in.K
		case unix.BPF_ALU | unix.BPF_ADD | unix.BPF_K:
			a += in.K
		case unix.BPF_ALU | unix.BPF_SUB | unix.BPF_K:
			a -= in.K
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			jump(a == in.K)
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			jump(a > in.K)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			jump(a >= in.K)
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			jump(a&in.K != 0)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_X:
			jump(a == x)
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_X:
			jump(a > x)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_X:
			jump(a >= x)
		case unix.BPF_RET | unix.BPF_K:
			return in.K, nil
		case unix.BPF_RET | unix.BPF_A:
			return a, nil
		default:
			return 0, fmt.Errorf("pc %d: unsupported instruction %#x", pc, in.Code)
		}
	}
	return 0, fmt.Errorf("fell off the end of a %d-instruction program", len(prog))
}

// checkJumps checks, as the kernel's verifier does, that every jump of prog
// lands inside it and that it ends with a return.
func checkJumps(t *testing.T, prog []unix.SockFilter) {
	t.Helper()
	if len(prog) == 0 || prog[len(prog)-1].Code&0x07 != unix.BPF_RET {
		t.Fatalf("program does not end with a return")
	}
	for pc, in := range prog {
		if in.Code&0x07 != unix.BPF_JMP {
			continue
		}
		targets := []int{pc + 1 + int(in.Jt), pc + 1 + int(in.Jf)}
		if in.Code == unix.BPF_JMP|unix.BPF_JA {
			targets = []int{pc + 1 + int(in.K)}
		}
		for _, to := range targets {
			if to >= len(prog) {
				t.Fatalf("pc %d: jump to %d, outside the %d-instruction program", pc, to, len(prog))
			}
		}
	}
}

// filterMarker stands for libseccomp's program: a single return that no
// prologue path produces, so reaching it means "passed to the filter".
const filterMarker = unix.SECCOMP_RET_TRACE | 0x4242

func TestENOSYSPrologueEmpty(t *testing.T) {
	if p := enosysPrologue(nil); p != nil {
		t.Fatalf("no limits: want no prologue, got %d instructions", len(p))
	}
}

func TestENOSYSPrologue(t *testing.T) {
	const (
		x8664 = unix.AUDIT_ARCH_X86_64
		i386  = unix.AUDIT_ARCH_I386
		s390x = unix.AUDIT_ARCH_S390X
		arm64 = unix.AUDIT_ARCH_AARCH64
	)
	full := []abiLimit{
		{audit: x8664, max: 300},
		{audit: i386, max: 400},
		{audit: x8664, x32: true, max: x32SyscallBit | 250},
		{audit: s390x, max: 400, multiplexZero: true},
	}
	for _, tc := range []struct {
		name   string
		limits []abiLimit
		arch   uint32
		nr     uint32
		want   uint32
	}{
		{"x86-64 below limit", full, x8664, 100, filterMarker},
		{"x86-64 at limit", full, x8664, 300, filterMarker},
		{"x86-64 above limit", full, x8664, 301, retENOSYS},
		{"x86-64 far above", full, x8664, 0xffff, retENOSYS},
		{"x86-64 syscall 0", full, x8664, 0, filterMarker},
		{"x32 below limit", full, x8664, x32SyscallBit | 100, filterMarker},
		{"x32 at limit", full, x8664, x32SyscallBit | 250, filterMarker},
		{"x32 above limit", full, x8664, x32SyscallBit | 251, retENOSYS},
		{"i386 between x86-64 and own limit", full, i386, 350, filterMarker},
		{"i386 above limit", full, i386, 401, retENOSYS},
		{"s390x multiplexer", full, s390x, 0, retENOSYS},
		{"s390x below limit", full, s390x, 5, filterMarker},
		{"s390x above limit", full, s390x, 401, retENOSYS},
		{"arch not in prologue", full, arm64, 9999, filterMarker},
		// x32 not in the filter: x32 numbers must reach libseccomp's
		// program (bad-arch action), not the x86-64 limit.
		{"x32 absent, x32 syscall", full[:2], x8664, x32SyscallBit | 5, filterMarker},
		{"x32 absent, x86-64 above", full[:2], x8664, 301, retENOSYS},
		// only x32 named: x86-64 numbers go to the filter unchanged.
		{"x32 only, x86-64 syscall", full[2:3], x8664, 999, filterMarker},
		{"x32 only, x32 above", full[2:3], x8664, x32SyscallBit | 999, retENOSYS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := append(enosysPrologue(tc.limits), bpfStmt(unix.BPF_RET|unix.BPF_K, filterMarker))
			checkJumps(t, prog)
			got, err := runBPF(prog, seccompData{arch: tc.arch, nr: tc.nr})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("arch %#x nr %#x: got %#x, want %#x", tc.arch, tc.nr, got, tc.want)
			}
		})
	}
}

// TestENOSYSPrologueShape pins the exact instructions for one architecture,
// so that the layout documented in enosys.go stays true.
func TestENOSYSPrologueShape(t *testing.T) {
	got := enosysPrologue([]abiLimit{{audit: unix.AUDIT_ARCH_AARCH64, max: 441}})
	want := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.AUDIT_ARCH_AARCH64, Jt: 0, Jf: 4},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
		{Code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, K: 441, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_JMP | unix.BPF_JA, K: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d instructions, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instruction %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestENOSYSPrologueAllArchs builds the prologue for every known
// architecture at once: jumps must stay in range and every architecture
// must get its own limit.
func TestENOSYSPrologueAllArchs(t *testing.T) {
	var limits []abiLimit
	limitOf := map[uint32]uint32{}
	n := uint32(100)
	for _, e := range knownArchs {
		info := e.Val
		l := abiLimit{audit: info.audit, x32: info.x32, max: n}
		if info.x32 {
			l.max |= x32SyscallBit
		} else {
			limitOf[info.audit] = n
		}
		limits = append(limits, l)
		n += 10
	}
	prog := append(enosysPrologue(limits), bpfStmt(unix.BPF_RET|unix.BPF_K, filterMarker))
	checkJumps(t, prog)
	for audit, m := range limitOf {
		for nr, want := range map[uint32]uint32{1: filterMarker, m: filterMarker, m + 1: retENOSYS} {
			got, err := runBPF(prog, seccompData{arch: audit, nr: nr})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("arch %#x nr %d: got %#x, want %#x", audit, nr, got, want)
			}
		}
	}
}
