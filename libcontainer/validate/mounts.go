package validate

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
)

// mounts checks each entry of mounts.
func (v *validator) mounts() error {
	for i := range v.spec.Mounts {
		if err := v.mount(i, &v.spec.Mounts[i]); err != nil {
			return err
		}
	}
	return nil
}

// mount checks mounts[i].
func (v *validator) mount(i int, m *specs.Mount) error {
	field := fmt.Sprintf("mounts[%d]", i)
	if m.Destination == "" {
		return fmt.Errorf("%s.destination must not be empty", field)
	}
	// None of these may hold a NUL: they travel as C strings, and runc
	// blocks it early for the same reason ("mount field contains null byte").
	for _, f := range []struct{ name, val string }{
		{"destination", m.Destination}, {"source", m.Source}, {"type", m.Type},
	} {
		if hasNUL(f.val) {
			return fmt.Errorf("%s.%s: mount field contains null byte", field, f.name)
		}
	}
	if !filepath.IsAbs(m.Destination) {
		// The spec allows this for compatibility, relative to "/";
		// runc warns.
		logrus.Warnf("%s.destination %q is not absolute; it is taken as relative to \"/\"", field, m.Destination)
	}

	bind, idmap := false, false
	var data []string
	for j, o := range m.Options {
		if hasNUL(o) {
			return fmt.Errorf("%s.options[%d]: mount field contains null byte", field, j)
		}
		switch o {
		case "bind", "rbind":
			bind = true
		case "idmap", "ridmap":
			idmap = true
		}
		if !rootfs.IsKnownMountOption(o) {
			data = append(data, o)
		}
	}
	if bind {
		if m.Source == "" {
			return fmt.Errorf("%s.source must be set for a bind mount", field)
		}
		// The kernel ignores filesystem options on a bind mount, and
		// they cannot be set per mount point.
		if len(data) > 0 {
			return fmt.Errorf("%s.options: bind mounts cannot have any filesystem-specific options applied (%s)", field, strings.Join(data, ","))
		}
	}
	if v.rootless {
		if err := v.rootlessMountIDs(field, data); err != nil {
			return err
		}
	}

	hasMaps := m.UIDMappings != nil || m.GIDMappings != nil
	if !idmap && !hasMaps {
		return nil
	}
	if !bind {
		return fmt.Errorf("%s: id-mapped mounts are only supported for bind-mounts", field)
	}
	if v.rootless {
		return fmt.Errorf("%s: id-mapped mounts are not supported for rootless containers", field)
	}
	if hasMaps {
		if len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0 {
			return fmt.Errorf("%s: id-mapped mounts must have both uid and gid mappings specified", field)
		}
		if err := checkMappings(field+".uidMappings", m.UIDMappings); err != nil {
			return err
		}
		return checkMappings(field+".gidMappings", m.GIDMappings)
	}
	// idmap without its own mappings takes the container's user
	// namespace's, so there must be one.
	if !v.hasNS(specs.UserNamespace) {
		return fmt.Errorf("%s: id-mapped mounts must have both uid and gid mappings specified, or the container must have a user namespace", field)
	}
	return nil
}

// rootlessMountIDs refuses uid=/gid= mount data naming an ID that is not
// mapped in the user namespace (runc's rootless rule).
func (v *validator) rootlessMountIDs(field string, data []string) error {
	l := v.linux()
	if !v.newUserNS() {
		return nil // joined namespace: its mappings are not known here
	}
	for _, o := range data {
		for _, k := range []struct {
			prefix string
			maps   []specs.LinuxIDMapping
		}{{"uid=", l.UIDMappings}, {"gid=", l.GIDMappings}} {
			s, ok := strings.CutPrefix(o, k.prefix)
			if !ok {
				continue
			}
			id, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				continue // not ours to judge
			}
			if !mapped(uint32(id), k.maps) {
				return fmt.Errorf("%s.options: cannot specify %s mount options for unmapped %s in rootless containers", field, k.prefix, strings.TrimSuffix(k.prefix, "="))
			}
		}
	}
	return nil
}

// paths checks linux.maskedPaths, linux.readonlyPaths (absolute, and only
// with a mount namespace, as runc requires) and linux.rootfsPropagation.
func (v *validator) paths() error {
	l := v.linux()
	for _, f := range []struct {
		field string
		paths []string
	}{{"linux.maskedPaths", l.MaskedPaths}, {"linux.readonlyPaths", l.ReadonlyPaths}} {
		for i, p := range f.paths {
			if !filepath.IsAbs(p) {
				return fmt.Errorf("%s[%d] %q must be an absolute path", f.field, i, p)
			}
			if hasNUL(p) {
				return fmt.Errorf("%s[%d] contains a NUL byte", f.field, i)
			}
		}
		if len(f.paths) > 0 && !v.hasNS(specs.MountNamespace) {
			return fmt.Errorf("%s: unable to restrict sys entries without a private MNT namespace", f.field)
		}
	}
	if p := l.RootfsPropagation; p != "" && !rootfs.IsPropagation(p) {
		return fmt.Errorf("linux.rootfsPropagation: rootfsPropagation=%v is not supported", p)
	}
	return nil
}
