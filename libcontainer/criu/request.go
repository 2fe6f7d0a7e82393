package criu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// Log files CRIU writes in the work directory.
const (
	DumpLog    = "dump.log"
	RestoreLog = "restore.log"
)

// Target is the container a request is about.
type Target struct {
	Spec *specs.Spec
	// Rootfs is root.path on the host (a dump's root; external mount
	// destinations are resolved in it).
	Rootfs string
	// Pid is the host pid of the container's init (dump).
	Pid int
	// FreezeCgroup is the cgroup CRIU freezes the container with (the v1
	// freezer or the v2 directory); empty, CRIU stops it with ptrace.
	FreezeCgroup string
	// Mounts are the external mounts (ExternalMounts).
	Mounts []ExtMount
}

// DumpRequest builds the DUMP or PRE_DUMP request for t. imagesFd and
// workFd (-1 for none) are open directories of this process.
func (c *Criu) DumpRequest(o *Opts, t *Target, imagesFd, workFd int) (*rpc.CriuReq, error) {
	r, err := baseOpts(o, t.Spec, DumpLog, imagesFd, workFd)
	if err != nil {
		return nil, err
	}
	r.Root = new(t.Rootfs)
	r.Pid = new(int32(t.Pid))
	r.LeaveRunning = new(o.LeaveRunning)
	r.TcpSkipInFlight = new(o.TCPSkipInFlight)
	r.LinkRemap = new(o.LinkRemap)
	if err := c.dumpNamespaces(r, t.Spec); err != nil {
		return nil, err
	}
	if t.FreezeCgroup != "" {
		r.FreezeCgroup = new(t.FreezeCgroup)
	}
	if ps := o.PageServer; ps != nil && ps.Address != "" && ps.Port != 0 {
		r.Ps = &rpc.CriuPageServerInfo{Address: new(ps.Address), Port: new(ps.Port)}
	}
	if o.ParentImage != "" {
		r.ParentImg = new(o.ParentImage)
		r.TrackMem = new(true)
	}
	if o.LazyPages && o.StatusFd >= 0 {
		if err := checkStatusFd(o.StatusFd); err != nil {
			return nil, err
		}
		if c.Version < VersionStatusReady {
			// Older CRIU writes it itself (it can open our fds).
			r.StatusFd = new(int32(o.StatusFd))
		}
	}
	typ := rpc.ReqDump
	if o.PreDump {
		typ = rpc.ReqPreDump
	} else {
		// A pre-dump has only the memory: no need for these.
		r.ExtMnt = DumpMap(t.Mounts)
	}
	return &rpc.CriuReq{Type: typ, Opts: r}, nil
}

// checkStatusFd checks that --status-fd is an open, writable fd.
func checkStatusFd(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("invalid --status-fd argument %d: %w", fd, err)
	}
	if flags&(unix.O_WRONLY|unix.O_RDWR) == 0 {
		return fmt.Errorf("invalid --status-fd argument %d: not writable", fd)
	}
	return nil
}

// RestoreRequest builds the RESTORE request for t from the images: root is
// the mountpoint CRIU restores the rootfs from, descriptors the targets of
// the init's fds 0-2 at checkpoint (descriptors.json): its pipes are
// replaced by criu's own stdio. It returns the files criu must get as
// ExtraFiles (the caller closes them).
func (c *Criu) RestoreRequest(o *Opts, t *Target, root string, imagesFd, workFd int, descriptors []string) (_ *rpc.CriuReq, extra []*os.File, err error) {
	defer func() {
		if err != nil {
			for _, f := range extra {
				f.Close()
			}
			extra = nil
		}
	}()
	r, err := baseOpts(o, t.Spec, RestoreLog, imagesFd, workFd)
	if err != nil {
		return nil, nil, err
	}
	r.Root = new(root)
	r.EvasiveDevices = new(true)
	r.RstSibling = new(true) // the restored init is our child
	if o.LsmProfile != "" {
		if err := c.Require(VersionLSM, "--lsm-profile"); err != nil {
			return nil, nil, err
		}
		r.LsmProfile = new(o.LsmProfile)
	}
	if o.LsmMountContext != "" {
		if err := c.Require(VersionLSM, "--lsm-mount-context"); err != nil {
			return nil, nil, err
		}
		r.LsmMountContext = new(o.LsmMountContext)
	}
	if err := c.restoreNamespaces(r, t.Spec, &extra); err != nil {
		return nil, extra, err
	}
	r.ExtMnt = RestoreMap(t.Mounts)
	for i, d := range descriptors {
		if i > 2 {
			break
		}
		if strings.HasPrefix(d, "pipe:") {
			r.InheritFd = append(r.InheritFd, &rpc.InheritFd{Key: d, Fd: int32(i)})
		}
	}
	return &rpc.CriuReq{Type: rpc.ReqRestore, Opts: r}, extra, nil
}

// RequireFeatures asks CRIU whether it has what o needs on this kernel:
// memory tracking for a pre-dump, userfaultfd for lazy pages.
func (c *Criu) RequireFeatures(o *Opts) error {
	want := &rpc.CriuFeatures{}
	var names []string
	if o.PreDump {
		want.MemTrack = new(true)
		names = append(names, "memory tracking (--pre-dump)")
	}
	if o.LazyPages {
		want.LazyPages = new(true)
		names = append(names, "lazy pages (--lazy-pages)")
	}
	if len(names) == 0 {
		return nil
	}
	s := &Session{Criu: c}
	resp, err := s.Run(&rpc.CriuReq{Type: rpc.ReqFeatureCheck, Features: want})
	if err != nil {
		return fmt.Errorf("criu feature check: %w", err)
	}
	got := resp.GetFeatures()
	var missing []string
	if want.MemTrack != nil && !got.GetMemTrack() {
		missing = append(missing, names[0])
	}
	if want.LazyPages != nil && !got.GetLazyPages() {
		missing = append(missing, names[len(names)-1])
	}
	if len(missing) > 0 {
		return fmt.Errorf("criu %s on this system lacks %s", FormatVersion(c.Version), strings.Join(missing, " and "))
	}
	return nil
}

// ParentPath checks --parent-path: relative to the images directory, and
// an existing directory there.
func ParentPath(imagesDir, parent string) error {
	if parent == "" {
		return nil
	}
	if filepath.IsAbs(parent) {
		return errors.New("--parent-path must be relative")
	}
	real := filepath.Join(imagesDir, parent)
	fi, err := os.Stat(real)
	if err == nil && !fi.IsDir() {
		err = &os.PathError{Op: "stat", Path: real, Err: unix.ENOTDIR}
	}
	if err != nil {
		return fmt.Errorf("invalid --parent-path: %w", err)
	}
	return nil
}
