package rootfs

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Id-mapped mounts (the "idmap" and "ridmap" options, or a mount's own
// uidMappings and gidMappings) are bind mounts whose files show their
// owners through a user namespace's mapping. Only the runtime on the host
// may make them (mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN over
// the source's filesystem), and only on a detached mount: the runtime
// calls OpenIDMapped for each such mount and hands the results to the
// init in Config.IDMapped, where they are attached like any bind.

// IsIDMapped reports whether the spec mount m is id-mapped.
func IsIDMapped(m *specs.Mount) bool {
	if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
		return true
	}
	return parseMountOptions(m.Options).idmap
}

// OpenIDMapped returns a detached copy of the bind source of m (with its
// submounts for rbind) whose ids are mapped through the user namespace
// userns: the top mount only for "idmap", every mount of the copy for
// "ridmap". The source is resolved like a bind source (relative to the
// caller's working directory, the bundle).
func OpenIDMapped(m *specs.Mount, userns *os.File) (*os.File, error) {
	o := parseMountOptions(m.Options)
	mnt, err := cloneTree(unix.AT_FDCWD, m.Source, o.isRecursive())
	if err != nil {
		return nil, err
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := setAttr(mnt, o.ridmap, attr); err != nil {
		mnt.Close()
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			var st unix.Statfs_t
			if unix.Fstatfs(int(mnt.Fd()), &st) == nil {
				err = fmt.Errorf("%w (does the filesystem at %s, type %#x, support id-mapped mounts?)", err, m.Source, st.Type)
			}
		}
		return nil, fmt.Errorf("id-map %s: %w", m.Source, err)
	}
	return mnt, nil
}

// bindIDMapped attaches the id-mapped mount the runtime prepared for e.
func (s *setup) bindIDMapped(e *entry) error {
	src := s.c.IDMapped[e.index]
	if src == nil {
		return e.fail("check options", errors.New("id-mapped mount was not prepared by the runtime"))
	}
	if !e.opts.isBind() {
		return e.fail("check options", errors.New("id-mapped mounts are only supported for bind mounts"))
	}
	return s.bindFrom(e, src)
}
