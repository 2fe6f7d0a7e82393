package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// This file wraps the new mount API (Linux 5.2+; mount_setattr 5.12+).
// Every mount the package makes is built detached, as a file descriptor,
// and attached with move_mount(2) onto a file descriptor of the
// destination: no mount ever goes through a path the container could
// swap for a symlink.

// fsParam is one fsconfig(2) parameter: a flag when hasValue is false.
type fsParam struct {
	key, value string
	hasValue   bool
}

// dataParams turns "key=value" and "flag" data options into fsconfig
// parameters. The SELinux context options may be quoted for mount(2)
// (their values contain commas); fsconfig takes the raw value.
func dataParams(data []string) []fsParam {
	params := make([]fsParam, 0, len(data))
	for _, d := range data {
		key, value, ok := strings.Cut(d, "=")
		if !ok {
			params = append(params, fsParam{key: d})
			continue
		}
		switch key {
		case "context", "fscontext", "defcontext", "rootcontext":
			value = strings.Trim(value, `"`)
		}
		params = append(params, fsParam{key: key, value: value, hasValue: true})
	}
	return params
}

// newFS creates a new filesystem of type fstype with fsopen(2), configures
// it (source, superblock flags, data) and returns it as a detached mount
// with the MOUNT_ATTR_* flags attrs.
func newFS(fstype, source string, params []fsParam, attrs uint64) (_ *os.File, Err error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	defer func() {
		if Err != nil {
			if msg := fsLog(fsfd); msg != "" {
				Err = fmt.Errorf("%w (kernel says: %s)", Err, msg)
			}
		}
	}()
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return nil, fmt.Errorf("fsconfig source=%s: %w", source, err)
		}
	}
	for _, p := range params {
		if p.hasValue {
			err = unix.FsconfigSetString(fsfd, p.key, p.value)
		} else {
			err = unix.FsconfigSetFlag(fsfd, p.key)
		}
		if err != nil {
			if p.hasValue {
				return nil, fmt.Errorf("fsconfig %s=%s: %w", p.key, p.value, err)
			}
			return nil, fmt.Errorf("fsconfig %s: %w", p.key, err)
		}
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

// reconfigureFS changes the superblock of the mount at f (fspick(2) and
// FSCONFIG_CMD_RECONFIGURE), as mount(MS_REMOUNT) does without MS_BIND.
func reconfigureFS(f *os.File, params []fsParam) (Err error) {
	fsfd, err := unix.Fspick(int(f.Fd()), "", unix.FSPICK_EMPTY_PATH|unix.FSPICK_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fspick: %w", err)
	}
	defer unix.Close(fsfd)
	defer func() {
		if Err != nil {
			if msg := fsLog(fsfd); msg != "" {
				Err = fmt.Errorf("%w (kernel says: %s)", Err, msg)
			}
		}
	}()
	for _, p := range params {
		if p.hasValue {
			err = unix.FsconfigSetString(fsfd, p.key, p.value)
		} else {
			err = unix.FsconfigSetFlag(fsfd, p.key)
		}
		if err != nil {
			return fmt.Errorf("fsconfig %s: %w", p.key, err)
		}
	}
	if err := unix.FsconfigReconfigure(fsfd); err != nil {
		return fmt.Errorf("reconfigure superblock: %w", err)
	}
	return nil
}

// fsLog drains the message log of an fs context, keeping errors and
// warnings ("e ..." and "w ..." lines).
func fsLog(fsfd int) string {
	var msgs []string
	buf := make([]byte, 4096)
	for range 16 {
		n, err := unix.Read(fsfd, buf)
		if err != nil || n <= 0 {
			break
		}
		msg := strings.TrimSpace(string(buf[:n]))
		if strings.HasPrefix(msg, "e ") || strings.HasPrefix(msg, "w ") {
			msgs = append(msgs, msg[2:])
		}
	}
	return strings.Join(msgs, "; ")
}

// cloneTree returns a detached copy of the mount at path relative to dirfd
// (or at dirfd itself when path is empty): open_tree(2) with
// OPEN_TREE_CLONE, the fd form of a bind mount. recursive copies the
// submounts too (rbind).
func cloneTree(dirfd int, path string, recursive bool) (*os.File, error) {
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

// attach mounts the detached (or attached) mount mnt on top of the file
// or directory dst refers to.
func attach(mnt, dst *os.File) error {
	err := unix.MoveMount(int(mnt.Fd()), "", int(dst.Fd()), "",
		unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// setAttr applies a mount_setattr(2) request to the mount whose root f is.
func setAttr(f *os.File, recursive bool, attr *unix.MountAttr) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(int(f.Fd()), "", flags, attr); err != nil {
		return fmt.Errorf("mount_setattr(set=%#x clr=%#x propagation=%#x): %w",
			attr.Attr_set, attr.Attr_clr, attr.Propagation, err)
	}
	return nil
}

// setPropagation applies mount(2)-style propagation flags (MS_SHARED,
// MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, each optionally with MS_REC) to the
// attached mount whose root f is.
func setPropagation(f *os.File, flags uintptr) error {
	attr := &unix.MountAttr{Propagation: uint64(flags &^ unix.MS_REC)}
	if err := setAttr(f, flags&unix.MS_REC != 0, attr); err != nil {
		return fmt.Errorf("set propagation %s: %w", propagationName(flags), err)
	}
	return nil
}

// propagationName gives the mount(8) name of propagation flags.
func propagationName(flags uintptr) string {
	for name, f := range propagationOptions {
		if f == flags {
			return name
		}
	}
	return fmt.Sprintf("%#x", flags)
}

// isNotExist reports ENOENT, however wrapped.
func isNotExist(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, os.ErrNotExist)
}
