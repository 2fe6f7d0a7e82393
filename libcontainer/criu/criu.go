// Package criu drives CRIU (Checkpoint/Restore In Userspace) for the
// runtime's checkpoint and restore: it finds the criu binary and checks its
// version, speaks CRIU's RPC protocol with `criu swrk` (the messages are
// package rpc's own codec), tells a failure of CRIU on this kernel from a failure of
// one dump, and turns a container's configuration into CRIU's options
// (external mounts and namespaces, cgroup roots, the org.criu.config
// annotation).
//
// Nothing here knows about the runtime's state directory; the libcontainer
// package holds the container side (Container.Checkpoint, Restore).
package criu

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// MinVersion is the oldest CRIU the runtime works with: 3.0 brought the
// VERSION request everything else relies on (as in runc).
const MinVersion = 30000

// Versions needed by particular features, as CRIU's integer versions
// (major*10000 + minor*100 + sublevel).
const (
	VersionExtNetNS    = 31100 // --external net[inode]:key
	VersionCgroupV2    = 31400 // cgroup v2 freezer
	VersionExtPidNS    = 31500 // --external pid[inode]:key
	VersionStatusReady = 31500 // the "status-ready" notification
	VersionLSM         = 31600 // --lsm-profile, --lsm-mount-context
)

// ErrNotFound is returned by New when there is no criu binary.
var ErrNotFound = errors.New("criu binary not found")

// Criu is a criu binary of a known version.
type Criu struct {
	// Path is the binary's path, as found in $PATH.
	Path string
	// Version is CRIU's version, major*10000 + minor*100 + sublevel.
	Version int
}

// New finds the criu binary path (a name is looked up in $PATH; "" means
// "criu") and asks it its version. A missing binary gives an error wrapping
// ErrNotFound, a version below MinVersion a *VersionError.
func New(path string) (*Criu, error) {
	if path == "" {
		path = "criu"
	}
	bin, err := exec.LookPath(path)
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return nil, fmt.Errorf("%w: %s: %w (install criu or name it with --criu)", ErrNotFound, path, err)
	}
	v, err := askVersion(bin)
	if err != nil {
		return nil, fmt.Errorf("criu version check (%s): %w", bin, err)
	}
	cr := &Criu{Path: bin, Version: v}
	if err := cr.Require(MinVersion, ""); err != nil {
		return nil, err
	}
	return cr, nil
}

// askVersion asks the criu binary at path its version with a VERSION
// request.
func askVersion(path string) (int, error) {
	s := &Session{Criu: &Criu{Path: path}}
	resp, err := s.Run(&rpc.CriuReq{Type: rpc.ReqVersion})
	if err != nil {
		return 0, err
	}
	v := resp.GetVersion()
	if v == nil {
		return 0, errors.New("criu answered no version")
	}
	version := int(v.MajorNumber)*10000 + int(v.MinorNumber)*100
	if v.Sublevel != nil {
		version += int(*v.Sublevel)
	}
	if v.Gitid != nil && *v.Gitid != "" {
		// A build from git counts as the next minor version (as in
		// runc): it has what that release will have.
		version += 100 - version%100
	}
	return version, nil
}

// Require returns a *VersionError if c is older than need; what names the
// feature that needs it (empty: the runtime itself).
func (c *Criu) Require(need int, what string) error {
	if c.Version < need {
		return &VersionError{Have: c.Version, Need: need, For: what}
	}
	return nil
}

// VersionError says that the criu binary is too old.
type VersionError struct {
	Have, Need int
	For        string // the feature that needs Need, if not everything
}

func (e *VersionError) Error() string {
	s := fmt.Sprintf("criu version %s is too old, need %s or later", FormatVersion(e.Have), FormatVersion(e.Need))
	if e.For != "" {
		s += " for " + e.For
	}
	return s
}

// FormatVersion writes an integer CRIU version as major.minor.sublevel.
func FormatVersion(v int) string {
	return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
}
