//go:build seccomp

package seccomp

import (
	"errors"
	"fmt"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/table"
)

// What does not need libseccomp: the kernel's answers (seccomp(2) probes)
// and the tables. Both kinds of build have it: the one that links
// libseccomp (seccomp_linux.go) and runc's own, which runs the embedded
// compiler on a cache miss (helper_linux.go).

// Enabled reports whether this binary was built with seccomp support.
const Enabled = true

// Compiled is a compiled profile as the cache keeps it and the embedded
// compiler prints it (JSON): the program (bpf.Encode) and what libseccomp
// left out of it.
type Compiled struct {
	Program  []byte   `json:"program"`
	Warnings []string `json:"warnings,omitempty"`
}

// HelperFeatures is what the embedded compiler's features mode prints:
// what only libseccomp knows.
type HelperFeatures struct {
	Actions []string `json:"actions"`
	Archs   []string `json:"archs"`
}

// littleEndian reports whether a is a little-endian ABI (the
// __AUDIT_ARCH_LE bit of its AUDIT_ARCH_* value).
func littleEndian(a specs.Arch) bool {
	const auditArchLE = 0x40000000
	info, _ := knownArchs.Lookup(a)
	return info.audit&auditArchLE != 0
}

// checkSupport checks that this build and the kernel can apply c: what
// libseccomp decides (checkLibrary), one byte order in the filter, the
// flags by asking the kernel.
func checkSupport(c *specs.LinuxSeccomp) error {
	if err := checkLibrary(c); err != nil {
		return err
	}
	native, err := nativeArch()
	if err != nil {
		return err
	}
	for i, a := range c.Architectures {
		// One filter holds architectures of one byte order (libseccomp
		// refuses the mix when it builds the filter).
		if littleEndian(a) != littleEndian(native) {
			return fmt.Errorf("linux.seccomp.architectures[%d]: %s cannot share a filter with the native %s (different byte order)", i, a, native)
		}
	}
	for i, f := range c.Flags {
		if err := flagSupported(f); err != nil {
			return fmt.Errorf("linux.seccomp.flags[%d]: %s is not supported: %w", i, f, err)
		}
	}
	return nil
}

// goArchs maps Go's architectures to the runtime-spec's: libseccomp's
// native architecture is the one its program was built for, this one's.
var goArchs = table.Table[string, specs.Arch]{
	{"386", specs.ArchX86},
	{"amd64", specs.ArchX86_64},
	{"arm", specs.ArchARM},
	{"arm64", specs.ArchAARCH64},
	{"loong64", specs.ArchLOONGARCH64},
	{"mips", specs.ArchMIPS},
	{"mipsle", specs.ArchMIPSEL},
	{"mips64", specs.ArchMIPS64},
	{"mips64le", specs.ArchMIPSEL64},
	{"ppc64", specs.ArchPPC64},
	{"ppc64le", specs.ArchPPC64LE},
	{"riscv64", specs.ArchRISCV64},
	{"s390x", specs.ArchS390X},
}

// nativeArch returns the runtime-spec name of this program's architecture.
func nativeArch() (specs.Arch, error) {
	if a, ok := goArchs.Lookup(runtime.GOARCH); ok {
		return a, nil
	}
	return "", fmt.Errorf("seccomp: native architecture %s has no runtime-spec name", runtime.GOARCH)
}

// flagSupported returns nil if the kernel accepts flag, the reason otherwise.
func flagSupported(flag specs.LinuxSeccompFlag) error {
	switch flag {
	case flagTsync:
		return nil
	case specs.LinuxSeccompFlagLog:
		return probeFilterFlags(unix.SECCOMP_FILTER_FLAG_LOG)
	case specs.LinuxSeccompFlagSpecAllow:
		return probeFilterFlags(unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW)
	case specs.LinuxSeccompFlagWaitKillableRecv:
		// The kernel only takes it together with a listener.
		return probeFilterFlags(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	}
	return fmt.Errorf("unknown seccomp flag %q", flag)
}

// probeFilterFlags asks the kernel whether it knows flags: seccomp(2) checks
// the flags before it reads the program, so with a NULL program a kernel
// that knows them fails with EFAULT, one that does not with EINVAL.
func probeFilterFlags(flags uint) error {
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), 0)
	switch errno {
	case unix.EFAULT:
		return nil
	case unix.EINVAL:
		return errors.New("the kernel does not know this flag")
	case 0:
		// Cannot happen with a NULL program.
		return errors.New("unexpected success probing seccomp flags")
	}
	return fmt.Errorf("probe seccomp(2) flags %#x: %w", flags, errno)
}

// KnownOperators returns the argument comparison operators (all of them).
func KnownOperators() []string {
	return sortedStrings(knownOperators)
}

// SettleFlags writes runc's default into a profile that does not set
// flags at all (nil, not an empty list): SECCOMP_FILTER_FLAG_SPEC_ALLOW,
// when the kernel supports it. Call it on a config fresh from config.json,
// before it is stored: "flags" is omitempty, so once serialised an empty
// list (no flags, which runc honours) could no longer be told from an
// absent one. Profiles that load nothing are left alone.
func SettleFlags(c *specs.LinuxSeccomp) {
	if isEmpty(c) || c.Flags != nil {
		return
	}
	c.Flags = []specs.LinuxSeccompFlag{}
	if flagSupported(specs.LinuxSeccompFlagSpecAllow) == nil {
		c.Flags = append(c.Flags, specs.LinuxSeccompFlagSpecAllow)
	}
}

// SupportedFlags returns the filter flags this kernel supports.
func SupportedFlags() []string {
	var out []specs.LinuxSeccompFlag
	for _, f := range knownFlags {
		if flagSupported(f) == nil {
			out = append(out, f)
		}
	}
	return sortedStrings(out)
}
