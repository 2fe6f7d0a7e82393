package libcontainer

// Joining a cgroup by writing a pid to cgroup.procs takes the kernel's
// global threadgroup lock for writing, which first waits for an RCU grace
// period: some 8 ms here, on the critical path of every create and exec.
// Two ways in skip that lock, and runc init uses both:
//   - cgroup v1: a thread that moves itself, by writing "0" to a
//     hierarchy's tasks file. The runtime opens the tasks files and the C
//     stage of runc init, still single-threaded, writes "0" to each before
//     it forks the container's process (nsenter.Bootstrap.CgroupTasks);
//   - cgroup v2: a process cloned into its cgroup (clone3 with
//     CLONE_INTO_CGROUP), which is how the runtime starts runc init.
// Where neither applies (systemd creates a new container's scope itself,
// rootless runtimes may not write the files) the runtime moves the init
// the old way.

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// cgroupJoin holds what runc init needs to be born in its cgroups.
type cgroupJoin struct {
	tasks []*os.File // cgroup v1 tasks files, opened for writing
	dir   *os.File   // the cgroup v2 directory, for clone3
}

// openCgroupJoin opens the tasks file of each v1 directory in dirs and the
// v2 directory among them. It returns nil, for the runtime to move the
// init itself, on a kernel without CLONE_INTO_CGROUP (before 5.7) when a
// v2 directory is to be joined.
func openCgroupJoin(dirs []string) (_ *cgroupJoin, err error) {
	j := &cgroupJoin{}
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
			if !cloneIntoCgroup() {
				j.Close()
				return nil, nil
			}
		default:
			d.Close()
			return nil, fmt.Errorf("%s is not a cgroup directory (filesystem type %#x)", dir, st.Type)
		}
	}
	return j, nil
}

// cloneIntoCgroup reports whether the kernel has clone3's
// CLONE_INTO_CGROUP (Linux 5.7).
var cloneIntoCgroup = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 5 || major == 5 && minor >= 7
})

// sysProcAttr is what starts runc init in the v2 cgroup (nil for none).
func (j *cgroupJoin) sysProcAttr() *syscall.SysProcAttr {
	if j == nil || j.dir == nil {
		return nil
	}
	return &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(j.dir.Fd())}
}

// Close closes the files (runc init has its own copies once started).
func (j *cgroupJoin) Close() {
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
