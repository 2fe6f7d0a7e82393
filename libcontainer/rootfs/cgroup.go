package rootfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// cgroupHierarchy is a cgroup filesystem mounted on the host.
type cgroupHierarchy struct {
	mountpoint string   // e.g. /sys/fs/cgroup/cpu,cpuacct
	root       string   // the mount's root inside the hierarchy
	subsystems []string // e.g. [cpu cpuacct] or [name=systemd]; nil for cgroup2
}

// name is the directory the hierarchy gets under the container's
// /sys/fs/cgroup: the host's directory name.
func (h *cgroupHierarchy) name() string { return path.Base(h.mountpoint) }

// cgroupNonSubsystemOptions are cgroup v1 superblock options that do not
// name a controller.
var cgroupNonSubsystemOptions = []string{
	"rw", "ro", "none", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods",
}

// parseCgroupMounts finds the cgroup hierarchies among the mounts: the v1
// ones (one per set of controllers, the first mount of each) and the
// cgroup2 one (nil if none).
func parseCgroupMounts(mounts []*mountinfo.Info) (v1 []cgroupHierarchy, v2 *cgroupHierarchy) {
	seen := map[string]bool{}
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup2":
			if v2 == nil {
				v2 = &cgroupHierarchy{mountpoint: m.Mountpoint, root: m.Root}
			}
		case "cgroup":
			var subsystems []string
			for _, opt := range strings.Split(m.VFSOptions, ",") {
				if opt == "" || slices.Contains(cgroupNonSubsystemOptions, opt) || strings.HasPrefix(opt, "release_agent=") {
					continue
				}
				subsystems = append(subsystems, opt)
			}
			sort.Strings(subsystems)
			key := strings.Join(subsystems, ",")
			if len(subsystems) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			v1 = append(v1, cgroupHierarchy{mountpoint: m.Mountpoint, root: m.Root, subsystems: subsystems})
		}
	}
	return v1, v2
}

// parseProcCgroup parses /proc/<pid>/cgroup into controller list -> path;
// each controller of a line is a key too, and the cgroup2 line has key "".
func parseProcCgroup(r io.Reader) (map[string]string, error) {
	paths := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		paths[parts[1]] = parts[2]
		for _, c := range strings.Split(parts[1], ",") {
			if c != "" {
				paths[c] = parts[2]
			}
		}
	}
	return paths, sc.Err()
}

// hostDir returns the host directory of the cgroup at cgPath (a path
// inside the hierarchy, as in /proc/self/cgroup) through this mount.
func (h *cgroupHierarchy) hostDir(cgPath string) (string, error) {
	p, root := path.Clean(cgPath), path.Clean(h.root)
	var rel string
	switch {
	case root == "/":
		rel = p
	case p == root:
		rel = "/"
	case strings.HasPrefix(p, root+"/"):
		rel = p[len(root):]
	default:
		return "", fmt.Errorf("cgroup %s is not visible in the mount of %s at %s", cgPath, h.root, h.mountpoint)
	}
	return path.Join(h.mountpoint, rel), nil
}

// cgroupSource picks the host directory of the container's cgroup in a
// hierarchy: Config.CgroupPaths first (by any of the hierarchy's
// controllers, "" for cgroup2), else our own cgroup from /proc/self/cgroup.
func cgroupSource(h *cgroupHierarchy, configured, own map[string]string) (string, error) {
	keys := h.subsystems
	if keys == nil {
		keys = []string{""}
	}
	for _, k := range keys {
		if p, ok := configured[k]; ok && p != "" {
			return p, nil
		}
	}
	for _, k := range keys {
		if p, ok := own[k]; ok {
			return h.hostDir(p)
		}
	}
	return "", fmt.Errorf("no cgroup of the container for %s", h.name())
}

// hostCgroups reads our mount table (its cgroup lines only) and cgroup
// membership.
func (s *setup) hostCgroups() (v1 []cgroupHierarchy, v2 *cgroupHierarchy, own map[string]string, _ error) {
	mounts, err := s.mountInfo(fsTypeIs("cgroup", "cgroup2"))
	if err != nil {
		return nil, nil, nil, err
	}
	v1, v2 = parseCgroupMounts(mounts)
	f, closer, err := s.openProcSelf("cgroup")
	if err != nil {
		return nil, nil, nil, err
	}
	defer closer()
	defer f.Close()
	own, err = parseProcCgroup(f)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read /proc/thread-self/cgroup: %w", err)
	}
	return v1, v2, own, nil
}

// mountCgroup sets up a mount of type "cgroup". On a cgroup v2 host it is
// a cgroup2 mount (a bind of the container's cgroup where that is not
// permitted). On a v1 host it is a tmpfs holding one directory per host
// hierarchy, each a bind of the container's cgroup (or, with a cgroup
// namespace, a fresh mount of that hierarchy), plus the symlinks for
// co-mounted controllers (cpu -> cpu,cpuacct).
func (s *setup) mountCgroup(e *entry) error {
	if f := s.c.BeforeCgroupMount; f != nil {
		s.c.BeforeCgroupMount = nil
		if err := f(s.c); err != nil {
			return e.fail("wait for the cgroup", err)
		}
	}
	v1, v2, own, err := s.hostCgroups()
	if err != nil {
		return e.fail("find host cgroups", err)
	}
	flags := e.opts.flags
	if s.c.InUserNS && !s.cgroupns {
		// docs/security.md rule 9: without a cgroup namespace, a container in a
		// user namespace sees the host's cgroup files read-only.
		flags |= unix.MS_RDONLY
	}
	if len(v1) == 0 {
		if v2 == nil {
			return e.fail("find host cgroups", errors.New("no cgroup filesystem is mounted on the host"))
		}
		return s.mountCgroup2(e, v2, own, flags)
	}

	mp, err := s.root.openMountpoint(e.dest, true)
	if err != nil {
		return e.fail("create mountpoint", err)
	}
	defer mp.Close()
	if err := checkProcDest(mp.path, e, nil); err != nil {
		return e.fail("check mountpoint", err)
	}
	tmpfs, err := mountfd.New("tmpfs", "tmpfs", []mountfd.Param{mountfd.Set("mode", "0755")},
		unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return e.fail("mount tmpfs", err)
	}
	defer tmpfs.Close()
	if err := mountfd.Attach(tmpfs, mp.file); err != nil {
		return e.fail("mount tmpfs", err)
	}
	for _, p := range e.opts.propagation {
		if err := setPropagation(tmpfs, p); err != nil {
			return e.fail("mount tmpfs", err)
		}
	}

	hierarchies := v1
	if v2 != nil {
		hierarchies = append(hierarchies, *v2) // hybrid: the unified dir too
	}
	tfd := int(tmpfs.Fd())
	for _, h := range hierarchies {
		if err := s.mountHierarchy(e, &h, own, flags, tfd); err != nil {
			return e.fail("mount "+h.name(), err)
		}
	}
	for _, h := range v1 {
		if !strings.Contains(h.name(), ",") {
			continue
		}
		for _, ss := range strings.Split(h.name(), ",") {
			if err := unix.Symlinkat(h.name(), tfd, ss); err != nil && !errors.Is(err, unix.EEXIST) {
				return e.fail("symlink "+ss, err)
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		if err := mountfd.SetAttr(tmpfs, false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return e.fail("make tmpfs read-only", err)
		}
	}
	if e.opts.recAttr != nil {
		if err := mountfd.SetAttr(tmpfs, true, e.opts.recAttr); err != nil {
			return e.fail("set recursive mount attributes", err)
		}
	}
	return nil
}

// mountHierarchy mounts one hierarchy on a new directory of the cgroup
// tmpfs tfd.
func (s *setup) mountHierarchy(e *entry, h *cgroupHierarchy, own map[string]string, flags uintptr, tfd int) error {
	name := h.name()
	if err := unix.Mkdirat(tfd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	fd, err := unix.Openat(tfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	dst := os.NewFile(uintptr(fd), name)
	defer dst.Close()

	var mnt *os.File
	if s.cgroupns {
		mnt, err = newCgroupFS(h, flags)
	} else {
		mnt, err = bindCgroup(h, s.c.CgroupPaths, own, flags)
	}
	if err != nil {
		return err
	}
	defer mnt.Close()
	if err := mountfd.Attach(mnt, dst); err != nil {
		return err
	}
	for _, p := range e.opts.propagation {
		if err := setPropagation(mnt, p); err != nil {
			return err
		}
	}
	return nil
}

// newCgroupFS makes a fresh mount of a hierarchy (inside a cgroup
// namespace it shows the namespace's root).
func newCgroupFS(h *cgroupHierarchy, flags uintptr) (*os.File, error) {
	attrs := mountAttrs(flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	params := flagParams(flags)
	if h.subsystems == nil {
		return mountfd.New("cgroup2", "cgroup2", params, attrs)
	}
	named := true
	for _, ss := range h.subsystems {
		if name, ok := strings.CutPrefix(ss, "name="); ok {
			params = append(params, mountfd.Set("name", name))
		} else {
			named = false
			params = append(params, mountfd.Flag(ss))
		}
	}
	if named {
		params = append(params, mountfd.Flag("none"))
	}
	return mountfd.New("cgroup", "cgroup", params, attrs)
}

// bindCgroup clones the container's cgroup directory of a hierarchy.
func bindCgroup(h *cgroupHierarchy, configured, own map[string]string, flags uintptr) (*os.File, error) {
	src, err := cgroupSource(h, configured, own)
	if err != nil {
		return nil, err
	}
	mnt, err := mountfd.Clone(unix.AT_FDCWD, src, true)
	if err != nil {
		return nil, err
	}
	if err := applyBindFlags(mnt, mountOptions{flags: flags}); err != nil {
		mnt.Close()
		return nil, err
	}
	return mnt, nil
}

// mountCgroup2 mounts cgroup2 on the destination, falling back to a bind
// of the container's cgroup when a new cgroup2 mount is not permitted (a
// user namespace without a cgroup namespace).
func (s *setup) mountCgroup2(e *entry, v2 *cgroupHierarchy, own map[string]string, flags uintptr) error {
	mp, err := s.root.openMountpoint(e.dest, true)
	if err != nil {
		return e.fail("create mountpoint", err)
	}
	defer mp.Close()
	if err := checkProcDest(mp.path, e, nil); err != nil {
		return e.fail("check mountpoint", err)
	}
	params := flagParams(flags)
	params = append(params, dataParams(e.opts.data)...)
	source := e.m.Source
	if source == "" {
		source = "cgroup2"
	}
	mnt, err := mountfd.New("cgroup2", source, params, mountAttrs(flags))
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY) {
		mnt, err = bindCgroup(v2, s.c.CgroupPaths, own, flags)
	}
	if err != nil {
		return e.fail("mount", err)
	}
	defer mnt.Close()
	return s.attachEntry(e, mnt, mp)
}
