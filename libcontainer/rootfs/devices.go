package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// defaultDevices are created in every container whose /dev is set up by
// the runtime, as runc does (its specconv adds them to linux.devices).
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// devSymlinks are the symlinks every runtime-made /dev has.
var devSymlinks = [][2]string{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

// needsDevSetup reports whether the runtime creates /dev's content: not
// when the spec bind-mounts something (usually the host's /dev) on /dev.
// A /dev that is a tmpfs, or just the rootfs's own directory, gets the
// default devices, like runc does.
func needsDevSetup(entries []*entry) bool {
	for _, e := range entries {
		if e.dest == "/dev" && e.opts.isBind() {
			return false
		}
	}
	return true
}

// containerDevices merges the default devices with linux.devices (an entry
// of linux.devices replaces the default with the same path). /dev/ptmx is
// left out: it becomes a symlink to pts/ptmx.
func containerDevices(spec *specs.Spec) []specs.LinuxDevice {
	var devs []specs.LinuxDevice
	index := map[string]int{}
	add := func(d specs.LinuxDevice) {
		p := cleanPath(d.Path)
		if p == "/dev/ptmx" {
			return
		}
		if i, ok := index[p]; ok {
			devs[i] = d
			return
		}
		index[p] = len(devs)
		devs = append(devs, d)
	}
	for _, d := range defaultDevices {
		add(d)
	}
	if spec.Linux != nil {
		for _, d := range spec.Linux.Devices {
			add(d)
		}
	}
	return devs
}

// deviceMode returns the st_mode (type and permissions) for a device.
func deviceMode(d *specs.LinuxDevice) (uint32, error) {
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	switch d.Type {
	case "c", "u":
		return unix.S_IFCHR | perm, nil
	case "b":
		return unix.S_IFBLK | perm, nil
	case "p":
		return unix.S_IFIFO | perm, nil
	}
	return 0, fmt.Errorf("unknown device type %q (want c, b, u or p)", d.Type)
}

// setupDev creates the devices, the /dev/ptmx symlink and the standard
// /dev symlinks.
func (s *setup) setupDev() error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range containerDevices(s.c.Spec) {
		if err := s.createDevice(&d); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	dev, err := s.root.open("/dev")
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	dfd := int(dev.Fd())
	// /dev/ptmx points at the devpts instance of the container.
	if err := unix.Unlinkat(dfd, "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := unix.Symlinkat("pts/ptmx", dfd, "ptmx"); err != nil {
		return fmt.Errorf("symlink /dev/ptmx: %w", err)
	}
	// /dev/core only where the kernel has /proc/kcore (CONFIG_PROC_KCORE).
	// Asked of /proc as runc asks it: the answer makes a symlink and
	// decides nothing else. (The private procfs handle, subset=pid, has
	// no kcore: asking it would mount a temporary full procfs, whose
	// unmount waits for an RCU grace period.)
	links := devSymlinks
	var st unix.Stat_t
	if unix.Stat("/proc/kcore", &st) == nil {
		links = append(links, [2]string{"core", "/proc/kcore"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[1], dfd, l[0]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s: %w", l[0], err)
		}
	}
	return nil
}

// createDevice makes one device node: mknod(2) when we may, else (in a
// user namespace) a bind mount of the host's node onto an empty file.
func (s *setup) createDevice(d *specs.LinuxDevice) error {
	p := cleanPath(d.Path)
	mode, err := deviceMode(d)
	if err != nil {
		return err
	}
	dir, base := path.Split(p)
	parent, err := s.root.openMountpoint(dir, true)
	if err != nil {
		return fmt.Errorf("create parent directory: %w", err)
	}
	defer parent.Close()
	pfd := int(parent.file.Fd())
	if s.c.InUserNS && d.Type != "p" {
		return bindDevice(pfd, base, p, mode, d)
	}
	dev := int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
	if d.Type == "p" {
		dev = 0
	}
	err = unix.Mknodat(pfd, base, mode, dev)
	switch {
	case errors.Is(err, unix.EEXIST):
		// As in runc, an existing node is left alone.
		return nil
	case errors.Is(err, unix.EPERM) && d.Type != "p":
		// We are in a user namespace nobody told us about.
		return bindDevice(pfd, base, p, mode, d)
	case err != nil:
		return &os.PathError{Op: "mknod", Path: p, Err: err}
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chown", Path: p, Err: err}
	}
	return nil
}

// bindDevice bind-mounts the host's device node at the same path onto an
// empty file base in the directory pfd, after checking that the host node
// is the device the spec describes.
func bindDevice(pfd int, base, p string, mode uint32, d *specs.LinuxDevice) error {
	src, err := mountfd.Clone(unix.AT_FDCWD, p, false)
	if err != nil {
		return fmt.Errorf("open host device: %w", err)
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return fmt.Errorf("stat host device: %w", err)
	}
	if st.Mode&unix.S_IFMT != mode&unix.S_IFMT || unix.Major(st.Rdev) != uint32(d.Major) || unix.Minor(st.Rdev) != uint32(d.Minor) {
		return fmt.Errorf("host %s is not device %s %d:%d", p, d.Type, d.Major, d.Minor)
	}
	fd, err := unix.Openat(pfd, base, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EEXIST) {
		fd, err = unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return &os.PathError{Op: "create mountpoint", Path: p, Err: err}
	}
	dst := os.NewFile(uintptr(fd), p)
	defer dst.Close()
	var dstSt unix.Stat_t
	if err := unix.Fstat(fd, &dstSt); err != nil {
		return &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	if t := dstSt.Mode & unix.S_IFMT; t == unix.S_IFDIR || t == unix.S_IFLNK {
		return fmt.Errorf("%s exists and is a directory or symlink", p)
	}
	return mountfd.Attach(src, dst)
}
