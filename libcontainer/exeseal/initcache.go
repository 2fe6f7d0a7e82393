package exeseal

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/initbin"
	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// CacheDir is where the embedded init program (package initbin) is kept: a
// root-only directory on /run (usually a tmpfs, emptied at boot). Its bin/
// holds the programs, one per build, named after their digest: the first
// runc of a boot to need one writes it; every container start then runs it
// through a read-only overlay, as runc's own binary would be: no copy, and
// all the inits of the machine share its page cache. Its empty/ is the
// overlay's other layer: a directory of the mount namespace rather than a
// detached tmpfs, which older kernels' overlayfs refuses as a layer
// ("failed to clone lowerpath": the VM lane's 6.1 does).
const CacheDir = "/run/runc-init"

// cache is CacheDir opened: its two directories.
type cache struct {
	bin, empty *os.File
}

func (c *cache) close() {
	c.bin.Close()
	c.empty.Close()
}

// sealedInit returns an O_PATH handle of the embedded init program prog in
// its cache, seen through a read-only overlay, and the program's path.
func sealedInit(prog []byte) (*os.File, string, error) {
	c, err := openCache(CacheDir)
	if err != nil {
		return nil, "", err
	}
	defer c.close()
	name := initbin.Name()
	if err := ensureProgram(c.bin, name, prog); err != nil {
		return nil, "", err
	}
	f, err := c.seal(name)
	return f, c.bin.Name() + "/" + name, err
}

// seal returns an O_PATH handle of the program name seen through a
// detached read-only overlay of bin/ and empty/.
func (c *cache) seal(name string) (*os.File, error) {
	// "lowerdir" with both layers (not "lowerdir+", Linux 6.8): the
	// paths are ours, with no ':' or ',' to escape, and the older kernels
	// of the floor take it too.
	return openInOverlay(name, c.bin.Name()+"/"+name,
		mountfd.Set("lowerdir", fdPath(c.bin)+":"+fdPath(c.empty)))
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// openCache makes the cache directory path and its bin/ and empty/ if
// needed, and opens them, refusing any that anyone but root could write
// to.
func openCache(path string) (*cache, error) {
	root, err := openRootOnly(unix.AT_FDCWD, path, path)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	bin, err := openRootOnly(int(root.Fd()), "bin", path+"/bin")
	if err != nil {
		return nil, err
	}
	empty, err := openRootOnly(int(root.Fd()), "empty", path+"/empty")
	if err != nil {
		bin.Close()
		return nil, err
	}
	return &cache{bin: bin, empty: empty}, nil
}

// openRootOnly makes the directory name (in dirfd) if needed and opens it,
// refusing one that anyone but root could write to, or a symlink; path is
// its name in errors.
func openRootOnly(dirfd int, name, path string) (*os.File, error) {
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
	if !safeOwner(&st) {
		dir.Close()
		return nil, fmt.Errorf("%s: owned by uid %d, mode %#o: not a root-only directory", path, st.Uid, st.Mode&0o7777)
	}
	return dir, nil
}

// safeOwner: owned by root, writable by nobody else.
func safeOwner(st *unix.Stat_t) bool { return st.Uid == 0 && st.Mode&0o022 == 0 }

// ensureProgram leaves the program in dir under name: kept if a root-owned
// regular file of its size is there, written otherwise (to a temporary
// name, synced, then renamed over, so that no runc ever sees half of it,
// even after a crash where /run is on a disk).
func ensureProgram(dir *os.File, name string, prog []byte) error {
	dfd := int(dir.Fd())
	var st unix.Stat_t
	err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && safeOwner(&st) && st.Size == int64(len(prog)) {
		return nil
	}
	tmp := fmt.Sprintf(".%s.%d", name, os.Getpid())
	_ = unix.Unlinkat(dfd, tmp, 0) // a crashed runc's, with our pid
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o500)
	if err != nil {
		return &os.PathError{Op: "create", Path: dir.Name() + "/" + tmp, Err: err}
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(prog)
	if err == nil {
		copyLabel(fd)
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
	prune(dir, name, time.Now().Add(-pruneAge))
	return nil
}

// pruneAge: a program of another build, or a temporary file, older than
// this is removed when a new program is written.
const pruneAge = 10 * time.Minute

// prune removes from dir the programs other than keep and the temporary
// files last changed before cutoff: the cache holds one program per build
// in use, not one per build ever run since boot. A runc still using one
// that goes writes it again (a race lost at the wrong moment falls back to
// a memfd copy).
func prune(dir *os.File, keep string, cutoff time.Time) {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return
	}
	dfd := int(dir.Fd())
	for _, n := range names {
		if n == keep || !strings.HasPrefix(strings.TrimPrefix(n, "."), "runc-init-") {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dfd, n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && time.Unix(st.Mtim.Unix()).Before(cutoff) {
			_ = unix.Unlinkat(dfd, n, 0)
		}
	}
}

// copyLabel gives the program runc's own SELinux label, so that a policy
// that lets runc run itself as `runc init` lets it run the program too.
func copyLabel(fd int) {
	buf := make([]byte, 256)
	n, err := unix.Getxattr("/proc/self/exe", "security.selinux", buf)
	if err != nil || n == 0 {
		return
	}
	_ = unix.Fsetxattr(fd, "security.selinux", buf[:n], 0)
}
