package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/hooks"
	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
	"github.com/seed4bdd2c93/runc/libcontainer/validate"
)

// ErrNotExist is returned for an unknown container ID.
var ErrNotExist = errors.New("container does not exist")

// Container is one container's state directory, held locked by this process
// between Load/Create and Close.
type Container struct {
	dir   string // <root>/<id>
	lock  *os.File
	state *State
	cg    cgroupmgr.Manager
}

// ID returns the container's ID.
func (c *Container) ID() string { return c.state.ID }

// State returns the container's saved state.
func (c *Container) State() *State { return c.state }

// Dir returns the container's state directory.
func (c *Container) Dir() string { return c.dir }

// Close releases the lock on the state directory.
func (c *Container) Close() {
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
}

// lockDir opens dir and takes an exclusive flock on it. It fails with
// ErrNotExist if dir is gone or was removed while we waited.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	// A delete that held the lock before us may have removed the directory.
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink == 0 {
		f.Close()
		return nil, ErrNotExist
	}
	return f, nil
}

// Load opens the container id under root. With lock set the state directory
// is locked until Close, so that commands changing one container serialize.
func Load(root, id string, lock bool) (*Container, error) {
	if err := validate.ID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	c := &Container{dir: dir}
	if lock {
		f, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		c.lock = f
	}
	s, err := loadState(dir)
	if err != nil {
		c.Close()
		if os.IsNotExist(err) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	c.state = s
	return c, nil
}

// List returns the names of the directories under root, in order: the
// IDs of the containers there (Load tells which are not). A root that does
// not exist is an error (os.ErrNotExist) for the caller to judge.
func List(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// cgroup returns the container's cgroup manager, loaded from the state.
func (c *Container) cgroup() (cgroupmgr.Manager, error) {
	if c.cg != nil {
		return c.cg, nil
	}
	if c.state.CgroupPaths == nil {
		return nil, nil
	}
	m, err := cgroupmgr.Load(cgroupConfig(c.state), c.state.CgroupPaths)
	if err != nil {
		return nil, err
	}
	c.cg = m
	return m, nil
}

// Status works out the container's status from what the host shows: the
// init process, the freezer and the exec fifo.
func (c *Container) Status() Status {
	if c.state.Creating {
		// Its create still holds the lock, or was killed half-way (then
		// whatever it started is on its way out).
		if c.lock == nil && creatorAlive(c.dir) {
			return Creating
		}
		return Stopped
	}
	if !c.state.initAlive() {
		return Stopped
	}
	if cg, err := c.cgroup(); err == nil && cg != nil {
		if paused, err := cg.Paused(); err == nil && paused {
			return Paused
		}
	}
	if c.state.UseFifo {
		if _, err := os.Lstat(filepath.Join(c.dir, fifoName)); err == nil {
			return Created
		}
		return Running
	}
	// runc run (no exec fifo): its create returns, and lets go of the
	// lock, only once the init has exec'd the process. Until then a
	// signal would reach runc init, so it is still "created", as runc
	// reports it. Afterwards the process may call itself what it likes
	// (runc init's name included): it runs.
	if c.lock == nil && creatorAlive(c.dir) {
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c.state.InitPid)); err == nil && string(comm) == initComm+"\n" {
			return Created
		}
	}
	return Running
}

// initComm is the name the C stage gives the container's init until it
// execs the process (see nsexec.c).
const initComm = "runc:[2:INIT]"

// OCIState returns the state `runc state` prints.
func (c *Container) OCIState() *OCIState {
	s := c.state
	status := c.Status()
	pid := s.InitPid
	if status == Stopped {
		pid = 0
	}
	st := &OCIState{
		Version: specs.Version,
		ID:      s.ID,
		Pid:     pid,
		Status:  status.String(),
		Bundle:  s.Bundle,
		Rootfs:  s.Rootfs,
		Created: s.Created,
		Owner:   dirOwner(c.dir),
	}
	if s.Config != nil {
		st.Annotations = s.Config.Annotations
	}
	return st
}

// dirOwner names the owner of the state directory, as `runc list` shows it.
func dirOwner(dir string) string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return ""
	}
	uid := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "#" + uid
}

// Signal sends sig to the container's init, as runc 1.5 does. SIGKILL to a
// container without a pid namespace of its own goes to every process in
// its cgroup instead: killing the init does not take the others with it,
// and they may outlive it (then only the cgroup finds them).
func (c *Container) Signal(sig unix.Signal) error {
	if sig == unix.SIGKILL && !c.state.hasPrivatePidNS() {
		return c.killAll()
	}
	return c.signal(sig)
}

// signal sends sig to the init, if it still runs.
func (c *Container) signal(sig unix.Signal) error {
	status := c.Status()
	if status == Stopped || status == Creating {
		return ErrNotRunning
	}
	if err := c.signalInit(sig); err != nil {
		if errors.Is(err, ErrNotRunning) {
			return err
		}
		return fmt.Errorf("unable to signal init: %w", err)
	}
	if sig == unix.SIGKILL && status == Paused {
		// A frozen v1 task cannot die; runc thaws for SIGKILL only.
		c.thawQuietly()
	}
	return nil
}

// killAll SIGKILLs every process in the container's cgroup, whether or not
// its init is alive. A rootless container may have no cgroup it can use:
// then only the init is killed, with a warning, as in runc.
func (c *Container) killAll() error {
	cg, err := c.cgroup()
	if err == nil && cg == nil {
		err = fmt.Errorf("signal cgroup: %w", cgroupmgr.ErrNotExist)
	}
	if err == nil {
		err = cg.KillAll(unix.SIGKILL)
	}
	if err == nil {
		return nil
	}
	if c.state.Rootless {
		logrus.WithError(err).Warn("failed to kill all processes, possibly due to lack of cgroup (Hint: enable cgroup v2 delegation)")
		return c.signal(unix.SIGKILL)
	}
	if errors.Is(err, cgroupmgr.ErrNotExist) && !c.state.initAlive() {
		err = ErrNotRunning
	}
	return fmt.Errorf("unable to kill all processes: %w", err)
}

// ErrNotRunning is returned when a container's init is gone.
var ErrNotRunning = errors.New("container not running")

// signalInit signals the init through a pidfd, after checking that the pid
// still belongs to it.
func (c *Container) signalInit(sig unix.Signal) error {
	pid := c.state.InitPid
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("open init pidfd: %w", err)
	}
	defer unix.Close(pidfd)
	if !c.state.initAlive() {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return err
	}
	return nil
}

func (s *State) hasPrivatePidNS() bool {
	if s.Config == nil || s.Config.Linux == nil {
		return false
	}
	for _, ns := range s.Config.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}

// Destroy kills whatever is left of the container, runs the poststop hooks,
// removes its cgroups and its state directory. It is what `runc delete`
// does, and what a failed create does to clean up.
func (c *Container) Destroy() error {
	var errs []error
	held := false // the init cannot die: a freezer not ours holds it
	if c.state.initAlive() {
		if err := c.killAndWait(); err != nil {
			errs = append(errs, err)
			held = errors.Is(err, errHeldFrozen)
		}
	}
	if cg, err := c.cgroup(); err != nil {
		errs = append(errs, err)
	} else if cg != nil && !held {
		if !c.state.hasPrivatePidNS() || (c.state.Creating && cg.Exists()) {
			// Without a pid namespace, processes can outlive the init;
			// a create killed half-way did not record its init.
			_ = cg.KillAll(unix.SIGKILL)
		}
		logrus.Debug("removing cgroup")
		if err := cg.Destroy(); err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
	}
	if err := c.destroyIntelRdt(); err != nil {
		errs = append(errs, err)
	}
	if err := rootfs.UnmountHostRoot(c.state.Rootfs, c.state.HostRootMount); err != nil {
		errs = append(errs, err)
	}
	logrus.Debug("removing state directory")
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove state directory: %w", err))
	}
	if c.state.Config != nil && c.state.Config.Hooks != nil {
		// A failing poststop hook is reported but does not stop the delete.
		if err := hooks.Run(c.state.Config.Hooks.Poststop, "poststop", c.state.hookState(Stopped, 0)); err != nil {
			logrus.Warn(err)
		}
	}
	return errors.Join(errs...)
}

// errHeldFrozen: the init was killed but cannot die before someone else
// thaws it.
var errHeldFrozen = errors.New("container's init is frozen")

// killAndWait SIGKILLs the init and waits until it is gone. A pid namespace
// takes all its processes with it.
func (c *Container) killAndWait() error {
	pid := c.state.InitPid
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return nil
		}
		return fmt.Errorf("open init pidfd: %w", err)
	}
	defer unix.Close(pidfd)
	if !c.state.initAlive() {
		return nil
	}
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill init: %w", err)
	}
	c.thawQuietly() // a paused container's init dies only once thawed
	// A pidfd becomes readable when the process exits (even if it is not
	// our child and is never reaped by us).
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		n, err := unix.Poll(fds, 100)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for init to exit: %w", err)
		}
		if n > 0 {
			break
		}
		// Frozen still, by an ancestor's freezer (not ours to thaw): it
		// dies once that is thawed.
		if dir := cgroupmgr.ProcessFrozen(pid); dir != "" {
			return fmt.Errorf("%w: init (pid %d) killed, but the freezer of cgroup %s holds it until thawed (its cgroups are left)", errHeldFrozen, pid, dir)
		}
	}
	// Reap it if it is our child (foreground run); ignore ECHILD.
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return nil
}
