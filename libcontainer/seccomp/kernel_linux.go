//go:build seccomp

package seccomp

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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
	return knownArchs[a].audit&auditArchLE != 0
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
