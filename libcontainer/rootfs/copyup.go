package rootfs

import (
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// copyUp implements runc's "tmpcopyup" option: the content of the
// directory a tmpfs is about to cover is copied into the new (still
// detached) tmpfs. Everything is done with *at calls on the two directory
// handles, never following a symlink.
func copyUp(srcDir, dstMount *os.File) error {
	src, err := pathrs.Reopen(srcDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open mountpoint: %w", err)
	}
	defer src.Close()
	return copyDir(src, int(dstMount.Fd()))
}

// copyDir copies the entries of the open directory src into dstfd.
func copyDir(src *os.File, dstfd int) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", src.Name(), err)
	}
	srcfd := int(src.Fd())
	for _, name := range names {
		if err := copyEntry(srcfd, dstfd, name, src.Name()+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// copyEntry copies one directory entry, keeping its type, mode and owner.
func copyEntry(srcfd, dstfd int, name, display string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(srcfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "stat", Path: display, Err: err}
	}
	mode := st.Mode & 0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dstfd, name, 0o700); err != nil {
			return &os.PathError{Op: "mkdir", Path: display, Err: err}
		}
		sfd, err := unix.Openat(srcfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open", Path: display, Err: err}
		}
		sub := os.NewFile(uintptr(sfd), display)
		defer sub.Close()
		dfd, err := unix.Openat(dstfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open copy of", Path: display, Err: err}
		}
		defer unix.Close(dfd)
		if err := copyDir(sub, dfd); err != nil {
			return err
		}
	case unix.S_IFREG:
		sfd, err := unix.Openat(srcfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open", Path: display, Err: err}
		}
		in := os.NewFile(uintptr(sfd), display)
		defer in.Close()
		dfd, err := unix.Openat(dstfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return &os.PathError{Op: "create copy of", Path: display, Err: err}
		}
		out := os.NewFile(uintptr(dfd), display)
		defer out.Close()
		if _, err := io.Copy(out, in); err != nil {
			return fmt.Errorf("copy %s: %w", display, err)
		}
	case unix.S_IFLNK:
		target, err := readlinkat(srcfd, name)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, dstfd, name); err != nil {
			return &os.PathError{Op: "symlink", Path: display, Err: err}
		}
	default:
		if err := unix.Mknodat(dstfd, name, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
			return &os.PathError{Op: "mknod", Path: display, Err: err}
		}
	}
	if err := unix.Fchownat(dstfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chown copy of", Path: display, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dstfd, name, mode, 0); err != nil {
			return &os.PathError{Op: "chmod copy of", Path: display, Err: err}
		}
	}
	return nil
}
