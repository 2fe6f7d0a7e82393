package libcontainer

// Bind sources opened by the runtime, on request of the init (see
// rootfs/bindsources.go): id-mapped mounts, and every bind of a container
// in a user namespace when the runtime is privileged. When the init
// reaches such a mount it sends SyncMountRequest with the mount's index
// (initproc/bindsource_linux.go); the runtime opens the source from a
// thread in the container's mount namespace, where the earlier mounts
// are, and answers with SyncMountFd (protocol.Drive, createHandler).

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
)

// bindSources opens, for one new container, the bind sources of the
// mounts listed in idx (rootfs.BindSourceIndices), one at a time as the
// init asks for them.
type bindSources struct {
	spec   *specs.Spec
	bundle string
	idx    []int
	// namespaces are the user namespaces of id-mapped mounts, by mapping.
	namespaces map[string]*os.File
	// reqs goes to the thread in the container's mount namespace (nil
	// until the first request); close ends it.
	reqs chan bindSourceReq
}

type bindSourceReq struct {
	i      int
	userns *os.File
	reply  chan bindSourceReply
}

type bindSourceReply struct {
	f   *os.File
	err error
}

// open returns the source of mounts[i] for the init whose pid is pid.
func (b *bindSources) open(pid, i int) (*os.File, error) {
	if !slices.Contains(b.idx, i) {
		return nil, fmt.Errorf("runc init asked for the bind source of mounts[%d], which the runtime does not open", i)
	}
	m := &b.spec.Mounts[i]
	var userns *os.File
	if rootfs.IsIDMapped(m) {
		var err error
		if userns, err = b.userns(pid, m); err != nil {
			return nil, rootfs.SourceError(i, m, fmt.Errorf("user namespace for the id-mapped mount: %w", err))
		}
	}
	if b.reqs == nil {
		if err := b.start(pid); err != nil {
			return nil, rootfs.SourceError(i, m, err)
		}
	}
	reply := make(chan bindSourceReply, 1)
	b.reqs <- bindSourceReq{i: i, userns: userns, reply: reply}
	r := <-reply
	if r.err != nil {
		return nil, rootfs.SourceError(i, m, r.err)
	}
	logrus.Debugf("bind source of mounts[%d] (%s) opened in the container's mount namespace", i, m.Source)
	return r.f, nil
}

// start starts the thread that opens the sources, in the mount namespace
// of pid.
func (b *bindSources) start(pid int) error {
	ready := make(chan error, 1)
	reqs := make(chan bindSourceReq)
	go func() {
		// Never unlocked: the thread, changed for good, ends with this
		// goroutine and runs nothing else.
		runtime.LockOSThread()
		if err := enterMountNS(pid); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for r := range reqs {
			f, err := rootfs.OpenSource(b.spec, r.i, b.bundle, r.userns)
			r.reply <- bindSourceReply{f, err}
		}
	}()
	if err := <-ready; err != nil {
		return err
	}
	b.reqs = reqs
	return nil
}

// enterMountNS moves the calling thread, which must be locked and never
// be unlocked, into the mount namespace of pid (and so into its root
// directory: before the init's pivot, the host's /, with the container's
// mounts on it).
func enterMountNS(pid int) error {
	// setns(CLONE_NEWNS) wants a thread that shares no fs information.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return os.NewSyscallError("unshare(CLONE_FS)", err)
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return fmt.Errorf("open the container's mount namespace: %w", err)
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("enter the container's mount namespace: %w", os.NewSyscallError("setns", err))
	}
	return nil
}

// userns returns the user namespace to id-map the mount m through: one
// with the mount's own mappings, else one with the container's mappings
// (as runc does: the container's own namespace owns the filesystems the
// container mounted, which cannot be id-mapped through it), else the
// namespace the container joined.
func (b *bindSources) userns(pid int, m *specs.Mount) (*os.File, error) {
	uids, gids := m.UIDMappings, m.GIDMappings
	if len(uids) == 0 && len(gids) == 0 && namespaces.IsNew(b.spec, specs.UserNamespace) {
		uids, gids = b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings
	}
	key := ""
	if len(uids) > 0 || len(gids) > 0 {
		key = formatIDMap(uids) + "/" + formatIDMap(gids)
	}
	if ns := b.namespaces[key]; ns != nil {
		return ns, nil
	}
	var (
		ns  *os.File
		err error
	)
	if key == "" {
		ns, err = os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
	} else {
		ns, err = newUserNamespace(uids, gids)
	}
	if err != nil {
		return nil, err
	}
	if b.namespaces == nil {
		b.namespaces = map[string]*os.File{}
	}
	b.namespaces[key] = ns
	return ns, nil
}

// close ends the thread and releases the namespaces.
func (b *bindSources) close() {
	if b.reqs != nil {
		close(b.reqs)
		b.reqs = nil
	}
	for _, f := range b.namespaces {
		f.Close()
	}
	b.namespaces = nil
}

// newUserNamespace returns a handle of a new user namespace with the given
// mappings. A process is started in it only to hold it while we open it:
// traced, it stops at its execve and never runs.
func newUserNamespace(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	// The tracer is the thread that forked; wait from the same one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"runc-userns"},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysIDMap(uids),
			GidMappings: sysIDMap(gids),
			Ptrace:      true,
			Pdeathsig:   unix.SIGKILL,
		},
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid))
	if err != nil {
		return nil, err
	}
	return f, nil
}

func sysIDMap(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
