package devices

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/opencontainers/cgroups/devices/config"
	"golang.org/x/sys/unix"
)

// programBytes is the program as the kernel reads it.
func programBytes(prog []insn) []byte {
	return slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(prog)*8))
}

// run interprets a device program from its bytes, as the kernel would
// run it for an access of the given type (BPF_DEVCG_DEV_*), accesses
// (BPF_DEVCG_ACC_*), major and minor. It knows the instructions a device
// program of ours may hold, and fails on any other, on a jump out of the
// program or backwards, and on a read of the context outside its 12
// bytes.
func run(t *testing.T, code []byte, typ, access, major, minor uint32) bool {
	t.Helper()
	ctx := make([]byte, 12)
	binary.NativeEndian.PutUint32(ctx[0:], access<<16|typ)
	binary.NativeEndian.PutUint32(ctx[4:], major)
	binary.NativeEndian.PutUint32(ctx[8:], minor)
	var reg [11]uint64
	ctxReg := 1 // the register that holds the context pointer, or -1
	n := len(code) / 8
	for pc := 0; pc < n; pc++ {
		b := code[pc*8 : pc*8+8]
		op := b[0]
		dst, src := int(b[1]&0xf), int(b[1]>>4)
		if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big-endian bitfields
			dst, src = int(b[1]>>4), int(b[1]&0xf)
		}
		off := int(int16(binary.NativeEndian.Uint16(b[2:])))
		imm := int32(binary.NativeEndian.Uint32(b[4:]))
		if dst == ctxReg && op != 0x95 && op&0x07 != 0x05 {
			ctxReg = -1
		}
		jump := func(taken bool) {
			if off < 0 || pc+1+off >= n {
				t.Fatalf("insn %d: jump by %d out of the program (%d insns)", pc, off, n)
			}
			if taken {
				pc += off
			}
		}
		switch op {
		case 0x61: // ldxw dst, [src+off]
			if src != ctxReg || off < 0 || off+4 > len(ctx) {
				t.Fatalf("insn %d: load from r%d+%d (the context is r%d)", pc, src, off, ctxReg)
			}
			reg[dst] = uint64(binary.NativeEndian.Uint32(ctx[off:]))
		case 0x54: // and32 dst, imm
			reg[dst] = uint64(uint32(reg[dst]) & uint32(imm))
		case 0x74: // rsh32 dst, imm
			reg[dst] = uint64(uint32(reg[dst]) >> uint32(imm))
		case 0xb4: // mov32 dst, imm
			reg[dst] = uint64(uint32(imm))
		case 0xbc: // mov32 dst, src
			reg[dst] = uint64(uint32(reg[src]))
		case 0x55: // jne dst, imm (sign-extended)
			jump(reg[dst] != uint64(int64(imm)))
		case 0x5d: // jne dst, src
			jump(reg[dst] != reg[src])
		case 0x95: // exit
			switch reg[0] {
			case 0:
				return false
			case 1:
				return true
			}
			t.Fatalf("insn %d: exit with r0 = %d", pc, reg[0])
		default:
			t.Fatalf("insn %d: unexpected opcode %#x", pc, op)
		}
	}
	t.Fatal("the program runs off its end")
	return false
}

func accessOf(p config.Permissions) uint32 {
	a, _ := accessBits(p)
	return uint32(a)
}

func typeOf(c config.Type) uint32 {
	if c == config.BlockDevice {
		return unix.BPF_DEVCG_DEV_BLOCK
	}
	return unix.BPF_DEVCG_DEV_CHAR
}

// programCases are rule lists with some hand-checked verdicts:
// "c 1:3 rw" → allowed or not.
var programCases = []struct {
	name  string
	rules []string
	allow []string
	deny  []string
}{
	{
		"runc defaults", runcDefaults,
		[]string{"c 1:3 rw", "c 1:5 r", "c 136:0 rwm", "c 136:11 w", "b 8:0 m", "c 4:11 m", "c 5:2 rw"},
		[]string{"c 1:11 w", "c 1:11 r", "b 8:0 r", "b 1:3 rw", "c 4:0 rw", "c 10:229 r"},
	},
	{"deny all", []string{"deny a"}, nil, []string{"c 1:3 r", "b 8:0 m", "c 1:3 rwm"}},
	{"no rules: deny all", nil, nil, []string{"c 1:3 r", "b 8:0 m"}},
	{"allow all", []string{"allow a"}, []string{"c 1:3 rwm", "b 8:0 r", "c 1:11 w"}, nil},
	{"allow all, last", []string{"deny a", "allow c 1:3 r", "allow a"}, []string{"c 1:11 w", "b 8:0 rwm"}, nil},
	{
		"deny list",
		[]string{"allow a", "deny c 1:11 w", "deny b 8:* rwm"},
		// "c 1:11 rw" is allowed, as with the library's program (v1 would
		// deny it: there, a deny exception applies to any overlap).
		[]string{"c 1:11 r", "c 1:11 rw", "c 1:3 rw", "b 9:0 r", "c 8:0 r"},
		[]string{"c 1:11 w", "b 8:0 r", "b 8:16 m"},
	},
	{
		"accesses split over two rules",
		[]string{"deny a", "allow c 1:* r", "allow c 1:3 w"},
		[]string{"c 1:3 r", "c 1:3 w", "c 1:5 r"},
		[]string{"c 1:3 rw", "c 1:5 w", "c 1:5 rw"},
	},
	{
		"later deny wins",
		[]string{"deny a", "allow c 1:3 rwm", "deny c 1:3 w"},
		[]string{"c 1:3 r", "c 1:3 rm", "c 1:3 m"},
		[]string{"c 1:3 w", "c 1:3 rw"},
	},
	{"wildcard major", []string{"deny a", "allow c *:5 rw"}, []string{"c 1:5 rw", "c 136:5 r"}, []string{"c 1:5 m", "c 1:3 r", "b 1:5 r"}},
	{"kmsg write", []string{"deny a", "allow c 1:11 w"}, []string{"c 1:11 w"}, []string{"c 1:11 r", "c 1:11 rw", "c 1:3 w"}},
}

// parseProbe parses "c 1:3 rw".
func parseProbe(t *testing.T, s string) (config.Type, int64, int64, config.Permissions) {
	t.Helper()
	var typ rune
	var major, minor int64
	var acc string
	if _, err := fmt.Sscanf(s, "%c %d:%d %s", &typ, &major, &minor, &acc); err != nil {
		t.Fatalf("probe %q: %v", s, err)
	}
	return config.Type(typ), major, minor, config.Permissions(acc)
}

// TestProgramSemantics runs the assembled programs: the hand-checked
// verdicts, then every probe against the rule-set model (the cgroup v1
// semantics the program must have).
func TestProgramSemantics(t *testing.T) {
	for _, tc := range programCases {
		t.Run(tc.name, func(t *testing.T) {
			rs := rules(t, tc.rules...)
			prog, err := buildProgram(rs)
			if err != nil {
				t.Fatal(err)
			}
			code := programBytes(prog)
			for _, want := range []bool{true, false} {
				list := tc.deny
				if want {
					list = tc.allow
				}
				for _, p := range list {
					typ, major, minor, acc := parseProbe(t, p)
					if got := run(t, code, typeOf(typ), accessOf(acc), uint32(major), uint32(minor)); got != want {
						t.Errorf("%s: allowed %v, want %v", p, got, want)
					}
				}
			}
			model, err := newRuleSet(rs)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probes() {
				want := model.allows(p.typ, p.major, p.minor, p.access)
				if got := run(t, code, typeOf(p.typ), accessOf(p.access), uint32(p.major), uint32(p.minor)); got != want {
					t.Errorf("%c %d:%d %s: program says %v, the rules %v", p.typ, p.major, p.minor, p.access, got, want)
				}
			}
		})
	}
}

// TestCompileLastMatchWins: compile keeps a rule list's order, the last
// matching rule deciding, whatever the actions.
func TestCompileLastMatchWins(t *testing.T) {
	prog, err := compile(rules(t, "allow c 1:* rwm", "deny c 1:3 w", "allow c 1:3 rw"), false)
	if err != nil {
		t.Fatal(err)
	}
	code := programBytes(prog)
	for p, want := range map[string]bool{"c 1:3 w": true, "c 1:3 m": true, "c 1:5 w": true, "b 1:3 r": false, "c 2:3 r": false} {
		typ, major, minor, acc := parseProbe(t, p)
		if got := run(t, code, typeOf(typ), accessOf(acc), uint32(major), uint32(minor)); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
	prog, err = compile(rules(t, "allow c 1:3 rw", "deny c 1:* w"), true)
	if err != nil {
		t.Fatal(err)
	}
	code = programBytes(prog)
	for p, want := range map[string]bool{"c 1:3 w": false, "c 1:3 r": true, "c 1:3 rw": true, "c 1:5 w": false, "b 1:5 w": true} {
		typ, major, minor, acc := parseProbe(t, p)
		if got := run(t, code, typeOf(typ), accessOf(acc), uint32(major), uint32(minor)); got != want {
			t.Errorf("default allow: %s: %v, want %v", p, got, want)
		}
	}
	if _, err := compile(rules(t, "allow c 1:3 r", "deny a"), false); err == nil {
		t.Error("an 'a' rule after others was compiled")
	}
}

// needBPF skips unless this process may load BPF programs.
func needBPF(t *testing.T) {
	t.Helper()
	fd, err := loadProgram(verdict(true))
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
		t.Skipf("cannot load BPF programs here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
}

// TestProgramLoads has the kernel's verifier check every program.
func TestProgramLoads(t *testing.T) {
	needBPF(t)
	for _, tc := range programCases {
		prog, err := buildProgram(rules(t, tc.rules...))
		if err != nil {
			t.Fatal(err)
		}
		fd, err := loadProgram(prog)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		unix.Close(fd)
	}
	// Many rules: one block each.
	var many []*config.Rule
	for i := range 500 {
		many = append(many, &config.Rule{Type: config.CharDevice, Major: int64(i), Minor: config.Wildcard, Permissions: "rw", Allow: true})
	}
	prog, err := buildProgram(many)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := loadProgram(prog)
	if err != nil {
		t.Fatalf("500 rules: %v", err)
	}
	unix.Close(fd)
}

// TestProgramLoadError: a program the verifier refuses gives its log.
func TestProgramLoadError(t *testing.T) {
	needBPF(t)
	// Reads R2, which is not initialised.
	bad := []insn{mkInsn(opMovReg32, r0, r2, 0, 0), mkInsn(opExit, 0, 0, 0, 0)}
	fd, err := loadProgram(bad)
	if err == nil {
		unix.Close(fd)
		t.Fatal("the kernel took a program that reads an uninitialised register")
	}
	if !errors.Is(err, unix.EACCES) || !strings.Contains(err.Error(), "R2 !read_ok") {
		t.Fatalf("error %v, want EACCES with the verifier's log", err)
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(probeChildEnv) != "" {
		probeChild()
		return
	}
	os.Exit(m.Run())
}
