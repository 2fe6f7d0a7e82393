package libcontainer

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/procattr"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// execHandler is the runtime's part in starting a process in a running
// container (an initHandler): it puts runc init into the container's
// cgroup and resctrl group, sets the process's initial CPU affinity, and
// hands a seccomp notify fd to the agent.
//
// The cgroup: runc init is born in it (join, cgroupmgr.Target.OpenJoin),
// but for a rootless runtime, which may not write it, or a paused
// container (stage 0 would freeze as it joined). Otherwise stage 0 is
// moved (Target.Join) while it joins the namespaces and forks, which pays
// the v1 attach's RCU grace period (some 8ms), and the process itself
// (quick then) once it is known.
// It cannot run anything of its own before: it waits for SyncCgroupDone.
type execHandler struct {
	c       *Container
	io      *Process
	p       *specs.Process
	seccomp *specs.LinuxSeccomp
	// target is where the process goes (nil: no cgroup).
	target *cgroupmgr.Target
	// join is the cgroup runc init is born in (nil: JoinCgroup moves it).
	join *cgroupmgr.Join
	// warm is closed once stage 0's early move into the cgroup is done.
	warm chan struct{}
	// pid is the exec'd process's, once known.
	pid int
}

func (h *execHandler) bornIn(bool) (*cgroupmgr.Join, error) { return h.join, nil }

func (h *execHandler) afterStart(stage0 int) error {
	if h.join != nil || h.target == nil {
		return nil
	}
	h.warm = make(chan struct{})
	go func() {
		defer close(h.warm)
		_ = h.target.Join(stage0) // errors: see JoinCgroup
	}()
	return nil
}

// IDMaps: an exec makes no user namespace.
func (h *execHandler) IDMaps(int) error { return nil }

// TimeOffsets: an exec makes no time namespace.
func (h *execHandler) TimeOffsets(stage0 int) error { return writeTimeOffsets(stage0, "") }

func (h *execHandler) InitPid(pid int) error {
	h.pid = pid
	return nil
}

func (h *execHandler) BindSource(int, int) (*os.File, error) {
	return nil, protocol.ErrUnexpectedBindSource
}

// JoinCgroup puts the process into the container's cgroup, unless it was
// born there, then (in the cgroup: joining a cpuset would reset it) into
// its resctrl group, and sets process.execCPUAffinity.initial.
func (h *execHandler) JoinCgroup(pid int) (map[string]string, error) {
	if h.join == nil && h.target != nil {
		<-h.warm
		if err := h.target.Join(pid); err != nil {
			return nil, err
		}
	}
	if err := h.c.joinIntelRdt(pid); err != nil {
		return nil, err
	}
	return nil, procattr.SetInitialCPUAffinity(pid, h.p)
}

// Hooks: an exec runs none.
func (h *execHandler) Hooks(int) error { return nil }

// SeccompFd: a filter with a listener; its fd goes to the seccomp agent,
// with the exec'd process's pid.
func (h *execHandler) SeccompFd(f *os.File) error {
	return sendSeccompListener(h.seccomp, h.c.state.hookState(Running, h.c.state.InitPid), h.pid, f)
}

// Ready makes the terminal ready (Process.OnReady).
func (h *execHandler) Ready(int) error {
	if h.io.OnReady != nil {
		return h.io.OnReady()
	}
	return nil
}
