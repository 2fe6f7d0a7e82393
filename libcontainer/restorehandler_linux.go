package libcontainer

import (
	"os"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/criu"
	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// restoreHandler is the runtime's part in a restore, which CRIU drives
// (restore does not start runc init): it answers criu's start and its
// notifications (criu.Session's Started and Notify).
type restoreHandler struct {
	c       *Container
	cg      cgroupmgr.Manager
	console *os.File // the console socket, for a restored terminal
	// pid is the restored init's, once CRIU told it (post-restore).
	pid int
}

// started puts criu (criuPid) into the container's cgroup and resctrl
// group before it forks the processes, which inherit both, and tells it
// the cgroup roots.
func (h *restoreHandler) started(criuPid int, req *rpc.CriuReq) error {
	if err := h.c.restoreCgroup(h.cg, criuPid, req); err != nil {
		return err
	}
	return h.c.applyIntelRdt(criuPid)
}

// notify handles CRIU's notifications: the create hooks once the
// namespaces are set up, the init's pid, the pty master of a restored
// terminal.
func (h *restoreHandler) notify(n *criu.Notification) error {
	switch n.Script {
	case "setup-namespaces":
		if err := runCreateHooks(h.c.state.Config.Hooks, h.c.state.hookState(Creating, n.Pid)); err != nil {
			return err
		}
	case "post-restore":
		h.pid = n.Pid
	case "orphan-pts-master":
		return sendConsole(h.console, n)
	}
	criu.CloseFiles(n)
	return nil
}
