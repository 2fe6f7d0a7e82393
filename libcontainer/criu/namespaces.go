package criu

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// externalKey is the key an external namespace is recorded under in the
// images (as runc names it, so images move between the two runtimes).
func externalKey(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.NetworkNamespace:
		return "extRootNetNS"
	case specs.PIDNamespace:
		return "extRootPidNS"
	}
	return ""
}

// externalVersion is the CRIU version that handles an external namespace
// of type t.
func externalVersion(t specs.LinuxNamespaceType) int {
	if t == specs.PIDNamespace {
		return VersionExtPidNS
	}
	return VersionExtNetNS
}

// dumpNamespaces marks the network and pid namespaces the container joined
// (linux.namespaces[].path) as external: CRIU leaves them alone and
// expects them to exist on restore.
func (c *Criu) dumpNamespaces(r *rpc.CriuOpts, spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	for i, ns := range spec.Linux.Namespaces {
		key := externalKey(ns.Type)
		if ns.Path == "" || key == "" {
			continue
		}
		field := fmt.Sprintf("linux.namespaces[%d] (%s, path %s)", i, ns.Type, ns.Path)
		if err := c.Require(externalVersion(ns.Type), field); err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Stat(ns.Path, &st); err != nil {
			return fmt.Errorf("%s: %w", field, &os.PathError{Op: "stat", Path: ns.Path, Err: err})
		}
		r.External = append(r.External, fmt.Sprintf("%s[%d]:%s", namespaces.ProcName(ns.Type), st.Ino, key))
	}
	return nil
}

// restoreNamespaces makes the restored container join the namespaces its
// config names by path: the network and pid ones are handed to CRIU as
// the external namespaces of the dump (opened, appended to extra, which
// become criu's fds from FirstExtraFd on), the others are joined with
// --join-ns. CRIU cannot join a cgroup namespace.
func (c *Criu) restoreNamespaces(r *rpc.CriuOpts, spec *specs.Spec, extra *[]*os.File) error {
	if spec.Linux == nil {
		return nil
	}
	for i, ns := range spec.Linux.Namespaces {
		if ns.Path == "" {
			continue
		}
		field := fmt.Sprintf("linux.namespaces[%d] (%s, path %s)", i, ns.Type, ns.Path)
		if key := externalKey(ns.Type); key != "" {
			if err := c.Require(externalVersion(ns.Type), field); err != nil {
				return err
			}
			f, err := os.OpenFile(ns.Path, os.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("%s: the namespace must exist to restore into it: %w", field, err)
			}
			r.InheritFd = append(r.InheritFd, &rpc.InheritFd{
				Key: key,
				Fd:  int32(FirstExtraFd + len(*extra)),
			})
			*extra = append(*extra, f)
			continue
		}
		if ns.Type == specs.CgroupNamespace {
			return fmt.Errorf("%s: criu cannot restore into an existing cgroup namespace", field)
		}
		name := namespaces.ProcName(ns.Type)
		if name == "" {
			return fmt.Errorf("%s: unknown namespace type", field)
		}
		r.JoinNs = append(r.JoinNs, &rpc.JoinNamespace{Ns: name, NsFile: ns.Path})
	}
	return nil
}
