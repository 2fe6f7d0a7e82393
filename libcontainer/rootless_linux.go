package libcontainer

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// rootlessCgroupPaths returns the cgroup directories of a rootless
// container that exist, the ones to keep in its state (nil if none). The
// cgroup manager forgives a rootless runtime the cgroups it could not
// create or join (cgroups.ErrRootless) and the container runs without
// them, as with runc; without a private pid namespace that deserves
// runc's warning, since `kill --all` and delete then cannot find all its
// processes.
func rootlessCgroupPaths(spec *specs.Spec, paths map[string]string) map[string]string {
	var kept map[string]string
	for k, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if kept == nil {
				kept = map[string]string{}
			}
			kept[k] = p
		}
	}
	if len(kept) == len(paths) {
		return kept
	}
	logrus.Debugf("rootless container: cgroups kept %v of %v", kept, paths)
	if !namespaces.IsNew(spec, specs.PIDNamespace) {
		logrus.Warn("Creating a rootless container with no cgroup and no private pid namespace. " +
			"Such configuration is strongly discouraged (as it is impossible to properly kill all container's processes) " +
			"and will result in an error in a future runc version.")
	}
	return kept
}
