package cgroupmgr

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// v1Root is where the cgroup v1 hierarchies are mounted on every
// distribution runc runs on: one directory per hierarchy, named after its
// controllers ("cpu,cpuacct", with "cpu" and "cpuacct" symlinks to it).
const v1Root = "/sys/fs/cgroup"

// libV1Subsystems are the names the library's cgroupfs v1 driver keys a
// container's paths on: its controllers, and the named hierarchies it
// joins (TestV1PathsAsLibrary keeps this list the library's).
var libV1Subsystems = []string{
	"cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb",
	"net_cls", "net_prio", "perf_event", "freezer", "rdma", "name=systemd", "misc",
}

// v1Paths returns the paths the library's cgroupfs v1 driver would give a
// cgroup at the absolute path inner, without reading the mount table, or
// nil: then the library finds them. It reads the mount table (all of it,
// on every create) unless the first entry of /sys/fs/cgroup is a v1
// hierarchy, which it is not on a hybrid host ("unified" comes first): a
// few milliseconds per thousand mounts of the host. Here the hierarchies
// this process is in (/proc/self/cgroup, every mounted one) must each be
// a mount point of type cgroup at /sys/fs/cgroup/<controller>; anything
// else is left to the library.
func v1Paths(inner string) map[string]string {
	if !filepath.IsAbs(inner) || cgroups.IsCgroup2UnifiedMode() {
		return nil
	}
	mounted, err := v1Hierarchies()
	if err != nil {
		return nil
	}
	paths := make(map[string]string, len(mounted)+1)
	for _, name := range libV1Subsystems {
		if !mounted[name] {
			continue // no such hierarchy: the library skips it too
		}
		dir := defaultHierarchyDir(name)
		if dir == "" {
			return nil
		}
		paths[name] = filepath.Join(v1Root, filepath.Base(dir), inner)
	}
	if paths["devices"] == "" {
		return nil // the library's error, in its words
	}
	if cgroups.IsCgroup2HybridMode() {
		paths[""] = filepath.Join(v1Root, "unified", inner)
	}
	return paths
}

// v1Hierarchies returns the controllers and names ("name=systemd") of the
// v1 hierarchies listed in /proc/self/cgroup.
func v1Hierarchies() (map[string]bool, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue // the cgroup v2 line "0::/..."
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = true
		}
	}
	return m, s.Err()
}

// defaultHierarchyDir returns /sys/fs/cgroup/<name> with its symlink
// resolved (cpu -> cpu,cpuacct) if that is a mount point of type cgroup,
// or "".
func defaultHierarchyDir(name string) string {
	name = strings.TrimPrefix(name, "name=")
	dir := filepath.Join(v1Root, name)
	if target, err := os.Readlink(dir); err == nil {
		if strings.Contains(target, "/") {
			return ""
		}
		dir = filepath.Join(v1Root, target)
	}
	var st, parent unix.Stat_t
	var fs unix.Statfs_t
	if unix.Lstat(dir, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR ||
		unix.Lstat(v1Root, &parent) != nil || st.Dev == parent.Dev ||
		unix.Statfs(dir, &fs) != nil || fs.Type != unix.CGROUP_SUPER_MAGIC {
		return ""
	}
	return dir
}
