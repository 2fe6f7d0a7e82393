// Package initproc is `runc init`: what runs in the process the runtime
// starts to make a container, or to start a process in one, after the C
// stage (nsenter) has put it into the container's namespaces. Init reads
// its protocol.InitConfig from the init socket, sets up what the container
// needs (standard.go: mounts, console, hostname, hooks; setns.go: an
// exec'd process), and execs the container's process (finish_linux.go). It
// never returns: on failure it reports the error to the parent and exits.
//
// It never imports the runtime's side (package libcontainer), only what
// the two share (protocol and the small packages beside it) and what sets
// up a container from the inside (rootfs, seccomp, capabilities, apparmor,
// selinux): the compiler keeps apart what runs in which process.
package initproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// errAborted is the init's error when the runtime sent SyncAbort.
var errAborted = errors.New("aborted by the runtime")

// Init is the entry point of `runc init`.
func Init() {
	runtime.LockOSThread() // GOMAXPROCS=1 in its environment (process_linux.go)

	fd, err := strconv.Atoi(os.Getenv(protocol.EnvInitPipe))
	if err != nil || fd < 3 {
		fmt.Fprintln(os.Stderr, protocol.NotForUsers)
		os.Exit(1)
	}
	initLogging()
	logrus.Debug("child process in init()") // runc's words, which tests grep
	os.Clearenv()
	sock := protocol.NewSock(os.NewFile(uintptr(fd), "init socket"))
	l := &linuxInit{sock: sock}
	err = l.run()
	switch {
	case errors.Is(err, errAborted):
		os.Exit(1)
	case l.created:
		// The runtime reported the container created (or the process
		// started): what fails now is the process's own start, told on
		// its stderr with exit status 255, as runc does.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(255)
	}
	if werr := sock.Write(protocol.SyncError, []byte(err.Error())); werr != nil {
		// Nobody to tell but the process's stderr.
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(1)
}

func (l *linuxInit) run() error {
	payload, err := l.expect(protocol.SyncConfig)
	if err != nil {
		return err
	}
	var cfg protocol.InitConfig
	if err := cfg.UnmarshalBinary(payload); err != nil {
		return fmt.Errorf("decode init config: %w", err)
	}
	if cfg.Process == nil {
		return errors.New("init config has no process")
	}
	logrus.Debugf("init: %s config received", cfg.Mode)
	l.cfg = &cfg
	if cfg.Mode == protocol.ModeStandard {
		return l.standardInit()
	}
	return l.setnsInit()
}

type linuxInit struct {
	sock protocol.Sock
	cfg  *protocol.InitConfig
	// inCgroup is set once the parent has put us into our cgroup
	// (SyncCgroupDone).
	inCgroup bool
	// created is set once the parent no longer waits for our errors: the
	// container is created (runc create), or nothing but the execve is
	// left. An error then goes to the process's stderr.
	created bool
	// nsFiles are the init's own namespaces, served on NsSockFd while it
	// waits for start (nssock_linux.go).
	nsFiles []namespaces.File
}

// expect reads the next frame of type want from the parent, taking note of
// a protocol.SyncCgroupDone on the way.
func (l *linuxInit) expect(want protocol.Type) ([]byte, error) {
	payload, file, err := l.expectFile(want)
	if file != nil {
		file.Close()
	}
	return payload, err
}

// expectFile is expect for a frame that may carry a file, which it
// returns (the caller closes it).
func (l *linuxInit) expectFile(want protocol.Type) ([]byte, *os.File, error) {
	for {
		t, payload, file, err := l.sock.Read()
		if err != nil {
			return nil, nil, fmt.Errorf("wait for %s: %w", want, err)
		}
		if t == want {
			return payload, file, nil
		}
		if file != nil {
			file.Close()
		}
		switch t {
		case protocol.SyncCgroupDone:
			if err := l.cgroupDone(payload); err != nil {
				return nil, nil, err
			}
		case protocol.SyncError:
			return nil, nil, errors.New(string(payload))
		case protocol.SyncAbort:
			return nil, nil, errAborted
		default:
			return nil, nil, fmt.Errorf("got %s, want %s", t, want)
		}
	}
}

func (l *linuxInit) cgroupDone(payload []byte) error {
	if l.cfg == nil {
		return errors.New("got cgroup done before the config")
	}
	l.inCgroup = true
	logAffinity()
	if len(payload) > 0 {
		// The parent's paths replace the provisional ones (a rootless
		// container keeps only the cgroups it could join).
		l.cfg.CgroupPaths = nil
		if err := json.Unmarshal(payload, &l.cfg.CgroupPaths); err != nil {
			return fmt.Errorf("decode cgroup paths: %w", err)
		}
	}
	if l.cfg.NewCgroupNS {
		// Only this (locked) thread, which execs the process, needs it.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	return nil
}

// logAffinity logs, at debug level, the CPUs (the first 64) the init runs
// on once in its cgroup: for runc exec, process.execCPUAffinity.initial.
func logAffinity() {
	if !logrus.IsLevelEnabled(logrus.DebugLevel) {
		return
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return
	}
	var mask uint64
	for i := range 64 {
		if set.IsSet(i) {
			mask |= 1 << i
		}
	}
	logrus.Debugf("init: affinity: %#x", mask)
}

// waitCgroup returns once the init is in its cgroup (and cgroup namespace).
func (l *linuxInit) waitCgroup() error {
	if l.inCgroup {
		return nil
	}
	payload, err := l.expect(protocol.SyncCgroupDone)
	if err != nil {
		return err
	}
	return l.cgroupDone(payload)
}
