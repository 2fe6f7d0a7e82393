// Package selinux applies a container's SELinux labels through
// github.com/opencontainers/selinux: the process label (process.selinuxLabel,
// `runc exec --process-label`), set at the next execve, the label of the
// session keyring, and the context given to new mounts (linux.mountLabel).
//
// On a host without SELinux an empty label does nothing, a process label is
// an error (as runc reports it) and a mount label is dropped, so that a
// config written for an SELinux host still runs. The library writes the
// /proc/thread-self/attr files through a private procfs handle (docs/security.md
// rule 4).
package selinux

import (
	"errors"
	"fmt"

	goselinux "github.com/opencontainers/selinux/go-selinux"
	"github.com/sirupsen/logrus"
)

// ErrDisabled is returned when a process label is asked for on a host
// without SELinux.
var ErrDisabled = errors.New("selinux label is specified in config, but selinux is disabled or not supported")

// The library's entry points, replaced by tests.
var (
	getEnabled   = goselinux.GetEnabled
	setExecLabel = goselinux.SetExecLabel
	setKeyLabel  = goselinux.SetKeyLabel
)

// MountLabel returns the context= value to give new mounts for the
// configured linux.mountLabel: the label itself where SELinux is enabled,
// nothing where it is not (the kernel would refuse the option).
func MountLabel(label string) string {
	if label == "" {
		return ""
	}
	if !getEnabled() {
		logrus.Debugf("selinux is disabled: ignoring linux.mountLabel %q", label)
		return ""
	}
	return label
}

// SetExecLabel makes the calling thread's next execve run with label. The
// caller must hold runtime.LockOSThread until then. An empty label does
// nothing.
func SetExecLabel(label string) error {
	if label == "" {
		return nil
	}
	if !getEnabled() {
		return ErrDisabled
	}
	if err := setExecLabel(label); err != nil {
		return fmt.Errorf("set process label %q: %w", label, err)
	}
	return nil
}

// SetKeyLabel sets the label of keyrings the calling thread creates, for
// the container's session keyring; an empty label resets it to the default
// (and does nothing without SELinux).
func SetKeyLabel(label string) error {
	if !getEnabled() {
		if label == "" {
			return nil
		}
		return ErrDisabled
	}
	if err := setKeyLabel(label); err != nil {
		return fmt.Errorf("set keyring label %q: %w", label, err)
	}
	return nil
}
