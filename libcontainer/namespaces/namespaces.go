// Package namespaces holds what the runtime and runc init both know of the
// namespace types of linux.namespaces: their clone flags, their names in
// /proc/<pid>/ns, whether a config has or makes one, and an open one.
package namespaces

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Flags are the CLONE_NEW* flags of the namespace types.
var Flags = map[specs.LinuxNamespaceType]uint32{
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// ProcNames are the names of the namespaces in /proc/<pid>/ns, which CRIU
// uses too.
var ProcNames = map[specs.LinuxNamespaceType]string{
	specs.NetworkNamespace: "net", specs.PIDNamespace: "pid", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
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
