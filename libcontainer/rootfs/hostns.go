package rootfs

// A container without a mount namespace of its own works in the runtime's
// (the host's) mount namespace, as runc runs it: the rootfs is bound onto
// itself there and made a slave, the spec's mounts go below that bind, and
// the init chroots into it (pivot_root needs a mount namespace of its own).
// Unlike runc, nothing of the host's is changed on the way ("/" and the
// mount root.path is on keep their propagation; --no-pivot never moves the
// rootfs onto the host's "/"), and the bind, with every mount below it, is
// taken away again when the set-up fails (here) or the container is
// deleted (UnmountHostRoot).

import (
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// prepareHostRoot binds root.path onto itself, recursively, in the host's
// mount namespace, and makes the bind rslave: the container's mounts below
// it stay there (nothing propagates out of a slave), while what the host
// mounts below root.path still propagates in. It returns the handle of the
// bind's root.
func (s *setup) prepareHostRoot() (*root, error) {
	rootfsPath := s.c.Spec.Root.Path
	fd, err := unix.Open(rootfsPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root.path: %w", &os.PathError{Op: "open", Path: rootfsPath, Err: err})
	}
	dir := os.NewFile(uintptr(fd), rootfsPath)
	defer dir.Close()
	tree, err := mountfd.Clone(fd, "", true)
	if err != nil {
		return nil, fmt.Errorf("bind root.path onto itself: %w", err)
	}
	if err := mountfd.Attach(tree, dir); err != nil {
		tree.Close()
		return nil, fmt.Errorf("bind root.path onto itself: %w", err)
	}
	r := &root{f: tree, path: rootfsPath, fds: s.fds}
	if err := setPropagation(tree, unix.MS_SLAVE|unix.MS_REC); err != nil {
		r.detach()
		return nil, fmt.Errorf("make the bind of root.path rslave: %w", err)
	}
	if r.path, err = r.fdPath(tree); err != nil {
		r.detach()
		return nil, err
	}
	return r, nil
}

// detach unmounts the bind r holds (and every mount below it) and closes
// it: the host's mount table is as it was.
func (r *root) detach() {
	if err := mountfd.Detach(r.f); err != nil {
		logrus.Warnf("unmount the bind of the rootfs at %s: %v", r.path, err)
	}
	r.f.Close()
}

// chrootRoot makes r the process's root with chroot(2).
func chrootRoot(r *root) error {
	if err := unix.Fchdir(int(r.f.Fd())); err != nil {
		return &os.PathError{Op: "fchdir", Path: r.path, Err: err}
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: r.path, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// DetachOwnRoot unmounts the process's root, the bind Prepare made in the
// host's mount namespace, with every mount below it: the init calls it
// when the container fails to start after Prepare.
func DetachOwnRoot() error {
	if err := unix.Unmount("/", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount the rootfs bind: %w", err)
	}
	return nil
}

// RootMountID returns the unique mount ID (statx STATX_MNT_ID_UNIQUE,
// Linux 6.8) of the mount whose root dir is, or 0 if the kernel gives none.
func RootMountID(dir *os.File) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(int(dir.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID_UNIQUE, &st); err != nil {
		return 0, &os.PathError{Op: "statx", Path: dir.Name(), Err: err}
	}
	if st.Mask&unix.STATX_MNT_ID_UNIQUE == 0 {
		return 0, nil
	}
	return st.Mnt_id, nil
}

// UnmountHostRoot unmounts, with every mount below it, the bind of a
// container without a mount namespace (see prepareHostRoot), if what is
// mounted at path is still that mount (unique mount ID id): not a mount
// made over it since, nor what a runtime in another mount namespace sees.
func UnmountHostRoot(path string, id uint64) error {
	if id == 0 {
		return nil
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	got, err := RootMountID(f)
	if err != nil || got != id {
		logrus.Debugf("rootfs %s: not the container's bind (mount %d, want %d): left alone", path, got, id)
		return err
	}
	logrus.Debugf("unmounting the rootfs bind at %s", path)
	if err := mountfd.Detach(f); err != nil {
		return fmt.Errorf("unmount the rootfs bind at %s: %w", path, err)
	}
	return nil
}
