package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/kernel"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nsenter"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// ExecOptions are the runtime's choices for a process started in a
// running container (runc exec).
type ExecOptions struct {
	// SubCgroupPaths puts the process into an existing sub-cgroup of the
	// container's cgroup instead of the cgroup itself (--cgroup): key ""
	// for every controller, or a v1 controller name ("memory", "cpu") for
	// that hierarchy only. Paths are relative to the container's cgroup.
	SubCgroupPaths map[string]string
	// IgnorePaused allows exec into a paused (frozen) container; the new
	// process is frozen with the rest until the container is resumed.
	IgnorePaused bool
}

var (
	// ErrExecStopped is returned by Exec for a container whose init is
	// gone.
	ErrExecStopped = errors.New("cannot exec in a stopped container")
	// ErrExecPaused is returned by Exec for a paused container, unless
	// ExecOptions.IgnorePaused is set.
	ErrExecPaused = errors.New("cannot exec in a paused container (use --ignore-paused to override)")
)

// Exec starts p inside the container: in every one of its namespaces, in
// its cgroup, with the container's seccomp filter, and with p's user,
// capabilities, rlimits, no_new_privs and LSM labels. Fields p leaves
// empty (capabilities, rlimits, AppArmor profile, SELinux label) are taken
// from the container's own process, as runc does. It returns the host pid
// of the process once it is about to execve.
//
// io gives the process's stdio, extra fds, console socket and pidfd
// socket; a nil stdio file means the caller's own.
func (c *Container) Exec(p *specs.Process, io *Process, o *ExecOptions) (pid int, err error) {
	if err := kernel.Check(); err != nil {
		return 0, err
	}
	if o == nil {
		o = &ExecOptions{}
	}
	status := c.Status()
	switch status {
	case Stopped:
		return 0, ErrExecStopped
	case Paused:
		if !o.IgnorePaused {
			return 0, ErrExecPaused
		}
	}
	cfg := c.state.Config
	if cfg == nil || cfg.Linux == nil {
		return 0, errors.New("the container's state has no linux config")
	}
	p = inheritProcess(p, cfg.Process)
	if p.Terminal && io.ConsoleSocket == nil {
		return 0, errors.New("process.terminal is set but no console socket was given")
	}

	// Open the init's namespaces now, and check afterwards that the pid
	// still names our init: a namespace opened through a reused pid would
	// belong to some other process.
	nsFiles, err := c.openNamespaces()
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}()
	if !c.state.initAlive() {
		return 0, ErrExecStopped
	}

	sp := &spawn{
		boot:      nsenter.Bootstrap{Rootless: c.state.Rootless},
		joinFiles: nsFiles,
		io:        io,
		config: &protocol.InitConfig{
			Mode:    protocol.ModeSetns,
			ID:      c.state.ID,
			Process: p,
			// What of the container's config applies to its every
			// process: the execution domain and the memory policy
			// (and its CPUs, for the scheduler's error message).
			Spec: &specs.Spec{Linux: &specs.Linux{
				Personality:  cfg.Linux.Personality,
				MemoryPolicy: cfg.Linux.MemoryPolicy,
				Resources:    cpusOnly(cfg.Linux.Resources),
			}},
			NoNewKeyring: c.state.NoNewKeyring,
			InUserNS:     namespaces.Has(cfg, specs.UserNamespace),
			Rootless:     c.state.Rootless,
		},
		// --ignore-paused: the process waits, frozen, for the resume.
		frozenOK: status == Paused,
		seccomp:  compileSeccomp(cfg.Linux),
	}
	h := &execHandler{c: c, io: io, p: p, seccomp: cfg.Linux.Seccomp}
	sp.h = h
	if c.state.CgroupPaths != nil {
		h.target, err = cgroupmgr.ExecTarget(c.state.CgroupPaths, o.SubCgroupPaths, c.state.InitPid, c.state.Rootless)
		if err != nil {
			return 0, err
		}
	}
	if h.target != nil && len(h.target.Dirs()) > 0 && !c.state.Rootless && status != Paused {
		if h.join, err = h.target.OpenJoin(); err != nil {
			return 0, fmt.Errorf("error adding pid to cgroups: %w", err)
		}
		defer h.join.Close()
	}
	if !namespaces.Has(cfg, specs.MountNamespace) {
		// No mount namespace to join: the process enters the
		// container's root through the init's (runc 1.5 leaves it on
		// the host's root).
		root, err := c.openInitRoot()
		if err != nil {
			return 0, err
		}
		defer root.Close()
		sp.config.InitRoot = true
		sp.initRoot = root
	}
	pid, err = sp.run()
	io.Pid = pid
	if err != nil {
		return pid, fmt.Errorf("unable to start container process: %w", err)
	}
	return pid, nil
}

// inheritProcess returns p with the fields it leaves unset taken from the
// container's process: capabilities, rlimits, the AppArmor profile, the
// SELinux label and the umask (runc's rules for exec; no_new_privs is p's
// own).
func inheritProcess(p, base *specs.Process) *specs.Process {
	cp := *p
	if base == nil {
		return &cp
	}
	if cp.Capabilities == nil && base.Capabilities != nil {
		b := base.Capabilities
		cp.Capabilities = &specs.LinuxCapabilities{
			Bounding:    slices.Clone(b.Bounding),
			Effective:   slices.Clone(b.Effective),
			Inheritable: slices.Clone(b.Inheritable),
			Permitted:   slices.Clone(b.Permitted),
			Ambient:     slices.Clone(b.Ambient),
		}
	}
	if len(cp.Rlimits) == 0 {
		cp.Rlimits = slices.Clone(base.Rlimits)
	}
	if cp.ApparmorProfile == "" {
		cp.ApparmorProfile = base.ApparmorProfile
	}
	if cp.SelinuxLabel == "" {
		cp.SelinuxLabel = base.SelinuxLabel
	}
	if cp.User.Umask == nil {
		cp.User.Umask = base.User.Umask
	}
	return &cp
}

// openNamespaces opens every namespace the container's init is in (as
// recorded at create), in the order of linux.namespaces.
func (c *Container) openNamespaces() (_ []namespaces.File, err error) {
	var files []namespaces.File
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
		}
	}()
	for _, ns := range c.state.Config.Linux.Namespaces {
		path, ok := c.state.NamespacePaths[ns.Type]
		if !ok {
			continue
		}
		flag := namespaces.Flag(ns.Type)
		if flag == 0 {
			return nil, fmt.Errorf("linux.namespaces: unknown namespace type %q", ns.Type)
		}
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
				return nil, ErrExecStopped
			}
			if errors.Is(err, os.ErrPermission) && c.state.Rootless && c.Status() == Created {
				// The init, non-dumpable until start, serves them
				// (nssock_linux.go).
				for _, f := range files {
					f.Close()
				}
				files = nil
				return c.namespacesFromInit(err)
			}
			return nil, fmt.Errorf("open %s namespace of the container: %w", ns.Type, err)
		}
		files = append(files, namespaces.File{Type: flag, File: f})
	}
	return files, nil
}

// openInitRoot opens the root directory of the container's init, checking
// afterwards that the pid still names our init.
func (c *Container) openInitRoot() (*os.File, error) {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/root", c.state.InitPid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return nil, ErrExecStopped
		}
		return nil, fmt.Errorf("open the root of the container init: %w", err)
	}
	if !c.state.initAlive() {
		f.Close()
		return nil, ErrExecStopped
	}
	return f, nil
}

// cpusOnly returns linux.resources with only cpu.cpus kept (nil if unset).
func cpusOnly(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || r.CPU == nil || r.CPU.Cpus == "" {
		return nil
	}
	return &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: r.CPU.Cpus}}
}

// ParseSubCgroups parses exec's --cgroup values: one bare PATH for every
// controller, or any number of CTRL[,CTRL...]:PATH.
func ParseSubCgroups(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	paths := make(map[string]string, len(args))
	for _, a := range args {
		parts := strings.SplitN(a, ":", 3)
		switch len(parts) {
		case 1:
			if len(args) != 1 {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (missing <controller>: prefix)", a)
			}
			paths[""] = a
		case 2:
			for _, ctrl := range strings.Split(parts[0], ",") {
				paths[ctrl] = parts[1]
			}
		default:
			return nil, fmt.Errorf("invalid --cgroup argument: %s", a)
		}
	}
	return paths, nil
}
