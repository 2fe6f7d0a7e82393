package libcontainer

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
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

	seccomp := cfg.Linux.Seccomp
	sp := &spawn{
		boot:      nsenter.Bootstrap{Rootless: c.state.Rootless},
		joinFiles: nsFiles,
		io:        io,
		config: &protocol.InitConfig{
			Mode:    protocol.ModeSetns,
			ID:      c.state.ID,
			Process: p,
			Seccomp: seccomp,
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
	}
	h := &execHandler{c: c, io: io, p: p, seccomp: seccomp}
	sp.h = h
	if c.state.CgroupPaths != nil {
		if h.cgDirs, err = c.execCgroupDirs(o.SubCgroupPaths); err != nil {
			return 0, err
		}
	}
	if h.cgDirs != nil && !c.state.Rootless && status != Paused {
		if h.join, err = openCgroupJoin(h.cgDirs); err != nil {
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
		flag, ok := namespaces.Flags[ns.Type]
		if !ok {
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

// joinCgroup moves pid into the cgroup directories dirs (execCgroupDirs).
// As in runc, a rootless runtime joins those it may and silently leaves
// the process out of the others (a cgroup v2 move also needs write access
// to the cgroup.procs of the common ancestor: the unified hierarchy of a
// hybrid host refuses it even a cgroup the user made).
func (c *Container) joinCgroup(pid int, dirs []string) error {
	for _, dir := range dirs {
		if err := writeCgroupProcs(filepath.Join(dir, "cgroup.procs"), pid); err != nil {
			if c.state.Rootless && errors.Is(err, os.ErrPermission) {
				logrus.Debugf("exec: cannot join the container's cgroup: %v", err)
				continue
			}
			return fmt.Errorf("error adding pid %d to cgroups: %w", pid, err)
		}
	}
	return nil
}

// execCgroupDirs lists the cgroup directories an exec'd process joins:
// those cgroupTargets names. Without --cgroup, a cgroup v2 directory that
// may take no process, because it hands controllers down to sub-cgroups
// (cgroup v2's "no internal processes" rule; a container running systemd
// makes such sub-cgroups), is replaced by the init's own cgroup, as runc
// does.
func (c *Container) execCgroupDirs(sub map[string]string) ([]string, error) {
	dirs, err := cgroupTargets(c.state.CgroupPaths, sub)
	if err != nil || len(sub) > 0 {
		return dirs, err
	}
	for i, dir := range dirs {
		if dir == c.state.CgroupPaths[""] {
			dirs[i] = initCgroupIfInner(dir, c.state.InitPid)
		}
	}
	return dirs, nil
}

// initCgroupIfInner returns the cgroup v2 directory of process pid when
// dir has controllers enabled for its children and pid's cgroup lies
// below dir; otherwise dir.
func initCgroupIfInner(dir string, pid int) string {
	ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil || len(strings.TrimSpace(string(ctl))) == 0 {
		return dir
	}
	paths, err := procCgroups(pid)
	if err != nil {
		return dir
	}
	for _, p := range paths {
		if p[0] != "" {
			continue
		}
		// dir is <cgroup2 mount>/<the container's cgroup>; the init's
		// cgroup is below the container's, under the same mount.
		if init := filepath.Join(cgroupmgr.V2Mountpoint(), p[1]); strings.HasPrefix(init, dir+"/") {
			logrus.Debugf("exec: %s hands controllers to sub-cgroups; joining the init's cgroup %s", dir, init)
			return init
		}
	}
	return dir
}

// cgroupTargets lists the cgroup directories an exec'd process joins, one
// per hierarchy of the container: <controller's directory>/<sub> for the
// controllers named in sub ("" for all of them), the container's cgroup
// for the others. Co-mounted controllers ("cpu,cpuacct") share one
// directory, which gets the sub-cgroup named for any of them.
func cgroupTargets(paths, sub map[string]string) ([]string, error) {
	target := make(map[string]string, len(paths)) // hierarchy dir -> dir to join
	for _, dir := range paths {
		target[dir] = dir
	}
	// The sub-cgroup for all first, so that one per controller wins.
	keys := slices.Sorted(maps.Keys(sub))
	for _, ctrl := range keys {
		rel := sub[ctrl]
		if ctrl == "" {
			for dir := range target {
				j, err := subCgroup(dir, rel)
				if err != nil {
					return nil, err
				}
				target[dir] = j
			}
			continue
		}
		dir, ok := paths[ctrl]
		if !ok {
			return nil, fmt.Errorf("unknown controller %s in --cgroup", ctrl)
		}
		j, err := subCgroup(dir, rel)
		if err != nil {
			return nil, err
		}
		target[dir] = j
	}
	return slices.Sorted(maps.Values(target)), nil
}

// subCgroup joins a --cgroup path to the container's cgroup directory dir,
// as runc does ("/x" is dir/x, "a/../b" is dir/b); the result must be dir
// or below it.
func subCgroup(dir, rel string) (string, error) {
	j := filepath.Join(dir, rel)
	if j != dir && !strings.HasPrefix(j, dir+"/") {
		return "", fmt.Errorf("bad sub cgroup path: %s (--cgroup must name a cgroup inside the container's)", rel)
	}
	return j, nil
}

// cpusOnly returns linux.resources with only cpu.cpus kept (nil if unset).
func cpusOnly(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || r.CPU == nil || r.CPU.Cpus == "" {
		return nil
	}
	return &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: r.CPU.Cpus}}
}

// writeCgroupProcs writes pid to a cgroup.procs file, which must exist
// (sub-cgroups are not created).
func writeCgroupProcs(path string, pid int) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		_, err = unix.Write(fd, []byte(fmt.Sprint(pid)))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
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
