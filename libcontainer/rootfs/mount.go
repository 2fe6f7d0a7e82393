package rootfs

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// entry is one element of the spec's "mounts", parsed.
type entry struct {
	index int
	m     *specs.Mount
	dest  string // cleaned destination
	opts  mountOptions
}

// newEntry parses the mount at index i of the spec.
func newEntry(i int, m *specs.Mount) *entry {
	e := &entry{index: i, m: m, dest: cleanPath(m.Destination), opts: parseMountOptions(m.Options)}
	if m.Type == "bind" && !e.opts.isBind() {
		// type "bind" without a bind option: a plain (non-recursive) bind.
		e.opts.flags |= unix.MS_BIND
	}
	return e
}

// String names the entry for error messages: mounts[3] (tmpfs on /dev/shm).
func (e *entry) String() string {
	typ := e.m.Type
	if e.opts.isBind() {
		typ = "bind of " + e.m.Source
	}
	return fmt.Sprintf("mounts[%d] (%s on %s)", e.index, typ, e.m.Destination)
}

// fail wraps an error with the entry and the step that failed, in runc's
// words first (scripts grep them), then the spec's field:
// error mounting "shm" to rootfs at "/dev/shm" (mounts[3]): mount: ...
func (e *entry) fail(step string, err error) error {
	return fmt.Errorf("error mounting %q to rootfs at %q (mounts[%d]): %s: %w", e.m.Source, e.m.Destination, e.index, step, err)
}

// deferReadonly reports whether the read-only flag of this mount is applied
// only by Finish: /dev and tmpfs mounts get files created in them (device
// nodes, mountpoints of later mounts) before that, as in runc.
func (e *entry) deferReadonly() bool {
	return !e.opts.isBind() && (e.m.Type == "tmpfs" || e.dest == "/dev")
}

// mountEntry performs one spec mount inside the rootfs.
func (s *setup) mountEntry(e *entry) error {
	switch {
	case e.opts.idmap || len(e.m.UIDMappings) > 0 || len(e.m.GIDMappings) > 0:
		return s.bindIDMapped(e)
	case e.dest == "/":
		return e.fail("check destination", errors.New("cannot mount over the container's root directory; use root.path"))
	case e.opts.flags&unix.MS_REMOUNT != 0:
		return s.remount(e)
	case e.opts.isBind():
		return s.bindMount(e)
	case e.m.Type == "cgroup":
		return s.mountCgroup(e)
	case e.m.Type == "":
		return e.fail("check type", errors.New("mount type is empty and options have neither bind nor rbind"))
	}
	return s.mountNewFS(e)
}

// mountNewFS mounts a new filesystem (proc, sysfs, tmpfs, devpts, mqueue,
// or anything else fsopen(2) knows) on the entry's destination.
func (s *setup) mountNewFS(e *entry) error {
	m := e.m
	special := m.Type == "proc" || m.Type == "sysfs"
	if special {
		// CVE-2019-16884, CVE-2019-19921, CVE-2023-27561: procfs and sysfs
		// must land exactly where the spec says, never through a symlink.
		// Refuse a symlink before creating anything through it.
		if f, err := s.root.openNoFollow(e.dest); err == nil {
			var st unix.Stat_t
			err = unix.Fstat(int(f.Fd()), &st)
			f.Close()
			if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return e.fail("check mountpoint", fmt.Errorf("filesystem %q must be mounted on ordinary directory (%s is not one)", m.Type, e.dest))
			}
		}
	}
	mp, err := s.root.openMountpoint(e.dest, true)
	if err != nil {
		return e.fail("create mountpoint", err)
	}
	defer mp.Close()
	if special {
		if mp.path != e.dest {
			return e.fail("check mountpoint", fmt.Errorf("filesystem %q must be mounted on ordinary directory (%s resolves to %s)", m.Type, e.dest, mp.path))
		}
	}
	if err := checkProcDest(mp.path, e, nil); err != nil {
		return e.fail("check mountpoint", err)
	}

	flags := e.opts.flags
	if e.deferReadonly() {
		flags &^= unix.MS_RDONLY
	}
	var params []mountfd.Param
	if m.Type == "tmpfs" && !mp.created {
		// Keep the permissions of the directory the tmpfs covers unless
		// the options say otherwise (a later mode= wins).
		params = append(params, mountfd.Set("mode", fmt.Sprintf("%04o", mp.stat.Mode&0o7777)))
	}
	params = append(params, flagParams(flags)...)
	params = append(params, dataParams(e.opts.data)...)
	if s.c.MountLabel != "" && labelable(m.Type) && !hasParam(params, "context") {
		params = append(params, mountfd.Set("context", s.c.MountLabel))
	}

	mnt, err := mountfd.New(m.Type, m.Source, params, mountAttrs(flags))
	if err != nil && m.Type == "sysfs" && s.c.InUserNS && errors.Is(err, unix.EPERM) {
		// A user namespace without its own network namespace may not
		// mount sysfs: give it the host's /sys, recursively, with the
		// requested flags added on every submount.
		logrus.Debugf("%s: sysfs not permitted (%v), bind-mounting /sys instead", e, err)
		mnt, err = bindHostSys(flags)
		if err == nil {
			s.noteInheritedCgroupfs(e, "/sys", mp.path)
		}
	}
	if err != nil {
		return e.fail("mount", err)
	}
	defer mnt.Close()
	if m.Type == "tmpfs" && e.opts.tmpcopyup {
		if err := copyUp(mp.file, mnt); err != nil {
			return e.fail("tmpcopyup", err)
		}
	}
	return s.attachEntry(e, mnt, mp)
}

// labelable reports whether a filesystem type takes an SELinux context=
// option (procfs and sysfs do not; mqueue is labelled by file in runc).
func labelable(fstype string) bool {
	switch fstype {
	case "proc", "sysfs", "mqueue", "cgroup", "cgroup2":
		return false
	}
	return true
}

// bindHostSys returns a recursive clone of the host's /sys with the
// read-only, nosuid, nodev and noexec flags of flags set on every mount.
func bindHostSys(flags uintptr) (*os.File, error) {
	mnt, err := mountfd.Clone(unix.AT_FDCWD, "/sys", true)
	if err != nil {
		return nil, err
	}
	const settable = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC
	if set := mountAttrs(flags) & settable; set != 0 {
		if err := mountfd.SetAttr(mnt, true, &unix.MountAttr{Attr_set: set}); err != nil {
			mnt.Close()
			return nil, err
		}
	}
	return mnt, nil
}

// bindMount clones the source (recursively for rbind), applies the
// requested flags to the clone and attaches it on the destination. The
// sources the runtime opens (BindSourceIndices) are asked for here.
func (s *setup) bindMount(e *entry) error {
	src, err := s.runtimeSource(e)
	if err == nil && src == nil {
		src, err = mountfd.Clone(unix.AT_FDCWD, e.m.Source, e.opts.isRecursive())
	}
	if err != nil {
		return e.fail("open source", err)
	}
	defer src.Close()
	return s.bindFrom(e, src)
}

// bindFrom attaches src, a detached copy of the entry's source, on the
// entry's destination with the requested flags.
func (s *setup) bindFrom(e *entry, src *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return e.fail("stat source", err)
	}
	mp, err := s.root.openMountpoint(e.dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return e.fail("create mountpoint", err)
	}
	defer mp.Close()
	if err := checkProcDest(mp.path, e, src); err != nil {
		return e.fail("check mountpoint", err)
	}
	if err := applyBindFlags(src, e.opts); err != nil {
		return e.fail("set mount flags", err)
	}
	if err := s.attachEntry(e, src, mp); err != nil {
		return err
	}
	if e.opts.isRecursive() {
		s.noteInheritedCgroupfs(e, e.m.Source, mp.path)
	}
	return nil
}

// attachEntry applies the recursive attributes to a detached mount,
// attaches it and then sets its propagation.
func (s *setup) attachEntry(e *entry, mnt *os.File, mp *mountpoint) error {
	if e.opts.recAttr != nil {
		if err := mountfd.SetAttr(mnt, true, e.opts.recAttr); err != nil {
			return e.fail("set recursive mount attributes", err)
		}
	}
	if err := mountfd.Attach(mnt, mp.file); err != nil {
		return e.fail("mount", err)
	}
	for _, p := range e.opts.propagation {
		if err := setPropagation(mnt, p); err != nil {
			return e.fail("mount", err)
		}
	}
	return nil
}

// lockableFlags are the flags the kernel locks on mounts inherited by a
// less privileged user namespace (MNT_LOCK_*).
const lockableFlags = unix.MS_RDONLY | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID | atimeFlags

// applyBindFlags gives a bind mount the flags asked for. As in runc, a
// bind with no flag set or cleared keeps the source's flags; otherwise the
// mount gets exactly the requested flags ("mount --bind -o" as users expect
// it). If that fails because the source has flags locked by a user
// namespace, the locked flags are kept and the others applied, unless the
// user explicitly asked to clear a locked flag or for another atime mode:
// that fails (EPERM), as in runc, rather than give a mount other than the
// one asked for.
func applyBindFlags(mnt *os.File, o mountOptions) error {
	flags := o.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if flags == 0 && o.cleared == 0 {
		return nil
	}
	err := mountfd.SetAttr(mnt, false, remountAttr(flags))
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(mnt.Fd()), &st); err != nil {
		return fmt.Errorf("statfs source: %w", err)
	}
	srcFlags := statfsFlags(&st)
	if locked := srcFlags & o.cleared & lockableFlags; locked != 0 {
		return fmt.Errorf("cannot clear locked flags %s: %w", flagNames(locked), err)
	}
	if flags&atimeFlags != 0 && flags&atimeFlags != srcFlags&atimeFlags {
		return fmt.Errorf("cannot change locked atime flags %s: %w", flagNames(srcFlags&atimeFlags), err)
	}
	if err := mountfd.SetAttr(mnt, false, remountAttr(flags|srcFlags&lockableFlags)); err != nil {
		return fmt.Errorf("remount with locked flags %s re-applied: %w", flagNames(srcFlags&lockableFlags), err)
	}
	return nil
}

// msNames names the per-mount MS_* flags, for messages.
var msNames = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "MS_RDONLY"},
	{unix.MS_NOSUID, "MS_NOSUID"},
	{unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"},
	{unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
	{unix.MS_NOATIME, "MS_NOATIME"},
	{unix.MS_NODIRATIME, "MS_NODIRATIME"},
	{unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_STRICTATIME, "MS_STRICTATIME"},
}

// flagNames spells flags as runc's messages do: MS_RDONLY|MS_NOSUID.
func flagNames(flags uintptr) string {
	var names []string
	for _, f := range msNames {
		if flags&f.flag != 0 {
			names = append(names, f.name)
			flags &^= f.flag
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(names, "|")
}

// remount handles an entry with the "remount" option: it changes an
// existing mount in the container rather than making a new one. With
// "bind" only the per-mount flags change; otherwise the superblock is
// reconfigured too (flags and data), as mount(2) with MS_REMOUNT does.
func (s *setup) remount(e *entry) error {
	f, err := s.root.open(e.dest)
	if err != nil {
		return e.fail("open mountpoint", err)
	}
	defer f.Close()
	p, err := s.root.pathOf(f)
	if err != nil {
		return e.fail("open mountpoint", err)
	}
	if err := checkProcDest(p, e, nil); err != nil {
		return e.fail("check mountpoint", err)
	}
	flags := e.opts.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if !e.opts.isBind() {
		params := []mountfd.Param{mountfd.Flag("rw")}
		if flags&unix.MS_RDONLY != 0 {
			params = nil
		}
		params = append(params, flagParams(flags)...)
		params = append(params, dataParams(e.opts.data)...)
		if err := mountfd.Reconfigure(f, params); err != nil {
			return e.fail("remount", err)
		}
	}
	if err := mountfd.SetAttr(f, false, remountAttr(flags)); err != nil {
		return e.fail("remount", err)
	}
	if e.opts.recAttr != nil {
		if err := mountfd.SetAttr(f, true, e.opts.recAttr); err != nil {
			return e.fail("set recursive mount attributes", err)
		}
	}
	for _, p := range e.opts.propagation {
		if err := setPropagation(f, p); err != nil {
			return e.fail("remount", err)
		}
	}
	return nil
}

// procAllowed are the files under /proc that may be mounted over (lxcfs
// and similar emulate them), as in runc.
var procAllowed = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
	"/proc/sys/kernel/ns_last_pid",
}

// checkProcDest refuses mounts that would hide or fake parts of the
// container's /proc (CVE-2019-16884, CVE-2019-19921): only a new procfs, or
// a bind of the root of a procfs, may go on /proc, and below /proc only the
// files in procAllowed may be covered. dest is the resolved path inside
// the container; src is the bind source, if any.
func checkProcDest(dest string, e *entry, src *os.File) error {
	if dest == "/proc" {
		if !e.opts.isBind() {
			if e.m.Type == "proc" {
				return nil
			}
			return fmt.Errorf("only procfs may be mounted on /proc, not %s", e.m.Type)
		}
		if src != nil {
			var st unix.Statfs_t
			if err := unix.Fstatfs(int(src.Fd()), &st); err != nil {
				return fmt.Errorf("statfs bind source: %w", err)
			}
			if st.Type == unix.PROC_SUPER_MAGIC {
				return nil
			}
		}
		return errors.New("only procfs may be mounted on /proc, and the bind source is not a procfs")
	}
	if strings.HasPrefix(dest, "/proc/") && !slices.Contains(procAllowed, dest) {
		return fmt.Errorf("%s is inside /proc; only procfs may be mounted there (or a bind over one of the files lxcfs emulates)", dest)
	}
	return nil
}
