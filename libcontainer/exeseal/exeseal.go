// Package exeseal gives the runtime a read-only handle on the program it
// runs as `runc init`, so that nothing in a container can overwrite it
// through /proc/<pid>/exe (CVE-2019-5736, docs/security.md rule 7).
//
// That program is the init embedded in runc (package initbin), where
// there is one: written once into CacheDir and seen through a detached,
// read-only overlayfs (made through package mountfd) of that directory's
// bin/ and empty/. The file in it is a
// different inode on a read-only mount, so opening it for writing fails
// with EROFS whatever path reaches it, and the host's runc binary is never
// run in a container. Where the cache or the overlay cannot be made (a
// rootless runtime: fsopen needs CAP_SYS_ADMIN over its mount namespace
// and /run is root's; a read-only /run; no overlayfs) the program is
// copied into a sealed memfd, which costs a copy of its 4.4 MB per start.
//
// A runc built without the embedded init (plain `go build`) re-executes
// itself, sealed the same way (Linux 6.8+: "lowerdir+" takes its
// directory's path whatever characters it holds), else copied into a
// sealed memfd.
package exeseal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/initbin"
	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

type sealed struct {
	f   *os.File
	err error
}

var (
	mu       sync.Mutex
	prepared chan sealed
)

// Prepare starts sealing the binary in the background, for the next Open:
// a command calls it first thing, so that the work overlaps its loading
// of the config or state.
func Prepare() {
	mu.Lock()
	defer mu.Unlock()
	if prepared != nil {
		return
	}
	ch := make(chan sealed, 1)
	prepared = ch
	go func() {
		f, err := open()
		ch <- sealed{f, err}
	}()
}

// Open returns an O_PATH (or memfd) handle of the sealed binary. The fd is
// close-on-exec and placed at or above 64, so that dup2'ing a child's extra
// files onto low fds cannot clobber it before execve resolves
// /proc/self/fd/N. It is the one Prepare made, if any.
func Open() (*os.File, error) {
	mu.Lock()
	ch := prepared
	prepared = nil
	mu.Unlock()
	if ch != nil {
		r := <-ch
		return r.f, r.err
	}
	return open()
}

func open() (*os.File, error) {
	f, err := openSealed()
	if err != nil {
		return nil, err
	}
	return dupHigh(f)
}

// openSealed: the embedded init if there is one (cached, else in a memfd),
// else runc itself (an overlay, else a memfd).
func openSealed() (*os.File, error) {
	if prog := initbin.Program(); prog != nil {
		f, path, err := sealedInit(prog)
		if err == nil {
			logrus.Debugf("runc exeseal: using overlayfs for sealed runc init (%s)", path)
			return f, nil
		}
		logrus.Debugf("runc exeseal: no cached runc init (%v); using a sealed memfd copy", err)
		return memfdCopy("runc init", bytes.NewReader(prog))
	}
	f, err := overlay()
	if err == nil {
		logrus.Debug("runc exeseal: using overlayfs for sealed /proc/self/exe")
		return f, nil
	}
	logrus.Debugf("runc exeseal: no overlayfs for sealed /proc/self/exe (%v); using a sealed memfd copy", err)
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()
	return memfdCopy("runc_cloned:/proc/self/exe", src)
}

// Memfd returns prog in a sealed memfd, at or above fd 64, to run through
// /proc/self/fd/N as Open's handle is (the seccomp compiler runc embeds).
func Memfd(name string, prog []byte) (*os.File, error) {
	f, err := memfdCopy(name, bytes.NewReader(prog))
	if err != nil {
		return nil, err
	}
	return dupHigh(f)
}

// dupHigh moves f to a close-on-exec fd at or above 64.
func dupHigh(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 64)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("dup %s: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

func selfPath() (string, error) {
	p, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return "", fmt.Errorf("find own binary: %w", err)
	}
	return p, nil
}

func overlay() (*os.File, error) {
	exe, err := selfPath()
	if err != nil {
		return nil, err
	}
	empty, err := mountfd.New("tmpfs", "", []mountfd.Param{mountfd.Set("size", "4k")}, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return nil, err
	}
	defer empty.Close()
	return openInOverlay(filepath.Base(exe), exe,
		mountfd.Set("lowerdir+", filepath.Dir(exe)),
		mountfd.Set("lowerdir+", fdPath(empty)))
}

// openInOverlay returns an O_PATH handle, called label, of the file name
// seen through a detached read-only overlay of the given layers.
func openInOverlay(name, label string, layers ...mountfd.Param) (*os.File, error) {
	// xino off: no dmesg line on each start when the layers are on
	// different filesystems (we do not care about inode numbers).
	ov, err := mountfd.New("overlay", "", append([]mountfd.Param{mountfd.Set("xino", "off")}, layers...),
		unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, err
	}
	defer ov.Close()
	fd, err := unix.Openat(int(ov.Fd()), name, unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open sealed %s: %w", label, err)
	}
	return os.NewFile(uintptr(fd), label), nil
}

// memfdCopy copies src into a memfd called name and seals it against
// every change.
func memfdCopy(name string, src io.Reader) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) { // MFD_EXEC is Linux 6.3
		fd, err = unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "/memfd:"+name)
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy %s: %w", name, err)
	}
	// F_SEAL_WRITE fails with EBUSY while the kernel still holds extra
	// references to pages just written (it waits ~75ms for them): retry.
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	for try := 0; ; try++ {
		_, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals)
		if err == nil {
			break
		}
		if err != unix.EBUSY || try == 3 {
			f.Close()
			return nil, fmt.Errorf("seal memfd: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f, nil
}
