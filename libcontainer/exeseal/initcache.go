package exeseal

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/initbin"
	"github.com/seed4bdd2c93/runc/libcontainer/internal/runcache"
	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// CacheDir is where the embedded init program (package initbin) is kept: the
// root-only runcache.Dir on /run (usually a tmpfs, emptied at boot). Its bin/
// holds the programs, one per build, named after their digest: the first
// runc of a boot to need one writes it; every container start then runs it
// through a read-only overlay, as runc's own binary would be: no copy, and
// all the inits of the machine share its page cache. Its empty/ is the
// overlay's other layer: a directory of the mount namespace rather than a
// detached tmpfs, which older kernels' overlayfs refuses as a layer
// ("failed to clone lowerpath": the VM lane's 6.1 does).
const CacheDir = runcache.Dir

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
	root, err := runcache.OpenDir(unix.AT_FDCWD, path, path)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	bin, err := runcache.OpenDir(int(root.Fd()), "bin", path+"/bin")
	if err != nil {
		return nil, err
	}
	empty, err := runcache.OpenDir(int(root.Fd()), "empty", path+"/empty")
	if err != nil {
		bin.Close()
		return nil, err
	}
	return &cache{bin: bin, empty: empty}, nil
}

// ensureProgram leaves the program in dir under name: kept if a root-owned
// regular file of its size is there, written otherwise (runcache.WriteFile:
// no runc ever sees half of it).
func ensureProgram(dir *os.File, name string, prog []byte) error {
	var st unix.Stat_t
	err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && runcache.SafeOwner(&st) && st.Size == int64(len(prog)) {
		return nil
	}
	if err := runcache.WriteFile(dir, name, prog, 0o500, copyLabel); err != nil {
		return err
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
