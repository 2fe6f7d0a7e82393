package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/hooks"
	"github.com/seed4bdd2c93/runc/libcontainer/kernel"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nsenter"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
	"github.com/seed4bdd2c93/runc/libcontainer/validate"
)

// CreateOptions describe a new container.
type CreateOptions struct {
	ID     string
	Bundle string // absolute
	Spec   *specs.Spec
	// UseFifo makes the init wait for Start (runc create); without it the
	// process runs as soon as the container is set up (runc run).
	UseFifo      bool
	NoPivot      bool
	NoNewKeyring bool
	Systemd      bool
	Rootless     bool
	IO           Process
	// ExtraEnv is added to the environment of the container's process
	// only, not to the saved config that exec'd processes start from
	// (LISTEN_FDS, NOTIFY_SOCKET).
	ExtraEnv []string
	// OnStateDir, if set, is called with the new state directory before
	// the init starts (to make what the config's mounts bind from it).
	OnStateDir func(dir string) error
}

// Create validates the config, creates the container's state directory
// under root and starts its init. The returned container is locked; the
// caller closes it. On failure nothing is left behind.
func Create(root string, o *CreateOptions) (_ *Container, err error) {
	spec := o.Spec
	if err := checkNew(o.ID, o.Bundle, spec, o.Rootless, &o.IO); err != nil {
		return nil, err
	}
	logrus.Debug("config validated")
	c := &Container{
		state: &State{
			ID:       o.ID,
			Bundle:   o.Bundle,
			Rootfs:   spec.Root.Path,
			Created:  time.Now().UTC(),
			Config:   spec,
			Systemd:  o.Systemd,
			Rootless: o.Rootless,
			UseFifo:  o.UseFifo,

			NoNewKeyring: o.NoNewKeyring,
		},
	}
	// The directory appears with a state.json marked creating, locked.
	if err := c.makeStateDir(root); err != nil {
		return nil, err
	}
	dir := c.dir
	defer func() {
		if err != nil {
			if derr := c.destroyQuietly(); derr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, derr) //nolint:errorlint // the cleanup error is context: errors.Is/As must see the cause only
			}
			c.Close()
		}
	}()
	if o.OnStateDir != nil {
		if err := o.OnStateDir(dir); err != nil {
			return nil, err
		}
	}
	if err := c.start(o); err != nil {
		if errors.Is(err, cgroupmgr.ErrFrozen) || errors.Is(err, cgroupmgr.ErrNotEmpty) {
			return nil, err // refused before the init started, as runc words it
		}
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	return c, nil
}

// checkNew validates what a new container (create or restore) is made of,
// once, before anything exists; it makes root.path absolute, and mount
// destinations under it paths inside the container.
func checkNew(id, bundle string, spec *specs.Spec, rootless bool, io *Process) error {
	if err := kernel.Check(); err != nil {
		return err
	}
	if err := validate.ID(id); err != nil {
		return err
	}
	if spec.Root != nil && !filepath.IsAbs(spec.Root.Path) {
		spec.Root.Path = filepath.Join(bundle, spec.Root.Path)
	}
	if spec.Root != nil {
		// A destination written as a host path under the rootfs is
		// taken inside the container, as runc does.
		for i := range spec.Mounts {
			m := &spec.Mounts[i]
			m.Destination = rootfs.ContainerDest(spec.Root.Path, m.Destination)
		}
	}
	if err := validate.Spec(spec, bundle, rootless); err != nil {
		return err
	}
	if spec.Linux != nil {
		// Before the config is stored, which loses "flags": [].
		seccomp.SettleFlags(spec.Linux.Seccomp)
	}
	if spec.Process.Terminal && io.ConsoleSocket == nil {
		return errors.New("process.terminal is set but no console socket was given")
	}
	return nil
}

// destroyQuietly undoes a failed create; no poststop hooks run, since the
// container never existed for them.
func (c *Container) destroyQuietly() error {
	if c.state.Config != nil {
		c.state.Config.Hooks = nil
	}
	return c.Destroy()
}

func cgroupConfig(s *State) *cgroupmgr.Config {
	cc := &cgroupmgr.Config{
		ID:       s.ID,
		Systemd:  s.Systemd,
		Rootless: s.Rootless,
	}
	if s.Config != nil {
		cc.Annotations = s.Config.Annotations
		if l := s.Config.Linux; l != nil {
			cc.Path = l.CgroupsPath
			cc.Resources = l.Resources
			cc.Devices = l.Devices
		}
	}
	return cc
}

// start launches the init of a new container: runc init, driven by a
// createHandler (see package protocol for the sequence).
func (c *Container) start(o *CreateOptions) error {
	spec := o.Spec
	sp := &spawn{
		boot: bootstrapFor(spec, o.Rootless, false),
		io:   &o.IO,
		config: &protocol.InitConfig{
			Mode:         protocol.ModeStandard,
			ID:           o.ID,
			Spec:         spec,
			Process:      withEnv(spec.Process, o.ExtraEnv),
			NoPivot:      o.NoPivot,
			NoNewKeyring: o.NoNewKeyring,
			InUserNS:     namespaces.Has(spec, specs.UserNamespace),
			NewCgroupNS:  namespaces.IsNew(spec, specs.CgroupNamespace),
			Rootless:     o.Rootless,
			ParentHooks:  spec.Hooks != nil && (len(spec.Hooks.Prestart) > 0 || len(spec.Hooks.CreateRuntime) > 0), //nolint:staticcheck // prestart is deprecated by the OCI spec but still run, as runc does
		},
	}
	h := &createHandler{c: c, o: o, spec: spec, cfg: sp.config, timeOffsets: sp.boot.TimeOffsets}
	sp.h = h
	sp.seccomp = compileSeccomp(spec.Linux)
	if o.UseFifo {
		fifo, err := c.makeFifo(spec)
		if err != nil {
			return err
		}
		defer fifo.Close()
		sp.fifo = fifo
		if o.Rootless {
			// For an exec before start (nssock_linux.go); without
			// it, such an exec fails, as it used to.
			if ls, err := listenNsSock(c.dir); err != nil {
				logrus.Debugf("no exec before start: %v", err)
			} else {
				defer ls.Close()
				sp.nsSock = ls
			}
		}
	}
	if !o.Rootless && !c.state.Systemd {
		h.startCgroup()
	}
	defer h.close() // not left running if run failed first
	// The bind sources the init may not reach from its user namespace
	// are opened here (a rootless runtime has no more access than it).
	if idx := rootfs.BindSourceIndices(spec, namespaces.Has(spec, specs.UserNamespace) && !o.Rootless, o.Bundle); len(idx) > 0 {
		h.binds = &bindSources{spec: spec, bundle: o.Bundle, idx: idx}
		sp.config.BindSources = idx
	}
	pid, err := sp.run()
	o.IO.Pid = pid
	return err
}

// withEnv returns p, or a copy of it with env appended to its environment.
func withEnv(p *specs.Process, env []string) *specs.Process {
	if len(env) == 0 {
		return p
	}
	cp := *p
	cp.Env = append(slices.Clip(p.Env), env...)
	return &cp
}

// recordInit records pid as the container's init in the state: its start
// time (which tells it from a later process with its pid), its namespaces
// and its stdio (what a checkpoint hands over).
func (c *Container) recordInit(pid int) error {
	start, _, err := processStartTime(pid)
	if err != nil {
		return err
	}
	c.state.InitPid, c.state.InitStartTime = pid, start
	c.state.NamespacePaths = namespacePaths(c.state.Config, pid)
	c.state.ExternalDescriptors = stdioTargets(pid)
	return nil
}

// recordHostRoot records the mount the init of a container without a mount
// namespace chrooted into (its bind of the rootfs in the host's mount
// namespace), for Destroy to unmount.
func (c *Container) recordHostRoot(pid int) error {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the root of the container init: %w", err)
	}
	defer f.Close()
	id, err := rootfs.RootMountID(f)
	if err != nil {
		return err
	}
	c.state.HostRootMount = id
	return nil
}

// runCreateHooks runs the hooks of a container being created, in the
// runtime's namespaces: prestart, then createRuntime.
func runCreateHooks(h *specs.Hooks, hs *specs.State) error {
	if h == nil {
		return nil
	}
	if err := hooks.Run(h.Prestart, "prestart", hs); err != nil { //nolint:staticcheck // prestart is deprecated by the OCI spec but still run, as runc does
		return err
	}
	return hooks.Run(h.CreateRuntime, "createRuntime", hs)
}

// makeFifo creates exec.fifo, which the init opens for writing (blocking)
// once it is ready, and `runc start` opens for reading.
func (c *Container) makeFifo(spec *specs.Spec) (*os.File, error) {
	path := filepath.Join(c.dir, fifoName)
	if err := unix.Mkfifo(path, 0o622); err != nil {
		return nil, fmt.Errorf("create exec fifo: %w", err)
	}
	// mkfifo applies the umask (0o022 leaves 0o600): the init opens the
	// fifo for writing after it has become the process's user.
	// The path is ours (the state directory is root's, 0711).
	if err := unix.Chmod(path, 0o622); err != nil {
		return nil, fmt.Errorf("chmod exec fifo: %w", err)
	}
	uid, gid := RootIDs(spec.Linux)
	if uid != 0 || gid != 0 {
		if err := os.Chown(path, uid, gid); err != nil {
			return nil, fmt.Errorf("chown exec fifo: %w", err)
		}
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo: %w", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// RootIDs returns the host uid and gid that the container's root maps to
// (0, 0 without a user namespace).
func RootIDs(l *specs.Linux) (int, int) {
	uid, gid := 0, 0
	for _, m := range l.UIDMappings {
		if m.ContainerID == 0 {
			uid = int(m.HostID)
		}
	}
	for _, m := range l.GIDMappings {
		if m.ContainerID == 0 {
			gid = int(m.HostID)
		}
	}
	return uid, gid
}

// bootstrapFor builds the C stage's message. A new cgroup namespace is left
// to the Go init (unless cgroupNS), which unshares it once the parent has
// moved it into its cgroup.
func bootstrapFor(spec *specs.Spec, rootless, cgroupNS bool) nsenter.Bootstrap {
	b := nsenter.Bootstrap{Rootless: rootless}
	for _, ns := range spec.Linux.Namespaces {
		flag := namespaces.Flag(ns.Type)
		if ns.Path == "" {
			if flag != unix.CLONE_NEWCGROUP || cgroupNS {
				b.CloneFlags |= flag
			}
		} else {
			b.Join = append(b.Join, nsenter.NsPath{Type: flag, Path: ns.Path})
		}
	}
	if b.CloneFlags&unix.CLONE_NEWTIME != 0 {
		b.TimeOffsets = timeOffsets(spec.Linux.TimeOffsets)
	}
	return b
}

func timeOffsets(offsets map[string]specs.LinuxTimeOffset) string {
	var sb strings.Builder
	for clock, off := range offsets {
		fmt.Fprintf(&sb, "%s %d %d\n", clock, off.Secs, off.Nanosecs)
	}
	return sb.String()
}

// namespacePaths records the init's namespaces for exec to join.
func namespacePaths(spec *specs.Spec, pid int) map[specs.LinuxNamespaceType]string {
	paths := make(map[specs.LinuxNamespaceType]string)
	for _, ns := range spec.Linux.Namespaces {
		paths[ns.Type] = fmt.Sprintf("/proc/%d/ns/%s", pid, namespaces.ProcName(ns.Type))
	}
	return paths
}

func init() {
	validate.SeccompValidate = seccomp.Validate
}
