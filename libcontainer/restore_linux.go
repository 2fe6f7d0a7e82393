package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/criu"
	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
	"github.com/seed4bdd2c93/runc/libcontainer/fdpass"
	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// RestoreOptions describe a container to restore from a checkpoint.
type RestoreOptions struct {
	ID       string
	Bundle   string // absolute
	Spec     *specs.Spec
	Systemd  bool
	Rootless bool
	// IO is the restored process's stdio (its pipes at checkpoint are
	// replaced by these; nil: the runtime's own) and, for a terminal, the
	// console socket the new pty master is sent on.
	IO Process
	// Criu is the criu binary ("" for criu in $PATH).
	Criu string
	Opts *criu.Opts
}

// criuRoot is the directory in the state directory where the rootfs is
// bind-mounted for CRIU during a restore: CRIU wants a mountpoint whose
// parent is not mounted over.
const criuRoot = "criu-root"

// Restore creates container o.ID under root from the checkpoint in
// o.Opts.ImagesDirectory, as Create would (state directory, cgroup,
// state.json), with CRIU restoring its processes; the restored init is a
// child of this process. The returned container is locked; the caller
// closes it. On failure nothing is left behind, and where CRIU is missing
// or too old nothing is made at all.
func Restore(root string, o *RestoreOptions) (_ *Container, err error) {
	spec := o.Spec
	if err := checkNew(o.ID, o.Bundle, spec, o.Rootless, &o.IO); err != nil {
		return nil, err
	}
	opts := o.Opts
	if opts.ImagesDirectory == "" {
		return nil, errors.New("invalid directory to restore checkpoint")
	}
	cr, err := criu.New(o.Criu)
	if err != nil {
		return nil, err
	}
	logrus.Debugf("using criu %s (%s)", criu.FormatVersion(cr.Version), cr.Path)
	if _, err := criu.ParseCgMode(opts.ManageCgroupsMode); err != nil {
		return nil, err
	}
	if err := cr.RequireFeatures(opts); err != nil {
		return nil, diagnose(cr, err, "")
	}
	descriptors, err := readDescriptors(opts.ImagesDirectory)
	if err != nil {
		return nil, err
	}
	images, err := openDir(opts.ImagesDirectory)
	if err != nil {
		return nil, fmt.Errorf("images directory: %w", err)
	}
	defer images.Close()
	logDir, workFd := opts.ImagesDirectory, -1
	if opts.WorkDirectory != "" {
		if _, err := mkdirOnce(opts.WorkDirectory); err != nil {
			return nil, fmt.Errorf("work directory: %w", err)
		}
		work, err := openDir(opts.WorkDirectory)
		if err != nil {
			return nil, fmt.Errorf("work directory: %w", err)
		}
		defer work.Close()
		logDir, workFd = opts.WorkDirectory, int(work.Fd())
	}

	c := &Container{
		state: &State{
			ID:       o.ID,
			Bundle:   o.Bundle,
			Rootfs:   spec.Root.Path,
			Created:  time.Now().UTC(),
			Config:   spec,
			Systemd:  o.Systemd,
			Rootless: o.Rootless,
			// CRIU does not restore keyrings: the init has the session
			// keyring of the restoring runtime, which exec keeps too.
			NoNewKeyring: true,
		},
	}
	if _, err := os.Lstat(filepath.Join(root, o.ID)); err == nil {
		return nil, fmt.Errorf("container with id exists: %s", o.ID)
	}
	cg, err := cgroupmgr.New(cgroupConfig(c.state))
	if err != nil {
		return nil, err
	}
	// CRIU puts the processes in the cgroup as it finds it, and a failed
	// restore removes it again: it must not be another container's, nor
	// frozen (as for create).
	if err := cgroupmgr.CheckUnused(cg.Paths()); err != nil {
		return nil, err
	}
	if err := c.makeStateDir(root); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if derr := c.destroyQuietly(); derr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, derr) //nolint:errorlint // the cleanup error is context: errors.Is/As must see the cause only
			}
			c.Close()
		}
	}()
	c.cg = cg
	// As in create: the paths are saved before the cgroup exists, for a
	// delete after a restore killed half-way.
	c.state.CgroupPaths = cg.Paths()
	if err := saveState(c.dir, c.state); err != nil {
		return nil, err
	}
	mnt, tree, err := bindCriuRoot(c.dir, spec.Root.Path)
	if err != nil {
		return nil, err
	}
	defer unbindCriuRoot(mnt, tree)
	if err := prepareRestoreMountpoints(spec); err != nil {
		return nil, err
	}

	t := &criu.Target{Spec: spec, Rootfs: spec.Root.Path}
	var masked []string
	if spec.Linux != nil {
		masked = spec.Linux.MaskedPaths // one /dev/null entry for all
	}
	t.Mounts = criu.ExternalMounts(spec, spec.Root.Path, c.cgroupV1Mounts(c.state.CgroupPaths), masked)
	req, extra, err := cr.RestoreRequest(opts, t, mnt, int(images.Fd()), workFd, descriptors)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()

	h := &restoreHandler{c: c, cg: cg, console: o.IO.ConsoleSocket}
	s := &criu.Session{
		Criu:       cr,
		Stdin:      orStd(o.IO.Stdin, os.Stdin),
		Stdout:     orStd(o.IO.Stdout, os.Stdout),
		Stderr:     orStd(o.IO.Stderr, os.Stderr),
		ExtraFiles: extra,
		Started:    h.started,
		Notify:     h.notify,
	}
	logrus.Debugf("criu RESTORE of %s from %s", o.ID, opts.ImagesDirectory)
	resp, err := s.Run(req)
	pid := h.pid
	if err != nil {
		if pid > 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		return nil, diagnose(cr, err, filepath.Join(logDir, criu.RestoreLog))
	}
	if p := int(resp.GetRestore().GetPid()); p > 0 {
		pid = p
	}
	if pid <= 0 {
		return nil, errors.New("criu restored no process")
	}
	if err := c.restored(pid); err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return nil, err
	}
	o.IO.Pid = pid
	return c, nil
}

// restored records the restored init in the state.
func (c *Container) restored(pid int) error {
	spec := c.state.Config
	if !namespaces.Has(spec, specs.TimeNamespace) && otherNamespace(pid, namespaces.ProcName(specs.TimeNamespace)) {
		// CRIU restores into a new time namespace (so the monotonic
		// clocks go on from the checkpoint): exec must join it too.
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	}
	if err := c.recordInit(pid); err != nil {
		return fmt.Errorf("restored init: %w", err)
	}
	c.state.Creating = false
	return saveState(c.dir, c.state)
}

// otherNamespace reports whether pid is in another namespace of kind ns
// ("time", ...) than this process.
func otherNamespace(pid int, ns string) bool {
	theirs, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	ours, err2 := os.Readlink("/proc/self/ns/" + ns)
	return err1 == nil && err2 == nil && theirs != ours
}

// restoreCgroup puts criu (pid) in the container's new cgroup with the
// config's limits, and tells CRIU to restore the processes there: the
// cgroup roots are the ones criu is in now.
func (c *Container) restoreCgroup(cg cgroupmgr.Manager, pid int, req *rpc.CriuReq) error {
	if err := cg.Apply(pid); err != nil {
		return fmt.Errorf("unable to apply cgroup configuration: %w", err)
	}
	c.state.CgroupPaths = cg.Paths()
	if err := cg.Set(c.state.Config.Linux.Resources); err != nil {
		return fmt.Errorf("set cgroup resources: %w", err)
	}
	roots, err := cgroupmgr.ProcCgroups(pid)
	if err != nil {
		return err
	}
	for _, ctrl := range slices.Sorted(maps.Keys(roots)) {
		req.Opts.CgRoot = append(req.Opts.CgRoot, &rpc.CgroupRoot{Ctrl: new(ctrl), Path: roots[ctrl]})
	}
	return nil
}

// readDescriptors reads descriptors.json of a checkpoint.
func readDescriptors(images string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(images, descriptorsFile))
	if err != nil {
		if os.IsNotExist(err) {
			if _, serr := os.Stat(images); serr != nil {
				return nil, fmt.Errorf("images directory: %w", serr)
			}
			return nil, fmt.Errorf("%s has no checkpoint (no %s): %w", images, descriptorsFile, err)
		}
		return nil, err
	}
	var fds []string
	if err := json.Unmarshal(data, &fds); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(images, descriptorsFile), err)
	}
	return fds, nil
}

// sendConsole sends the pty master CRIU made for the restored terminal on
// the console socket.
func sendConsole(sock *os.File, n *criu.Notification) error {
	defer criu.CloseFiles(n)
	if len(n.Files) != 1 {
		return fmt.Errorf("criu sent %d fds for the pty master", len(n.Files))
	}
	if sock == nil {
		return errors.New("the restored process has a terminal: give a console socket (--console-socket)")
	}
	return fdpass.Send(sock, "/dev/ptmx", int(n.Files[0].Fd()))
}

// bindCriuRoot bind-mounts the rootfs (recursively) on criu-root in the
// state directory and returns the mountpoint and the handle of the bind,
// for unbindCriuRoot.
func bindCriuRoot(dir, rootfs string) (_ string, _ *os.File, Err error) {
	mnt := filepath.Join(dir, criuRoot)
	if err := os.Mkdir(mnt, 0o755); err != nil {
		return "", nil, fmt.Errorf("criu root: %w", err)
	}
	defer func() {
		if Err != nil {
			os.Remove(mnt)
		}
	}()
	dst, err := os.OpenFile(mnt, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("criu root: %w", err)
	}
	defer dst.Close()
	tree, err := mountfd.Clone(unix.AT_FDCWD, rootfs, true)
	if err == nil {
		if err = mountfd.Attach(tree, dst); err != nil {
			tree.Close()
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("bind root.path %s for criu: %w", rootfs, err)
	}
	return mnt, tree, nil
}

// unbindCriuRoot unmounts the bind bindCriuRoot made (through its handle,
// with whatever CRIU mounted below it) and removes the mountpoint.
func unbindCriuRoot(mnt string, tree *os.File) {
	if err := mountfd.Detach(tree); err != nil {
		logrus.Warnf("unmount %s: %v", mnt, err)
	}
	tree.Close()
	os.Remove(mnt)
}

// prepareRestoreMountpoints creates in the rootfs the mountpoints of the
// config's mounts, as create does, for a restore from a rootfs that has
// never run the container: CRIU mounts on them but does not make them. A
// mount inside another one (a tmpfs, /proc, /sys, a bind mount) is left
// out: CRIU restores a tmpfs's contents, and the others bring their own.
// Paths are resolved inside the rootfs; one that cannot be made (through
// a dangling symlink, say) is only warned about.
func prepareRestoreMountpoints(spec *specs.Spec) error {
	root, err := os.OpenFile(spec.Root.Path, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open root.path: %w", err)
	}
	defer root.Close()
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		dest := path.Clean("/" + m.Destination)
		if dest == "/" || underOtherMount(spec.Mounts[:i], dest) {
			continue
		}
		dir := true
		if m.Type == "bind" || hasOption(m.Options, "bind", "rbind") {
			if st, err := os.Stat(m.Source); err == nil && !st.IsDir() {
				dir = false
			}
		}
		if err := makeMountpoint(root, dest, dir); err != nil {
			// CRIU says so if it needs it.
			logrus.Warnf("mounts[%d] (%s): create mountpoint for criu: %v", i, dest, err)
		}
	}
	return nil
}

func underOtherMount(mounts []specs.Mount, dest string) bool {
	for _, m := range mounts {
		d := path.Clean("/" + m.Destination)
		if d != "/" && strings.HasPrefix(dest, d+"/") {
			return true
		}
	}
	return false
}

func hasOption(opts []string, names ...string) bool {
	for _, o := range opts {
		for _, n := range names {
			if o == n {
				return true
			}
		}
	}
	return false
}

// makeMountpoint creates dest (a directory, or an empty file) inside root,
// resolving it inside the rootfs; what exists is left as it is.
func makeMountpoint(root *os.File, dest string, dir bool) error {
	if dir {
		f, err := pathrs.MkdirAllHandle(root, dest, 0o755)
		if err != nil {
			return err
		}
		return f.Close()
	}
	if f, err := pathrs.OpenatInRoot(root, dest); err == nil {
		return f.Close()
	}
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(dest), 0o755)
	if err != nil {
		return err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), path.Base(dest), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o644)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
