package seccomp

// The ENOSYS prologue.
//
// A profile with a deny-by-default action (say SCMP_ACT_ERRNO/EPERM) makes
// every syscall it does not name fail with EPERM, including syscalls newer
// than the profile. New libcs probe such syscalls (clone3, faccessat2,
// openat2, ...) and fall back to older ones only on ENOSYS; EPERM makes them
// fail outright. So, per architecture in the filter, we take the largest
// syscall number the profile names and return ENOSYS for anything above it,
// before libseccomp's program runs. Numbers at or below it go to libseccomp's
// program unchanged.
//
// The prologue, for each architecture group (A = accumulator):
//
//	        ld  [arch]
//	        jeq #AUDIT_ARCH_A, 0, <skip group>    ; one group per arch value
//	        ld  [nr]
//	        jset #X32_BIT, <x32 part>, 0           ; AUDIT_ARCH_X86_64 only
//	        jeq #0, 0, 1 ; ret ERRNO(ENOSYS)       ; s390(x) only, see below
//	        jgt #max, 0, 1 ; ret ERRNO(ENOSYS)     ; if the profile names a syscall
//	        ja  <filter>
//	        ...
//	filter: <libseccomp's program>
//
// Conditional jumps stay inside their (short) group, so their 8-bit offsets
// never overflow; only "ja", which has a 32-bit offset, crosses the program.
// Architectures not in the prologue fall through to libseccomp's program,
// which applies its own bad-architecture action.
//
// On s390 and s390x, syscall numbers too large for the instruction encoding
// go through syscall 0 (the old setup(2) slot); a kernel that does not know
// the real number leaves 0 in place, so 0 also gets ENOSYS there.

import (
	"golang.org/x/sys/unix"
)

const (
	// Offsets in struct seccomp_data.
	offsetNr   = 0
	offsetArch = 4

	// x32SyscallBit marks x32 syscalls (__X32_SYSCALL_BIT).
	x32SyscallBit = 0x40000000

	// retENOSYS is the filter's return value for "fail with ENOSYS".
	retENOSYS = unix.SECCOMP_RET_ERRNO | (uint32(unix.ENOSYS) & unix.SECCOMP_RET_DATA)

	// jumpToFilter marks a "ja" whose target is the end of the prologue,
	// i.e. the first instruction of libseccomp's program; resolved once
	// the prologue length is known.
	jumpToFilter = ^uint32(0)
)

// abiLimit is the input of the prologue for one architecture (ABI).
type abiLimit struct {
	// audit is the AUDIT_ARCH_* value in seccomp_data.arch.
	audit uint32
	// x32 is set for the x32 ABI, whose syscall numbers have x32SyscallBit
	// set and which shares its audit value with x86-64.
	x32 bool
	// max is the largest syscall number the profile names for this ABI
	// (for x32, including x32SyscallBit).
	max uint32
	// multiplexZero makes syscall number 0 return ENOSYS (s390, s390x).
	multiplexZero bool
}

// archGroup gathers the limits that share one audit value: x86-64 and x32
// share AUDIT_ARCH_X86_64, every other architecture has its own.
type archGroup struct {
	audit  uint32
	native *abiLimit
	x32    *abiLimit
}

// enosysPrologue returns the cBPF instructions to put in front of
// libseccomp's program, or nil when there is nothing to check. Limits are
// emitted in the order given (the first limit of an audit value places its
// group).
func enosysPrologue(limits []abiLimit) []unix.SockFilter {
	var groups []*archGroup
	byAudit := map[uint32]*archGroup{}
	for i := range limits {
		l := &limits[i]
		g := byAudit[l.audit]
		if g == nil {
			g = &archGroup{audit: l.audit}
			byAudit[l.audit] = g
			groups = append(groups, g)
		}
		if l.x32 {
			g.x32 = l
		} else {
			g.native = l
		}
	}
	if len(groups) == 0 {
		return nil
	}

	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetArch)}
	for _, g := range groups {
		body := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetNr)}
		native := limitCheck(g.native)
		if g.audit == unix.AUDIT_ARCH_X86_64 {
			// x32 numbers must never be compared with the x86-64 limit:
			// with x32 off the filter, libseccomp's program rejects them.
			body = append(body, bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, x32SyscallBit, uint8(len(native)), 0))
			body = append(body, native...)
			body = append(body, limitCheck(g.x32)...)
		} else {
			body = append(body, native...)
		}
		// Not this architecture: skip the body, on to the next group
		// (or, after the last, into libseccomp's program).
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, g.audit, 0, uint8(len(body))))
		prog = append(prog, body...)
	}
	for i := range prog {
		if prog[i].Code == unix.BPF_JMP|unix.BPF_JA && prog[i].K == jumpToFilter {
			prog[i].K = uint32(len(prog) - i - 1)
		}
	}
	return prog
}

// limitCheck returns the instructions that, with the syscall number in A,
// return ENOSYS for numbers beyond l and otherwise jump to the filter. A nil
// l (the profile names no syscall of that ABI) only jumps to the filter.
func limitCheck(l *abiLimit) []unix.SockFilter {
	var out []unix.SockFilter
	if l != nil {
		if l.multiplexZero {
			out = append(out,
				bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, 0, 0, 1),
				bpfStmt(unix.BPF_RET|unix.BPF_K, retENOSYS))
		}
		out = append(out,
			bpfJump(unix.BPF_JMP|unix.BPF_JGT|unix.BPF_K, l.max, 0, 1),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retENOSYS))
	}
	return append(out, bpfStmt(unix.BPF_JMP|unix.BPF_JA, jumpToFilter))
}

func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func bpfJump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}
