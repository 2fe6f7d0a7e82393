package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// semverMajor returns the major number of a SemVer 2.0.0 version
// (MAJOR.MINOR.PATCH, numbers without leading zeros, then optionally
// -PRERELEASE and +BUILD, dot-separated identifiers of [0-9A-Za-z-]), and
// false if v is not one. Written out rather than a regexp: a regexp
// compiled at start-up costs every run of the runtime.
func semverMajor(v string) (string, bool) {
	v, build, hasBuild := strings.Cut(v, "+")
	if hasBuild && !semverIdents(build) {
		return "", false
	}
	core, pre, hasPre := strings.Cut(v, "-")
	if hasPre && !semverIdents(pre) {
		return "", false
	}
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return "", false
	}
	for _, n := range nums {
		if n == "" || (n[0] == '0' && len(n) > 1) || strings.Trim(n, "0123456789") != "" {
			return "", false
		}
	}
	return nums[0], true
}

// semverIdents checks dot-separated, non-empty identifiers of [0-9A-Za-z-].
func semverIdents(s string) bool {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		for _, c := range []byte(id) {
			if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '-' {
				return false
			}
		}
	}
	return true
}

// version checks ociVersion: it is required, must be SemVer, and its major
// version must be 1. Like runc, any 1.x is accepted: the spec keeps
// compatibility within a major version and fields this runtime does not
// know are ignored.
func (v *validator) version() error {
	ver := v.spec.Version
	if ver == "" {
		return errors.New("ociVersion must be set")
	}
	major, ok := semverMajor(ver)
	if !ok {
		return fmt.Errorf("ociVersion %q is not a SemVer 2.0.0 version", ver)
	}
	if major != "1" {
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
