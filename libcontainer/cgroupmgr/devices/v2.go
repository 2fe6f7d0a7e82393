package devices

import (
	"errors"
	"fmt"
	"os"

	"github.com/moby/sys/userns"
	"github.com/opencontainers/cgroups"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// license is the program's license string (as the kernel's
// MODULE_LICENSE): this one gives no GPL-only helpers, and the program
// uses none.
const license = "Apache"

// SetV2 enforces the device rules of r on the cgroup v2 directory dir: it
// compiles them to a BPF device program, attaches it and detaches the
// device programs attached before (a previous update's, or systemd's),
// so that one program, ours, is left. The new program is attached before
// the old ones are detached: while both are there, an access needs both
// to allow it, so nothing either set of rules denies gets through.
//
// Errors of bpf(2) are ignored when the rules allow every access to every
// device they name (there is then nothing to enforce that the lack of a
// program would let through, in a container that cannot create device
// nodes of its own), and in a user namespace, where bpf(2) is not allowed.
func SetV2(dir string, r *cgroups.Resources) error {
	if r.SkipDevices {
		return nil
	}
	prog, err := buildProgram(r.Devices)
	if err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := install(fd, prog); err != nil {
		if errorsIgnorable(r) {
			logrus.Debugf("device rules of %s not enforced: %v", dir, err)
			return nil
		}
		return fmt.Errorf("device rules of %s: %w", dir, err)
	}
	return nil
}

// errorsIgnorable reports whether a failure to install the program may be
// ignored: in a user namespace, or when every rule allows all of "rwm".
func errorsIgnorable(r *cgroups.Resources) bool {
	if userns.RunningInUserNS() {
		return true
	}
	for _, rule := range r.Devices {
		if !rule.Allow || rule.Permissions.Union("") != "rwm" {
			return false
		}
	}
	return true
}

// install loads prog and makes it the only device program attached to
// the cgroup cgroupFD.
func install(cgroupFD int, prog []insn) error {
	// Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK. The
	// limit of runc's own process; the container does not inherit it.
	_ = unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})

	ids, err := attachedPrograms(cgroupFD)
	if err != nil {
		return err
	}
	var old []int
	defer func() {
		for _, fd := range old {
			unix.Close(fd)
		}
	}()
	for _, id := range ids {
		fd, err := programFD(id)
		if errors.Is(err, os.ErrPermission) {
			// A program an LSM keeps from us (one systemd attached,
			// under a strict SELinux policy): it stays. Another program
			// can only deny more, never let more through.
			logrus.Debugf("device program %d of the cgroup cannot be opened, left attached: %v", id, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("open device program %d: %w", id, err)
		}
		old = append(old, fd)
	}

	progFD, err := loadProgram(prog)
	if err != nil {
		return fmt.Errorf("load device program: %w", err)
	}
	// The attachment keeps the program alive; our fd is not needed after.
	defer unix.Close(progFD)
	if err := attachProgram(cgroupFD, progFD); err != nil {
		return fmt.Errorf("attach device program: %w", err)
	}
	if len(old) > 1 {
		// systemd adds its own program next to ours when it sets unit
		// properties.
		logrus.Infof("%d device programs were attached to the cgroup; detaching them", len(old))
	}
	for _, fd := range old {
		if err := detachProgram(cgroupFD, fd); err != nil {
			return fmt.Errorf("detach the previous device program: %w", err)
		}
	}
	return nil
}
