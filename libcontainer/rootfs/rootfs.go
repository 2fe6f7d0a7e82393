// Package rootfs builds a container's root filesystem: the spec's mounts,
// /dev, the pivot into the rootfs, then read-only and masked paths.
//
// It runs in the container's init, inside the new mount namespace (and
// user namespace, if any). Paths inside the container are always resolved
// relative to an open handle of the rootfs, and every mount is made on a
// file descriptor with the new mount API (package mountfd: fsopen,
// fsmount, open_tree, move_mount, mount_setattr), so that nothing in the
// container image (a symlink, a swapped directory, a fake /dev/null) can
// make a mount land on the host. /proc files are read through a private
// procfs handle, never through the container's /proc.
//
// Kernel requirements: the new mount API (Linux 5.2), mount_setattr(2)
// (5.12) and openat2(2) (5.6), all below the runtime's floor (package
// kernel). There is no fallback to mount(2). statmount(2) (6.8) is used
// where the kernel has it, with /proc/thread-self/mountinfo as the
// fallback (mounttable.go).
package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// Config is everything rootfs setup needs. Spec is already validated.
// Prepare and Finish must be given the same *Config: Prepare leaves in it
// what Finish needs.
type Config struct {
	// Spec is the container's configuration. Spec.Root.Path is the
	// absolute host path of the rootfs directory.
	Spec *specs.Spec
	// NoPivot (runc --no-pivot) moves the rootfs onto / and chroots
	// instead of using pivot_root.
	NoPivot bool
	// HostMountNS is set when the container has no mount namespace of
	// its own: the mounts are made in the runtime's, below a bind of the
	// rootfs, and the init chroots into it (see hostns.go; NoPivot is
	// then ignored).
	HostMountNS bool
	// CgroupPaths tells where the container's cgroups are on the host,
	// for mounts of type "cgroup" without a cgroup namespace. cgroup v1:
	// controller name as in /proc/self/cgroup ("cpu", "memory",
	// "name=systemd", ...) -> absolute host directory; cgroup2: key "".
	// Missing entries default to the cgroups this process is in.
	CgroupPaths map[string]string
	// MountLabel is the SELinux label given to new mounts (context=), if
	// not empty.
	MountLabel string
	// InUserNS is set when the container has its own user namespace:
	// devices are then bind-mounted from the host instead of created, and
	// sysfs falls back to a bind of /sys when it cannot be mounted.
	InUserNS bool
	// BindSource, if set, returns the detached bind source the runtime
	// opened for the mount at index i of Spec.Mounts (see OpenSource), or
	// nil if the runtime does not open that one (see BindSourceIndices).
	// Prepare calls it when it reaches the mount, and closes the file.
	BindSource func(i int) (*os.File, error)
	// BeforeCgroupMount, if set, is called once before the first mount of
	// type "cgroup": the init waits there until it is in its cgroup (and
	// cgroup namespace), and may update CgroupPaths.
	BeforeCgroupMount func(*Config) error

	// nullMount is a detached clone of the host's /dev/null taken by
	// Prepare, used by Finish to mask files.
	nullMount *os.File
}

// setup is the state of one Prepare or Finish call.
type setup struct {
	c           *Config
	root        *root
	proc        *procfs.Handle
	fds         *os.File // /proc/self/fd in proc (root.fdPath)
	propagation uintptr  // parsed linux.rootfsPropagation, 0 if unset
	cgroupns    bool     // the container has its own cgroup namespace
	// inheritedCgroupfs are the host cgroup trees recursive binds brought
	// in (see cgroupro.go).
	inheritedCgroupfs []inheritedCgroupfs
}

// newSetup checks the config and opens the private procfs handle.
func newSetup(c *Config) (*setup, error) {
	if c == nil || c.Spec == nil || c.Spec.Root == nil {
		return nil, errors.New("rootfs: no spec or no root in the spec")
	}
	if !filepath.IsAbs(c.Spec.Root.Path) {
		return nil, fmt.Errorf("root.path %q must be an absolute path here", c.Spec.Root.Path)
	}
	s := &setup{c: c}
	if l := c.Spec.Linux; l != nil {
		p, err := parseRootfsPropagation(l.RootfsPropagation)
		if err != nil {
			return nil, err
		}
		s.propagation = p
		for _, ns := range l.Namespaces {
			if ns.Type == specs.CgroupNamespace {
				s.cgroupns = true
			}
		}
	}
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return nil, fmt.Errorf("open a private procfs: %w", err)
	}
	s.proc = proc
	if s.fds, err = proc.OpenSelf("fd"); err != nil {
		proc.Close()
		return nil, fmt.Errorf("open /proc/self/fd in a private procfs: %w", err)
	}
	return s, nil
}

// close releases what the setup holds.
func (s *setup) close() {
	if s.root != nil {
		s.root.f.Close()
	}
	if s.fds != nil {
		s.fds.Close()
	}
	if s.proc != nil {
		s.proc.Close()
	}
}

// Prepare sets up the whole tree under Spec.Root.Path: the rootfs bind
// mount, every entry of mounts in order, and /dev (devices and symlinks)
// unless the spec bind-mounts something on /dev. It then calls
// beforePivot (may be nil; the init runs the createContainer hooks and has
// the parent run the prestart/createRuntime ones there), pivots into the
// rootfs (or, with NoPivot, moves it onto / and chroots) and applies
// linux.rootfsPropagation to the new / (an unbindable one only at the end
// of Finish: nothing could be bind-mounted from an unbindable tree).
//
// On return the process's / is the container rootfs and its cwd is /.
// Prepare must run in a private mount namespace (on error, mounts already
// made are left for the namespace to take away when the process exits),
// unless HostMountNS is set (see hostns.go).
func Prepare(c *Config, beforePivot func() error) (Err error) {
	s, err := newSetup(c)
	if err != nil {
		return err
	}
	defer s.close()
	entered := false // the process's root is the container's
	defer func() {
		if Err != nil && c.nullMount != nil {
			c.nullMount.Close()
			c.nullMount = nil
		}
	}()

	if c.HostMountNS {
		s.root, err = s.prepareHostRoot()
	} else {
		s.root, err = s.prepareRoot()
	}
	if err != nil {
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	if c.HostMountNS {
		// Nothing of the container's may stay in the host's mount
		// table when it fails to start.
		defer func(r *root) {
			if Err == nil {
				return
			}
			if entered {
				_ = DetachOwnRoot()
			} else {
				r.detach()
				s.root = nil
			}
		}(s.root)
	}
	entries := make([]*entry, len(c.Spec.Mounts))
	for i := range c.Spec.Mounts {
		entries[i] = newEntry(i, &c.Spec.Mounts[i])
	}
	for _, e := range entries {
		if err := s.mountEntry(e); err != nil {
			return err
		}
	}
	if err := s.protectInheritedCgroupfs(entries); err != nil {
		return err
	}
	if needsDevSetup(entries) {
		if err := s.setupDev(); err != nil {
			return fmt.Errorf("set up /dev: %w", err)
		}
	}
	if hasMaskedPaths(c.Spec) {
		// Keep a clone of the host's /dev/null: masking uses the
		// container's /dev/null, but if that is not the null device (a
		// symlink or another file, CVE-2025-31133) the host's is the only
		// safe one left after the pivot.
		if c.nullMount != nil {
			c.nullMount.Close()
		}
		if c.nullMount, err = hostNull(); err != nil {
			return fmt.Errorf("prepare maskedPaths: %w", err)
		}
	}
	if beforePivot != nil {
		// The createContainer hooks it runs have the rootfs as their
		// cwd, as in runc.
		if err := unix.Fchdir(int(s.root.f.Fd())); err != nil {
			return &os.PathError{Op: "fchdir", Path: s.root.path, Err: err}
		}
		if err := beforePivot(); err != nil {
			return err
		}
	}
	switch {
	case c.HostMountNS:
		err = chrootRoot(s.root)
	case c.NoPivot:
		err = s.moveRoot(s.root)
	default:
		err = s.pivotRoot(s.root)
	}
	if err != nil {
		return fmt.Errorf("enter rootfs: %w", err)
	}
	entered = true
	if s.propagation != 0 && s.propagation&unix.MS_UNBINDABLE == 0 {
		if err := setRootPropagation(s.propagation); err != nil {
			return err
		}
	}
	return nil
}

// setRootPropagation applies linux.rootfsPropagation to the container's /.
func setRootPropagation(flags uintptr) error {
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("linux.rootfsPropagation: make / %s: %w", propagationName(flags), err)
	}
	return nil
}

// Finish completes the rootfs after Prepare, once the init has set up
// /dev/console: linux.readonlyPaths, linux.maskedPaths, /dev and tmpfs
// mounts read-only when their options asked for ro, and root.readonly
// (the root bind remounted read-only, its other flags kept), and last an
// unbindable linux.rootfsPropagation.
func Finish(c *Config) error {
	s, err := newSetup(c)
	if err != nil {
		return err
	}
	defer s.close()
	defer func() {
		if c.nullMount != nil {
			c.nullMount.Close()
			c.nullMount = nil
		}
	}()
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	s.root = &root{f: os.NewFile(uintptr(fd), "/"), path: "/", fds: s.fds}

	if l := c.Spec.Linux; l != nil {
		for i, p := range l.ReadonlyPaths {
			if err := s.readonlyPath(p); err != nil {
				return fmt.Errorf("linux.readonlyPaths[%d] (%s): %w", i, p, err)
			}
		}
		if err := s.maskPaths(l.MaskedPaths); err != nil {
			return err
		}
	}
	for i := range c.Spec.Mounts {
		e := newEntry(i, &c.Spec.Mounts[i])
		if e.deferReadonly() && e.opts.flags&unix.MS_RDONLY != 0 {
			if err := s.remountReadonly(e.dest); err != nil {
				return e.fail("make read-only", err)
			}
		}
	}
	if c.Spec.Root.Readonly {
		if err := mountfd.SetAttr(s.root.f, false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
	}
	if s.propagation&unix.MS_UNBINDABLE != 0 {
		// Last: an unbindable mount cannot be bind-mounted, and
		// readonlyPaths (or the init's /dev/console) bind paths of /.
		if err := setRootPropagation(s.propagation); err != nil {
			return err
		}
	}
	return nil
}
