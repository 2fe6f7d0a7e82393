package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sendSeccompListener hands the notify fd of a SCMP_ACT_NOTIFY filter to
// the seccomp agent listening on linux.seccomp.listenerPath, the way runc
// does: one new connection to the agent's unix stream socket and one
// message on it, whose data is a specs.ContainerProcessState in JSON (fds
// ["seccompFd"], the process's pid, listenerMetadata and the container's
// state) and whose SCM_RIGHTS carries the fd. The agent keeps the fd; we
// close our copy.
//
// pid is the process the filter belongs to (the init, or an exec'd
// process); state is the container's state as hooks see it.
func sendSeccompListener(sc *specs.LinuxSeccomp, state *specs.State, pid int, fd *os.File) error {
	if sc == nil || sc.ListenerPath == "" {
		return fmt.Errorf("linux.seccomp.listenerPath: not set, but the filter has a listener")
	}
	msg, err := json.Marshal(&specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      pid,
		Metadata: sc.ListenerMetadata,
		State:    *state,
	})
	if err != nil {
		return fmt.Errorf("encode seccomp agent message: %w", err)
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("seccomp agent socket: %w", err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: sc.ListenerPath}); err != nil {
		return fmt.Errorf("failed to connect with seccomp agent specified in the seccomp profile (linux.seccomp.listenerPath %q): %w", sc.ListenerPath, err)
	}
	if err := unix.Sendmsg(sock, msg, unix.UnixRights(int(fd.Fd())), nil, 0); err != nil {
		return fmt.Errorf("cannot send seccomp fd to %s: %w", sc.ListenerPath, err)
	}
	return nil
}
