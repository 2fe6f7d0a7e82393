package cgroupmgr

import (
	"fmt"
	"os"

	"github.com/opencontainers/cgroups"
)

// ProcCgroups reads /proc/<pid>/cgroup: the cgroup path per controller
// ("" for cgroup v2, "name=systemd" for named hierarchies, co-mounted
// controllers one by one). Restore hands them to CRIU as the cgroup roots
// of the processes it restores.
func ProcCgroups(pid int) (map[string]string, error) {
	return cgroups.ParseCgroupFile(fmt.Sprintf("/proc/%d/cgroup", pid))
}

// Existing returns those of the cgroup directories (Paths) that exist: for
// a rootless container, the ones Apply could make or join (nil if none).
// The library forgives a rootless runtime the cgroups it may not write
// (ErrRootless) and the container runs without them, as with runc.
func (m *mgr) Existing() map[string]string {
	var kept map[string]string
	for k, p := range m.lib.GetPaths() {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if kept == nil {
				kept = map[string]string{}
			}
			kept[k] = p
		}
	}
	return kept
}
