package devices

import (
	"fmt"
	"unsafe"

	"github.com/opencontainers/cgroups/devices/config"
	"golang.org/x/sys/unix"
)

// insn is one eBPF instruction, laid out as the kernel's struct bpf_insn:
// the opcode, the destination and source registers (4 bits each, in
// bitfields whose order follows the byte order), a jump offset counted in
// instructions after this one, and an immediate.
type insn struct {
	code uint8
	regs uint8
	off  int16
	imm  int32
}

// The registers the program uses. On entry R1 points to the context,
// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; },
// where access_type holds the device type (BPF_DEVCG_DEV_*) in its low 16
// bits and the requested accesses (BPF_DEVCG_ACC_*) in its high 16 bits.
// R0 is the verdict: 1 allows the access, 0 denies it.
const (
	r0 = iota // verdict
	r1        // the context on entry; scratch afterwards
	r2        // device type
	r3        // requested accesses
	r4        // major
	r5        // minor
)

// Opcodes: class | operation | source (K: the immediate, X: a register).
const (
	opLoadWord = unix.BPF_LDX | unix.BPF_MEM | unix.BPF_W
	opAndImm32 = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	opRshImm32 = unix.BPF_ALU | unix.BPF_RSH | unix.BPF_K
	opMovImm32 = unix.BPF_ALU | unix.BPF_MOV | unix.BPF_K
	opMovReg32 = unix.BPF_ALU | unix.BPF_MOV | unix.BPF_X
	opJneImm   = unix.BPF_JMP | unix.BPF_JNE | unix.BPF_K
	opJneReg   = unix.BPF_JMP | unix.BPF_JNE | unix.BPF_X
	opExit     = unix.BPF_JMP | unix.BPF_EXIT
)

// bigEndian reports the host's byte order, which orders the register
// nibbles. (A function: a variable set by a call would be set by the
// package's initialiser, at every runc start.)
func bigEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}

func mkInsn(code uint8, dst, src uint8, off int16, imm int32) insn {
	regs := dst | src<<4
	if bigEndian() {
		regs = dst<<4 | src
	}
	return insn{code: code, regs: regs, off: off, imm: imm}
}

const accRWM = unix.BPF_DEVCG_ACC_READ | unix.BPF_DEVCG_ACC_WRITE | unix.BPF_DEVCG_ACC_MKNOD

// accessBits converts "rwm" letters to BPF_DEVCG_ACC_* bits.
func accessBits(p config.Permissions) (int32, error) {
	var bits int32
	for _, c := range p {
		switch c {
		case 'r':
			bits |= unix.BPF_DEVCG_ACC_READ
		case 'w':
			bits |= unix.BPF_DEVCG_ACC_WRITE
		case 'm':
			bits |= unix.BPF_DEVCG_ACC_MKNOD
		default:
			return 0, fmt.Errorf("device access %q: unknown letter %q", p, c)
		}
	}
	return bits, nil
}

// buildProgram compiles device rules, applied in order as cgroup v1 would
// apply them (see ruleSet), into a BPF_PROG_TYPE_CGROUP_DEVICE program.
// The rules are first reduced to the state they make, so that v1 and v2
// containers get the same device access for the same spec, refusals
// included (a rule v1 would ignore is an error).
func buildProgram(rules []*config.Rule) ([]insn, error) {
	rs, err := newRuleSet(rules)
	if err != nil {
		return nil, err
	}
	return compile(rs.rules(), rs.allowAll)
}

// compile assembles the program for a list of rules with last-match-wins
// semantics and a default verdict for devices no rule matches: a rule
// matches a request when it selects the device (its type, and its major
// and minor unless wildcards) and holds every requested access. Rules are
// tested from the last to the first, and the first match decides.
// A leading type 'a' rule must give the default.
func compile(rules []*config.Rule, allowByDefault bool) ([]insn, error) {
	p := []insn{
		mkInsn(opLoadWord, r2, r1, 0, 0),
		mkInsn(opAndImm32, r2, 0, 0, 0xffff),
		mkInsn(opLoadWord, r3, r1, 0, 0),
		mkInsn(opRshImm32, r3, 0, 0, 16),
		mkInsn(opLoadWord, r4, r1, 4, 0),
		mkInsn(opLoadWord, r5, r1, 8, 0),
	}
	for i := len(rules) - 1; i >= 0; i-- {
		r := rules[i]
		if r.Type == config.WildcardDevice {
			if i != 0 || r.Allow != allowByDefault {
				return nil, fmt.Errorf("device rule %d (%s): an 'a' rule must come first and give the default", i, r.CgroupString())
			}
			continue
		}
		block, err := ruleBlock(r)
		if err != nil {
			return nil, err
		}
		p = append(p, block...)
	}
	return append(p, verdict(allowByDefault)...), nil
}

// ruleBlock is the code of one rule: compare, and on any difference jump
// past the block (to the next rule, or the default verdict); when all
// compare equal, return the rule's verdict.
func ruleBlock(r *config.Rule) ([]insn, error) {
	var typ int32
	switch r.Type {
	case config.CharDevice:
		typ = unix.BPF_DEVCG_DEV_CHAR
	case config.BlockDevice:
		typ = unix.BPF_DEVCG_DEV_BLOCK
	default:
		return nil, fmt.Errorf("device rule %s: type %q has no cgroup v2 equivalent", r.CgroupString(), string(r.Type))
	}
	acc, err := accessBits(r.Permissions)
	if err != nil {
		return nil, err
	}
	for _, n := range []int64{r.Major, r.Minor} {
		if n < config.Wildcard || n > 1<<32-1 {
			return nil, fmt.Errorf("device rule %s: device number %d out of range", r.CgroupString(), n)
		}
	}
	// Numbers above 1<<31-1 never match (the immediate is sign-extended
	// and the loaded number is not), but no device has one: the kernel's
	// majors have 12 bits and its minors 20.
	//
	// Each test is a jump whose offset is patched below.
	tests := []insn{mkInsn(opJneImm, r2, 0, 0, typ)}
	if acc != accRWM {
		// Is the request a subset of the rule's accesses: (r3 & acc) == r3?
		tests = append(tests,
			mkInsn(opMovReg32, r1, r3, 0, 0),
			mkInsn(opAndImm32, r1, 0, 0, acc),
			mkInsn(opJneReg, r1, r3, 0, 0))
	}
	if r.Major != config.Wildcard {
		tests = append(tests, mkInsn(opJneImm, r4, 0, 0, int32(r.Major)))
	}
	if r.Minor != config.Wildcard {
		tests = append(tests, mkInsn(opJneImm, r5, 0, 0, int32(r.Minor)))
	}
	block := append(tests, verdict(r.Allow)...)
	for i := range tests {
		if block[i].code == opJneImm || block[i].code == opJneReg {
			block[i].off = int16(len(block) - i - 1)
		}
	}
	return block, nil
}

func verdict(allow bool) []insn {
	var v int32
	if allow {
		v = 1
	}
	return []insn{mkInsn(opMovImm32, r0, 0, 0, v), mkInsn(opExit, 0, 0, 0, 0)}
}
