package libcontainer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/exeseal"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nsenter"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
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
// feeds the C stage its bootstrap message, and answers the init's sync
// messages through the callbacks (any may be nil).
type spawn struct {
	boot   nsenter.Bootstrap
	config *protocol.InitConfig
	io     *Process
	fifo   *os.File // O_PATH exec.fifo, for a create that waits for start
	nsSock *os.File // listening socket on which a rootless create's init serves its namespaces
	// initRoot, for an exec into a container without a mount namespace,
	// is the root of the container's init, sent right after the config.
	initRoot *os.File
	// joinFiles are open namespaces (exec) the C stage joins through
	// /proc/self/fd, added to boot.Join.
	joinFiles []namespaces.File
	// cgroupJoin, if set, makes runc init be born in its cgroups (see
	// cgroupjoin_linux.go); the caller closes it.
	cgroupJoin *cgroupJoin

	// beforeStart, if set, is called right before runc init starts.
	beforeStart func() error
	// afterStart is called with the pid of stage 0 once it has its
	// bootstrap: work done here overlaps the start of the init.
	afterStart func(pid int) error
	onUsermap  func(pid int) error
	onPid      func(pid int) error // the final process pid, before its config is sent
	// onMountRequest, if set, returns the bind source of mounts[i] the
	// init asks for (see bindsources_linux.go); it is sent as a
	// protocol.SyncMountFd frame and closed.
	onMountRequest func(pid, i int) (*os.File, error)
	// inCgroup, if set, is called after the config was sent and must put
	// pid into its cgroup; its result goes to the init as protocol.SyncCgroupDone
	// (nil: the paths of the config stand).
	inCgroup  func(pid int) (map[string]string, error)
	onHooks   func(pid int) error
	onReady   func(pid int) error
	onSeccomp func(f *os.File) error
	// frozenOK: the init may stay frozen (exec --ignore-paused into a
	// paused container), which the runtime waits out.
	frozenOK bool
}

// run starts the init and drives the protocol (see package protocol) until the init
// closes its end. It returns the pid of the process. On error the init is
// killed.
func (sp *spawn) run() (pid int, err error) {
	exe, err := exeseal.Open()
	if err != nil {
		return 0, err
	}
	defer exe.Close()
	logrus.Debug("runc binary sealed")
	logrus.Debug("runc exeseal: using /proc/self/exe clone") // runc's words
	if sp.beforeStart != nil {
		if err := sp.beforeStart(); err != nil {
			return 0, err
		}
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
	if sp.cgroupJoin != nil {
		for _, f := range sp.cgroupJoin.tasks {
			sp.boot.CgroupTasks = append(sp.boot.CgroupTasks, 3+len(files))
			files = append(files, f)
		}
	}

	cmd := &exec.Cmd{
		Path: fmt.Sprintf("/proc/self/fd/%d", exe.Fd()),
		Args: []string{"runc", "init"},
		Env: []string{
			protocol.EnvInitPipe + "=" + strconv.Itoa(initFd),
			protocol.EnvLogPipe + "=" + strconv.Itoa(logFd),
			protocol.EnvLogLevel + "=" + logrus.GetLevel().String(),
		},
		Stdin:       orStd(sp.io.Stdin, os.Stdin),
		Stdout:      orStd(sp.io.Stdout, os.Stdout),
		Stderr:      orStd(sp.io.Stderr, os.Stderr),
		ExtraFiles:  files,
		SysProcAttr: sp.cgroupJoin.sysProcAttr(),
	}
	cmd.Env = append(cmd.Env, testfault.Env()...)
	logrus.Debugf("starting runc init (%s)", cmd.Path)
	err = cmd.Start()
	child.Close()
	logW.Close()
	if err != nil {
		return 0, fmt.Errorf("start runc init: %w", err)
	}
	logrus.Debugf("runc init started: %d", cmd.Process.Pid)
	sock := protocol.NewSock(parent)
	stage0Done := false
	w := newInitWatch(parent, sp.frozenOK)
	defer w.close()
	defer func() {
		if err != nil {
			err = w.explain(err)
			if pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			if !stage0Done {
				_ = cmd.Process.Kill()
				reap(cmd)
			}
		}
	}()
	// A child not yet waited for: its pid names it.
	if err = w.follow(cmd.Process.Pid, "runc init stage 0"); err != nil {
		return 0, err
	}
	w.expect("the pid of the container's init")

	msg, err := sp.boot.Encode()
	if err != nil {
		return 0, err
	}
	if _, err = parent.Write(msg); err != nil {
		return 0, fmt.Errorf("send bootstrap: %w", err)
	}
	testfault.At("spawn:started")
	if sp.afterStart != nil {
		if err = sp.afterStart(cmd.Process.Pid); err != nil {
			return 0, err
		}
	}

	ready := false
	for {
		t, payload, file, rerr := sock.Read()
		if rerr == nil {
			w.expect("runc init to set up the container")
		}
		// A killed init may reset the connection rather than close it.
		if rerr == io.EOF || errors.Is(rerr, unix.ECONNRESET) {
			if !ready {
				return pid, sp.duringInit(errors.New("runc init exited before the container was set up"))
			}
			return pid, nil
		}
		if rerr != nil {
			return pid, rerr
		}
		var reply protocol.Type
		logrus.Debugf("runc init: %s", t)
		switch t {
		case protocol.SyncError:
			return pid, sp.duringInit(protocol.InitFailed(payload))
		case protocol.SyncUsermapPls:
			if sp.onUsermap != nil {
				err = sp.onUsermap(cmd.Process.Pid)
			}
			reply = protocol.SyncUsermapAck
		case protocol.SyncTimeOffsetsPls:
			err = writeTimeOffsets(cmd.Process.Pid, sp.boot.TimeOffsets)
			reply = protocol.SyncTimeOffsetsAck
		case protocol.SyncChildPid:
			logrus.Debugf("runc init: container process is %d", int32(binary.NativeEndian.Uint32(payload)))
			if len(payload) != 4 {
				return pid, errors.New("bad child pid message")
			}
			pid = int(int32(binary.NativeEndian.Uint32(payload)))
			// Stage 0 exits now (it may be stuck on the way, frozen).
			w.expect("runc init stage 0 to exit")
			if err = w.waitExit(); err != nil {
				return pid, err
			}
			stage0Done = true
			if werr := cmd.Wait(); werr != nil {
				return pid, fmt.Errorf("runc init stage 0: %w", werr)
			}
			if err = w.follow(pid, "runc init"); err != nil {
				return pid, err
			}
			w.expect("runc init to set up the container")
			if sp.onPid != nil {
				if err = sp.onPid(pid); err != nil {
					return pid, err
				}
			}
			if err = sock.WriteJSON(protocol.SyncConfig, sp.config); err != nil {
				return pid, sp.fromInit(sock.PeerError(err))
			}
			if sp.initRoot != nil {
				if err = sock.WriteFd(protocol.SyncMountFd, int(sp.initRoot.Fd())); err != nil {
					return pid, sp.fromInit(sock.PeerError(err))
				}
			}
			if sp.inCgroup != nil {
				paths, cerr := sp.inCgroup(pid)
				if cerr != nil {
					_ = sock.Write(protocol.SyncAbort, nil)
					return pid, sp.fromInit(protocol.CgroupMoveError(sock, pid, cerr))
				}
				// No paths: the init keeps those of its config.
				if paths == nil {
					err = sock.Write(protocol.SyncCgroupDone, nil)
				} else {
					err = sock.WriteJSON(protocol.SyncCgroupDone, paths)
				}
				if err != nil {
					return pid, sp.fromInit(sock.PeerError(err))
				}
			}
			continue
		case protocol.SyncMountRequest:
			if err = sp.answerBindSource(sock, pid, payload); err == nil {
				continue
			}
		case protocol.SyncHooks:
			if sp.onHooks != nil {
				err = sp.onHooks(pid)
			}
			reply = protocol.SyncHooksDone
		case protocol.SyncSeccompFd:
			if file == nil {
				err = errors.New("seccomp notify fd message without an fd")
			} else if sp.onSeccomp != nil {
				err = sp.onSeccomp(file)
			}
			if file != nil {
				file.Close()
			}
			reply = protocol.SyncSeccompDone
		case protocol.SyncReady:
			if sp.io.OnReady != nil {
				err = sp.io.OnReady()
			}
			if err == nil && sp.onReady != nil {
				err = sp.onReady(pid)
			}
			ready = true
			reply = protocol.SyncRun
			w.expect("runc init to finish (exec the process, or wait for runc start)")
		default:
			err = fmt.Errorf("unexpected %s from runc init", t)
		}
		if file != nil && t != protocol.SyncSeccompFd {
			file.Close()
		}
		if err != nil {
			_ = sock.Write(protocol.SyncAbort, nil)
			if t == protocol.SyncUsermapPls {
				return pid, err
			}
			// A hook, the cgroup limits, the seccomp agent: runc
			// reports these as the init's too.
			return pid, sp.duringInit(err)
		}
		if err = sock.Write(reply, nil); err != nil {
			if t == protocol.SyncReady && (errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET)) {
				// Killed once set up, when others could see it as
				// created (a concurrent `runc kill`): a container that
				// stopped, as when it exits right after protocol.SyncRun.
				return pid, nil
			}
			return pid, sp.fromInit(sock.PeerError(err))
		}
	}
}

// duringInit returns err, met while a new container's init set it up, as
// runc 1.5 reports it: "error during container init: ...". An exec's is
// returned as it is (as in runc).
func (sp *spawn) duringInit(err error) error {
	if err == nil || sp.config.Mode != protocol.ModeStandard {
		return err
	}
	return fmt.Errorf(protocol.InitErrorPrefix+"%w", err)
}

// fromInit is duringInit for the init's own error (protocol.SyncError); any other
// is returned as it is.
func (sp *spawn) fromInit(err error) error {
	var f *protocol.InitFailure
	if errors.As(err, &f) {
		return sp.duringInit(err)
	}
	return err
}

// reap waits for the killed stage 0 of runc init, for a moment: frozen on
// cgroup v1, it dies only once thawed (a failed create's cleanup thaws the
// container's cgroup), and is then reaped in the background.
func reap(cmd *exec.Cmd) {
	fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err == nil {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(fds, 1000)
		unix.Close(fd)
		if n == 0 {
			go func() { _ = cmd.Wait() }()
			return
		}
	}
	_ = cmd.Wait()
}

func orStd(f, std *os.File) *os.File {
	if f != nil {
		return f
	}
	return std
}
