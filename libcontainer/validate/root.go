package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// semver matches a SemVer 2.0.0 version and captures its major number.
var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// version checks ociVersion: it is required, must be SemVer, and its major
// version must be 1. Like runc, any 1.x is accepted: the spec keeps
// compatibility within a major version and fields this runtime does not
// know are ignored.
func (v *validator) version() error {
	ver := v.spec.Version
	if ver == "" {
		return errors.New("ociVersion must be set")
	}
	m := semver.FindStringSubmatch(ver)
	if m == nil {
		return fmt.Errorf("ociVersion %q is not a SemVer 2.0.0 version", ver)
	}
	if m[1] != "1" {
		return fmt.Errorf("ociVersion %q is not supported: this runtime supports 1.x (up to %s)", ver, specs.Version)
	}
	return nil
}

// root checks root.path: it must be set and name an existing directory
// (relative to the bundle unless absolute). Like runc, the rootfs itself
// must not be reached through a symlink: the bundle directory is resolved
// first (runc runs with the bundle as its working directory), then the
// rootfs path must resolve to itself.
func (v *validator) root() error {
	r := v.spec.Root
	if r == nil {
		return errors.New("root must be specified")
	}
	if r.Path == "" {
		return errors.New("root.path must not be empty")
	}
	if hasNUL(r.Path) {
		return errors.New("root.path contains a NUL byte")
	}
	path := r.Path
	if !filepath.IsAbs(path) {
		bundle, err := filepath.Abs(v.bundle)
		if err != nil {
			return fmt.Errorf("root.path: bundle %q: %w", v.bundle, err)
		}
		if bundle, err = filepath.EvalSymlinks(bundle); err != nil {
			return fmt.Errorf("root.path: bundle: %w", err)
		}
		path = filepath.Join(bundle, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("root.path: invalid rootfs: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("root.path: invalid rootfs: %s is not a directory", path)
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("root.path: invalid rootfs: %w", err)
	}
	if filepath.Clean(path) != resolved {
		return fmt.Errorf("root.path: invalid rootfs: not an absolute path, or a symlink (%s resolves to %s)", path, resolved)
	}
	return nil
}
