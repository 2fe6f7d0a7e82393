package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Bind sources opened by the runtime on the host, for the init to attach
// (Config.BindSources):
//   - id-mapped mounts (the "idmap" and "ridmap" options, or a mount's own
//     uidMappings and gidMappings), bind mounts whose files show their
//     owners through a user namespace's mapping. Only the runtime on the
//     host may make them (mount_setattr(MOUNT_ATTR_IDMAP) needs
//     CAP_SYS_ADMIN over the source's filesystem), and only on a detached
//     mount;
//   - with a privileged runtime, every bind mount of a container in a user
//     namespace: the init, root only in that namespace, may not be able to
//     reach the source (a directory of mode 0700 on the way, such as
//     runc's own state directory for the NOTIFY_SOCKET bind), as runc and
//     crun do.

// BindSourceIndices lists by index the mounts of spec whose source the
// runtime opens on the host: the id-mapped ones, and with all every other
// bind mount but remounts (whose source is not used) and sources the host
// would reach through the rootfs, which the init resolves itself as
// without a user namespace (and finds under the spec's earlier mounts).
// host holds, for those other binds, an O_PATH handle of the source as
// resolved on the host (relative sources are taken from bundle, as the
// init does); the caller closes them.
func BindSourceIndices(spec *specs.Spec, all bool, bundle string) (idx []int, host map[int]*os.File) {
	var rootfs *unix.Stat_t
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if IsIDMapped(m) {
			idx = append(idx, i)
			continue
		}
		e := newEntry(i, m)
		if !all || !e.opts.isBind() || e.opts.flags&unix.MS_REMOUNT != 0 || spec.Root == nil {
			continue
		}
		if rootfs == nil {
			rootfs = new(unix.Stat_t)
			if err := unix.Stat(spec.Root.Path, rootfs); err != nil {
				return idx, host // the init reports it
			}
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		if f := openOutside(src, rootfs); f != nil {
			if host == nil {
				host = map[int]*os.File{}
			}
			idx = append(idx, i)
			host[i] = f
		}
	}
	return idx, host
}

// openOutside opens the absolute path src on the host (O_PATH), one
// component at a time from the previous one's fd, each symlink's target
// walked the same way; it returns nil if the walk would go through the
// directory rootfs (whose content, symlinks included, is the container's:
// the runtime, root on the host, must not follow them), or fails. The
// handle pins what was checked: nothing is looked up by path again.
func openOutside(src string, rootfs *unix.Stat_t) *os.File {
	// open opens name from dir and checks that it is not rootfs.
	open := func(dir int, name string) (int, *unix.Stat_t, bool) {
		fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, nil, false
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Dev == rootfs.Dev && st.Ino == rootfs.Ino {
			unix.Close(fd)
			return -1, nil, false
		}
		return fd, &st, true
	}
	dir, _, ok := open(unix.AT_FDCWD, "/")
	rest, links := strings.Split(src, "/"), 0
	for ok && len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		fd, st, found := open(dir, c)
		if found && st.Mode&unix.S_IFMT != unix.S_IFLNK {
			unix.Close(dir)
			dir = fd
			continue
		}
		var target string
		var err error
		if found {
			target, err = readlinkFd(fd)
			unix.Close(fd)
		}
		if links++; !found || err != nil || links > 40 {
			unix.Close(dir)
			return nil
		}
		// The target is walked from dir, or from / if absolute.
		if filepath.IsAbs(target) {
			unix.Close(dir)
			dir, _, ok = open(unix.AT_FDCWD, "/")
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	if !ok {
		return nil
	}
	return os.NewFile(uintptr(dir), src)
}

// readlinkFd reads the target of the symlink fd (opened O_PATH|O_NOFOLLOW).
func readlinkFd(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// OpenBindSource returns a detached copy of the bind source of m, which
// src holds (see BindSourceIndices), with its submounts for rbind.
func OpenBindSource(m *specs.Mount, src *os.File) (*os.File, error) {
	o := parseMountOptions(m.Options)
	return cloneTree(int(src.Fd()), "", o.isRecursive())
}

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
	src := s.c.BindSources[e.index]
	if src == nil {
		return e.fail("check options", errors.New("id-mapped mount was not prepared by the runtime"))
	}
	if !e.opts.isBind() {
		return e.fail("check options", errors.New("id-mapped mounts are only supported for bind mounts"))
	}
	return s.bindFrom(e, src)
}
