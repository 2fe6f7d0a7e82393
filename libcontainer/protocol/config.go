package protocol

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// NotForUsers is what `runc init` says, exiting with status 1, when it
// was not started by the runtime.
const NotForUsers = "runc init: this command is run by runc itself, not by users"

// The environment the runtime starts runc init with.
const (
	// EnvInitPipe names the fd of the init's end of the init socket.
	EnvInitPipe = "_RUNC_INITPIPE"
	// EnvLogPipe names the fd of the log pipe: the init logs on it in
	// JSON lines (logrus's JSONFormatter: "level", "msg"), which the
	// runtime re-logs at their level in its own log.
	EnvLogPipe = "_RUNC_LOGPIPE"
	// EnvLogLevel is the runtime's log level, for the init to log at.
	EnvLogLevel = "_RUNC_LOGLEVEL"
)

// Mode is what runc init does: set up a new container, or start a
// process in a running one.
type Mode string

const (
	ModeStandard Mode = "standard" // a new container
	ModeSetns    Mode = "setns"    // runc exec
)

// InitConfig is what the parent sends the init after the C stage
// (SyncConfig), in the form of initwire.go.
type InitConfig struct {
	Mode Mode
	ID   string
	// Spec is the container's spec (setns: the parts that apply to
	// every process); it crosses the socket as an InitSpec, the parts
	// the init reads (initspec.go).
	Spec    *specs.Spec
	Process *specs.Process
	// Seccomp is the process's linux.seccomp, compiled by the runtime
	// (nil for none): the init only loads it.
	Seccomp *bpf.Filter
	// HookState is the state given to createContainer and startContainer
	// hooks.
	HookState    *specs.State
	ParentHooks  bool // ask the parent to run prestart/createRuntime
	NoPivot      bool
	NoNewKeyring bool
	CgroupPaths  map[string]string
	InUserNS     bool
	// NewCgroupNS: unshare the cgroup namespace once in the cgroup.
	NewCgroupNS bool
	Rootless    bool
	// File descriptors the init got (0 when absent).
	PreserveFds int // fds 3..3+n-1 stay open for the process
	FifoFd      int // O_PATH exec.fifo: wait on it before exec
	ConsoleFd   int // socket to send the pty master on
	PidfdFd     int // exec --pidfd-socket (sent by the parent)
	NsSockFd    int // rootless create: serve our namespaces on it until start
	// BindSources are the indices in Spec.Mounts of the bind sources the
	// init asks the parent for (see libcontainer/bindsources_linux.go).
	BindSources []int
	// InitRoot (setns, for a container without a mount namespace): the
	// parent sends the root directory of the container's init right
	// after the config, to chroot into.
	InitRoot bool
}
