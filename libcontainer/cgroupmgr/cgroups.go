// Package cgroupmgr is the runtime's one small interface over
// github.com/opencontainers/cgroups: it turns the cgroup part of an OCI spec
// (linux.cgroupsPath, linux.resources, linux.devices, the systemd
// annotations) into a library configuration, picks the driver (cgroupfs v1,
// v2 or systemd) and exposes the handful of operations the container
// lifecycle needs: create and join, set and update limits, freeze, stats,
// list and signal processes, and remove. Every way a process gets into a
// container's cgroup (born there, moved by pid, applied by the library)
// goes through this package: see join.go.
//
// Path rules (runc compatible, plus one documented extension):
//   - an absolute linux.cgroupsPath is used as is, relative to the root of
//     every hierarchy;
//   - an empty or relative path is relative to the caller's own cgroup (per
//     controller, from /proc/self/cgroup); an empty path names the cgroup
//     after the container id;
//   - if the environment variable RUNC_CGROUP_ROOT holds an absolute cgroup
//     path, empty and relative paths are rooted there instead;
//   - a path whose ".." components would climb above its root, or that names
//     the root itself, is rejected.
//
// With the systemd driver, linux.cgroupsPath is "slice:prefix:name" and
// org.systemd.property.* annotations become unit properties.
package cgroupmgr

import (
	"context"
	"errors"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr/devices"
)

// The device-rule hooks (v1 files, the v2 BPF program, systemd's
// properties); without them the library refuses to configure device
// access.
func init() {
	devices.Register()
}

// EnvCgroupRoot names the environment variable that, when set to an
// absolute cgroup path, roots empty and relative linux.cgroupsPath values
// there instead of in the caller's own cgroup.
const EnvCgroupRoot = "RUNC_CGROUP_ROOT"

var (
	// ErrRootless is returned (wrapped) by Manager.Apply when Config.Rootless
	// is set and the cgroup could not be created or joined for lack of
	// permission. Rootless runc ignores it, warning when the container has
	// no private PID namespace (kill --all cannot then find its processes).
	ErrRootless = cgroups.ErrRootless

	// ErrNotExist is returned (wrapped) by Manager.KillAll when the
	// container's cgroup is gone.
	ErrNotExist = errors.New("cgroup does not exist")
)

// Config describes the cgroup of one container.
type Config struct {
	// ID is the container id; it names the cgroup when Path is empty.
	ID string
	// Path is linux.cgroupsPath as written in the spec.
	Path string
	// Resources is linux.resources; it may be nil.
	Resources *specs.LinuxResources
	// Devices is linux.devices. As in runc, an entry whose path is one of
	// the default devices (/dev/null, /dev/zero, ...) replaces that default,
	// so the default allow rule for it is dropped; the entries themselves
	// get no rule (add one to linux.resources.devices to allow access).
	Devices []specs.LinuxDevice
	// Systemd selects the systemd driver (--systemd-cgroup); Path is then
	// "slice:prefix:name".
	Systemd bool
	// Rootless makes permission errors while creating or joining the
	// cgroup non-fatal, the way rootless runc treats them.
	Rootless bool
	// Annotations are the spec's annotations; org.systemd.property.* keys
	// become systemd unit properties.
	Annotations map[string]string
}

// Manager controls the cgroup of one container.
type Manager interface {
	// Apply creates the cgroup in every hierarchy and moves pid into it;
	// pid -1 only creates. With Config.Rootless it may return an error
	// wrapping ErrRootless, which the caller is expected to tolerate.
	Apply(pid int) error
	// Set applies resources. A nil r re-applies the current resources (the
	// Config's, or those of the last successful Set). A non-nil r replaces
	// them whole; if r.Devices is nil the current device rules are kept, and
	// once they have been applied (by an earlier Set, or at create for a
	// manager from Load) they are not written again, as runc update does,
	// so that rules others added on top of ours survive.
	Set(r *specs.LinuxResources) error
	// OpenJoin opens what runc init needs to be born in the cgroup, which
	// must exist (Apply(-1)): see join.go.
	OpenJoin() (*Join, error)
	// Pids lists every process in the cgroup and its sub-cgroups.
	Pids() ([]int, error)
	// Freeze freezes every process of the cgroup.
	Freeze() error
	// Thaw undoes Freeze.
	Thaw() error
	// Paused reports whether the cgroup is frozen.
	Paused() (bool, error)
	// Stats reads the cgroup's statistics.
	Stats() (*cgroups.Stats, error)
	// NotifyOOM returns a channel that receives a value for each OOM event
	// in the cgroup; it is closed when ctx is done or the cgroup is gone
	// (see notify.go).
	NotifyOOM(ctx context.Context) (<-chan struct{}, error)
	// KillAll sends sig to every process in the cgroup. SIGKILL uses
	// cgroup.kill where the kernel has it; otherwise the cgroup is frozen,
	// signalled and thawed, so that no process can fork away in between.
	KillAll(sig unix.Signal) error
	// Destroy removes the container's cgroup directory (and sub-cgroups)
	// from every hierarchy, retrying while the kernel reports it busy. It
	// succeeds if they are already gone.
	Destroy() error
	// Paths returns the cgroup directories: for v1, controller name ->
	// absolute directory (plus "" for the cgroup2 mount in hybrid mode);
	// for v2, "" -> absolute directory. Save it in the state file and pass
	// it back to Load.
	Paths() map[string]string
	// Exists reports whether the cgroup directory is still there.
	Exists() bool
	// Existing returns those of Paths that exist (nil if none): for a
	// rootless container, the cgroups Apply could make or join.
	Existing() map[string]string
}

// v2Mountpoint is where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup
// on a unified host, its "unified" directory on a hybrid one.
func v2Mountpoint() string {
	if cgroups.IsCgroup2UnifiedMode() {
		return cgroupfsRoot
	}
	return cgroupfsRoot + "/unified"
}
