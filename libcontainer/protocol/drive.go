package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// Handler is the runtime's part in each step of the sequence (see the
// package comment) that asks something of it. Drive calls one method per
// frame of runc init, and answers the init with what it returns: an error
// aborts the init (SyncAbort) and ends Drive.
type Handler interface {
	// IDMaps writes the uid and gid maps of the user namespace that stage
	// 0 (pid stage0) has made (SyncUsermapPls).
	IDMaps(stage0 int) error
	// TimeOffsets writes the offsets of the time namespace that stage 0
	// has made (SyncTimeOffsetsPls).
	TimeOffsets(stage0 int) error
	// InitPid is told the pid of the init, once stage 0 has exited and
	// before the init gets its config (SyncChildPid).
	InitPid(pid int) error
	// BindSource returns the source of mounts[i], which the init asks for
	// (SyncMountRequest); Drive sends it (SyncMountFd) and closes it. A
	// handler that opens none returns ErrUnexpectedBindSource.
	BindSource(pid, i int) (*os.File, error)
	// JoinCgroup puts the init into its cgroup, and does what else the
	// runtime does to the init from outside before the init may go on.
	// It is called once the config was sent; its paths go to the init
	// (SyncCgroupDone) and replace those of the config (nil: the config's
	// stand).
	JoinCgroup(pid int) (paths map[string]string, err error)
	// Hooks sets the cgroup limits once the init's mounts and device
	// nodes are made, then runs the hooks the runtime runs in its own
	// namespaces before pivot_root: prestart, createRuntime (SyncHooks).
	Hooks(pid int) error
	// SeccompFd hands the notify fd of the init's seccomp filter to the
	// seccomp agent (SyncSeccompFd); Drive closes f.
	SeccompFd(f *os.File) error
	// Ready finishes what the runtime does once the init is set up and
	// before it may run the process (SyncReady; SyncRun follows).
	Ready(pid int) error
}

// Watcher follows the processes of runc init while Drive waits on them.
type Watcher interface {
	// Expect records progress: a frame came, and what is waited for next.
	Expect(what string)
	// Handover waits for stage 0 to exit once it has sent the pid of the
	// init, and follows the init (pid) from then on.
	Handover(pid int) error
}

// Init is the runtime's end of one runc init, for Drive.
type Init struct {
	Sock Sock
	// Stage0 is the pid of stage 0, which asks for the id maps and time
	// offsets of the namespaces it makes.
	Stage0 int
	// Config goes to the init once its pid is known; Root, if set
	// (Config.InitRoot), right after it.
	Config *InitConfig
	Root   *os.File
	Watch  Watcher
	// Seccomp, if set, gives Config.Seccomp (compiled while the init
	// starts), awaited right before the config goes: its error aborts the
	// init, whose pid is known then (Drive returns it, for the kill).
	Seccomp func() (*bpf.Filter, error)
}

// ErrUnexpectedBindSource is a Handler's answer to a bind source request it
// did not expect.
var ErrUnexpectedBindSource = errors.New("unexpected bind source request from runc init")

// Drive answers the frames of runc init, once stage 0 has its bootstrap
// message, calling h for each step, until the init closes its end of the
// socket: then the container is created (or the process exec'd). It
// returns the pid of the init once known (0 before).
//
// Errors are reported as runc 1.5 reports them: what goes wrong while a
// new container's init sets it up (the init's own error, a hook, the cgroup
// limits, the seccomp agent) is prefixed "error during container init: ";
// an exec's errors, and those of the id maps, are returned as they are.
func Drive(in Init, h Handler) (pid int, err error) {
	d := &driver{Init: in, h: h}
	for {
		t, payload, file, rerr := in.Sock.Read()
		if rerr == nil {
			in.Watch.Expect("runc init to set up the container")
		}
		// A killed init may reset the connection rather than close it.
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, unix.ECONNRESET) {
			if !d.ready {
				return d.pid, d.duringInit(errors.New("runc init exited before the container was set up"))
			}
			return d.pid, nil
		}
		if rerr != nil {
			return d.pid, rerr
		}
		logrus.Debugf("runc init: %s", t)
		done, err := d.step(t, payload, file)
		if done || err != nil {
			return d.pid, err
		}
	}
}

// driver is the state of one Drive.
type driver struct {
	Init
	h     Handler
	pid   int  // the init's, once stage 0 sent it
	ready bool // SyncReady came: the init is set up
}

// step handles one frame of type t. done is set when Drive is to return
// (with err).
func (d *driver) step(t Type, payload []byte, file *os.File) (done bool, err error) {
	var reply Type
	switch t {
	case SyncError:
		return true, d.duringInit(initFailed(payload))
	case SyncUsermapPls:
		err = d.h.IDMaps(d.Stage0)
		reply = SyncUsermapAck
	case SyncTimeOffsetsPls:
		err = d.h.TimeOffsets(d.Stage0)
		reply = SyncTimeOffsetsAck
	case SyncChildPid:
		return d.initPid(payload)
	case SyncMountRequest:
		if err = d.bindSource(payload); err == nil {
			return false, nil
		}
	case SyncHooks:
		var wait bool
		if wait, err = hooksWait(payload); err == nil {
			err = d.h.Hooks(d.pid)
		}
		if err == nil && !wait {
			return false, nil // SyncReady waits
		}
		reply = SyncHooksDone
	case SyncSeccompFd:
		if file == nil {
			err = errors.New("seccomp notify fd message without an fd")
		} else {
			err = d.h.SeccompFd(file)
			file.Close()
		}
		reply = SyncSeccompDone
	case SyncReady:
		err = d.h.Ready(d.pid)
		d.ready = true
		d.Watch.Expect("runc init to finish (exec the process, or wait for runc start)")
		if err == nil && d.Config.Mode == ModeSetns {
			return false, nil // the init does not wait for SyncRun
		}
		reply = SyncRun
	default:
		err = fmt.Errorf("unexpected %s from runc init", t)
	}
	if file != nil && t != SyncSeccompFd {
		file.Close()
	}
	if err != nil {
		_ = d.Sock.Write(SyncAbort, nil)
		if t == SyncUsermapPls {
			return true, err
		}
		// A hook, the cgroup limits, the seccomp agent: runc reports
		// these as the init's too.
		return true, d.duringInit(err)
	}
	if err = d.Sock.Write(reply, nil); err != nil {
		if t == SyncReady && (errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET)) {
			// Killed once set up, when others could see it as
			// created (a concurrent `runc kill`): a container that
			// stopped, as when it exits right after SyncRun.
			return true, nil
		}
		return true, d.fromInit(d.Sock.peerError(err))
	}
	return false, nil
}

// initPid handles SyncChildPid: stage 0 exits, the init gets its config
// (and the root to enter), then the runtime puts it into its cgroup.
func (d *driver) initPid(payload []byte) (done bool, err error) {
	if len(payload) != 4 {
		return true, errors.New("bad child pid message")
	}
	d.pid = int(int32(binary.NativeEndian.Uint32(payload)))
	logrus.Debugf("runc init: container process is %d", d.pid)
	// Stage 0 exits now (it may be stuck on the way, frozen).
	if err := d.Watch.Handover(d.pid); err != nil {
		return true, err
	}
	if err := d.h.InitPid(d.pid); err != nil {
		return true, err
	}
	if d.Seccomp != nil {
		if d.Config.Seccomp, err = d.Seccomp(); err != nil {
			_ = d.Sock.Write(SyncAbort, nil)
			return true, fmt.Errorf("load seccomp filter: %w", err)
		}
	}
	cfg, err := d.Config.MarshalBinary()
	if err != nil {
		return true, err
	}
	if err := d.Sock.Write(SyncConfig, cfg); err != nil {
		return true, d.fromInit(d.Sock.peerError(err))
	}
	if d.Root != nil {
		if err := d.Sock.WriteFd(SyncMountFd, int(d.Root.Fd())); err != nil {
			return true, d.fromInit(d.Sock.peerError(err))
		}
	}
	paths, err := d.h.JoinCgroup(d.pid)
	if err != nil {
		_ = d.Sock.Write(SyncAbort, nil)
		return true, d.fromInit(cgroupMoveError(d.Sock, d.pid, err))
	}
	// No paths: the init keeps those of its config.
	if paths == nil {
		err = d.Sock.Write(SyncCgroupDone, nil)
	} else {
		err = d.Sock.WriteJSON(SyncCgroupDone, paths)
	}
	if err != nil {
		return true, d.fromInit(d.Sock.peerError(err))
	}
	return false, nil
}

// bindSource answers the init's request for a bind source (payload: the
// mount's index) with the source, sent as a SyncMountFd frame.
func (d *driver) bindSource(payload []byte) error {
	if len(payload) != 4 {
		return ErrUnexpectedBindSource
	}
	f, err := d.h.BindSource(d.pid, int(binary.NativeEndian.Uint32(payload)))
	if err != nil {
		return err
	}
	defer f.Close()
	return d.Sock.WriteFd(SyncMountFd, int(f.Fd()))
}

// duringInit returns err, met while a new container's init set it up, as
// runc 1.5 reports it: "error during container init: ...". An exec's is
// returned as it is (as in runc).
func (d *driver) duringInit(err error) error {
	if err == nil || d.Config.Mode != ModeStandard {
		return err
	}
	return fmt.Errorf(initErrorPrefix+"%w", err)
}

// fromInit is duringInit for the init's own error (SyncError); any other
// is returned as it is.
func (d *driver) fromInit(err error) error {
	var f *initFailure
	if errors.As(err, &f) {
		return d.duringInit(err)
	}
	return err
}
