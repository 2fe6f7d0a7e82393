// Package testhost inspects the host for the test suites: what a test
// must find unchanged after containers come and go.
package testhost

import (
	"os"
	"path/filepath"
)

// CgroupHierarchies returns the directories of the mounted cgroup
// hierarchies: /sys/fs/cgroup itself on a cgroup v2 host, else each
// hierarchy below it (a hybrid host's "unified" among them).
func CgroupHierarchies() []string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return []string{"/sys/fs/cgroup"}
	}
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	var out []string
	for _, d := range dirs {
		if st, err := os.Lstat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
}
