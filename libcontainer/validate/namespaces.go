package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// ns looks up a namespace type in linux.namespaces: its index (-1 if the
// container shares the runtime's) and its path ("" for a new one).
func (v *validator) ns(t specs.LinuxNamespaceType) (int, string) {
	for i, n := range v.linux().Namespaces {
		if n.Type == t {
			return i, n.Path
		}
	}
	return -1, ""
}

// hasNS reports whether the container gets its own (new or joined)
// namespace of type t.
func (v *validator) hasNS(t specs.LinuxNamespaceType) bool {
	i, _ := v.ns(t)
	return i >= 0
}

// newUserNS reports whether a new user namespace is created (so the
// config's mappings are the ones written to it).
func (v *validator) newUserNS() bool {
	i, path := v.ns(specs.UserNamespace)
	return i >= 0 && path == ""
}

// namespaces checks linux.namespaces: known types, no duplicates, and a
// path, when given, that is absolute and is a namespace of that type.
func (v *validator) namespaces() error {
	seen := make(map[specs.LinuxNamespaceType]int)
	for i, n := range v.linux().Namespaces {
		// The CLONE_NEW* flag, which is also what NS_GET_NSTYPE returns
		// for a namespace file of that type.
		flag := int(namespaces.Flag(n.Type))
		if flag == 0 {
			return fmt.Errorf("linux.namespaces[%d].type %q is not a namespace", i, n.Type)
		}
		if j, dup := seen[n.Type]; dup {
			return fmt.Errorf("linux.namespaces[%d]: malformed spec file: duplicated ns %q (also linux.namespaces[%d])", i, n.Type, j)
		}
		seen[n.Type] = i
		if n.Path == "" {
			if err := nsSupported(n.Type); err != nil {
				return fmt.Errorf("linux.namespaces[%d]: %w", i, err)
			}
			continue
		}
		if !filepath.IsAbs(n.Path) {
			return fmt.Errorf("linux.namespaces[%d].path %q must be an absolute path", i, n.Path)
		}
		if err := checkNSFile(n.Path, flag); err != nil {
			return fmt.Errorf("linux.namespaces[%d].path: %w", i, err)
		}
	}
	return nil
}

// nsSupported checks that the kernel has namespaces of type t, as runc
// does for user, cgroup and time namespaces.
func nsSupported(t specs.LinuxNamespaceType) error {
	file := map[specs.LinuxNamespaceType]string{
		specs.UserNamespace:   "/proc/self/ns/user",
		specs.CgroupNamespace: "/proc/self/ns/cgroup",
		specs.TimeNamespace:   "/proc/self/timens_offsets",
	}[t]
	if file == "" {
		return nil
	}
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s namespaces aren't enabled in the kernel", t)
	}
	return nil
}

// checkNSFile checks that path is a namespace file of the given
// CLONE_NEW* type.
func checkNSFile(path string, flag int) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s is not a namespace file", path)
	}
	// O_NONBLOCK: never hang on whatever a racing rename put there.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	if fs.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("%s is not a namespace file", path)
	}
	got, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return &os.PathError{Op: "ioctl NS_GET_NSTYPE", Path: path, Err: err}
	}
	if got != flag {
		return fmt.Errorf("%s is a %s namespace, not a %s namespace", path, nsName(got), nsName(flag))
	}
	return nil
}

// nsName names a CLONE_NEW* flag by its namespace type.
func nsName(flag int) string {
	for _, t := range namespaces.Types() {
		if int(namespaces.Flag(t)) == flag {
			return string(t)
		}
	}
	return fmt.Sprintf("unknown (%#x)", flag)
}

// maxMappings is the kernel's limit on lines in uid_map/gid_map.
const maxMappings = 340

// idMappings checks linux.uidMappings and linux.gidMappings: they need a
// user namespace, a new user namespace needs both (with container root
// mapped, as runc requires), and each set must be one the kernel accepts.
func (v *validator) idMappings() error {
	l := v.linux()
	hasMaps := l.UIDMappings != nil || l.GIDMappings != nil
	i, path := v.ns(specs.UserNamespace)
	switch {
	case i < 0:
		if hasMaps {
			return errors.New("linux.uidMappings/gidMappings: user namespace mappings specified, but USER namespace isn't enabled in the config (linux.namespaces)")
		}
		return nil
	case path != "":
		if hasMaps {
			// runc accepts this when the mappings match the namespace's
			// and errors otherwise; the namespace's own mappings win.
			logrus.Warnf("linux.uidMappings/gidMappings are ignored: the user namespace is joined from linux.namespaces[%d].path", i)
		}
		return nil
	}
	if len(l.UIDMappings) == 0 {
		if v.rootless {
			return errors.New("linux.uidMappings: rootless containers requires at least one UID mapping")
		}
		return errors.New("linux.uidMappings: user namespaces enabled, but no uid mappings found")
	}
	if len(l.GIDMappings) == 0 {
		if v.rootless {
			return errors.New("linux.gidMappings: rootless containers requires at least one GID mapping")
		}
		return errors.New("linux.gidMappings: user namespaces enabled, but no gid mappings found")
	}
	if err := checkMappings("linux.uidMappings", l.UIDMappings); err != nil {
		return err
	}
	if err := checkMappings("linux.gidMappings", l.GIDMappings); err != nil {
		return err
	}
	if !mapped(0, l.UIDMappings) {
		return errors.New("linux.uidMappings: user namespaces enabled, but no mapping found for uid 0")
	}
	if !mapped(0, l.GIDMappings) {
		return errors.New("linux.gidMappings: user namespaces enabled, but no mapping found for gid 0")
	}
	return nil
}

// checkMappings checks one set of ID mappings the way the kernel checks a
// write to uid_map: at most 340 entries, none empty or wrapping past
// 2^32, and no two overlapping on either the container or the host side.
func checkMappings(field string, maps []specs.LinuxIDMapping) error {
	if len(maps) > maxMappings {
		return fmt.Errorf("%s has %d entries, more than the kernel's %d", field, len(maps), maxMappings)
	}
	for i, m := range maps {
		if m.Size == 0 {
			return fmt.Errorf("%s[%d].size must be greater than zero", field, i)
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 || uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return fmt.Errorf("%s[%d]: range of %d IDs overflows 32 bits", field, i, m.Size)
		}
		for j := range i {
			o := maps[j]
			if overlaps(m.ContainerID, m.Size, o.ContainerID, o.Size) {
				return fmt.Errorf("%s[%d]: containerID range overlaps %s[%d]", field, i, field, j)
			}
			if overlaps(m.HostID, m.Size, o.HostID, o.Size) {
				return fmt.Errorf("%s[%d]: hostID range overlaps %s[%d]", field, i, field, j)
			}
		}
	}
	return nil
}

// overlaps reports whether [a, a+an) and [b, b+bn) intersect.
func overlaps(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// mapped reports whether container ID id is inside one of the mappings.
func mapped(id uint32, maps []specs.LinuxIDMapping) bool {
	for _, m := range maps {
		if uint64(id) >= uint64(m.ContainerID) && uint64(id) < uint64(m.ContainerID)+uint64(m.Size) {
			return true
		}
	}
	return false
}

// maxHostnameLen is the kernel's __NEW_UTS_LEN.
const maxHostnameLen = 64

// uts checks hostname and domainname: they need a UTS namespace (runc's
// rule and wording) and must fit the kernel's limit.
func (v *validator) uts() error {
	for _, f := range []struct{ field, val string }{
		{"hostname", v.spec.Hostname},
		{"domainname", v.spec.Domainname},
	} {
		if f.val == "" {
			continue
		}
		if !v.hasNS(specs.UTSNamespace) {
			return fmt.Errorf("%s: unable to set %s without a private UTS namespace", f.field, f.field)
		}
		if len(f.val) > maxHostnameLen {
			return fmt.Errorf("%s %q is longer than %d bytes", f.field, f.val, maxHostnameLen)
		}
		if hasNUL(f.val) {
			return fmt.Errorf("%s contains a NUL byte", f.field)
		}
	}
	return nil
}

// timeOffsets checks linux.timeOffsets: they need a new time namespace
// (offsets can only be written before a process enters it), and only the
// clocks the kernel virtualizes, with nanoseconds below one second.
func (v *validator) timeOffsets() error {
	offs := v.linux().TimeOffsets
	if offs == nil {
		return nil
	}
	i, path := v.ns(specs.TimeNamespace)
	if i < 0 {
		return errors.New("linux.timeOffsets: time namespace offsets specified, but time namespace isn't enabled in the config (linux.namespaces)")
	}
	if path != "" && len(offs) > 0 {
		return fmt.Errorf("linux.timeOffsets: offsets can only be set for a new time namespace, but linux.namespaces[%d] joins %s", i, path)
	}
	for clock, off := range offs {
		if clock != "monotonic" && clock != "boottime" {
			return fmt.Errorf("linux.timeOffsets[%q]: clock must be \"monotonic\" or \"boottime\"", clock)
		}
		if off.Nanosecs >= 1e9 {
			return fmt.Errorf("linux.timeOffsets[%q].nanosecs %d must be less than 1000000000", clock, off.Nanosecs)
		}
	}
	return nil
}
