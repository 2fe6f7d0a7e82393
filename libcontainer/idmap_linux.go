package libcontainer

// Id-mapped mounts are made here, by the runtime on the host, and passed
// to the init (see rootfs/idmap.go): after the config, the parent sends
// one syncIDMapFd frame per index of initConfig.IDMapMounts, in order.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
)

// idmapMountIndices lists the id-mapped mounts of spec by index.
func idmapMountIndices(spec *specs.Spec) []int {
	var idx []int
	for i := range spec.Mounts {
		if rootfs.IsIDMapped(&spec.Mounts[i]) {
			idx = append(idx, i)
		}
	}
	return idx
}

// openIDMappedMounts makes the id-mapped mounts listed in idx, in order,
// for the container whose init is pid: through the mount's own mappings
// (a user namespace made for them) or else the container's user namespace.
func openIDMappedMounts(spec *specs.Spec, idx []int, pid int) (_ []*os.File, Err error) {
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

// recvIDMapFds receives the id-mapped mounts the parent sends after the
// config (the init side of openIDMappedMounts).
func (l *linuxInit) recvIDMapFds() (map[int]*os.File, error) {
	if len(l.cfg.IDMapMounts) == 0 {
		return nil, nil
	}
	out := make(map[int]*os.File, len(l.cfg.IDMapMounts))
	for _, i := range l.cfg.IDMapMounts {
		t, payload, file, err := l.sock.read()
		if err != nil {
			return nil, fmt.Errorf("wait for id-mapped mounts: %w", err)
		}
		switch {
		case t == syncIDMapFd && file != nil:
			out[i] = file
			continue
		case t == syncError:
			err = errors.New(string(payload))
		case t == syncAbort:
			err = errAborted
		default:
			err = fmt.Errorf("got %s, want %s", t, syncIDMapFd)
		}
		if file != nil {
			file.Close()
		}
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	return out, nil
}

// sendFiles sends the init the files afterConfig returns, one
// syncIDMapFd frame each, and closes them.
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
		if err := sock.writeFd(syncIDMapFd, int(f.Fd())); err != nil {
			return err
		}
	}
	return nil
}
