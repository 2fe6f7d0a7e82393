package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// Bind sources opened by the runtime on the host, for the init to attach
// (Config.BindSource):
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
//
// The init asks for each when it reaches it, and the runtime opens it then,
// from a thread in the container's mount namespace (OpenSource): mounts
// apply in order, so a source under an earlier mount is found there, and
// the source is cloned from the namespace's copy of the host's mounts,
// whose flags the kernel locked (MNT_LOCK_*) for the less privileged user
// namespace. A clone of the host's own mount would lose those locks: an
// "implied rw" bind of a read-only source would come out writable.

// BindSourceIndices lists by index the mounts of spec whose source the
// runtime opens (see OpenSource): the id-mapped ones, and with all every
// other bind mount but remounts (whose source is not used) and sources the
// host would reach through the rootfs, which the init resolves itself as
// without a user namespace (and finds under the spec's earlier mounts).
// Relative sources are taken from bundle, as the init does.
func BindSourceIndices(spec *specs.Spec, all bool, bundle string) (idx []int) {
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
				return idx // the init reports it
			}
		}
		f, inRoot, _, err := walkSource(sourcePath(m, bundle), rootfs)
		if err != nil {
			continue // the init reports it
		}
		f.Close()
		if !inRoot {
			idx = append(idx, i)
		}
	}
	return idx
}

// sourcePath is the bind source of m as an absolute path (a relative one
// is taken from bundle).
func sourcePath(m *specs.Mount, bundle string) string {
	if filepath.IsAbs(m.Source) {
		return m.Source
	}
	return filepath.Join(bundle, m.Source)
}

// walkSource opens the absolute path src (O_PATH), one component at a
// time from the previous one's fd, each symlink's target walked the same
// way. If the walk reaches the directory rootfs (whose content, symlinks
// included, is the container's: the runtime, root on the host, must not
// follow them), it stops there: it returns the rootfs's handle, inRoot set
// and the rest of the path, to resolve inside the rootfs. The handle pins
// what was checked: nothing is looked up by path again.
func walkSource(src string, rootfs *unix.Stat_t) (f *os.File, inRoot bool, rest string, _ error) {
	// open opens name from dir and tells whether it is rootfs.
	open := func(dir int, name string) (int, *unix.Stat_t, bool, error) {
		fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, nil, false, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, nil, false, err
		}
		return fd, &st, st.Dev == rootfs.Dev && st.Ino == rootfs.Ino, nil
	}
	fail := func(op, p string, err error) (*os.File, bool, string, error) {
		return nil, false, "", &os.PathError{Op: op, Path: p, Err: err}
	}
	dir, _, isRoot, err := open(unix.AT_FDCWD, "/")
	if err != nil {
		return fail("open", "/", err)
	}
	walked := "/"
	comps, links := strings.Split(src, "/"), 0
	for ; len(comps) > 0 && !isRoot; comps = comps[1:] {
		c := comps[0]
		if c == "" || c == "." {
			continue
		}
		fd, st, root, err := open(dir, c)
		if err != nil {
			unix.Close(dir)
			return fail("open", filepath.Join(walked, c), err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			unix.Close(dir)
			dir, isRoot = fd, root
			walked = filepath.Join(walked, c)
			continue
		}
		target, err := readlinkFd(fd)
		unix.Close(fd)
		if err == nil && links >= 40 {
			err = unix.ELOOP
		}
		if err != nil {
			unix.Close(dir)
			return fail("readlink", filepath.Join(walked, c), err)
		}
		links++
		// The target is walked from dir, or from / if absolute.
		if filepath.IsAbs(target) {
			unix.Close(dir)
			if dir, _, isRoot, err = open(unix.AT_FDCWD, "/"); err != nil {
				return fail("open", "/", err)
			}
			walked = "/"
		}
		comps = append(append([]string{""}, strings.Split(target, "/")...), comps[1:]...)
	}
	return os.NewFile(uintptr(dir), walked), isRoot, strings.Join(comps, "/"), nil
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

// OpenSource returns a detached copy of the bind source of the mount at
// index i of spec (with its submounts for rbind), id-mapped through the
// user namespace userns if the mount is id-mapped. The source is resolved
// on the host as walkSource does, the part of it inside the rootfs
// resolved inside the rootfs (symlinks cannot lead out of it). Called by
// the runtime from a thread in the container's mount namespace, once the
// init has made the mounts before this one (see BindSourceIndices).
func OpenSource(spec *specs.Spec, i int, bundle string, userns *os.File) (*os.File, error) {
	m := &spec.Mounts[i]
	o := parseMountOptions(m.Options)
	var rootfs unix.Stat_t
	if err := unix.Stat(spec.Root.Path, &rootfs); err != nil {
		return nil, &os.PathError{Op: "stat", Path: spec.Root.Path, Err: err}
	}
	src, inRoot, rest, err := walkSource(sourcePath(m, bundle), &rootfs)
	if err != nil {
		return nil, err
	}
	if inRoot {
		root := src
		src, err = pathrs.OpenatInRoot(root, "/"+rest)
		root.Close()
		if err != nil {
			return nil, err
		}
	}
	mnt, err := mountfd.Clone(int(src.Fd()), "", o.isRecursive())
	src.Close()
	if err != nil || !IsIDMapped(m) {
		return mnt, err
	}
	if userns == nil {
		mnt.Close()
		return nil, errors.New("no user namespace for the id-mapped mount")
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := mountfd.SetAttr(mnt, o.ridmap, attr); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			var st unix.Statfs_t
			if unix.Fstatfs(int(mnt.Fd()), &st) == nil {
				err = fmt.Errorf("%w (does the filesystem at %s, type %#x, support id-mapped mounts?)", err, m.Source, st.Type)
			}
		}
		mnt.Close()
		return nil, fmt.Errorf("id-map %s: %w", m.Source, err)
	}
	return mnt, nil
}

// IsIDMapped reports whether the spec mount m is id-mapped.
func IsIDMapped(m *specs.Mount) bool {
	if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
		return true
	}
	return parseMountOptions(m.Options).idmap
}

// SourceError is the error for a bind source of the mount at index i that
// could not be opened.
func SourceError(i int, m *specs.Mount, err error) error {
	return newEntry(i, m).fail("open source", err)
}

// bindIDMapped attaches the id-mapped mount the runtime prepared for e.
func (s *setup) bindIDMapped(e *entry) error {
	if !e.opts.isBind() {
		return e.fail("check options", errors.New("id-mapped mounts are only supported for bind mounts"))
	}
	src, err := s.runtimeSource(e)
	if err != nil {
		return e.fail("open source", err)
	}
	if src == nil {
		return e.fail("check options", errors.New("id-mapped mount was not prepared by the runtime"))
	}
	defer src.Close()
	return s.bindFrom(e, src)
}

// runtimeSource asks the runtime for the bind source of e, if it is one
// the runtime opens; it returns nil otherwise.
func (s *setup) runtimeSource(e *entry) (*os.File, error) {
	if s.c.BindSource == nil {
		return nil, nil
	}
	return s.c.BindSource(e.index)
}
