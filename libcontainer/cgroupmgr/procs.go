package cgroupmgr

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ProcCgroups reads /proc/<pid>/cgroup as (controller, path) pairs, one per
// controller ("" for cgroup v2, "name=systemd" for named hierarchies).
// Restore hands them to CRIU as the cgroup roots of the processes it
// restores.
func ProcCgroups(pid int) ([][2]string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out = append(out, [2]string{"", parts[2]})
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			out = append(out, [2]string{ctrl, parts[2]})
		}
	}
	return out, sc.Err()
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
