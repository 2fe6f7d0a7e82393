package libcontainer

// Bind sources opened here, by the runtime on the host, and passed to the
// init (see rootfs/bindsources.go): id-mapped mounts, and every bind of a
// container in a user namespace when the runtime is privileged. After the
// config, the parent sends one syncMountFd frame per index of
// initConfig.BindSources, in order.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
)

// openBindSources opens the bind sources of the mounts listed in idx, in
// order, for the container whose init is pid: from the handles in host
// for the plain binds, and for the id-mapped ones mapped through the mount's own
// mappings (a user namespace made for them) or else the container's user
// namespace (see rootfs.BindSourceIndices).
func openBindSources(spec *specs.Spec, idx []int, host map[int]*os.File, pid int) (_ []*os.File, Err error) {
	var files []*os.File
	namespaces := map[string]*os.File{}
	defer func() {
		for _, f := range namespaces {
			f.Close()
		}
		if Err != nil {
			for _, f := range files {
				f.Close()
			}
		}
	}()
	for _, i := range idx {
		m := &spec.Mounts[i]
		if src, ok := host[i]; ok {
			f, err := rootfs.OpenBindSource(m, src)
			if err != nil {
				return nil, fmt.Errorf("mounts[%d] (bind of %s on %s): open source: %w", i, m.Source, m.Destination, err)
			}
			files = append(files, f)
			continue
		}
		key := ""
		if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
			key = formatIDMap(m.UIDMappings) + "/" + formatIDMap(m.GIDMappings)
		}
		ns := namespaces[key]
		if ns == nil {
			var err error
			if key == "" {
				ns, err = os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
			} else {
				ns, err = newUserNamespace(m.UIDMappings, m.GIDMappings)
			}
			if err != nil {
				return nil, fmt.Errorf("mounts[%d]: user namespace for the id-mapped mount: %w", i, err)
			}
			namespaces[key] = ns
		}
		f, err := rootfs.OpenIDMapped(m, ns)
		if err != nil {
			return nil, fmt.Errorf("mounts[%d] (bind of %s on %s): %w", i, m.Source, m.Destination, err)
		}
		files = append(files, f)
	}
	return files, nil
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

// recvBindSources receives the bind sources the parent sends after the
// config (the init side of openBindSources).
func (l *linuxInit) recvBindSources() (map[int]*os.File, error) {
	if len(l.cfg.BindSources) == 0 {
		return nil, nil
	}
	out := make(map[int]*os.File, len(l.cfg.BindSources))
	for _, i := range l.cfg.BindSources {
		_, file, err := l.expectFile(syncMountFd)
		if err == nil && file == nil {
			err = fmt.Errorf("%s without a file", syncMountFd)
		}
		if err != nil {
			for _, f := range out {
				f.Close()
			}
			return nil, err
		}
		out[i] = file
	}
	return out, nil
}

// sendFiles sends the init the files afterConfig returns, one
// syncMountFd frame each, and closes them.
func (sp *spawn) sendFiles(sock syncSock, pid int) error {
	files, err := sp.afterConfig(pid)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := sock.writeFd(syncMountFd, int(f.Fd())); err != nil {
			return err
		}
	}
	return nil
}
