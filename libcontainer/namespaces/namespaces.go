// Package namespaces holds what the runtime and runc init both know of the
// namespace types of linux.namespaces: their clone flags, their names in
// /proc/<pid>/ns, whether a config has or makes one, and an open one.
package namespaces

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// types are the namespace types with their CLONE_NEW* flags and their
// names in /proc/<pid>/ns (which CRIU uses too): a table, not maps, so
// that the package has no initialiser for every runc and runc init start
// to run.
var types = [...]struct {
	t    specs.LinuxNamespaceType
	flag uint32
	proc string
}{
	{specs.UserNamespace, unix.CLONE_NEWUSER, "user"},
	{specs.MountNamespace, unix.CLONE_NEWNS, "mnt"},
	{specs.PIDNamespace, unix.CLONE_NEWPID, "pid"},
	{specs.NetworkNamespace, unix.CLONE_NEWNET, "net"},
	{specs.IPCNamespace, unix.CLONE_NEWIPC, "ipc"},
	{specs.UTSNamespace, unix.CLONE_NEWUTS, "uts"},
	{specs.CgroupNamespace, unix.CLONE_NEWCGROUP, "cgroup"},
	{specs.TimeNamespace, unix.CLONE_NEWTIME, "time"},
}

// Types are the namespace types runc knows.
func Types() []specs.LinuxNamespaceType {
	out := make([]specs.LinuxNamespaceType, len(types))
	for i, e := range types {
		out[i] = e.t
	}
	return out
}

// Flag is the CLONE_NEW* flag of t, 0 for an unknown type.
func Flag(t specs.LinuxNamespaceType) uint32 {
	for _, e := range types {
		if e.t == t {
			return e.flag
		}
	}
	return 0
}

// ProcName is the name of t in /proc/<pid>/ns, "" for an unknown type.
func ProcName(t specs.LinuxNamespaceType) string {
	for _, e := range types {
		if e.t == t {
			return e.proc
		}
	}
	return ""
}

// Has reports whether the container of s is in a namespace of type t of
// its own: one it makes, or one it joins by path.
func Has(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// IsNew reports whether the container of s makes a new namespace of type
// t (one without a path).
func IsNew(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

// File is an open namespace: its CLONE_NEW* type and its nsfs file.
type File struct {
	Type uint32
	*os.File
}
