package cgroupmgr

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/opencontainers/cgroups/systemd"
)

// fsPath returns the cgroup path given to the cgroupfs drivers for a
// container: absolute (relative to each hierarchy's root) or relative (to the
// caller's own cgroup). id names the cgroup when specPath is empty; root is
// the value of RUNC_CGROUP_ROOT ("" when unset).
func fsPath(id, specPath, root string) (string, error) {
	p, field := specPath, "linux.cgroupsPath"
	if p == "" {
		if id == "" {
			return "", errors.New("linux.cgroupsPath is empty and there is no container id to name the cgroup")
		}
		p, field = id, "container id"
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("%s %q: contains a NUL byte", field, p)
	}
	if err := checkInside(p); err != nil {
		return "", fmt.Errorf("%s %q: %w", field, p, err)
	}
	if path.IsAbs(p) || root == "" {
		// Absolute, or relative to the caller's own cgroup (the library
		// resolves that per controller from /proc/self/cgroup).
		return path.Clean(p), nil
	}
	if !path.IsAbs(root) {
		return "", fmt.Errorf("%s=%q: must be an absolute cgroup path", EnvCgroupRoot, root)
	}
	if strings.IndexByte(root, 0) >= 0 {
		return "", fmt.Errorf("%s=%q: contains a NUL byte", EnvCgroupRoot, root)
	}
	if err := checkInside(root); err != nil {
		return "", fmt.Errorf("%s=%q: %w", EnvCgroupRoot, root, err)
	}
	return path.Join(root, p), nil
}

// checkInside returns an error if p, read component by component, climbs
// above the directory it is relative to (the hierarchy root for an absolute
// path), or ends up naming that directory itself. A container must get a
// cgroup of its own: Destroy and KillAll act on the whole directory.
func checkInside(p string) error {
	depth := 0
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return errors.New(`".." climbs above the cgroup root`)
			}
		default:
			depth++
		}
	}
	if depth == 0 {
		return errors.New("names the cgroup root itself, not a cgroup below it")
	}
	return nil
}

// systemdPath is linux.cgroupsPath split for the systemd driver.
type systemdPath struct {
	Parent, ScopePrefix, Name string
}

// parseSystemdPath splits a systemd-style linux.cgroupsPath,
// "slice:prefix:name". An empty path gives the scope runc-<id>.scope in the
// driver's default slice. As in runc, the name may itself end in ".slice",
// in which case the container gets a slice unit instead of a scope.
func parseSystemdPath(id, specPath string) (systemdPath, error) {
	if specPath == "" {
		if id == "" {
			return systemdPath{}, errors.New("linux.cgroupsPath is empty and there is no container id to name the unit")
		}
		return systemdPath{ScopePrefix: "runc", Name: id}, nil
	}
	parts := strings.Split(specPath, ":")
	if len(parts) != 3 {
		return systemdPath{}, fmt.Errorf(`linux.cgroupsPath %q: expected "slice:prefix:name" for systemd cgroups`, specPath)
	}
	sp := systemdPath{Parent: parts[0], ScopePrefix: parts[1], Name: parts[2]}
	if sp.Name == "" {
		return systemdPath{}, fmt.Errorf(`linux.cgroupsPath %q: the name part of "slice:prefix:name" is empty`, specPath)
	}
	for _, part := range parts {
		if strings.ContainsAny(part, "/\x00") {
			return systemdPath{}, fmt.Errorf(`linux.cgroupsPath %q: "slice:prefix:name" parts must not contain "/"`, specPath)
		}
	}
	if sp.Parent != "" {
		if _, err := systemd.ExpandSlice(sp.Parent); err != nil {
			return systemdPath{}, fmt.Errorf("linux.cgroupsPath %q: %w", specPath, err)
		}
	}
	return sp, nil
}
