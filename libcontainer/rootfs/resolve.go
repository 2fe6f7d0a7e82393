package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// root is the container's root filesystem, held open. Every path inside
// the container is resolved relative to it (symlinks are followed but can
// never lead out of it), so that a symlink planted in the image cannot
// redirect a mount or a file creation onto the host.
type root struct {
	f    *os.File // O_PATH handle of the root directory
	path string   // where f is, as this process sees it (readlink)
	fds  *os.File // /proc/self/fd of a private procfs (setup.fds), for fdPath
}

// openRoot wraps a directory handle, recording where it is.
func (s *setup) openRoot(f *os.File) (*root, error) {
	r := &root{f: f, fds: s.fds}
	p, err := r.fdPath(f)
	if err != nil {
		return nil, err
	}
	r.path = p
	return r, nil
}

// fdPath returns the path the kernel has for an open file: readlink of
// its /proc/self/fd/N, in the private procfs the setup opened (a fresh
// instance nothing can be mounted over; one handle for every call, as
// the lookups of pathrs-lite's ProcSelfFdReadlink cost the init more than
// the readlink itself).
func (r *root) fdPath(f *os.File) (string, error) {
	p, err := readlinkat(int(r.fds.Fd()), strconv.Itoa(int(f.Fd())))
	if err != nil {
		return "", fmt.Errorf("readlink of fd %d: %w", f.Fd(), err)
	}
	if strings.HasSuffix(p, " (deleted)") || !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("fd %d (%s) is not reachable from our root", f.Fd(), p)
	}
	return p, nil
}

// inRoot turns a path as this process sees it into the path inside the
// container, failing if it is not below the root.
func (r *root) inRoot(p string) (string, error) {
	switch {
	case r.path == "/":
		return p, nil
	case p == r.path:
		return "/", nil
	case strings.HasPrefix(p, r.path+"/"):
		return p[len(r.path):], nil
	}
	return "", fmt.Errorf("%s is outside of the container root %s", p, r.path)
}

// pathOf returns the path inside the container of an open file.
func (r *root) pathOf(f *os.File) (string, error) {
	p, err := r.fdPath(f)
	if err != nil {
		return "", err
	}
	return r.inRoot(p)
}

// ContainerDest returns the mount destination dest as a path inside the
// container when it is written as a host path under the rootfs directory
// rootfs (lexically: "<rootfs>/mnt" is "/mnt"), as runc takes it;
// otherwise dest unchanged.
func ContainerDest(rootfs, dest string) string {
	root, d := path.Clean("/"+rootfs), path.Clean("/"+dest)
	switch {
	case root == "/":
		return dest
	case d == root:
		return "/"
	case strings.HasPrefix(d, root+"/"):
		return d[len(root):]
	}
	return dest
}

// cleanPath makes a container path absolute and lexically clean.
func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// open opens an existing path inside the container (O_PATH, symlinks
// followed inside the root): openat2 with RESOLVE_IN_ROOT, the kernel's
// own scoped lookup (what pathrs-lite's OpenatInRoot calls too, before a
// procfs readlink that only names the file), retried on the EAGAIN or
// EXDEV it returns when a rename or mount races with "..".
func (r *root) open(p string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(int(r.f.Fd()), p, &how)
		if err == nil {
			runtime.KeepAlive(r.f)
			return os.NewFile(uintptr(fd), p), nil
		}
		switch {
		case (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EXDEV)) && tries < maxOpenRetries:
			continue
		case errors.Is(err, unix.ENOSYS):
			// a seccomp profile around us that predates openat2:
			// pathrs-lite resolves in userspace, safely, without it
			return pathrs.OpenatInRoot(r.f, p)
		}
		return nil, &os.PathError{Op: "openat2", Path: p, Err: err}
	}
}

// maxOpenRetries bounds open's retries: a container racing renames
// against it gets an error, not a spinning init.
const maxOpenRetries = 128

// mountpoint is a mount destination resolved inside the container.
type mountpoint struct {
	file    *os.File    // O_PATH handle of the destination
	path    string      // its path inside the container, symlinks resolved
	created bool        // whether we created it
	stat    unix.Stat_t // the destination's stat, taken on file
}

// Close releases the handle.
func (m *mountpoint) Close() error { return m.file.Close() }

// maxSymlinks bounds how many dangling symlinks openMountpoint follows
// in all, like the kernel's limit of 40.
const maxSymlinks = 40

// openMountpoint resolves dest inside the container and creates it if it
// does not exist: a directory (with its missing parents, mode 0755) when
// dir is true, else an empty file. Symlinks are followed inside the root,
// dangling ones included (their target is created, as runc does for an
// /etc/resolv.conf pointing into /run). Every creation is an *at call on
// a directory handle with O_EXCL or O_NOFOLLOW semantics, so nothing can
// be created outside the root whatever the container's tree looks like.
func (r *root) openMountpoint(dest string, dir bool) (*mountpoint, error) {
	budget := maxSymlinks
	return r.resolveCreate(cleanPath(dest), dir, &budget)
}

// resolveCreate is openMountpoint for a clean path, with a shared budget
// of symlinks to follow.
func (r *root) resolveCreate(p string, dir bool, budget *int) (*mountpoint, error) {
	for {
		f, err := r.open(p)
		if err == nil {
			return r.finishMountpoint(f, false, dir)
		}
		if !isNotExist(err) {
			return nil, err
		}
		f, retry, err := r.createIn(p, dir, budget)
		if err != nil {
			return nil, err
		}
		if f != nil {
			return r.finishMountpoint(f, true, dir)
		}
		if *budget--; *budget < 0 {
			return nil, &os.PathError{Op: "resolve", Path: p, Err: unix.ELOOP}
		}
		p = retry
	}
}

// createIn creates the last component of p in its parent, which is
// resolved (and created if missing) first. When that component is a
// dangling symlink it creates nothing and returns the path the symlink
// points to, to resolve again; likewise if the component appeared
// meanwhile.
func (r *root) createIn(p string, dir bool, budget *int) (_ *os.File, retry string, _ error) {
	parentPath, base := path.Split(p)
	if base == "" || base == "." || base == ".." {
		return nil, "", &os.PathError{Op: "create", Path: p, Err: unix.EINVAL}
	}
	parent, err := r.resolveCreate(cleanPath(parentPath), true, budget)
	if err != nil {
		return nil, "", fmt.Errorf("create parent directory %s: %w", parentPath, err)
	}
	defer parent.Close()
	pfd := int(parent.file.Fd())

	var st unix.Stat_t
	err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK:
		target, err := readlinkat(pfd, base)
		if err != nil {
			return nil, "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(parent.path, target)
		}
		return nil, cleanPath(target), nil
	case err == nil:
		return nil, p, nil
	case !errors.Is(err, unix.ENOENT):
		return nil, "", &os.PathError{Op: "fstatat", Path: p, Err: err}
	}

	if dir {
		err = unix.Mkdirat(pfd, base, 0o755)
	} else {
		var fd int
		fd, err = unix.Openat(pfd, base, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
	}
	if errors.Is(err, unix.EEXIST) {
		return nil, p, nil
	}
	if err != nil {
		return nil, "", &os.PathError{Op: "create", Path: p, Err: err}
	}
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), "", nil
}

// finishMountpoint checks the type of an opened destination and records
// where it is.
func (r *root) finishMountpoint(f *os.File, created, dir bool) (*mountpoint, error) {
	m := &mountpoint{file: f, created: created}
	if err := unix.Fstat(int(f.Fd()), &m.stat); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	p, err := r.pathOf(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.path = p
	switch typ := m.stat.Mode & unix.S_IFMT; {
	case typ == unix.S_IFLNK:
		f.Close()
		return nil, fmt.Errorf("%s became a symlink while we created it", p)
	case dir && typ != unix.S_IFDIR:
		f.Close()
		return nil, fmt.Errorf("%s is not a directory", p)
	case !dir && typ == unix.S_IFDIR:
		f.Close()
		return nil, fmt.Errorf("%s is a directory but the mount source is not", p)
	}
	return m, nil
}

// readlinkat reads a symlink relative to a directory fd.
func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", &os.PathError{Op: "readlinkat", Path: name, Err: err}
	}
	return string(buf[:n]), nil
}

// openNoFollow opens p inside the container without following a symlink
// in its last component (the parent is resolved inside the root). It
// returns an O_PATH handle, which may be of the symlink itself.
func (r *root) openNoFollow(p string) (*os.File, error) {
	p = cleanPath(p)
	if p == "/" {
		return r.open(p)
	}
	dir, base := path.Split(p)
	parent, err := r.open(dir)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}
