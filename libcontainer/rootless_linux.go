package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// rootlessCgroupPaths returns the cgroup directories of a rootless
// container that cg could make or join, the ones to keep in its state
// (nil if none): cg forgives a rootless runtime the cgroups it may not
// write (cgroupmgr.ErrRootless) and the container runs without them, as
// with runc. Without a private pid namespace that deserves runc's
// warning, since `kill --all` and delete then cannot find all its
// processes.
func rootlessCgroupPaths(spec *specs.Spec, cg cgroupmgr.Manager) map[string]string {
	kept := cg.Existing()
	if len(kept) == len(cg.Paths()) {
		return kept
	}
	logrus.Debugf("rootless container: cgroups kept %v of %v", kept, cg.Paths())
	if !namespaces.IsNew(spec, specs.PIDNamespace) {
		logrus.Warn("Creating a rootless container with no cgroup and no private pid namespace. " +
			"Such configuration is strongly discouraged (as it is impossible to properly kill all container's processes) " +
			"and will result in an error in a future runc version.")
	}
	return kept
}
