package libcontainer

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/testfault"
)

// createHandler is the runtime's part in starting the init of a new
// container (an initHandler): it makes the cgroup and puts the init in it,
// writes its id maps, records it in the state, opens the bind sources it
// asks for, sets the cgroup limits and runs the create hooks once the
// mounts are made, and saves the state once the init is set up.
//
// The cgroup: with the cgroupfs driver and a privileged runtime it is made
// while runc seals its binary (and, without cgroup v2, starts runc init)
// and runc init is born in it (cgroupmgr.Manager.OpenJoin). Otherwise it
// is made while the init starts, with a first move (of stage 0,
// Manager.Apply) that pays the v1 attach's RCU grace period early, so
// that moving the init itself is quick.
type createHandler struct {
	c    *Container
	o    *CreateOptions
	spec *specs.Spec
	// cfg is the init's config, sent once its pid is known: the cgroup
	// paths and the hook state are filled in on the way.
	cfg *protocol.InitConfig
	// timeOffsets are those of the bootstrap message, for a new time
	// namespace.
	timeOffsets string
	cg          cgroupmgr.Manager
	// made delivers the result of makeCgroup (nil: the cgroup is not
	// made before the init starts); madeErr keeps it.
	made    chan error
	madeErr error
	// join is the cgroup runc init is born in (nil: JoinCgroup moves it).
	join *cgroupmgr.Join
	// warm is closed once stage 0's early move into the cgroup is done
	// (nil: none was made).
	warm chan struct{}
	// binds opens the bind sources the init asks for (nil: none).
	binds *bindSources
	// limitsSet: the cgroup limits are set (setLimits).
	limitsSet bool
}

// startCgroup makes the cgroup, and opens it for runc init to be born in,
// in the background: done by the time the init starts, or gets its
// bootstrap (bornIn).
func (h *createHandler) startCgroup() {
	h.made = make(chan error, 1)
	go func() { h.made <- h.makeCgroup() }()
}

// makeCgroup makes the cgroup, with its limits, and opens it for runc init
// to be born in.
func (h *createHandler) makeCgroup() error {
	if err := h.newCgroup(); err != nil {
		return err
	}
	if err := h.cg.Apply(-1); err != nil {
		return fmt.Errorf("unable to apply cgroup configuration: %w", err)
	}
	j, err := h.cg.OpenJoin()
	if err != nil {
		return fmt.Errorf("unable to apply cgroup configuration: %w", err)
	}
	h.join = j
	return nil
}

// newCgroup sets up the cgroup manager and records the cgroup's paths.
func (h *createHandler) newCgroup() error {
	c := h.c
	cg, err := cgroupmgr.New(cgroupConfig(c.state))
	if err != nil {
		return err
	}
	h.cg = cg
	// Before it is ours (a cgroup we refuse is not removed): one in use,
	// or frozen, which runc init would freeze in.
	if err := cgroupmgr.CheckUnused(cg.Paths()); err != nil {
		return err
	}
	c.cg = cg
	h.cfg.CgroupPaths = cg.Paths()
	// The state records the cgroup paths before the cgroup exists, for a
	// delete after a create killed half-way.
	snap := *c.state
	snap.CgroupPaths = h.cfg.CgroupPaths
	return saveState(c.dir, &snap)
}

// bornIn: a cgroup v2 directory must exist when runc init starts (it is
// cloned into it); cgroup v1 tasks files only when it gets its bootstrap.
// Without cgroup v2, stage 0 starts while the cgroup is made.
func (h *createHandler) bornIn(started bool) (*cgroupmgr.Join, error) {
	if h.made != nil {
		if !started && !cgroupmgr.HasV2() {
			return nil, nil
		}
		h.madeErr, h.made = <-h.made, nil
	}
	return h.join, h.madeErr
}

func (h *createHandler) afterStart(stage0 int) error {
	if h.join != nil {
		return nil
	}
	if h.cg == nil {
		if err := h.newCgroup(); err != nil {
			return err
		}
	}
	// Not with systemd: the early move would start the scope around stage
	// 0, which may empty (and lose it) before the init joins; its attach
	// is a D-Bus call anyway.
	if !h.c.state.Systemd {
		h.warm = make(chan struct{})
		go func() {
			defer close(h.warm)
			_ = h.cg.Apply(stage0)
		}()
	}
	return nil
}

// close waits for a cgroup still being made (should the init not have
// started) and releases what the handler holds.
func (h *createHandler) close() {
	if h.binds != nil {
		h.binds.close()
	}
	_, _ = h.bornIn(true)
	h.join.Close()
}

func (h *createHandler) IDMaps(stage0 int) error {
	return writeIDMaps(stage0, h.spec.Linux, h.o.Rootless)
}

func (h *createHandler) TimeOffsets(stage0 int) error {
	return writeTimeOffsets(stage0, h.timeOffsets)
}

func (h *createHandler) InitPid(pid int) error {
	if err := h.c.recordInit(pid); err != nil {
		return fmt.Errorf("container init: %w", err)
	}
	h.cfg.HookState = h.c.state.hookState(Creating, pid)
	return nil
}

func (h *createHandler) BindSource(pid, i int) (*os.File, error) {
	if h.binds == nil {
		return nil, protocol.ErrUnexpectedBindSource
	}
	return h.binds.open(pid, i)
}

// JoinCgroup puts the init into its cgroup, then into its resctrl group,
// moves the network devices into its namespace and sets its
// oom_score_adj. For a rootless container it returns the cgroups the
// runtime could join.
func (h *createHandler) JoinCgroup(pid int) (map[string]string, error) {
	if err := h.joinCgroup(pid); err != nil {
		return nil, err
	}
	testfault.At("create:cgroup")
	if err := h.c.applyIntelRdt(pid); err != nil {
		return nil, err
	}
	if err := h.moveNetDevices(pid); err != nil {
		return nil, err
	}
	if err := h.setOOMScoreAdj(pid); err != nil {
		return nil, err
	}
	if !h.o.Rootless {
		return nil, nil // the paths the config gave the init
	}
	// Those the runtime could join: maybe none, which is not nil (nil
	// keeps the config's paths).
	if h.c.state.CgroupPaths == nil {
		return map[string]string{}, nil
	}
	return h.c.state.CgroupPaths, nil
}

// joinCgroup moves the init into its cgroup, unless it was born there,
// and records the cgroup's paths in the state.
func (h *createHandler) joinCgroup(pid int) error {
	c := h.c
	if h.join == nil {
		if h.warm != nil {
			<-h.warm
		}
		err := h.cg.Apply(pid)
		if err != nil && !errors.Is(err, cgroupmgr.ErrRootless) {
			return fmt.Errorf("unable to apply cgroup configuration: %w", err)
		}
	}
	logrus.Debugf("cgroup applied to %d", pid)
	c.state.CgroupPaths = h.cg.Paths()
	if h.o.Rootless {
		// Without access to (some of) the cgroup, run without it, as
		// runc does (see rootless_linux.go).
		c.state.CgroupPaths = rootlessCgroupPaths(h.spec, h.cg)
	}
	return nil
}

// moveNetDevices moves linux.netDevices into the init's network namespace
// and records them in the state.
func (h *createHandler) moveNetDevices(pid int) error {
	var err error
	h.c.state.NetDevices, err = moveNetDevices(h.spec.Linux.NetDevices, pid)
	return err
}

// setOOMScoreAdj applies process.oomScoreAdj to the init, which the
// process inherits.
func (h *createHandler) setOOMScoreAdj(pid int) error {
	if h.spec.Process.OOMScoreAdj == nil {
		return nil
	}
	adj := fmt.Sprint(*h.spec.Process.OOMScoreAdj)
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(adj), 0); err != nil {
		return fmt.Errorf("set process.oomScoreAdj: %w", err)
	}
	return nil
}

// Hooks sets the cgroup limits, now that the init has made its device
// nodes, then runs the prestart and createRuntime hooks, which see the
// limits and may add to them (a GPU hook allows its devices), as in runc.
func (h *createHandler) Hooks(pid int) error {
	if err := h.setLimits(); err != nil {
		return err
	}
	return runCreateHooks(h.spec.Hooks, h.c.state.hookState(Creating, pid))
}

// setLimits sets the cgroup limits, once.
func (h *createHandler) setLimits() error {
	if h.limitsSet {
		return nil
	}
	// Also without linux.resources: Set(nil) still applies the default
	// device rules (a new cgroup allows every device).
	if err := h.cg.Set(h.spec.Linux.Resources); err != nil {
		return fmt.Errorf("set cgroup resources: %w", err)
	}
	h.limitsSet = true
	logrus.Debug("cgroup resources set")
	return nil
}

func (h *createHandler) SeccompFd(f *os.File) error {
	pid := h.c.state.InitPid
	return sendSeccompListener(h.spec.Linux.Seccomp, h.c.state.hookState(Creating, pid), pid, f)
}

// Ready makes the terminal ready (Process.OnReady) and saves the state of
// the created container.
func (h *createHandler) Ready(pid int) error {
	if ready := h.o.IO.OnReady; ready != nil {
		if err := ready(); err != nil {
			return err
		}
	}
	c := h.c
	// Set at SyncHooks already, before pivot_root.
	if err := h.setLimits(); err != nil {
		return err
	}
	if !namespaces.Has(h.spec, specs.MountNamespace) {
		if err := c.recordHostRoot(pid); err != nil {
			return err
		}
	}
	c.state.Creating = false
	if err := saveState(c.dir, c.state); err != nil {
		return err
	}
	testfault.At("create:ready")
	return nil
}
