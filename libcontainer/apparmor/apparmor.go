// Package apparmor confines the container process with an AppArmor profile
// (process.apparmorProfile, `runc exec --apparmor`).
//
// The profile is not entered at once: ApplyProfile asks the kernel to switch
// to it at the next execve (what libapparmor calls aa_change_onexec), so the
// runtime's own init keeps running unconfined until it execs the container
// process. The request is written to /proc/thread-self/attr/apparmor/exec
// through a private procfs handle (docs/security.md rule 4): the container's /proc,
// which may be a bind mount of anything by then, is never used.
//
// As with runc, asking for a profile on a host without AppArmor is an error;
// an empty profile name does nothing.
package apparmor

import (
	"errors"
	"fmt"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"
)

// ErrNotEnabled is returned when a profile is asked for on a host whose
// kernel does not run AppArmor.
var ErrNotEnabled = errors.New("apparmor is not enabled on this host")

// openThreadSelf opens /proc/thread-self/<sub> for writing (replaced by
// tests).
var openThreadSelf = openProcThreadSelf

// ApplyProfile makes the calling thread enter the named profile at its next
// execve. The caller must hold runtime.LockOSThread until that execve, and
// call this before setting no_new_privs (AppArmor refuses most profile
// changes under no_new_privs). An empty name does nothing.
func ApplyProfile(name string) error {
	if name == "" {
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	if err := changeOnExec(name); err != nil {
		return fmt.Errorf("unable to apply apparmor profile %q: %w", name, err)
	}
	return nil
}

// checkName refuses names the kernel would misparse: the attr file takes
// one line, and a NUL ends the string.
func checkName(name string) error {
	if strings.ContainsAny(name, "\x00\n") {
		return fmt.Errorf("apparmor profile %q: contains a NUL byte or newline", name)
	}
	return nil
}

// changeOnExec writes "exec <name>" to the thread's AppArmor exec
// attribute, attr/apparmor/exec. It exists on every kernel above the
// floor (Linux 5.8+) that has AppArmor built in; the shared attr/exec of
// older kernels is not used.
func changeOnExec(name string) error {
	f, closer, err := openThreadSelf("attr/apparmor/exec")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// No AppArmor directory: the kernel has no AppArmor.
			return ErrNotEnabled
		}
		return err
	}
	defer closer()
	defer f.Close()
	_, err = f.WriteString("exec " + name)
	return writeError(err)
}

// writeError turns the kernel's answer to the attr write into something a
// user can act on.
func writeError(err error) error {
	if errors.Is(err, unix.ENOENT) {
		// AppArmor's way of saying it has no such profile.
		return fmt.Errorf("profile not loaded (load it with apparmor_parser): %w", err)
	}
	return err
}

// openProcThreadSelf opens /proc/thread-self/<sub> for writing through a
// private procfs mount.
func openProcThreadSelf(sub string) (*os.File, func(), error) {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return nil, nil, fmt.Errorf("open procfs: %w", err)
	}
	defer proc.Close()
	h, closer, err := proc.OpenThreadSelf(sub)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		closer()
		return nil, nil, fmt.Errorf("reopen /proc/thread-self/%s: %w", sub, err)
	}
	return f, func() { closer() }, nil
}
