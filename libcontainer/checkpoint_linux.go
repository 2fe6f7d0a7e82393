package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// descriptorsFile, in the images directory, holds the targets of the
// init's fds 0-2 at checkpoint ("pipe:[123]", "/dev/null", ...): restore
// replaces those pipes with its own stdio. The name and format are runc's.
const descriptorsFile = "descriptors.json"

// Checkpoint dumps the running container with CRIU (criuPath: the binary,
// "" for criu in $PATH) into o.ImagesDirectory. Unless o.LeaveRunning or
// o.PreDump is set, the container's processes are gone afterwards; the
// caller then destroys the container. Where CRIU is missing, too old or
// cannot work on this kernel, it fails before the container is touched.
func (c *Container) Checkpoint(criuPath string, o *criu.Opts) error {
	switch st := c.Status(); st {
	case Running, Paused:
	default:
		return fmt.Errorf("Container cannot be checkpointed in %s state", st)
	}
	if o.ImagesDirectory == "" {
		return errors.New("invalid directory to save checkpoint")
	}
	cr, err := criu.New(criuPath)
	if err != nil {
		return err
	}
	logrus.Debugf("using criu %s (%s)", criu.FormatVersion(cr.Version), cr.Path)
	if err := cr.RequireFeatures(o); err != nil {
		return diagnose(cr, err, "")
	}
	// The images directory may exist: a container can be checkpointed
	// several times, and pre-dumps chain.
	madeImages, err := mkdirOnce(o.ImagesDirectory)
	if err != nil {
		return fmt.Errorf("images directory: %w", err)
	}
	done := false
	defer func() {
		if !done && madeImages {
			os.RemoveAll(o.ImagesDirectory)
		}
	}()
	if err := criu.ParentPath(o.ImagesDirectory, o.ParentImage); err != nil {
		return err
	}
	images, err := openDir(o.ImagesDirectory)
	if err != nil {
		return fmt.Errorf("images directory: %w", err)
	}
	defer images.Close()
	logDir, workFd := o.ImagesDirectory, -1
	if o.WorkDirectory != "" {
		if _, err := mkdirOnce(o.WorkDirectory); err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		work, err := openDir(o.WorkDirectory)
		if err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		defer work.Close()
		logDir, workFd = o.WorkDirectory, int(work.Fd())
	}

	spec := c.state.Config
	pid := c.state.InitPid
	t := &criu.Target{Spec: spec, Rootfs: c.state.Rootfs, Pid: pid, FreezeCgroup: c.freezeCgroup(cr)}
	if !o.PreDump {
		t.Mounts = criu.ExternalMounts(spec, c.state.Rootfs, c.cgroupV1Mounts(c.state.CgroupPaths), maskedFiles(spec, pid))
	}
	req, err := cr.DumpRequest(o, t, int(images.Fd()), workFd)
	if err != nil {
		return err
	}
	descriptors := ""
	if !o.PreDump {
		fds := c.state.ExternalDescriptors
		if len(fds) == 0 {
			fds = stdioTargets(pid)
		}
		data, err := json.Marshal(fds)
		if err != nil {
			return err
		}
		// Written now (a failure should come before the dump), renamed
		// into place once the dump succeeded.
		tmp := filepath.Join(o.ImagesDirectory, "."+descriptorsFile)
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", descriptorsFile, err)
		}
		defer os.Remove(tmp)
		descriptors = tmp
	}
	// descriptors.json goes in place once the dump is done: at the
	// post-dump notification (a lazy dump answers only once its pages
	// are fetched, by a restore that needs the file), or at the end.
	placeDescriptors := func() error {
		if descriptors == "" {
			return nil
		}
		if err := os.Rename(descriptors, filepath.Join(o.ImagesDirectory, descriptorsFile)); err != nil {
			return fmt.Errorf("write %s: %w", descriptorsFile, err)
		}
		descriptors = ""
		return nil
	}
	statusFd := o.StatusFd
	s := &criu.Session{Criu: cr, Notify: func(n *criu.Notification) error {
		criu.CloseFiles(n)
		switch n.Script {
		case "post-dump":
			// From here on the images are the container: whatever
			// happens, they stay.
			done = true
			return placeDescriptors()
		case "status-ready":
			if err := placeDescriptors(); err != nil {
				return err
			}
			if statusFd >= 0 && cr.Version >= criu.VersionStatusReady {
				// The lazy-pages server is up.
				if _, err := unix.Write(statusFd, []byte{0}); err != nil {
					logrus.Warnf("write to --status-fd %d: %v", statusFd, err)
				}
				unix.Close(statusFd)
				statusFd = -1
			}
		}
		return nil
	}}
	logrus.Debugf("criu %s of %d into %s", req.Type, pid, o.ImagesDirectory)
	if _, err := s.Run(req); err != nil {
		return diagnose(cr, err, filepath.Join(logDir, criu.DumpLog))
	}
	done = true
	return placeDescriptors()
}

// diagnose explains a failed CRIU request: if CRIU cannot work on this
// system at all, that is what the user needs to know (not "errno 0");
// otherwise the error gets the last errors of the log.
func diagnose(cr *criu.Criu, err error, logPath string) error {
	var re *criu.RPCError
	if !errors.As(err, &re) {
		return err
	}
	if cerr := cr.Check(); cerr != nil {
		var ce *criu.CheckError
		if errors.As(cerr, &ce) {
			// The log only repeats what the error says: leave the
			// images directory as it was.
			if logPath != "" {
				os.Remove(logPath)
			}
			return ce
		}
		logrus.Debugf("criu check: %v", cerr)
	}
	if logPath == "" {
		return err
	}
	return criu.LogError(err, logPath)
}

// mkdirOnce creates dir (and its parents) unless it exists, and reports
// whether it created it.
func mkdirOnce(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil || !os.IsNotExist(err) {
		return false, err
	}
	return true, os.MkdirAll(dir, 0o700)
}

// openDir opens a directory for CRIU, which reaches it through
// /proc/<our pid>/fd/N.
func openDir(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// stdioTargets reads where the fds 0-2 of pid point.
func stdioTargets(pid int) []string {
	fds := make([]string, 3)
	for i := range fds {
		t, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, i))
		if err == nil {
			fds[i] = t
		}
	}
	return fds
}

// freezeCgroup is the cgroup CRIU freezes the container with: the v1
// freezer, or on cgroup v2 the container's cgroup (CRIU 3.14 on). Without
// one, CRIU stops the processes with ptrace.
func (c *Container) freezeCgroup(cr *criu.Criu) string {
	paths := c.state.CgroupPaths
	if cgroups.IsCgroup2UnifiedMode() {
		if cr.Version < criu.VersionCgroupV2 {
			return ""
		}
		return paths[""]
	}
	return paths["freezer"]
}

// maskedFiles returns the paths of linux.maskedPaths that are covered by
// the null device in the running container (not the directories, which
// get an empty tmpfs CRIU dumps itself).
func maskedFiles(spec *specs.Spec, pid int) []string {
	if spec.Linux == nil || len(spec.Linux.MaskedPaths) == 0 {
		return nil
	}
	// Resolved inside the container's root (docs/security.md rule 1): its
	// symlinks must not lead the runtime to host files.
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(root)
	var out []string
	for _, p := range spec.Linux.MaskedPaths {
		fd, err := unix.Openat2(root, path.Clean("/"+p), &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if err != nil {
			continue
		}
		var st unix.Stat_t
		err = unix.Fstat(fd, &st)
		unix.Close(fd)
		if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			out = append(out, p)
		}
	}
	return out
}

// cgroupV1Mounts returns the external mounts of the config's "cgroup"
// mounts on a cgroup v1 host without a cgroup namespace: binds of the
// container's cgroup in each host hierarchy (see rootfs). With a cgroup
// namespace, or on cgroup v2, they are real mounts CRIU handles itself.
func (c *Container) cgroupV1Mounts(paths map[string]string) []criu.ExtMount {
	spec := c.state.Config
	if cgroups.IsCgroup2UnifiedMode() || namespaces.Has(spec, specs.CgroupNamespace) {
		return nil
	}
	var dests []string
	for _, m := range spec.Mounts {
		if m.Type == "cgroup" {
			dests = append(dests, m.Destination)
		}
	}
	if len(dests) == 0 {
		return nil
	}
	infos, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		logrus.Warnf("list host cgroup mounts: %v", err)
		return nil
	}
	var hierarchies []string
	for _, m := range infos {
		if path.Dir(m.Mountpoint) == "/sys/fs/cgroup" {
			hierarchies = append(hierarchies, m.Mountpoint)
		}
	}
	var out []criu.ExtMount
	for _, d := range dests {
		out = append(out, criu.CgroupV1Mounts(c.state.Rootfs, d, hierarchies, paths)...)
	}
	return out
}
