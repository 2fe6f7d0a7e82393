package rootfs

import (
	"errors"
	"path"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// hostCgroupfs is where the host's cgroup filesystems are mounted.
const hostCgroupfs = "/sys/fs/cgroup"

// inheritedCgroupfs is a place in the container where a recursive bind
// (of /sys, say) brought in the host's cgroup mounts without the spec
// asking for cgroups there.
type inheritedCgroupfs struct {
	index int    // the spec mount that brought it in
	path  string // where it is, inside the container
}

// cgroupfsBelow returns the path of /sys/fs/cgroup relative to a bind
// source that contains it ("fs/cgroup" for /sys), or false when the
// source does not contain it. The source is resolved on the host, where
// the bind is taken from.
func cgroupfsBelow(source string) (string, bool) {
	src, err := filepath.EvalSymlinks(source)
	if err != nil {
		return "", false
	}
	src = filepath.Clean(src)
	switch {
	case src == "/":
		return strings.TrimPrefix(hostCgroupfs, "/"), true
	case strings.HasPrefix(hostCgroupfs, src+"/"):
		return hostCgroupfs[len(src)+1:], true
	}
	return "", false
}

// noteInheritedCgroupfs records that entry e, a recursive copy of the
// host tree at source attached at dest (inside the container), holds the
// host's cgroup mounts, if it does and the container has its own user
// namespace.
func (s *setup) noteInheritedCgroupfs(e *entry, source, dest string) {
	if !s.c.InUserNS {
		return
	}
	if rel, ok := cgroupfsBelow(source); ok {
		s.inheritedCgroupfs = append(s.inheritedCgroupfs, inheritedCgroupfs{index: e.index, path: path.Join(dest, rel)})
	}
}

// protectInheritedCgroupfs makes read-only, recursively, the host cgroup
// mounts that a recursive bind brought into a container with its own user
// namespace (CVE-2023-25809, docs/security.md rule 9): "rbind,ro" on /sys (runc
// spec --rootless, or the sysfs fallback) sets ro on /sys alone, and the
// rootless user's own cgroups below would stay writable. A later spec
// mount on the same destination (the usual cgroup mount) covers the
// inherited tree and is left as the spec says.
func (s *setup) protectInheritedCgroupfs(entries []*entry) error {
	for _, ic := range s.inheritedCgroupfs {
		covered := false
		for _, e := range entries[ic.index+1:] {
			if e.dest == ic.path {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		if err := s.readonlyTree(ic.path); err != nil {
			return entries[ic.index].fail("make the host's cgroup mounts at "+ic.path+" read-only", err)
		}
	}
	return nil
}

// readonlyTree sets the read-only flag on the mount at p and every mount
// below it. If p is not the root of a mount, a read-only recursive copy of
// it is mounted over it instead. A path that does not exist is skipped.
func (s *setup) readonlyTree(p string) error {
	f, err := s.root.open(p)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	err = mountfd.SetAttr(f, true, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if errors.Is(err, unix.EINVAL) {
		logrus.Debugf("%s is not a mount point: covering it with a read-only copy", p)
		return s.readonlyPath(p)
	}
	return err
}
