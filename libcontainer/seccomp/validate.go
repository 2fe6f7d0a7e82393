package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// syscallMaxArgs is the number of syscall arguments seccomp can inspect.
const syscallMaxArgs = 6

// maxRetData is the largest value that fits the 16-bit SECCOMP_RET_DATA
// field carried by SCMP_ACT_TRACE.
const maxRetData = 0xffff

// maxErrno is the largest errno SCMP_ACT_ERRNO may return: libseccomp
// refuses MAX_ERRNO (4095) and above, so larger values would pass
// validation and then fail when the init builds the filter.
const maxErrno = 4094

// Validate checks a linux.seccomp section without loading it. It checks the
// profile itself (known actions, architectures, operators and flags, rule
// shape, listenerPath) and then that this build, libseccomp and the kernel
// can apply it. A nil or empty section (no default action, no rules) means
// "no seccomp" and is valid. Errors name the field to fix, for example
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
func Validate(c *specs.LinuxSeccomp) error {
	if isEmpty(c) {
		return nil
	}
	if err := validateProfile(c); err != nil {
		return err
	}
	return checkSupport(c)
}

// validateProfile holds the checks that depend only on the profile.
func validateProfile(c *specs.LinuxSeccomp) error {
	if isEmpty(c) {
		return nil
	}
	const f = "linux.seccomp"
	if c.DefaultAction == "" {
		return fmt.Errorf("%s.defaultAction: must be set when syscalls are listed", f)
	}
	if !slices.Contains(knownActions, c.DefaultAction) {
		return fmt.Errorf("%s.defaultAction: unknown action %q", f, c.DefaultAction)
	}
	if c.DefaultAction == specs.ActNotify {
		// Every syscall, write(2) included, would wait for an agent that
		// can only be told about the filter through write(2).
		return fmt.Errorf("%s.defaultAction: %s cannot be the default action", f, specs.ActNotify)
	}
	if err := checkErrnoRet(f+".defaultErrnoRet", c.DefaultAction, c.DefaultErrnoRet); err != nil {
		return err
	}
	for i, a := range c.Architectures {
		if !knownArchs.Has(a) {
			return fmt.Errorf("%s.architectures[%d]: unknown architecture %q", f, i, a)
		}
	}
	for i, fl := range c.Flags {
		if !slices.Contains(knownFlags, fl) {
			return fmt.Errorf("%s.flags[%d]: unknown flag %q", f, i, fl)
		}
	}
	for i, s := range c.Syscalls {
		if err := validateSyscall(fmt.Sprintf("%s.syscalls[%d]", f, i), &s); err != nil {
			return err
		}
	}
	// A listenerPath without a rule that notifies is ignored, as runc
	// ignores it: there is no listener to hand over.
	if usesNotify(c) && c.ListenerPath == "" {
		return fmt.Errorf("%s.listenerPath: must be set when a rule uses %s", f, specs.ActNotify)
	}
	return nil
}

// validateSyscall checks one entry of linux.seccomp.syscalls; field is its
// path in the config, for error messages.
func validateSyscall(field string, s *specs.LinuxSyscall) error {
	if len(s.Names) == 0 {
		return fmt.Errorf("%s.names: must not be empty", field)
	}
	for j, name := range s.Names {
		if name == "" {
			return fmt.Errorf("%s.names[%d]: empty syscall name", field, j)
		}
		if s.Action == specs.ActNotify && name == "write" {
			// The runtime hands the notify fd over with write(2) after
			// the filter is loaded; notifying on it would deadlock.
			return fmt.Errorf("%s.names[%d]: %s cannot be used for the write syscall", field, j, specs.ActNotify)
		}
	}
	if s.Action == "" {
		return fmt.Errorf("%s.action: must be set", field)
	}
	if !slices.Contains(knownActions, s.Action) {
		return fmt.Errorf("%s.action: unknown action %q", field, s.Action)
	}
	if err := checkErrnoRet(field+".errnoRet", s.Action, s.ErrnoRet); err != nil {
		return err
	}
	for k, a := range s.Args {
		if a.Index >= syscallMaxArgs {
			return fmt.Errorf("%s.args[%d].index: %d is out of range (syscall arguments are 0 to %d)", field, k, a.Index, syscallMaxArgs-1)
		}
		if a.Op == "" {
			return fmt.Errorf("%s.args[%d].op: must be set", field, k)
		}
		if !slices.Contains(knownOperators, a.Op) {
			return fmt.Errorf("%s.args[%d].op: unknown operator %q", field, k, a.Op)
		}
	}
	return nil
}

// checkErrnoRet checks an errnoRet/defaultErrnoRet field: it only means
// something for SCMP_ACT_ERRNO (an errno, at most 4094) and SCMP_ACT_TRACE
// (any 16-bit value).
func checkErrnoRet(field string, act specs.LinuxSeccompAction, ret *uint) error {
	if ret == nil {
		return nil
	}
	if act != specs.ActErrno && act != specs.ActTrace {
		return fmt.Errorf("%s: only valid with %s or %s, not %s", field, specs.ActErrno, specs.ActTrace, act)
	}
	max := uint(maxRetData)
	if act == specs.ActErrno {
		max = maxErrno
	}
	if *ret > max {
		return fmt.Errorf("%s: %d is out of range (0 to %d)", field, *ret, max)
	}
	return nil
}
