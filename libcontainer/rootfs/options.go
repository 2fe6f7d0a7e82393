package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/table"
)

// mountOptions is the parsed form of one spec mount's "options" list.
type mountOptions struct {
	// flags are the MS_* flags the options set (ro, nosuid, bind, ...).
	flags uintptr
	// cleared are the MS_* flags the options explicitly clear (rw, suid,
	// dev, exec, ...). A bind mount with cleared flags is remounted even if
	// no flag is set, so that "rw" on a read-only source means something.
	cleared uintptr
	// propagation holds MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE,
	// each possibly or-ed with MS_REC, in the order they were given.
	propagation []uintptr
	// recAttr is the mount_setattr(2) request built from the recursive
	// options (rro, rnosuid, ...), or nil when there are none.
	recAttr *unix.MountAttr
	// data are the filesystem-specific options (mode=755, size=64k, ...),
	// in order, one option per entry.
	data []string
	// tmpcopyup is runc's extension: copy the mountpoint's content into a
	// new tmpfs.
	tmpcopyup bool
	// idmap is set by "idmap" or "ridmap"; ridmap by "ridmap" (the
	// mapping applies to every mount of an rbind).
	idmap, ridmap bool
}

// flagOption describes an option that sets or clears an MS_* flag.
type flagOption struct {
	clear bool
	flag  uintptr
}

// flagOptions are the options mount(8) documents as filesystem-independent.
var flagOptions = table.Table[string, flagOption]{
	{"async", flagOption{true, unix.MS_SYNCHRONOUS}},
	{"atime", flagOption{true, unix.MS_NOATIME}},
	{"bind", flagOption{false, unix.MS_BIND}},
	{"defaults", flagOption{false, 0}},
	{"dev", flagOption{true, unix.MS_NODEV}},
	{"diratime", flagOption{true, unix.MS_NODIRATIME}},
	{"dirsync", flagOption{false, unix.MS_DIRSYNC}},
	{"exec", flagOption{true, unix.MS_NOEXEC}},
	{"iversion", flagOption{false, unix.MS_I_VERSION}},
	{"lazytime", flagOption{false, unix.MS_LAZYTIME}},
	{"loud", flagOption{true, unix.MS_SILENT}},
	{"mand", flagOption{false, unix.MS_MANDLOCK}},
	{"noatime", flagOption{false, unix.MS_NOATIME}},
	{"nodev", flagOption{false, unix.MS_NODEV}},
	{"nodiratime", flagOption{false, unix.MS_NODIRATIME}},
	{"noexec", flagOption{false, unix.MS_NOEXEC}},
	{"noiversion", flagOption{true, unix.MS_I_VERSION}},
	{"nolazytime", flagOption{true, unix.MS_LAZYTIME}},
	{"nomand", flagOption{true, unix.MS_MANDLOCK}},
	{"norelatime", flagOption{true, unix.MS_RELATIME}},
	{"nostrictatime", flagOption{true, unix.MS_STRICTATIME}},
	{"nosuid", flagOption{false, unix.MS_NOSUID}},
	{"nosymfollow", flagOption{false, unix.MS_NOSYMFOLLOW}},
	{"rbind", flagOption{false, unix.MS_BIND | unix.MS_REC}},
	{"relatime", flagOption{false, unix.MS_RELATIME}},
	{"remount", flagOption{false, unix.MS_REMOUNT}},
	{"ro", flagOption{false, unix.MS_RDONLY}},
	{"rw", flagOption{true, unix.MS_RDONLY}},
	{"silent", flagOption{false, unix.MS_SILENT}},
	{"strictatime", flagOption{false, unix.MS_STRICTATIME}},
	{"suid", flagOption{true, unix.MS_NOSUID}},
	{"symfollow", flagOption{true, unix.MS_NOSYMFOLLOW}},
	{"sync", flagOption{false, unix.MS_SYNCHRONOUS}},
}

// propagationOptions map the propagation options to mount(2) flags.
var propagationOptions = table.Table[string, uintptr]{
	{"private", unix.MS_PRIVATE},
	{"rprivate", unix.MS_PRIVATE | unix.MS_REC},
	{"shared", unix.MS_SHARED},
	{"rshared", unix.MS_SHARED | unix.MS_REC},
	{"slave", unix.MS_SLAVE},
	{"rslave", unix.MS_SLAVE | unix.MS_REC},
	{"unbindable", unix.MS_UNBINDABLE},
	{"runbindable", unix.MS_UNBINDABLE | unix.MS_REC},
}

// recAttrOption describes a recursive option: attributes to set and to clear.
type recAttrOption struct {
	set, clr uint64
}

// recAttrOptions are the recursive options, applied with mount_setattr(2)
// and AT_RECURSIVE. The kernel wants the whole atime field cleared whenever
// one atime mode is chosen, so every atime option picks a full mode:
// "ratime" and "rnostrictatime" mean relatime (the kernel's default),
// "rnorelatime" means strictatime.
var recAttrOptions = table.Table[string, recAttrOption]{
	{"rro", recAttrOption{set: unix.MOUNT_ATTR_RDONLY}},
	{"rrw", recAttrOption{clr: unix.MOUNT_ATTR_RDONLY}},
	{"rnosuid", recAttrOption{set: unix.MOUNT_ATTR_NOSUID}},
	{"rsuid", recAttrOption{clr: unix.MOUNT_ATTR_NOSUID}},
	{"rnodev", recAttrOption{set: unix.MOUNT_ATTR_NODEV}},
	{"rdev", recAttrOption{clr: unix.MOUNT_ATTR_NODEV}},
	{"rnoexec", recAttrOption{set: unix.MOUNT_ATTR_NOEXEC}},
	{"rexec", recAttrOption{clr: unix.MOUNT_ATTR_NOEXEC}},
	{"rnodiratime", recAttrOption{set: unix.MOUNT_ATTR_NODIRATIME}},
	{"rdiratime", recAttrOption{clr: unix.MOUNT_ATTR_NODIRATIME}},
	{"rnosymfollow", recAttrOption{set: unix.MOUNT_ATTR_NOSYMFOLLOW}},
	{"rsymfollow", recAttrOption{clr: unix.MOUNT_ATTR_NOSYMFOLLOW}},
	{"rrelatime", recAttrOption{set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME}},
	{"rnoatime", recAttrOption{set: unix.MOUNT_ATTR_NOATIME, clr: unix.MOUNT_ATTR__ATIME}},
	{"rstrictatime", recAttrOption{set: unix.MOUNT_ATTR_STRICTATIME, clr: unix.MOUNT_ATTR__ATIME}},
	{"ratime", recAttrOption{set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME}},
	{"rnostrictatime", recAttrOption{set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME}},
	{"rnorelatime", recAttrOption{set: unix.MOUNT_ATTR_STRICTATIME, clr: unix.MOUNT_ATTR__ATIME}},
}

// parseMountOptions sorts a spec mount's options into flags, propagation,
// recursive attributes and filesystem data. Later options win over earlier
// ones ("ro,rw" is rw), as with mount(8).
func parseMountOptions(options []string) mountOptions {
	var o mountOptions
	for _, opt := range options {
		if f, ok := flagOptions.Lookup(opt); ok {
			if f.clear {
				o.flags &^= f.flag
				o.cleared |= f.flag
			} else {
				o.flags |= f.flag
				o.cleared &^= f.flag
			}
			continue
		}
		if p, ok := propagationOptions.Lookup(opt); ok {
			o.propagation = append(o.propagation, p)
			continue
		}
		if r, ok := recAttrOptions.Lookup(opt); ok {
			if o.recAttr == nil {
				o.recAttr = &unix.MountAttr{}
			}
			a := o.recAttr
			if r.clr&unix.MOUNT_ATTR__ATIME != 0 {
				// An atime mode replaces the previous one; the kernel
				// wants the whole atime field in attr_clr.
				a.Attr_clr |= unix.MOUNT_ATTR__ATIME
				a.Attr_set = a.Attr_set&^unix.MOUNT_ATTR__ATIME | r.set
			} else {
				a.Attr_set = a.Attr_set&^r.clr | r.set
				a.Attr_clr = a.Attr_clr&^r.set | r.clr
			}
			continue
		}
		switch opt {
		case "tmpcopyup":
			o.tmpcopyup = true
			continue
		case "idmap":
			o.idmap = true
			continue
		case "ridmap":
			o.idmap, o.ridmap = true, true
			continue
		}
		o.data = append(o.data, splitData(opt)...)
	}
	return o
}

// splitData splits one data option on commas that are not inside double
// quotes, so that an option written as "mode=755,size=64k" (which mount(2)
// would accept as one data string) becomes two fsconfig(2) calls.
func splitData(opt string) []string {
	var (
		out     []string
		quoted  bool
		current strings.Builder
	)
	for _, r := range opt {
		switch {
		case r == '"':
			quoted = !quoted
			current.WriteRune(r)
		case r == ',' && !quoted:
			if current.Len() > 0 {
				out = append(out, current.String())
			}
			current.Reset()
		default:
			current.WriteRune(r)
		}
	}
	if current.Len() > 0 {
		out = append(out, current.String())
	}
	return out
}

// isBind reports whether the options make this a bind mount.
func (o *mountOptions) isBind() bool { return o.flags&unix.MS_BIND != 0 }

// isRecursive reports whether a bind mount is recursive (rbind).
func (o *mountOptions) isRecursive() bool { return o.flags&unix.MS_REC != 0 }

// mountAttrs turns the per-mount MS_* flags into MOUNT_ATTR_* flags for
// fsmount(2). The atime mode follows mount(2): relatime unless noatime or
// strictatime is asked for, strictatime winning over noatime.
func mountAttrs(flags uintptr) uint64 {
	var attr uint64
	for _, f := range []struct {
		ms   uintptr
		attr uint64
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
		{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
		{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
		{unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
	} {
		if flags&f.ms != 0 {
			attr |= f.attr
		}
	}
	switch {
	case flags&unix.MS_STRICTATIME != 0:
		attr |= unix.MOUNT_ATTR_STRICTATIME
	case flags&unix.MS_NOATIME != 0:
		attr |= unix.MOUNT_ATTR_NOATIME
	default:
		attr |= unix.MOUNT_ATTR_RELATIME
	}
	return attr
}

// atimeFlags are the MS_* flags that choose how access times are updated.
const atimeFlags = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME | unix.MS_NODIRATIME

// remountAttr builds the mount_setattr(2) request that gives an existing
// bind mount exactly the per-mount flags asked for, as
// mount(MS_BIND|MS_REMOUNT|flags) would: rdonly, nosuid, nodev, noexec and
// nosymfollow are set or cleared to match flags; the atime mode is changed
// only when an atime option was given, otherwise the mount keeps its own.
func remountAttr(flags uintptr) *unix.MountAttr {
	const perMount = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV |
		unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW
	want := mountAttrs(flags)
	attr := &unix.MountAttr{
		Attr_set: want & perMount,
		Attr_clr: perMount,
	}
	if flags&atimeFlags != 0 {
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME
		attr.Attr_set |= want & (unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME)
	}
	attr.Attr_clr &^= attr.Attr_set &^ unix.MOUNT_ATTR__ATIME
	return attr
}

// sbFlagOptions are the MS_* flags that belong to the superblock, with the
// fsconfig(2) flag name that sets them. MS_I_VERSION and MS_SILENT have no
// fsconfig equivalent and are ignored for new filesystems.
var sbFlagOptions = []struct {
	ms   uintptr
	name string
}{
	{unix.MS_RDONLY, "ro"},
	{unix.MS_SYNCHRONOUS, "sync"},
	{unix.MS_DIRSYNC, "dirsync"},
	{unix.MS_LAZYTIME, "lazytime"},
	{unix.MS_MANDLOCK, "mand"},
}

// sbFlags returns the fsconfig(2) flag names for the superblock flags in
// flags, as mount(2) would pass them to a new filesystem.
func sbFlags(flags uintptr) []string {
	var out []string
	for _, f := range sbFlagOptions {
		if flags&f.ms != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// parseRootfsPropagation maps linux.rootfsPropagation to mount(2) flags.
// The empty string gives 0 (the caller picks the default).
func parseRootfsPropagation(s string) (uintptr, error) {
	if s == "" {
		return 0, nil
	}
	p, ok := propagationOptions.Lookup(s)
	if !ok {
		return 0, fmt.Errorf("linux.rootfsPropagation: unknown value %q (want shared, slave, private, unbindable or their r- forms)", s)
	}
	return p, nil
}

// statfsFlags converts statfs(2) f_flags (ST_*) into the MS_* flags that
// can be locked on a mount inherited from a more privileged user namespace.
func statfsFlags(st *unix.Statfs_t) uintptr {
	const stNosymfollow = 0x2000 // ST_NOSYMFOLLOW, <linux/statfs.h>
	var flags uintptr
	for _, f := range []struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
		{stNosymfollow, unix.MS_NOSYMFOLLOW},
	} {
		if int64(st.Flags)&f.st != 0 { //nolint:unconvert // Statfs_t.Flags is not int64 on every architecture
			flags |= f.ms
		}
	}
	if flags&(unix.MS_NOATIME|unix.MS_RELATIME) == 0 {
		flags |= unix.MS_STRICTATIME
	}
	return flags
}
