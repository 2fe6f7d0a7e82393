// Package runcache is runc's cache on /run: a root-only directory (Dir) of
// what a start can reuse from the last one, computed once per boot: the
// init program (exeseal, bin/) and compiled seccomp filters (seccomp,
// seccomp/). /run is usually a tmpfs, emptied at boot, as a new kernel
// wants. Every directory and file in it is opened by fd, without
// following symlinks, and refused unless only root can write to it.
package runcache

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Dir is the cache's root directory.
const Dir = "/run/runc-init"

// OpenDir makes the directory name (in dirfd) if needed and opens it,
// refusing one that anyone but root could write to, or a symlink; path is
// its name in errors.
func OpenDir(dirfd int, name, path string) (*os.File, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, flags, 0)
	if err == unix.ENOENT { // the first start since boot
		if err := unix.Mkdirat(dirfd, name, 0o700); err != nil && err != unix.EEXIST {
			return nil, &os.PathError{Op: "mkdir", Path: path, Err: err}
		}
		fd, err = unix.Openat(dirfd, name, flags, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	dir := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		dir.Close()
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if !SafeOwner(&st) {
		dir.Close()
		return nil, fmt.Errorf("%s: owned by uid %d, mode %#o: not a root-only directory", path, st.Uid, st.Mode&0o7777)
	}
	return dir, nil
}

// OpenSub opens the directory sub of root (usually Dir), making both if
// needed.
func OpenSub(root, sub string) (*os.File, error) {
	r, err := OpenDir(unix.AT_FDCWD, root, root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return OpenDir(int(r.Fd()), sub, root+"/"+sub)
}

// SafeOwner reports whether st is owned by root and writable by nobody
// else.
func SafeOwner(st *unix.Stat_t) bool { return st.Uid == 0 && st.Mode&0o022 == 0 }

// ReadFile reads the regular file name of dir, root-owned and writable by
// nobody else, of at most limit bytes. It fails with unix.ENOENT if there is
// none, with another error for one that is not such a file.
func ReadFile(dir *os.File, name string, limit int64) ([]byte, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), dir.Name()+"/"+name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || !SafeOwner(&st) || st.Size > limit {
		return nil, fmt.Errorf("%s: not a root-only regular file of at most %d bytes", f.Name(), limit)
	}
	buf := make([]byte, st.Size)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, err
	}
	return buf, nil
}

// WriteFile leaves data in dir under name, written to a temporary name,
// synced, then renamed over, so that no runc ever sees half of it, even
// after a crash where /run is on a disk. prepare, if set, gets the new
// file's fd before it is synced.
func WriteFile(dir *os.File, name string, data []byte, mode uint32, prepare func(fd int)) error {
	dfd := int(dir.Fd())
	tmp := fmt.Sprintf(".%s.%d", name, os.Getpid())
	_ = unix.Unlinkat(dfd, tmp, 0) // a crashed runc's, with our pid
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return &os.PathError{Op: "create", Path: dir.Name() + "/" + tmp, Err: err}
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(data)
	if err == nil {
		if prepare != nil {
			prepare(fd)
		}
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dfd, tmp, dfd, name)
	}
	if err != nil {
		_ = unix.Unlinkat(dfd, tmp, 0)
		return fmt.Errorf("write %s/%s: %w", dir.Name(), name, err)
	}
	return nil
}
