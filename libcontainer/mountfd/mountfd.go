// Package mountfd makes mounts through file descriptors (docs/security.md rule 2):
// every mount is built detached, as a file descriptor (a new filesystem
// from fsopen(2), or a copy of a mount from open_tree(2)), has its
// attributes set with mount_setattr(2), and is attached with
// move_mount(2) onto a file descriptor of its destination. No mount goes
// through a path that a container could swap for a symlink, and every fd
// made here is close-on-exec (rule 6).
//
// It is the one place that calls the new mount API, for the rootfs set-up
// (rootfs), the console (initproc), the sealed runc binary (exeseal) and
// the rootfs bind of a restore (libcontainer). It needs Linux 5.12
// (mount_setattr); see package kernel for the floor the runtime states.
package mountfd

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Param is one fsconfig(2) parameter: Key=Value, or the flag Key.
type Param struct {
	Key, Value string
	HasValue   bool
}

// Flag is the fsconfig flag parameter key ("ro", "nosuid").
func Flag(key string) Param { return Param{Key: key} }

// Set is the fsconfig string parameter key=value.
func Set(key, value string) Param { return Param{Key: key, Value: value, HasValue: true} }

func (p Param) String() string {
	if p.HasValue {
		return p.Key + "=" + p.Value
	}
	return p.Key
}

// New creates a new filesystem of type fstype with fsopen(2), configures
// it (source, then params in order) and returns it as a detached mount with
// the MOUNT_ATTR_* flags attrs. An error carries what the kernel logged on
// the filesystem context, if anything.
func New(fstype, source string, params []Param, attrs uint64) (_ *os.File, Err error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	defer func() { Err = withLog(fsfd, Err) }()
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return nil, fmt.Errorf("fsconfig source=%s: %w", source, err)
		}
	}
	if err := configure(fsfd, params); err != nil {
		return nil, err
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("create %s superblock: %w", fstype, err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(attrs))
	if err != nil {
		return nil, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return os.NewFile(uintptr(mfd), fstype), nil
}

// Reconfigure changes the superblock of the mount whose root mnt is
// (fspick(2) and FSCONFIG_CMD_RECONFIGURE), as mount(MS_REMOUNT) does
// without MS_BIND.
func Reconfigure(mnt *os.File, params []Param) (Err error) {
	fsfd, err := unix.Fspick(int(mnt.Fd()), "", unix.FSPICK_EMPTY_PATH|unix.FSPICK_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fspick: %w", err)
	}
	defer unix.Close(fsfd)
	defer func() { Err = withLog(fsfd, Err) }()
	if err := configure(fsfd, params); err != nil {
		return err
	}
	if err := unix.FsconfigReconfigure(fsfd); err != nil {
		return fmt.Errorf("reconfigure superblock: %w", err)
	}
	return nil
}

func configure(fsfd int, params []Param) error {
	for _, p := range params {
		var err error
		if p.HasValue {
			err = unix.FsconfigSetString(fsfd, p.Key, p.Value)
		} else {
			err = unix.FsconfigSetFlag(fsfd, p.Key)
		}
		if err != nil {
			return fmt.Errorf("fsconfig %s: %w", p, err)
		}
	}
	return nil
}

// withLog adds to err the errors and warnings the kernel logged on the
// filesystem context fsfd ("e ..." and "w ..." lines).
func withLog(fsfd int, err error) error {
	if err == nil {
		return nil
	}
	var msgs []string
	buf := make([]byte, 4096)
	for range 16 {
		n, rerr := unix.Read(fsfd, buf)
		if rerr != nil || n <= 0 {
			break
		}
		msg := strings.TrimSpace(string(buf[:n]))
		if strings.HasPrefix(msg, "e ") || strings.HasPrefix(msg, "w ") {
			msgs = append(msgs, msg[2:])
		}
	}
	if len(msgs) == 0 {
		return err
	}
	return fmt.Errorf("%w (kernel says: %s)", err, strings.Join(msgs, "; "))
}

// Clone returns a detached copy of the mount at path relative to dirfd,
// or of the mount dirfd is on when path is empty: open_tree(2) with
// OPEN_TREE_CLONE, the fd form of a bind mount. recursive copies the
// submounts too (rbind).
func Clone(dirfd int, path string, recursive bool) (*os.File, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	name := path
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
		name = "fd"
	}
	fd, err := unix.OpenTree(dirfd, path, flags)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Attach mounts mnt (a detached mount, or the root of an attached one,
// which is then moved) on top of the file or directory dst refers to.
func Attach(mnt, dst *os.File) error {
	err := unix.MoveMount(int(mnt.Fd()), "", int(dst.Fd()), "",
		unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// SetAttr applies a mount_setattr(2) request to the mount whose root mnt
// is, and with recursive to every mount below it.
func SetAttr(mnt *os.File, recursive bool, attr *unix.MountAttr) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(int(mnt.Fd()), "", flags, attr); err != nil {
		return fmt.Errorf("mount_setattr(set=%#x clr=%#x propagation=%#x): %w",
			attr.Attr_set, attr.Attr_clr, attr.Propagation, err)
	}
	return nil
}

// Detach unmounts the attached mount whose root mnt is, with every mount
// below it (umount2 MNT_DETACH of /proc/self/fd/N: the kernel follows the
// fd, never a path a container could change). mnt stays open.
func Detach(mnt *os.File) error {
	if err := unix.Unmount(fmt.Sprintf("/proc/self/fd/%d", mnt.Fd()), unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount2: %w", err)
	}
	return nil
}
