package cgroupmgr

// Every way a process gets into a container's cgroup goes through here:
//   - born in it (create and exec): OpenJoin opens what runc init needs to
//     start inside the cgroup, see below;
//   - moved there by the library (create with systemd or rootless, the
//     early move of create's stage 0, restore's criu): Manager.Apply;
//   - moved there by pid (exec with no born-in, rootless or paused, and
//     its stage 0): Target.Join, which writes cgroup.procs.
//
// Why born in: joining a cgroup by writing a pid to cgroup.procs takes the
// kernel's global threadgroup lock for writing, which first waits for an
// RCU grace period: some 8 ms here, on the critical path of every create
// and exec. Two ways in skip that lock, and runc init uses both:
//   - cgroup v1: a thread that moves itself, by writing "0" to a
//     hierarchy's tasks file. The runtime opens the tasks files (Join) and
//     sends them with the bootstrap message, and the C stage of runc init,
//     still single-threaded, writes "0" to each before it forks the
//     container's process (nsenter.Bootstrap's CgroupTasks);
//   - cgroup v2: a process cloned into its cgroup (clone3 with
//     CLONE_INTO_CGROUP, Linux 5.7, below the runtime's kernel floor),
//     which is how the runtime starts runc init (Join.SysProcAttr).

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/opencontainers/cgroups"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Join holds what runc init needs to be born in its cgroups. A nil *Join
// is valid and means none (every method then does nothing).
type Join struct {
	tasks []*os.File // cgroup v1 tasks files, opened for writing
	dir   *os.File   // the cgroup v2 directory, for clone3
}

// OpenJoin opens the tasks file of each cgroup v1 directory of the
// container's cgroup, and its cgroup v2 directory, for runc init to be
// born there. The cgroup must exist (Apply(-1)).
func (m *mgr) OpenJoin() (*Join, error) {
	return openJoin(slices.Collect(maps.Values(m.Paths())))
}

// openJoin opens the tasks file of each v1 directory in dirs and the v2
// directory among them.
func openJoin(dirs []string) (_ *Join, err error) {
	j := &Join{}
	defer func() {
		if err != nil {
			j.Close()
		}
	}()
	seen := map[string]bool{}
	for _, dir := range dirs {
		if seen[dir] {
			continue // co-mounted controllers share a directory
		}
		seen[dir] = true
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: dir, Err: err}
		}
		d := os.NewFile(uintptr(fd), dir)
		var st unix.Statfs_t
		if err := unix.Fstatfs(fd, &st); err != nil {
			d.Close()
			return nil, &os.PathError{Op: "statfs", Path: dir, Err: err}
		}
		switch st.Type {
		case unix.CGROUP_SUPER_MAGIC:
			fd, err := unix.Openat(fd, "tasks", unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
			d.Close()
			if err != nil {
				return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, "tasks"), Err: err}
			}
			j.tasks = append(j.tasks, os.NewFile(uintptr(fd), filepath.Join(dir, "tasks")))
		case unix.CGROUP2_SUPER_MAGIC:
			if j.dir != nil {
				d.Close()
				return nil, fmt.Errorf("more than one cgroup v2 directory to join: %s, %s", j.dir.Name(), dir)
			}
			j.dir = d
		default:
			d.Close()
			return nil, fmt.Errorf("%s is not a cgroup directory (filesystem type %#x)", dir, st.Type)
		}
	}
	return j, nil
}

// HasV2 reports whether the host has a cgroup v2 hierarchy (unified, or
// the unified mount of a hybrid host): a Join made there has a directory
// runc init must be cloned into.
func HasV2() bool {
	return cgroups.IsCgroup2UnifiedMode() || cgroups.IsCgroup2HybridMode()
}

// Tasks returns the cgroup v1 tasks files, to which the C stage of runc
// init writes "0" (nsenter.Bootstrap's CgroupTasks, sent with its
// bootstrap message).
func (j *Join) Tasks() []*os.File {
	if j == nil {
		return nil
	}
	return j.tasks
}

// SysProcAttr is what starts runc init in the cgroup v2 directory (nil
// for none).
func (j *Join) SysProcAttr() *syscall.SysProcAttr {
	if j == nil || j.dir == nil {
		return nil
	}
	return &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(j.dir.Fd())}
}

// Close closes the files (runc init has its own copies once started).
func (j *Join) Close() {
	if j == nil {
		return
	}
	for _, f := range j.tasks {
		f.Close()
	}
	if j.dir != nil {
		j.dir.Close()
	}
}

// Target is where a process started in a running container (exec) goes:
// one cgroup directory per hierarchy of the container. It needs no
// Manager (and no D-Bus connection with systemd): the directories exist.
type Target struct {
	dirs     []string
	rootless bool
}

// ExecTarget returns where a process exec'd in the container whose cgroup
// directories are paths (Manager.Paths, from the state) and whose init is
// initPid goes: <controller's directory>/<sub> for the controllers named
// in sub ("" for all of them; exec's --cgroup), the container's cgroup
// for the others. Co-mounted controllers ("cpu,cpuacct") share one
// directory, which gets the sub-cgroup named for any of them.
//
// Without sub, a cgroup v2 directory that may take no process, because it
// hands controllers down to sub-cgroups (cgroup v2's "no internal
// processes" rule; a container running systemd makes such sub-cgroups),
// is replaced by the init's own cgroup, as runc does.
//
// With rootless set, Join leaves the process out of the directories it
// may not write, as runc does.
func ExecTarget(paths, sub map[string]string, initPid int, rootless bool) (*Target, error) {
	dirs, err := subTargets(paths, sub)
	if err != nil {
		return nil, err
	}
	if len(sub) == 0 {
		for i, dir := range dirs {
			if dir == paths[""] {
				dirs[i] = initCgroupIfInner(dir, initPid)
			}
		}
	}
	return &Target{dirs: dirs, rootless: rootless}, nil
}

// Dirs returns the directories the process joins.
func (t *Target) Dirs() []string { return slices.Clone(t.dirs) }

// OpenJoin opens what runc init needs to be born in the target's
// directories (see Join).
func (t *Target) OpenJoin() (*Join, error) {
	return openJoin(t.dirs)
}

// Join moves pid into the target's directories by writing it to their
// cgroup.procs (sub-cgroups must exist: they are not created). A rootless
// target skips the directories it may not write (a cgroup v2 move also
// needs write access to the cgroup.procs of the common ancestor: the
// unified hierarchy of a hybrid host refuses it even a cgroup the user
// made).
func (t *Target) Join(pid int) error {
	for _, dir := range t.dirs {
		if err := writeProcs(filepath.Join(dir, "cgroup.procs"), pid); err != nil {
			if t.rootless && errors.Is(err, os.ErrPermission) {
				logrus.Debugf("cannot join cgroup %s (rootless): %v", dir, err)
				continue
			}
			return fmt.Errorf("error adding pid %d to cgroups: %w", pid, err)
		}
	}
	return nil
}

// subTargets lists the directory to join per hierarchy of paths, with the
// sub-cgroups of sub (see ExecTarget).
func subTargets(paths, sub map[string]string) ([]string, error) {
	target := make(map[string]string, len(paths)) // hierarchy dir -> dir to join
	for _, dir := range paths {
		target[dir] = dir
	}
	// The sub-cgroup for all first, so that one per controller wins.
	for _, ctrl := range slices.Sorted(maps.Keys(sub)) {
		rel := sub[ctrl]
		if ctrl == "" {
			for dir := range target {
				j, err := subCgroup(dir, rel)
				if err != nil {
					return nil, err
				}
				target[dir] = j
			}
			continue
		}
		dir, ok := paths[ctrl]
		if !ok {
			return nil, fmt.Errorf("unknown controller %s in --cgroup", ctrl)
		}
		j, err := subCgroup(dir, rel)
		if err != nil {
			return nil, err
		}
		target[dir] = j
	}
	return slices.Sorted(maps.Values(target)), nil
}

// subCgroup joins a --cgroup path to the container's cgroup directory dir,
// as runc does ("/x" is dir/x, "a/../b" is dir/b); the result must be dir
// or below it.
func subCgroup(dir, rel string) (string, error) {
	j := filepath.Join(dir, rel)
	if j != dir && !strings.HasPrefix(j, dir+"/") {
		return "", fmt.Errorf("bad sub cgroup path: %s (--cgroup must name a cgroup inside the container's)", rel)
	}
	return j, nil
}

// initCgroupIfInner returns the cgroup v2 directory of process pid when
// dir has controllers enabled for its children and pid's cgroup lies
// below dir; otherwise dir.
func initCgroupIfInner(dir string, pid int) string {
	ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil || len(strings.TrimSpace(string(ctl))) == 0 {
		return dir
	}
	paths, err := ProcCgroups(pid)
	if err != nil {
		return dir
	}
	// dir is <cgroup2 mount>/<the container's cgroup>; the init's cgroup
	// is below the container's, under the same mount.
	if p, ok := paths[""]; ok {
		if init := filepath.Join(v2Mountpoint(), p); strings.HasPrefix(init, dir+"/") {
			logrus.Debugf("exec: %s hands controllers to sub-cgroups; joining the init's cgroup %s", dir, init)
			return init
		}
	}
	return dir
}

// writeProcs writes pid to a cgroup.procs file, which must exist.
func writeProcs(path string, pid int) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		_, err = unix.Write(fd, []byte(fmt.Sprint(pid)))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
