// Package seccomp compiles the linux.seccomp section of an OCI runtime spec
// into the cBPF program runc init loads (package bpf) just before the
// container process is exec'd.
//
// The filter is compiled by libseccomp (build tag "seccomp"), in the
// runtime; this package then prepends a small cBPF prologue that makes
// syscalls newer than any the profile names return ENOSYS instead of the
// default errno (see enosys.go), and keeps the program in runc's cache on
// /run (cache_linux.go). Without the build tag the package still compiles:
// Enabled is false and any non-empty profile is rejected with a clear
// error.
//
// This file holds the name tables shared by both builds.
package seccomp

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/table"
)

// flagTsync is not defined by the runtime-spec but accepted (as a no-op) for
// compatibility with runc: the filter is installed on the one thread that
// execs the container process, and other threads vanish at execve.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// knownActions lists every action name of the runtime-spec.
var knownActions = []specs.LinuxSeccompAction{
	specs.ActKill,
	specs.ActKillProcess,
	specs.ActKillThread,
	specs.ActTrap,
	specs.ActErrno,
	specs.ActTrace,
	specs.ActAllow,
	specs.ActLog,
	specs.ActNotify,
}

// knownOperators lists every argument comparison operator of the runtime-spec.
var knownOperators = []specs.LinuxSeccompOperator{
	specs.OpNotEqual,
	specs.OpLessThan,
	specs.OpLessEqual,
	specs.OpEqualTo,
	specs.OpGreaterEqual,
	specs.OpGreaterThan,
	specs.OpMaskedEqual,
}

// knownFlags lists the filter flags this package understands.
var knownFlags = []specs.LinuxSeccompFlag{
	flagTsync,
	specs.LinuxSeccompFlagLog,
	specs.LinuxSeccompFlagSpecAllow,
	specs.LinuxSeccompFlagWaitKillableRecv,
}

// archInfo is what the kernel reports in seccomp_data.arch for an
// architecture. x32 shares AUDIT_ARCH_X86_64 with x86-64; its syscall
// numbers carry x32SyscallBit instead.
type archInfo struct {
	audit uint32
	x32   bool
}

// knownArchs maps every architecture of the runtime-spec to its AUDIT_ARCH_*
// value (libseccomp's "sh" is little-endian SuperH, "sheb" big-endian).
var knownArchs = table.Table[specs.Arch, archInfo]{
	{specs.ArchX86, archInfo{audit: unix.AUDIT_ARCH_I386}},
	{specs.ArchX86_64, archInfo{audit: unix.AUDIT_ARCH_X86_64}},
	{specs.ArchX32, archInfo{audit: unix.AUDIT_ARCH_X86_64, x32: true}},
	{specs.ArchARM, archInfo{audit: unix.AUDIT_ARCH_ARM}},
	{specs.ArchAARCH64, archInfo{audit: unix.AUDIT_ARCH_AARCH64}},
	{specs.ArchMIPS, archInfo{audit: unix.AUDIT_ARCH_MIPS}},
	{specs.ArchMIPS64, archInfo{audit: unix.AUDIT_ARCH_MIPS64}},
	{specs.ArchMIPS64N32, archInfo{audit: unix.AUDIT_ARCH_MIPS64N32}},
	{specs.ArchMIPSEL, archInfo{audit: unix.AUDIT_ARCH_MIPSEL}},
	{specs.ArchMIPSEL64, archInfo{audit: unix.AUDIT_ARCH_MIPSEL64}},
	{specs.ArchMIPSEL64N32, archInfo{audit: unix.AUDIT_ARCH_MIPSEL64N32}},
	{specs.ArchPPC, archInfo{audit: unix.AUDIT_ARCH_PPC}},
	{specs.ArchPPC64, archInfo{audit: unix.AUDIT_ARCH_PPC64}},
	{specs.ArchPPC64LE, archInfo{audit: unix.AUDIT_ARCH_PPC64LE}},
	{specs.ArchS390, archInfo{audit: unix.AUDIT_ARCH_S390}},
	{specs.ArchS390X, archInfo{audit: unix.AUDIT_ARCH_S390X}},
	{specs.ArchPARISC, archInfo{audit: unix.AUDIT_ARCH_PARISC}},
	{specs.ArchPARISC64, archInfo{audit: unix.AUDIT_ARCH_PARISC64}},
	{specs.ArchRISCV64, archInfo{audit: unix.AUDIT_ARCH_RISCV64}},
	{specs.ArchLOONGARCH64, archInfo{audit: unix.AUDIT_ARCH_LOONGARCH64}},
	{specs.ArchM68K, archInfo{audit: unix.AUDIT_ARCH_M68K}},
	{specs.ArchSH, archInfo{audit: unix.AUDIT_ARCH_SHEL}},
	{specs.ArchSHEB, archInfo{audit: unix.AUDIT_ARCH_SH}},
}

// KnownFlags returns every filter flag this package understands, whether or
// not this build and kernel support it (see SupportedFlags).
func KnownFlags() []string {
	return sortedStrings(knownFlags)
}

// isEmpty reports whether c asks for no filter at all: a nil section, or one
// with neither a default action nor rules (runc treats both as "disabled").
func isEmpty(c *specs.LinuxSeccomp) bool {
	return c == nil || (c.DefaultAction == "" && len(c.Syscalls) == 0)
}

// usesNotify reports whether any rule of c uses SCMP_ACT_NOTIFY.
func usesNotify(c *specs.LinuxSeccomp) bool {
	for _, s := range c.Syscalls {
		if s.Action == specs.ActNotify {
			return true
		}
	}
	return false
}

// filterFlags computes the seccomp(2) SECCOMP_SET_MODE_FILTER flags for c:
// those c.Flags lists (nil or empty: none; the runtime settles runc's
// default before the config is stored, see SettleFlags). WAIT_KILLABLE_RECV
// only means something with a listener, and the kernel rejects it without
// one, so it is dropped for profiles without SCMP_ACT_NOTIFY.
func filterFlags(c *specs.LinuxSeccomp) uint {
	var flags uint
	notify := usesNotify(c)
	for _, f := range c.Flags {
		switch f {
		case specs.LinuxSeccompFlagLog:
			flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case specs.LinuxSeccompFlagWaitKillableRecv:
			if notify {
				flags |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
			}
		case flagTsync:
			// Accepted, nothing to do (see flagTsync).
		}
	}
	if notify {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	return flags
}

// sortedStrings converts a list of string-typed names into a sorted []string.
func sortedStrings[T ~string](in []T) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, string(v))
	}
	slices.Sort(out)
	return out
}
