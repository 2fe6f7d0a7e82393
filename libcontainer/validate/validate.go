// Package validate checks an OCI runtime-spec configuration once, before
// anything is created, so that a bad config.json fails early with an error
// that names the field the user must fix:
//
//	process.args must not be empty
//	linux.namespaces[2].type "foo" is not a namespace
//	mounts[4].destination "proc" must be an absolute path
//
// Checks follow runc 1.4's validator and spec conversion (and reuse its
// wording after the field name where it has one), plus the MUSTs of the
// runtime-spec that runc leaves to fail later, deep inside init.
//
// Only the first problem is reported.
package validate

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SeccompValidate checks linux.seccomp. It is set by the seccomp package
// (which this package must not import); while nil, linux.seccomp is not
// checked here. An error it returns is reported prefixed with
// "linux.seccomp: " unless it already names a linux.seccomp field.
var SeccompValidate func(*specs.LinuxSeccomp) error

// Spec checks an OCI runtime-spec v1.3.0 config for `create`/`run` and
// returns the first problem as an error naming the field to fix.
//
// bundle is the bundle directory: root.path is relative to it unless
// absolute. rootless is true when the runtime runs as a non-root user
// (it then needs a user namespace, and some features are refused).
//
// Spec reads the host where a field refers to it (root.path, namespace
// paths, the current network namespace for net.* sysctls, the cgroup
// mode, whether resctrl is mounted, whether SELinux is enabled), but
// changes nothing. Some things are only warned about, as runc does: a
// relative mounts[].destination (taken as relative to "/"), capabilities
// the kernel does not support (dropped), linux.personality.flags
// (ignored), and uid/gid mappings given together with a user namespace
// path (the joined namespace's mappings win).
func Spec(s *specs.Spec, bundle string, rootless bool) error {
	if s == nil {
		return errors.New("config must not be empty")
	}
	v := &validator{spec: s, bundle: bundle, rootless: rootless}
	checks := []func() error{
		v.version,
		v.root,
		v.namespaces,
		v.rootlessChecks,
		v.idMappings,
		v.process,
		v.uts,
		v.timeOffsets,
		v.sysctl,
		v.mounts,
		v.paths,
		v.devices,
		v.cgroups,
		v.netDevices,
		v.intelRdt,
		v.memoryPolicy,
		v.personality,
		v.seccomp,
		v.hooks,
		v.annotations,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// Process checks a process on its own, as given to `runc exec --process`.
// Field names in errors are prefixed "process.". Checks that need the rest
// of the config (such as whether process.user.uid is mapped in the user
// namespace) are left to the caller.
func Process(p *specs.Process) error {
	return checkProcess(p, nil)
}

// validator carries one Spec call's input and what earlier checks learnt.
type validator struct {
	spec     *specs.Spec
	bundle   string
	rootless bool
}

// linux returns the spec's linux section, or an empty one.
func (v *validator) linux() *specs.Linux {
	if v.spec.Linux == nil {
		return &specs.Linux{}
	}
	return v.spec.Linux
}

// seccomp delegates linux.seccomp to SeccompValidate.
func (v *validator) seccomp() error {
	sc := v.linux().Seccomp
	if sc == nil || SeccompValidate == nil {
		return nil
	}
	if err := SeccompValidate(sc); err != nil {
		if strings.HasPrefix(err.Error(), "linux.seccomp") {
			return err
		}
		return fmt.Errorf("linux.seccomp: %w", err)
	}
	return nil
}

// annotations checks that no annotation key is empty (runtime-spec: keys
// MUST NOT be an empty string).
func (v *validator) annotations() error {
	if _, ok := v.spec.Annotations[""]; ok {
		return errors.New("annotations: a key must not be empty")
	}
	return nil
}

// hasNUL reports whether s holds a NUL byte, which no path, name or
// argument handed to the kernel may contain.
func hasNUL(s string) bool {
	return strings.IndexByte(s, 0) >= 0
}
