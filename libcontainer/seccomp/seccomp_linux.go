//go:build seccomp && cgo

package seccomp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/lazy"
)

// scmpArchs maps the runtime-spec architectures to libseccomp's. Whether the
// linked libseccomp knows one is checked at run time (archSupported).
var scmpArchs = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86:         libseccomp.ArchX86,
	specs.ArchX86_64:      libseccomp.ArchAMD64,
	specs.ArchX32:         libseccomp.ArchX32,
	specs.ArchARM:         libseccomp.ArchARM,
	specs.ArchAARCH64:     libseccomp.ArchARM64,
	specs.ArchMIPS:        libseccomp.ArchMIPS,
	specs.ArchMIPS64:      libseccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      libseccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         libseccomp.ArchPPC,
	specs.ArchPPC64:       libseccomp.ArchPPC64,
	specs.ArchPPC64LE:     libseccomp.ArchPPC64LE,
	specs.ArchS390:        libseccomp.ArchS390,
	specs.ArchS390X:       libseccomp.ArchS390X,
	specs.ArchPARISC:      libseccomp.ArchPARISC,
	specs.ArchPARISC64:    libseccomp.ArchPARISC64,
	specs.ArchRISCV64:     libseccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K:        libseccomp.ArchM68K,
	specs.ArchSH:          libseccomp.ArchSH,
	specs.ArchSHEB:        libseccomp.ArchSHEB,
}

// compile validates c and compiles it with the linked libseccomp, for
// the cache.
func compile(c *specs.LinuxSeccomp) (*Compiled, error) { return Build(c) }

// Build validates c and compiles it into the program runc init loads
// (bpf.Encode), with what libseccomp left out. It is the work of
// cmd/runc-seccomp, the compiler runc embeds.
func Build(c *specs.LinuxSeccomp) (*Compiled, error) {
	if err := Validate(c); err != nil {
		return nil, err
	}
	prog, warnings, err := buildProgram(c)
	if err != nil {
		return nil, err
	}
	return &Compiled{Program: bpf.Encode(prog), Warnings: warnings}, nil
}

// compilerID names the compiler in the cache key: libseccomp's version and
// API level.
func compilerID() string {
	api, _ := libseccomp.GetAPI()
	return fmt.Sprintf("libseccomp %s api %d", Version(), api)
}

// buildProgram compiles c, which Validate accepted, into the cBPF program
// to load: the ENOSYS prologue, then libseccomp's program. warnings name
// the syscalls libseccomp does not know, which it leaves out.
func buildProgram(c *specs.LinuxSeccomp) (prog []unix.SockFilter, warnings []string, err error) {
	archs, err := filterArchs(c)
	if err != nil {
		return nil, nil, err
	}
	filter, warnings, err := newFilter(c, archs)
	if err != nil {
		return nil, nil, err
	}
	defer filter.Release()

	prog, err = exportProgram(filter)
	if err != nil {
		return nil, nil, err
	}
	limits, err := enosysLimits(c, archs)
	if err != nil {
		return nil, nil, err
	}
	prologue := enosysPrologue(limits)
	if len(prologue) > 0 {
		logrus.Debugf("seccomp: prepending a %d-instruction ENOSYS prologue to a %d-instruction filter", len(prologue), len(prog))
	}
	prog = append(prologue, prog...)
	if len(prog) > bpf.MaxInsns {
		return nil, nil, fmt.Errorf("linux.seccomp: the compiled filter has %d instructions, the kernel allows %d; shorten linux.seccomp.syscalls", len(prog), bpf.MaxInsns)
	}
	return prog, warnings, nil
}

// filterArchs returns the architectures of the filter: the native one, then
// those listed in c, without duplicates.
func filterArchs(c *specs.LinuxSeccomp) ([]specs.Arch, error) {
	native, err := nativeArch()
	if err != nil {
		return nil, err
	}
	archs := []specs.Arch{native}
	for _, a := range c.Architectures {
		if !slices.Contains(archs, a) {
			archs = append(archs, a)
		}
	}
	return archs, nil
}

// newFilter builds the libseccomp filter for c over archs; warnings name
// the syscalls it leaves out, unknown to libseccomp.
func newFilter(c *specs.LinuxSeccomp, archs []specs.Arch) (_ *libseccomp.ScmpFilter, warnings []string, retErr error) {
	def, err := scmpAction(c.DefaultAction, c.DefaultErrnoRet)
	if err != nil {
		return nil, nil, fmt.Errorf("linux.seccomp.defaultAction: %w", err)
	}
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp: create filter: %w", err)
	}
	defer func() {
		if retErr != nil {
			filter.Release()
		}
	}()
	// no_new_privs is the caller's business (process.noNewPrivileges);
	// libseccomp would otherwise set it on load. We load the program
	// ourselves, but keep the attribute honest anyway.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, nil, fmt.Errorf("seccomp: clear no_new_privs attribute: %w", err)
	}
	// Report the kernel's errno rather than ECANCELED; best effort.
	_ = filter.SetRawRC(true)
	for _, a := range archs {
		if err := filter.AddArch(scmpArchs[a]); err != nil {
			if errors.Is(err, syscall.EDOM) {
				return nil, nil, fmt.Errorf("linux.seccomp.architectures: %s cannot share a filter with the native %s (different byte order)", a, archs[0])
			}
			return nil, nil, fmt.Errorf("linux.seccomp.architectures: add %s: %w", a, err)
		}
	}

	// A binary tree of syscalls makes long profiles (Docker's has ~350
	// names) cheaper per syscall. libseccomp <= 2.5.4 mishandles it for
	// tiny filters, so only ask for it when the profile is long.
	names := 0
	for _, s := range c.Syscalls {
		names += len(s.Names)
	}
	if names > 32 {
		if err := filter.SetOptimize(2); err != nil {
			logrus.Debugf("seccomp: binary tree optimization not available: %v", err)
		}
	}

	for i, s := range c.Syscalls {
		if err := addSyscallRules(filter, def, i, &s, &warnings); err != nil {
			return nil, nil, err
		}
	}
	return filter, warnings, nil
}

// addSyscallRules adds the rules of linux.seccomp.syscalls[i] to filter,
// and a warning to warnings for each name libseccomp does not know.
func addSyscallRules(filter *libseccomp.ScmpFilter, def libseccomp.ScmpAction, i int, s *specs.LinuxSyscall, warnings *[]string) error {
	field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
	act, err := scmpAction(s.Action, s.ErrnoRet)
	if err != nil {
		return fmt.Errorf("%s.action: %w", field, err)
	}
	if act == def {
		// libseccomp refuses rules that repeat the default action; they
		// change nothing anyway.
		logrus.Debugf("seccomp: %s has the default action, skipping it", field)
		return nil
	}

	// Several conditions on one rule are ANDed. libseccomp cannot compare
	// one argument twice in a rule, so, as runc does, a rule that names an
	// argument index twice becomes one rule per condition (ORed).
	var conds []libseccomp.ScmpCondition
	seen := map[uint]bool{}
	split := false
	for k, a := range s.Args {
		op, err := scmpOperator(a.Op)
		if err != nil {
			return fmt.Errorf("%s.args[%d].op: %w", field, k, err)
		}
		cond, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return fmt.Errorf("%s.args[%d]: %w", field, k, err)
		}
		conds = append(conds, cond)
		split = split || seen[a.Index]
		seen[a.Index] = true
	}

	for j, name := range s.Names {
		nr, err := libseccomp.GetSyscallFromName(name)
		if err != nil {
			*warnings = append(*warnings, fmt.Sprintf("seccomp: %s.names[%d]: syscall %q is unknown to libseccomp %s, ignoring it", field, j, name, Version()))
			continue
		}
		switch {
		case len(conds) == 0:
			err = filter.AddRule(nr, act)
		case split:
			for _, cond := range conds {
				if err = filter.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{cond}); err != nil {
					break
				}
			}
		default:
			err = filter.AddRuleConditional(nr, act, conds)
		}
		if err != nil {
			return fmt.Errorf("%s.names[%d]: add rule for %q: %w", field, j, name, err)
		}
	}
	return nil
}

// scmpAction converts a runtime-spec action (and its errnoRet) to libseccomp's.
// SCMP_ACT_ERRNO and SCMP_ACT_TRACE without errnoRet use EPERM.
func scmpAction(act specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	ret := int16(unix.EPERM)
	if errnoRet != nil {
		// Validate keeps it within 16 bits; SetReturnCode takes the bits.
		ret = int16(uint16(*errnoRet))
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(ret), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(ret), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", act)
}

// scmpOperator converts a runtime-spec comparison operator to libseccomp's.
func scmpOperator(op specs.LinuxSeccompOperator) (libseccomp.ScmpCompareOp, error) {
	switch op {
	case specs.OpNotEqual:
		return libseccomp.CompareNotEqual, nil
	case specs.OpLessThan:
		return libseccomp.CompareLess, nil
	case specs.OpLessEqual:
		return libseccomp.CompareLessOrEqual, nil
	case specs.OpEqualTo:
		return libseccomp.CompareEqual, nil
	case specs.OpGreaterEqual:
		return libseccomp.CompareGreaterEqual, nil
	case specs.OpGreaterThan:
		return libseccomp.CompareGreater, nil
	case specs.OpMaskedEqual:
		return libseccomp.CompareMaskedEqual, nil
	}
	return libseccomp.CompareInvalid, fmt.Errorf("unknown operator %q", op)
}

// needsENOSYS reports whether the ENOSYS prologue applies: only when the
// default action denies. With a permissive default (allow, log, or trace,
// where a tracer should handle new syscalls itself) new syscalls already
// reach the kernel, and a default of ERRNO(ENOSYS) needs no help.
func needsENOSYS(c *specs.LinuxSeccomp) bool {
	switch c.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	case specs.ActErrno:
		return c.DefaultErrnoRet == nil || *c.DefaultErrnoRet != uint(unix.ENOSYS)
	}
	return true
}

// enosysLimits returns, for each architecture of the filter, the largest
// syscall number the profile names there (see enosys.go). Names unknown for
// an architecture, and libseccomp's negative pseudo-numbers (multiplexed
// syscalls such as socket on x86), are ignored; an architecture for which
// the profile names nothing gets no limit.
func enosysLimits(c *specs.LinuxSeccomp, archs []specs.Arch) ([]abiLimit, error) {
	if !needsENOSYS(c) {
		return nil, nil
	}
	var limits []abiLimit
	for _, a := range archs {
		info, ok := knownArchs.Lookup(a)
		if !ok {
			return nil, fmt.Errorf("seccomp: no audit architecture for %s", a)
		}
		sa := scmpArchs[a]
		highest := int64(-1)
		for _, s := range c.Syscalls {
			for _, name := range s.Names {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, sa)
				if err == nil && nr >= 0 && int64(nr) > highest {
					highest = int64(nr)
				}
			}
		}
		if highest < 0 {
			logrus.Debugf("seccomp: the profile names no syscall of %s, no ENOSYS limit for it", a)
			continue
		}
		limits = append(limits, abiLimit{
			audit:         info.audit,
			x32:           info.x32,
			max:           uint32(highest),
			multiplexZero: a == specs.ArchS390 || a == specs.ArchS390X,
		})
	}
	return limits, nil
}

// exportProgram returns libseccomp's compiled program.
func exportProgram(filter *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	raw, err := filter.ExportBPFMem()
	if errors.Is(err, syscall.EOPNOTSUPP) {
		// libseccomp < 2.6 can only export to a file descriptor.
		raw, err = exportViaMemfd(filter)
	}
	if err != nil {
		return nil, fmt.Errorf("seccomp: export filter: %w", err)
	}
	return parseProgram(raw)
}

// exportViaMemfd exports the filter through an anonymous memory file (no
// pipe: a long program would fill a pipe before anyone reads it).
func exportViaMemfd(filter *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// parseProgram decodes a program exported by libseccomp (struct sock_filter
// in host byte order).
func parseProgram(raw []byte) ([]unix.SockFilter, error) {
	const size = int(unsafe.Sizeof(unix.SockFilter{}))
	if len(raw) == 0 || len(raw)%size != 0 {
		return nil, fmt.Errorf("seccomp: exported filter has %d bytes, not a whole number of %d-byte instructions", len(raw), size)
	}
	prog := make([]unix.SockFilter, len(raw)/size)
	if err := binary.Read(bytes.NewReader(raw), binary.NativeEndian, prog); err != nil {
		return nil, fmt.Errorf("seccomp: decode exported filter: %w", err)
	}
	return prog, nil
}

// checkLibrary checks what the linked libseccomp decides of c: the API
// level each action needs (as runc does), the architectures it knows.
func checkLibrary(c *specs.LinuxSeccomp) error {
	api, _ := libseccomp.GetAPI() // 0 when unknown
	if err := checkActionAPI("linux.seccomp.defaultAction", c.DefaultAction, api); err != nil {
		return err
	}
	for i, s := range c.Syscalls {
		if err := checkActionAPI(fmt.Sprintf("linux.seccomp.syscalls[%d].action", i), s.Action, api); err != nil {
			return err
		}
	}
	for i, a := range c.Architectures {
		if !archSupported.Get()[a] {
			return fmt.Errorf("linux.seccomp.architectures[%d]: %s is not supported by libseccomp %s", i, a, Version())
		}
	}
	return nil
}

// actionMinAPI is the libseccomp API level an action needs (it includes the
// kernel's support: libseccomp lowers the level on older kernels).
func actionMinAPI(act specs.LinuxSeccompAction) uint {
	switch act {
	case specs.ActLog, specs.ActKillProcess:
		return 3
	case specs.ActNotify:
		return 6
	}
	return 0
}

func checkActionAPI(field string, act specs.LinuxSeccompAction, api uint) error {
	if need := actionMinAPI(act); api < need {
		return fmt.Errorf("%s: %s needs libseccomp API level %d, this libseccomp %s and kernel give %d", field, act, need, Version(), api)
	}
	return nil
}

// archSupported returns which runtime-spec architectures the linked
// libseccomp can put in a filter (2.5.x lacks loongarch64, m68k and sh).
var archSupported = lazy.Value[map[specs.Arch]bool]{New: func() map[specs.Arch]bool {
	supported := map[specs.Arch]bool{}
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return supported
	}
	defer f.Release()
	for a, sa := range scmpArchs {
		if _, err := f.IsArchPresent(sa); err == nil {
			supported[a] = true
		}
	}
	return supported
}}

// Version returns the version of the linked libseccomp, such as "2.5.4".
func Version() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

// KnownActions returns the actions this libseccomp and kernel support.
func KnownActions() []string {
	api, _ := libseccomp.GetAPI()
	var out []specs.LinuxSeccompAction
	for _, a := range knownActions {
		if actionMinAPI(a) <= api {
			out = append(out, a)
		}
	}
	return sortedStrings(out)
}

// KnownArchs returns the architectures the linked libseccomp supports.
func KnownArchs() []string {
	var out []specs.Arch
	for a, ok := range archSupported.Get() {
		if ok {
			out = append(out, a)
		}
	}
	return sortedStrings(out)
}
