package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/exeseal"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nsenter"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
	"github.com/seed4bdd2c93/runc/libcontainer/testfault"
)

// Process is the I/O of a process the runtime starts: a container's init or
// an exec'd process. Nil stdio means the runtime's own.
type Process struct {
	Stdin, Stdout, Stderr *os.File
	// ConsoleSocket is a connected unix socket on which the init sends the
	// pty master when process.terminal is set.
	ConsoleSocket *os.File
	// ExtraFiles become fds 3, 4, ... of the process (--preserve-fds).
	ExtraFiles []*os.File
	// PidfdSocket is a connected unix socket on which the init sends a
	// pidfd of itself (--pidfd-socket), named "standard" or "setns".
	PidfdSocket *os.File
	// OnReady, if set, is called once the init is set up (the pty master,
	// if any, already sent on ConsoleSocket) and before it may run the
	// process: the foreground terminal is made ready here.
	OnReady func() error
	// Pid is the host pid of the process once started.
	Pid int
}

// Prepare gets ready to start a `runc init`: the runtime's binary is
// sealed in the background (see exeseal), while the caller loads the
// config or the container's state. Call it once any fds to pass on were
// checked.
func Prepare() { exeseal.Prepare() }

// spawn is the parent's side of one `runc init`: it starts the binary,
// feeds the C stage its bootstrap message, and drives the protocol
// (protocol.Drive) with a handler of the steps: create's or exec's.
type spawn struct {
	boot   nsenter.Bootstrap
	config *protocol.InitConfig
	io     *Process
	h      initHandler
	fifo   *os.File // O_PATH exec.fifo, for a create that waits for start
	nsSock *os.File // listening socket on which a rootless create's init serves its namespaces
	// initRoot, for an exec into a container without a mount namespace,
	// is the root of the container's init, sent right after the config.
	initRoot *os.File
	// joinFiles are open namespaces (exec) the C stage joins through
	// /proc/self/fd, added to boot.Join.
	joinFiles []namespaces.File
	// frozenOK: the init may stay frozen (exec --ignore-paused into a
	// paused container), which the runtime waits out.
	frozenOK bool
	// seccomp, if set, gives the process's compiled seccomp filter
	// (compileSeccomp), which goes in the config.
	seccomp func() (*bpf.Filter, error)
}

// compileSeccomp compiles l's seccomp section in the background, while
// runc init starts: a profile not in the cache takes libseccomp tens of
// milliseconds. The function returned waits for the filter; nil without
// a seccomp section.
func compileSeccomp(l *specs.Linux) func() (*bpf.Filter, error) {
	if l == nil || l.Seccomp == nil {
		return nil
	}
	var (
		f    *bpf.Filter
		err  error
		done = make(chan struct{})
	)
	go func() {
		f, err = seccomp.Compile(l.Seccomp)
		close(done)
	}()
	return func() (*bpf.Filter, error) {
		<-done
		return f, err
	}
}

// initHandler is the runtime's part in starting one runc init: the steps
// of the protocol, and what comes around the start of the process.
type initHandler interface {
	protocol.Handler
	// bornIn returns the cgroup runc init is to be born in
	// (cgroupmgr.Join), or nil: the handler moves it (JoinCgroup). It is
	// called right before runc init starts, when it needs to return only
	// what the start needs (a cgroup v2 directory), and again with started
	// set before stage 0 gets its bootstrap, with the cgroup v1 tasks files.
	bornIn(started bool) (*cgroupmgr.Join, error)
	// afterStart is called with the pid of stage 0 once it has its
	// bootstrap: work done here overlaps the start of the init.
	afterStart(stage0 int) error
}

// run starts the init and drives the protocol (protocol.Drive) until the
// init closes its end. It returns the pid of the process. On error the
// init is killed.
func (sp *spawn) run() (pid int, err error) {
	exe, err := exeseal.Open()
	if err != nil {
		return 0, err
	}
	defer exe.Close()
	logrus.Debug("runc binary sealed")
	logrus.Debug("runc exeseal: using /proc/self/exe clone") // runc's words
	join, err := sp.h.bornIn(false)
	if err != nil {
		return 0, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("init socketpair: %w", err)
	}
	// Non-blocking: the watch's deadline ends any wait on it.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return 0, fmt.Errorf("init socketpair: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "init socket (parent)")
	child := os.NewFile(uintptr(fds[1]), "init socket (child)")
	defer parent.Close()

	// fds: 3.. the process's own extra files, then the init socket, then
	// the init-only files, whose numbers go in the config.
	files := append([]*os.File{}, sp.io.ExtraFiles...)
	sp.config.PreserveFds = len(sp.io.ExtraFiles)
	logR, logW, err := os.Pipe()
	if err != nil {
		child.Close()
		return 0, fmt.Errorf("log pipe: %w", err)
	}
	defer forwardLogs(logR)()
	initFd := 3 + len(files)
	logFd := initFd + 1
	files = append(files, child, logW)
	if sp.fifo != nil {
		sp.config.FifoFd = 3 + len(files)
		files = append(files, sp.fifo)
	}
	if sp.nsSock != nil {
		sp.config.NsSockFd = 3 + len(files)
		files = append(files, sp.nsSock)
	}
	if sp.io.ConsoleSocket != nil {
		sp.config.ConsoleFd = 3 + len(files)
		files = append(files, sp.io.ConsoleSocket)
	}
	if sp.io.PidfdSocket != nil {
		sp.config.PidfdFd = 3 + len(files)
		files = append(files, sp.io.PidfdSocket)
	}
	for _, ns := range sp.joinFiles {
		sp.boot.Join = append(sp.boot.Join, nsenter.NsPath{Type: ns.Type, Path: fmt.Sprintf("/proc/self/fd/%d", 3+len(files))})
		files = append(files, ns.File)
	}

	env := []string{
		protocol.EnvInitPipe + "=" + strconv.Itoa(initFd),
		protocol.EnvLogPipe + "=" + strconv.Itoa(logFd),
		protocol.EnvLogLevel + "=" + logrus.GetLevel().String(),
		// The init is one locked thread's work: one P from the Go
		// runtime's start spares the stop-the-world of a later
		// runtime.GOMAXPROCS(1) (3% of the init's CPU). The init
		// clears its environment before anything runs in it.
		"GOMAXPROCS=1",
	}
	env = append(env, testfault.Env()...)
	path := fmt.Sprintf("/proc/self/fd/%d", exe.Fd())
	stdio := []*os.File{orStd(sp.io.Stdin, os.Stdin), orStd(sp.io.Stdout, os.Stdout), orStd(sp.io.Stderr, os.Stderr)}
	logrus.Debugf("starting runc init (%s)", path)
	s0, err := startStage0(path, env, append(stdio, files...), join.SysProcAttr())
	child.Close()
	logW.Close()
	if err != nil {
		return 0, fmt.Errorf("start runc init: %w", err)
	}
	logrus.Debugf("runc init started: %d", s0.pid)
	procs := &initProcs{stage0: s0, watch: newInitWatch(parent, sp.frozenOK)}
	defer procs.watch.close()
	defer func() {
		if err != nil {
			err = procs.watch.explain(err)
			if pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			if !procs.stage0Done {
				s0.kill()
				s0.reap()
			}
		}
	}()
	// A child not yet waited for: its pid names it.
	if err = procs.watch.follow(s0.pid, "runc init stage 0"); err != nil {
		return 0, err
	}
	procs.watch.expect("the pid of the container's init")

	// Cloned into the cgroup's v2 directory, if any: the v1 tasks files,
	// which may have been made meanwhile, go with the bootstrap.
	cloned := join.SysProcAttr() != nil
	if join, err = sp.h.bornIn(true); err != nil {
		return 0, err
	}
	if !cloned && join.SysProcAttr() != nil {
		return 0, errors.New("runc init started outside the cgroup v2 directory it is to be born in")
	}
	var tasks []int
	for _, f := range join.Tasks() {
		tasks = append(tasks, int(f.Fd()))
	}
	sp.boot.CgroupTasks = len(tasks)
	msg, err := sp.boot.Encode()
	if err != nil {
		return 0, err
	}
	sock := protocol.NewSock(parent)
	if err = sock.Send(msg, tasks...); err != nil {
		return 0, fmt.Errorf("send bootstrap: %w", err)
	}
	testfault.At("spawn:started")
	if err = sp.h.afterStart(s0.pid); err != nil {
		return 0, err
	}
	return protocol.Drive(protocol.Init{
		Sock:    sock,
		Stage0:  s0.pid,
		Config:  sp.config,
		Root:    sp.initRoot,
		Watch:   procs,
		Seccomp: sp.seccomp,
	}, sp.h)
}

// initProcs are the processes of one runc init, for protocol.Drive to
// wait on: stage 0, then the init, which the watch follows.
type initProcs struct {
	stage0     *stage0
	stage0Done bool // exited and reaped
	watch      *initWatch
}

func (p *initProcs) Expect(what string) { p.watch.expect(what) }

func (p *initProcs) Handover(pid int) error {
	p.watch.expect("runc init stage 0 to exit")
	if err := p.watch.waitExit(); err != nil {
		return err
	}
	p.stage0Done = true
	if err := p.stage0.wait(); err != nil {
		return fmt.Errorf("runc init stage 0: %w", err)
	}
	if err := p.watch.follow(pid, "runc init"); err != nil {
		return err
	}
	p.watch.expect("runc init to set up the container")
	return nil
}

func orStd(f, std *os.File) *os.File {
	if f != nil {
		return f
	}
	return std
}
