package rootfs

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// hasMaskedPaths reports whether the spec has linux.maskedPaths.
func hasMaskedPaths(spec *specs.Spec) bool {
	return spec.Linux != nil && len(spec.Linux.MaskedPaths) > 0
}

// verifyNull checks that f is the null device, char 1:3 (CVE-2025-31133:
// a container could replace /dev/null with a symlink or another file, and
// masking would then bind that file over /proc paths).
func verifyNull(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		return fmt.Errorf("%s is not the null device (char 1:3)", f.Name())
	}
	return nil
}

// openNullClone clones the null device f, once verified.
func openNullClone(f *os.File) (*os.File, error) {
	if err := verifyNull(f); err != nil {
		return nil, err
	}
	return mountfd.Clone(int(f.Fd()), "", false)
}

// hostNull returns a detached mount of the host's /dev/null.
func hostNull() (*os.File, error) {
	fd, err := unix.Open("/dev/null", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/dev/null", Err: err}
	}
	f := os.NewFile(uintptr(fd), "/dev/null")
	defer f.Close()
	return openNullClone(f)
}

// nullSource returns the mount of /dev/null used to mask files: the
// container's own /dev/null, opened without following symlinks and checked
// to be the null device, or, if it is not, the host's one that Prepare
// took. Without the latter, a bad /dev/null is an error.
func (s *setup) nullSource() (*os.File, error) {
	mnt, err := s.containerNull()
	if err == nil {
		return mnt, nil
	}
	if s.c.nullMount == nil {
		return nil, fmt.Errorf("no null device to mask files with: %w", err)
	}
	logrus.Debugf("masking files with the host's /dev/null: %v", err)
	mnt, s.c.nullMount = s.c.nullMount, nil
	return mnt, nil
}

// containerNull clones the container's /dev/null once verified.
func (s *setup) containerNull() (*os.File, error) {
	f, err := s.root.openNoFollow("/dev/null")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := s.root.pathOf(f)
	if err != nil {
		return nil, err
	}
	if p != "/dev/null" {
		return nil, fmt.Errorf("/dev/null resolves to %s", p)
	}
	return openNullClone(f)
}

// maskPaths hides each of linux.maskedPaths: a directory is covered by a
// read-only empty tmpfs (one tmpfs, bind-mounted on every masked
// directory), anything else by the null device. The masked path itself is
// not followed if it is a symlink (the symlink is covered); paths that do
// not exist are skipped.
func (s *setup) maskPaths(paths []string) error {
	var nullMnt, dirMnt *os.File
	defer func() {
		if nullMnt != nil {
			nullMnt.Close()
		}
		if dirMnt != nil {
			dirMnt.Close()
		}
	}()
	seen := map[string]bool{}
	for i, p := range paths {
		p = cleanPath(p)
		if seen[p] {
			continue
		}
		seen[p] = true
		fail := func(err error) error {
			return fmt.Errorf("linux.maskedPaths[%d] (%s): %w", i, p, err)
		}
		if p == "/" {
			return fail(errors.New("cannot mask the root directory"))
		}
		f, err := s.root.openNoFollow(p)
		if isNotExist(err) {
			continue
		}
		if err != nil {
			return fail(err)
		}
		err = s.maskOne(f, &nullMnt, &dirMnt)
		f.Close()
		if err != nil {
			return fail(err)
		}
	}
	return nil
}

// maskOne covers f with the shared directory mask or the null device,
// creating (or cloning) the mount it uses.
func (s *setup) maskOne(f *os.File, nullMnt, dirMnt **os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	shared, create := nullMnt, s.nullSource
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		shared, create = dirMnt, s.maskTmpfs
	}
	if *shared == nil {
		mnt, err := create()
		if err != nil {
			return err
		}
		if err := mountfd.Attach(mnt, f); err != nil {
			mnt.Close()
			return err
		}
		// Attached now: later masks are clones of it.
		*shared = mnt
		return nil
	}
	mnt, err := mountfd.Clone(int((*shared).Fd()), "", false)
	if err != nil {
		return err
	}
	defer mnt.Close()
	return mountfd.Attach(mnt, f)
}

// maskTmpfs makes the empty read-only tmpfs that covers masked
// directories.
func (s *setup) maskTmpfs() (*os.File, error) {
	params := []mountfd.Param{mountfd.Flag("ro"), mountfd.Set("mode", "0755")}
	if s.c.MountLabel != "" {
		params = append(params, mountfd.Set("context", s.c.MountLabel))
	}
	return mountfd.New("tmpfs", "tmpfs", params,
		unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
}

// readonlyPath makes p read-only: a recursive bind of p onto itself with
// the read-only flag set on every mount of the copy (its other flags
// kept). A path that does not exist is skipped.
func (s *setup) readonlyPath(p string) error {
	f, err := s.root.open(p)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	mnt, err := mountfd.Clone(int(f.Fd()), "", true)
	if err != nil {
		return err
	}
	defer mnt.Close()
	if err := mountfd.SetAttr(mnt, true, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
		return err
	}
	return mountfd.Attach(mnt, f)
}

// remountReadonly sets the read-only flag of the mount at p.
func (s *setup) remountReadonly(p string) error {
	f, err := s.root.open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return mountfd.SetAttr(f, false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
}
