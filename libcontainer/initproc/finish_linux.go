package initproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/apparmor"
	"github.com/seed4bdd2c93/runc/libcontainer/capabilities"
	"github.com/seed4bdd2c93/runc/libcontainer/hooks"
	"github.com/seed4bdd2c93/runc/libcontainer/nsenter"
	"github.com/seed4bdd2c93/runc/libcontainer/procattr"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
	"github.com/seed4bdd2c93/runc/libcontainer/selinux"
)

// finish runs the steps shared by a container's init and an exec'd
// process, once the namespaces and the filesystem are in place: user,
// capabilities, cwd, seccomp, and the execve itself. Between lookup and
// execve, nothing may fail for a reason the user could have avoided.
func (l *linuxInit) finish() error {
	p := l.cfg.Process
	caps, err := capabilities.New(p.Capabilities)
	if err != nil {
		return err
	}
	// The seccomp filter, compiled by the runtime, is loaded further
	// down, as late as it can be.
	filter := l.cfg.Seccomp
	if err := setRlimits(p.Rlimits, true); err != nil {
		return err
	}
	// LSM labels take effect at the execve below; queue them before
	// no_new_privs, under which AppArmor refuses most profile changes.
	if err := apparmor.ApplyProfile(p.ApparmorProfile); err != nil {
		return err
	}
	if err := selinux.SetExecLabel(p.SelinuxLabel); err != nil {
		return err
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	env := processEnv(p)
	// Look the executable up now, in the container, so that a missing one
	// is reported by create rather than lost after start.
	name, err := lookPath(p.Args[0], env)
	if err != nil {
		return err
	}
	if err := checkExecSize(name, p.Args, env); err != nil {
		return err
	}

	if l.cfg.PidfdFd > 0 {
		if err := sendPidfd(l.cfg.PidfdFd, string(l.cfg.Mode)); err != nil {
			return err
		}
	}
	if err := l.waitCgroup(); err != nil {
		return err
	}
	if err := l.sock.Write(protocol.SyncReady, nil); err != nil {
		return err
	}
	// An exec goes on: the parent has nothing left to do first.
	if l.cfg.Mode != protocol.ModeSetns {
		if _, err := l.expect(protocol.SyncRun); err != nil {
			return err
		}
	}
	logrus.Debug("init: run")
	// In the cgroup with its limits set, before seccomp and the
	// capability drop: personality, scheduler, I/O priority, memory
	// policy, and the CPU affinity (see package procattr).
	if err := procattr.Apply(p, l.specLinux()); err != nil {
		return err
	}
	if err := procattr.SetFinalCPUAffinity(p, l.cfg.Mode == protocol.ModeSetns); err != nil {
		return err
	}
	// The cwd is entered as root, before the user change: the user
	// may not reach it (a 0700 /root). Only if root may not (EACCES or
	// EPERM: a directory of an unmapped owner in a user namespace, a
	// root-squashing NFS) is it entered again as the user, as in runc.
	cwd, err := enterCwd(p.Cwd)
	if err != nil {
		return err
	}

	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which
	// the user change below may drop: load it now. With no_new_privs it is
	// loaded late, before the startContainer hooks (which run under it,
	// as in runc) and the execve. The rlimits that need no privilege are
	// set as late as can be (see setRlimits), but right before the
	// filter: it might deny setrlimit.
	seccompLoaded := false
	lockDown := func() error {
		if seccompLoaded {
			return nil
		}
		seccompLoaded = true
		if err := setRlimits(p.Rlimits, false); err != nil {
			return err
		}
		return l.loadSeccomp(filter)
	}
	if !p.NoNewPrivileges {
		if err := lockDown(); err != nil {
			return err
		}
	}
	// Nothing but the process's own fds may cross the exec (CVE-2024-21626).
	if err := closeExecFrom(3 + l.cfg.PreserveFds); err != nil {
		return err
	}
	logrus.Debug("init: fds closed")
	if err := caps.ApplyBounding(); err != nil {
		return fmt.Errorf("apply capability bounding set: %w", err)
	}
	logrus.Debug("init: bounding set")
	if err := fixStdioPermissions(int(p.User.UID)); err != nil {
		return err
	}
	if err := setUser(p, l.cfg.InUserNS); err != nil {
		return err
	}
	logrus.Debug("init: user set")
	if cwd.asUser {
		if err := cwd.enterAsUser(); err != nil {
			return err
		}
	}
	if err := caps.ApplyCaps(); err != nil {
		return err // "apply capabilities: ..."
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	} else if l.cfg.Mode == protocol.ModeStandard {
		unix.Umask(0o022)
	}

	if l.cfg.FifoFd > 0 {
		// A listener fd goes to the parent over the init socket, which
		// closes now: such a filter cannot wait for the execve.
		if filter != nil && filter.Listener {
			if err := lockDown(); err != nil {
				return err
			}
		}
		// Creation is complete: the parent sees EOF on the socket and
		// the log pipe. Wait for `runc start` to open the fifo's other
		// end.
		logrus.Debug("init: closing the pipe to signal completion")
		logrus.Debug("init: about to wait on exec fifo")
		l.created = true
		l.sock.File().Close()
		closeLogPipe()
		stop := l.serveNamespaces()
		nsenter.DropBinaryPages()
		err := waitFifo(l.cfg.FifoFd)
		stop()
		if err != nil {
			return err
		}
	}
	if err := lockDown(); err != nil {
		return err
	}
	// From here on, as in runc, a failure is the process's: reported on
	// its stderr with exit status 255. Without an exec fifo (runc run,
	// runc exec) the socket stays open until the execve (it is
	// close-on-exec), so that the parent sees the process started only
	// once it has been (poststart hooks come after that), but nothing is
	// sent on it any more.
	l.created = true
	if l.cfg.Mode == protocol.ModeStandard && l.cfg.Spec.Hooks != nil && l.cfg.HookState != nil {
		st := *l.cfg.HookState
		st.Status, st.Pid = specs.StateCreated, unix.Getpid()
		// A hook without env gets the process's environment, as in
		// runc; its cwd is the process's.
		if err := hooks.RunEnv(l.cfg.Spec.Hooks.StartContainer, "startContainer", &st, env); err != nil {
			return err
		}
	}
	// The socket and the log pipe are close-on-exec: the execve is what
	// signals completion to the parent, when there is no exec fifo.
	switch {
	case l.cfg.Mode == protocol.ModeSetns:
		logrus.Debug("setns_init: about to exec")
	case l.cfg.FifoFd <= 0:
		logrus.Debug("init: closing the pipe to signal completion")
	}
	logrus.Debugf("init: exec %s", name)
	for {
		err = unix.Exec(name, p.Args, env)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	// "exec /run.sh: no such file or directory" (the script's
	// interpreter is missing), as runc prints it.
	return &os.PathError{Op: "exec", Path: name, Err: err}
}

// specLinux returns the linux section of the container's config given to
// the init (nil if none).
func (l *linuxInit) specLinux() *specs.Linux {
	if l.cfg.Spec != nil {
		return l.cfg.Spec.Linux
	}
	return nil
}

// loadSeccomp installs the filter; a notify fd goes to the parent, which
// hands it to the seccomp agent before we go on.
func (l *linuxInit) loadSeccomp(filter *bpf.Filter) error {
	fd, err := filter.Load()
	if err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	if fd >= 0 {
		defer unix.Close(fd)
		if l.sock.File() == nil {
			return errors.New("seccomp notify fd cannot be passed at this stage")
		}
		if err := l.sock.WriteFd(protocol.SyncSeccompFd, fd); err != nil {
			return err
		}
		if _, err := l.expect(protocol.SyncSeccompDone); err != nil {
			return err
		}
	}
	return nil
}

// waitFifo opens the exec fifo for writing, which blocks until `runc start`
// opens it for reading, and writes one byte.
func waitFifo(fd int) error {
	w, err := reopenFd(fd, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	if _, err := unix.Write(w, []byte("0")); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	// w stays open: it is close-on-exec, so `runc start`, reading the
	// fifo to its end, knows when the process has been exec'd and its
	// poststart hooks may run.
	unix.Close(fd)
	return nil
}

// closeExecFrom marks every fd >= from close-on-exec. The container's
// seccomp filter may already be loaded, and a profile that predates
// close_range(2) denies it (EPERM or ENOSYS): then it walks the fd
// directory, through a private procfs (the container's /proc may be
// another process's work: docs/security.md rule 4).
func closeExecFrom(from int) error {
	err := unix.CloseRange(uint(from), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	fds, lerr := listFds()
	if lerr != nil {
		return fmt.Errorf("close fds: %w (and list them: %w)", err, lerr)
	}
	for _, name := range fds {
		if fd, _ := strconv.Atoi(name); fd >= from {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

// listFds lists /proc/self/fd through a private procfs handle.
func listFds() ([]string, error) {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return nil, err
	}
	defer proc.Close()
	h, err := proc.OpenSelf("fd")
	if err != nil {
		return nil, err
	}
	defer h.Close()
	d, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// setRlimits applies process.rlimits. With raiseOnly it sets just the
// limits whose hard value goes up (that needs CAP_SYS_RESOURCE, which the
// user change may drop); the rest waits until right before execve, so that
// a low RLIMIT_AS, DATA, STACK, NPROC or NOFILE cannot starve runc init
// itself while it waits for start (the Go runtime maps memory and starts
// threads).
func setRlimits(rl []specs.POSIXRlimit, raiseOnly bool) error {
	for _, r := range rl {
		res, ok := procattr.Rlimits.Lookup(r.Type)
		if !ok {
			return fmt.Errorf("process.rlimits: unknown type %q", r.Type)
		}
		if raiseOnly {
			var cur syscall.Rlimit
			if err := syscall.Getrlimit(res, &cur); err == nil && r.Hard <= cur.Max {
				continue
			}
		}
		// syscall.Setrlimit, not unix.Setrlimit: the Go runtime restores
		// its saved RLIMIT_NOFILE at exec unless the change goes through
		// the syscall package.
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return fmt.Errorf("set rlimit %s (soft %d, hard %d): %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}

// setUser switches to the process's uid, gid and groups, keeping the
// capabilities for ApplyCaps.
func setUser(p *specs.Process, inUserNS bool) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set keepcaps: %w", err)
	}
	// Each group once (the kernel keeps duplicates): Docker lists a
	// --group-add group again when the user is already a member.
	groups := make([]int, 0, len(p.User.AdditionalGids))
	seen := make(map[uint32]bool, len(p.User.AdditionalGids))
	for _, g := range p.User.AdditionalGids {
		if !seen[g] {
			seen[g] = true
			groups = append(groups, int(g))
		}
	}
	// The ids are set on this thread alone (the init's goroutine is locked
	// to it), as runc does: it is the thread that execs the process, and
	// the execve ends the others. syscall.Setuid and its kin set them on
	// every thread of the process, one signal to each thread per call
	// (the C library's setxid broadcast: the init links C).
	if err := unix.Setgroups(groups); err != nil {
		// setgroups is denied in a user namespace made by an unprivileged
		// user; that only matters if groups were asked for.
		if !inUserNS || len(groups) != 0 || !setgroupsDenied() {
			return fmt.Errorf("setgroups %v: %w", groups, err)
		}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGID, uintptr(p.User.GID), 0, 0); e != 0 {
		return fmt.Errorf("setgid %d: %w", p.User.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETUID, uintptr(p.User.UID), 0, 0); e != 0 {
		return fmt.Errorf("setuid %d: %w", p.User.UID, e)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clear keepcaps: %w", err)
	}
	return nil
}

func setgroupsDenied() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(b)) == "deny"
}
