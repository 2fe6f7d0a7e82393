package cgroupmgr

import (
	"os"
	"path/filepath"

	"github.com/opencontainers/cgroups"
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
// nil: then the library finds them. Its own search reads the whole table
// (on every create) unless the first entry of /sys/fs/cgroup is a v1
// hierarchy, which it is not on a hybrid host ("unified" comes first): a
// few milliseconds per thousand mounts of the host. Here the hierarchies
// this process is in (/proc/self/cgroup lists every mounted one) are
// looked up with the library's own cgroups.FindCgroupMountpoint, whose
// default-path check needs no table; one not under /sys/fs/cgroup leaves
// it all to the library.
func v1Paths(inner string) map[string]string {
	if !filepath.IsAbs(inner) || cgroups.IsCgroup2UnifiedMode() {
		return nil
	}
	mounted, err := ProcCgroups(os.Getpid())
	if err != nil {
		return nil
	}
	paths := make(map[string]string, len(mounted)+1)
	for _, name := range libV1Subsystems {
		if _, ok := mounted[name]; !ok {
			continue // no such hierarchy: the library skips it too
		}
		mnt, err := cgroups.FindCgroupMountpoint(v1Root, name)
		if err != nil || filepath.Dir(mnt) != v1Root {
			return nil
		}
		paths[name] = filepath.Join(mnt, inner)
	}
	if paths["devices"] == "" {
		return nil // the library's error, in its words
	}
	if cgroups.IsCgroup2HybridMode() {
		paths[""] = filepath.Join(v1Root, "unified", inner)
	}
	return paths
}
