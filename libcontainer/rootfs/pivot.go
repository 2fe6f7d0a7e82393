package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// openProcSelf opens /proc/thread-self/<name> for reading, through the
// private procfs handle. The closer must be called after f.Close.
func (s *setup) openProcSelf(name string) (*os.File, procfs.ProcThreadSelfCloser, error) {
	h, closer, err := s.proc.OpenThreadSelf(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open /proc/thread-self/%s: %w", name, err)
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		closer()
		return nil, nil, fmt.Errorf("open /proc/thread-self/%s: %w", name, err)
	}
	return f, closer, nil
}

// makePrivateIfShared makes the mount f is on private (not recursively)
// if it is shared.
func (s *setup) makePrivateIfShared(f *os.File) error {
	m, err := s.mountOf(f)
	if err != nil {
		return err
	}
	if !m.shared {
		return nil
	}
	if err := unix.Mount("", m.mountpoint, "", unix.MS_PRIVATE, ""); err != nil {
		return &os.PathError{Op: "make private", Path: m.mountpoint, Err: err}
	}
	return nil
}

// prepareRoot sets the propagation of "/", then bind-mounts the rootfs on
// itself (recursively) so that it is a mount point we can pivot into, and
// returns the handle of that new mount's root.
//
// "/" becomes rslave by default (host mounts still propagate in, nothing
// propagates out), or gets linux.rootfsPropagation. An unbindable value is
// applied only after the pivot: an unbindable "/" could not be bound. The
// mount the rootfs directory is on is made private first, so the bind does
// not propagate to the host and pivot_root(2) accepts it.
func (s *setup) prepareRoot() (*root, error) {
	flags := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if s.propagation != 0 && s.propagation&unix.MS_UNBINDABLE == 0 {
		flags = s.propagation
	}
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return nil, fmt.Errorf("set propagation of / to %s: %w", propagationName(flags), err)
	}
	rootfsPath := s.c.Spec.Root.Path
	fd, err := unix.Open(rootfsPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root.path: %w", &os.PathError{Op: "open", Path: rootfsPath, Err: err})
	}
	dir := os.NewFile(uintptr(fd), rootfsPath)
	defer dir.Close()
	if err := s.makePrivateIfShared(dir); err != nil {
		return nil, fmt.Errorf("make the mount of root.path private: %w", err)
	}
	tree, err := mountfd.Clone(fd, "", true)
	if err != nil {
		return nil, fmt.Errorf("bind root.path onto itself: %w", err)
	}
	if err := mountfd.Attach(tree, dir); err != nil {
		tree.Close()
		return nil, fmt.Errorf("bind root.path onto itself: %w", err)
	}
	r, err := s.openRoot(tree)
	if err != nil {
		tree.Close()
		return nil, err
	}
	return r, nil
}

// pivotRoot makes r the root with pivot_root(".", ".") (the old root ends
// up stacked under the new one, so no directory is needed in the rootfs),
// then detaches the old root.
func (s *setup) pivotRoot(r *root) error {
	oldFd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	oldRoot := os.NewFile(uintptr(oldFd), "/")
	defer oldRoot.Close()
	// pivot_root(2) refuses a shared current root; it is detached just
	// below, so its propagation no longer matters.
	if err := s.makePrivateIfShared(oldRoot); err != nil {
		return err
	}
	if err := unix.Fchdir(int(r.f.Fd())); err != nil {
		return &os.PathError{Op: "fchdir", Path: r.path, Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return &os.PathError{Op: "pivot_root", Path: r.path, Err: err}
	}
	if err := unix.Fchdir(oldFd); err != nil {
		return &os.PathError{Op: "fchdir", Path: "old root", Err: err}
	}
	// Slave, so that the unmount does not propagate to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "make old root rslave", Path: ".", Err: err}
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "unmount old root", Path: ".", Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// moveRoot is --no-pivot: the rootfs mount is moved on top of "/" and the
// process chroots into it. The host's procfs and sysfs mounts stay in the
// mount namespace underneath; so that they do not let the container mount
// a new procfs (the kernel allows that only when a fully visible one
// exists), they are unmounted first, or covered with a tmpfs where they
// cannot be (locked in a user namespace).
func (s *setup) moveRoot(r *root) error {
	if err := s.hideHostProcSys(r); err != nil {
		return err
	}
	if err := unix.Fchdir(int(r.f.Fd())); err != nil {
		return &os.PathError{Op: "fchdir", Path: r.path, Err: err}
	}
	oldFd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	oldRoot := os.NewFile(uintptr(oldFd), "/")
	defer oldRoot.Close()
	// A move onto a shared "/" would propagate the rootfs to its peers.
	if err := s.makePrivateIfShared(oldRoot); err != nil {
		return err
	}
	if err := mountfd.Attach(r.f, oldRoot); err != nil {
		return fmt.Errorf("move rootfs %s onto /: %w", r.path, err)
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: r.path, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// hideHostProcSys unmounts (or covers) every full procfs and sysfs mount
// outside the rootfs.
func (s *setup) hideHostProcSys(r *root) error {
	mounts, err := s.mountInfo(fsTypeIs("proc", "sysfs"))
	if err != nil {
		return err
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		m := mounts[i]
		if m.Root != "/" || (m.FSType != "proc" && m.FSType != "sysfs") ||
			m.Mountpoint == r.path || strings.HasPrefix(m.Mountpoint, r.path+"/") {
			continue
		}
		err := unix.Mount("", m.Mountpoint, "", unix.MS_SLAVE|unix.MS_REC, "")
		if errors.Is(err, unix.ENOENT) {
			continue // under something already unmounted
		}
		if err != nil {
			return &os.PathError{Op: "make rslave", Path: m.Mountpoint, Err: err}
		}
		err = unix.Unmount(m.Mountpoint, unix.MNT_DETACH)
		if err == nil {
			continue
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
			return &os.PathError{Op: "unmount", Path: m.Mountpoint, Err: err}
		}
		if err := coverWithTmpfs(m.Mountpoint); err != nil {
			return err
		}
	}
	return nil
}

// coverWithTmpfs mounts an empty read-only tmpfs on a host path.
func coverWithTmpfs(p string) error {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: p, Err: err}
	}
	dst := os.NewFile(uintptr(fd), p)
	defer dst.Close()
	mnt, err := mountfd.New("tmpfs", "tmpfs", []mountfd.Param{mountfd.Flag("ro")},
		unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return fmt.Errorf("cover %s: %w", p, err)
	}
	defer mnt.Close()
	if err := mountfd.Attach(mnt, dst); err != nil {
		return fmt.Errorf("cover %s: %w", p, err)
	}
	return nil
}
