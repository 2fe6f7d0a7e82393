package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// rootlessCgroupWarning reports a cgroup that a rootless runtime could not
// create or join (cgroups.ErrRootless). As in runc the container runs
// without it; without a private pid namespace that is worth a warning,
// since `kill --all` and delete then cannot find its processes.
func rootlessCgroupWarning(spec *specs.Spec, err error) {
	if newNamespace(spec, specs.PIDNamespace) {
		logrus.Debugf("rootless container without a cgroup: %v", err)
		return
	}
	logrus.Warn("Creating a rootless container with no cgroup and no private pid namespace. " +
		"Such configuration is strongly discouraged (as it is impossible to properly kill all container's processes) " +
		"and will result in an error in a future runc version.")
}
