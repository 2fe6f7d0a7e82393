package initproc

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// initCwd is the process's working directory while the init sets the
// process up.
type initCwd struct {
	path string
	// asUser: root could not enter it (EACCES or EPERM); it is entered
	// once the process's user is set.
	asUser bool
}

// enterCwd changes to the process's cwd as root, before the user change
// (a user may not be able to reach its own cwd: uid 2000 in a 0700 /root),
// and checks that it is inside the container: a cwd reached through a
// leaked host fd shows as unreachable (CVE-2024-21626). It runs before the
// seccomp filter is loaded (a profile may deny getcwd). If root may not
// enter it, the process's user may (a directory whose owner is not mapped
// in a user namespace, a root-squashing NFS export): the cwd is then
// entered by enterAsUser, as runc does.
func enterCwd(cwd string) (*initCwd, error) {
	if cwd == "" {
		cwd = "/"
	}
	c := &initCwd{path: cwd}
	if err := unix.Chdir(cwd); err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			c.asUser = true
			return c, nil
		}
		return nil, c.chdirError(err)
	}
	return c, c.verify()
}

// enterAsUser changes to the cwd root could not enter, now that the
// process's user is set, and checks it as enterCwd does.
func (c *initCwd) enterAsUser() error {
	if err := unix.Chdir(c.path); err != nil {
		return c.chdirError(err)
	}
	return c.verify()
}

func (c *initCwd) chdirError(err error) error {
	return fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", c.path, err)
}

// verify checks that the current directory is inside the container's root.
func (c *initCwd) verify() error {
	// getcwd(2) prefixes "(unreachable)" to a directory outside our root,
	// which unix.Getwd reports as ENOENT.
	wd, err := unix.Getwd()
	if errors.Is(err, unix.ENOENT) || (err == nil && !strings.HasPrefix(wd, "/")) {
		return fmt.Errorf("current working directory %q is outside of the container's root -- possible container breakout detected", c.path)
	}
	if err != nil {
		return fmt.Errorf("failed to verify that the working directory %q is inside the container: %w", c.path, os.NewSyscallError("getcwd", err))
	}
	return nil
}
