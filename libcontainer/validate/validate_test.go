package validate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

func ptr[T any](v T) *T { return &v }

// addNS adds a namespace to the spec.
func addNS(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

// dropNS removes a namespace type from the spec.
func dropNS(s *specs.Spec, t specs.LinuxNamespaceType) {
	var out []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type != t {
			out = append(out, n)
		}
	}
	s.Linux.Namespaces = out
}

// setNSPath sets the path of an existing namespace entry.
func setNSPath(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i := range s.Linux.Namespaces {
		if s.Linux.Namespaces[i].Type == t {
			s.Linux.Namespaces[i].Path = path
		}
	}
}

// withUserNS gives the spec a new user namespace mapping 0-65535 to
// 100000-165535.
func withUserNS(s *specs.Spec) {
	addNS(s, specs.UserNamespace, "")
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
}

type specCase struct {
	name     string
	rootless bool
	mutate   func(s *specs.Spec, bundle string)
	want     string // "" means Spec must accept the config
}

var specCases = []specCase{
	{name: "runc spec example", mutate: func(*specs.Spec, string) {}},

	// ociVersion
	{"ociVersion empty", false, func(s *specs.Spec, _ string) { s.Version = "" }, "ociVersion must be set"},
	{"ociVersion not semver", false, func(s *specs.Spec, _ string) { s.Version = "1.0" }, `ociVersion "1.0" is not a SemVer`},
	{"ociVersion major 2", false, func(s *specs.Spec, _ string) { s.Version = "2.0.0" }, `ociVersion "2.0.0" is not supported`},
	{"ociVersion major 0", false, func(s *specs.Spec, _ string) { s.Version = "0.5.0" }, `ociVersion "0.5.0" is not supported`},
	{"ociVersion prerelease", false, func(s *specs.Spec, _ string) { s.Version = "1.0.2-dev" }, ""},
	{"ociVersion newer minor", false, func(s *specs.Spec, _ string) { s.Version = "1.9.0+build.1" }, ""},

	// root
	{"root missing", false, func(s *specs.Spec, _ string) { s.Root = nil }, "root must be specified"},
	{"root.path empty", false, func(s *specs.Spec, _ string) { s.Root.Path = "" }, "root.path must not be empty"},
	{"root.path absent", false, func(s *specs.Spec, _ string) { s.Root.Path = "nope" }, "root.path: invalid rootfs: stat"},
	{"root.path a file", false, func(s *specs.Spec, b string) {
		os.WriteFile(filepath.Join(b, "file"), nil, 0o644)
		s.Root.Path = "file"
	}, "is not a directory"},
	{"root.path a symlink", false, func(s *specs.Spec, b string) {
		os.Symlink("rootfs", filepath.Join(b, "link"))
		s.Root.Path = "link"
	}, "root.path: invalid rootfs: not an absolute path, or a symlink"},
	{"root.path absolute", false, func(s *specs.Spec, b string) { s.Root.Path = filepath.Join(b, "rootfs") }, ""},

	// process
	{"process missing", false, func(s *specs.Spec, _ string) { s.Process = nil }, "process must be set"},
	{"process.args empty", false, func(s *specs.Spec, _ string) { s.Process.Args = nil }, "process.args must not be empty"},
	{"process.args NUL", false, func(s *specs.Spec, _ string) { s.Process.Args = []string{"sh", "a\x00b"} }, "process.args[1] contains a NUL byte"},
	{"process.cwd empty", false, func(s *specs.Spec, _ string) { s.Process.Cwd = "" }, "process.cwd must not be empty"},
	{"process.cwd relative", false, func(s *specs.Spec, _ string) { s.Process.Cwd = "tmp" }, `process.cwd "tmp" must be an absolute path`},
	{"process.env no =", false, func(s *specs.Spec, _ string) { s.Process.Env = append(s.Process.Env, "FOO") }, `process.env[2] "FOO": invalid environment variable: missing '='`},
	{"process.env empty name", false, func(s *specs.Spec, _ string) { s.Process.Env = []string{"=x"} }, "process.env[0] \"=x\": invalid environment variable: name cannot be empty"},
	{"process.env NUL", false, func(s *specs.Spec, _ string) { s.Process.Env = []string{"A=b\x00c"} }, "process.env[0]: invalid environment variable \"A\": contains a NUL byte"},
	{"process.rlimits unknown", false, func(s *specs.Spec, _ string) {
		s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_FOO"})
	}, `process.rlimits[1].type: wrong rlimit value: "RLIMIT_FOO"`},
	{"process.rlimits duplicate", false, func(s *specs.Spec, _ string) {
		s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_CORE"}, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1})
	}, `process.rlimits[2].type "RLIMIT_NOFILE" duplicates process.rlimits[0]`},
	{"process.rlimits soft above hard", false, func(s *specs.Spec, _ string) { s.Process.Rlimits[0].Soft = 2048 }, "process.rlimits[0] (RLIMIT_NOFILE): soft limit 2048 is greater than hard limit 1024"},
	// Ignored with a warning by the init, as runc does.
	{"process.capabilities unknown", false, func(s *specs.Spec, _ string) {
		s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_FOO")
		s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_FOO")
	}, ""},
	{"process.capabilities effective not permitted", false, func(s *specs.Spec, _ string) {
		s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_SYS_ADMIN")
	}, "process.capabilities.effective[3]: CAP_SYS_ADMIN is not in process.capabilities.permitted"},
	{"process.capabilities nil", false, func(s *specs.Spec, _ string) { s.Process.Capabilities = nil }, ""},
	{"process.user.uid -1", false, func(s *specs.Spec, _ string) { s.Process.User.UID = ^uint32(0) }, "process.user.uid 4294967295 is not a valid user ID"},
	{"process.user.gid -1", false, func(s *specs.Spec, _ string) { s.Process.User.GID = ^uint32(0) }, "process.user.gid 4294967295 is not a valid group ID"},
	{"process.user.umask", false, func(s *specs.Spec, _ string) { s.Process.User.Umask = ptr(uint32(0o1777)) }, "process.user.umask 01777"},
	{"process.user.additionalGids -1", false, func(s *specs.Spec, _ string) { s.Process.User.AdditionalGids = []uint32{5, ^uint32(0)} }, "process.user.additionalGids[1] 4294967295"},
	{"process.user unmapped uid", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Process.User.UID = 70000 }, "process.user.uid 70000 is not mapped in linux.uidMappings"},
	{"process.user unmapped gid", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Process.User.GID = 70000 }, "process.user.gid 70000 is not mapped in linux.gidMappings"},
	{"process.user unmapped additional gid", false, func(s *specs.Spec, _ string) {
		withUserNS(s)
		s.Process.User.AdditionalGids = []uint32{1, 65536}
	}, "process.user.additionalGids[1] 65536 is not mapped"},
	{"process.oomScoreAdj high", false, func(s *specs.Spec, _ string) { s.Process.OOMScoreAdj = ptr(1001) }, "process.oomScoreAdj 1001 is out of range"},
	{"process.oomScoreAdj low", false, func(s *specs.Spec, _ string) { s.Process.OOMScoreAdj = ptr(-1001) }, "process.oomScoreAdj -1001 is out of range"},
	{"process.oomScoreAdj edge", false, func(s *specs.Spec, _ string) { s.Process.OOMScoreAdj = ptr(-1000) }, ""},
	{"process.ioPriority class", false, func(s *specs.Spec, _ string) {
		s.Process.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_FOO"}
	}, `process.ioPriority.class "IOPRIO_CLASS_FOO"`},
	{"process.ioPriority priority", false, func(s *specs.Spec, _ string) {
		s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}
	}, "process.ioPriority.priority 8 is out of range [0, 7]"},
	{"process.scheduler no policy", false, func(s *specs.Spec, _ string) { s.Process.Scheduler = &specs.Scheduler{} }, "process.scheduler.policy: scheduler policy is required"},
	{"process.scheduler bad policy", false, func(s *specs.Spec, _ string) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_FOO"} }, `process.scheduler.policy "SCHED_FOO"`},
	{"process.scheduler nice", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 20}
	}, "process.scheduler.nice 20 is out of range"},
	{"process.scheduler priority for OTHER", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Priority: 5}
	}, "process.scheduler.priority can only be specified for SCHED_FIFO or SCHED_RR"},
	{"process.scheduler FIFO priority 0", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO}
	}, "process.scheduler.priority 0 is out of range [1, 99]"},
	{"process.scheduler deadline fields for RR", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedRR, Priority: 1, Runtime: 5000}
	}, "process.scheduler runtime/deadline/period can only be specified for SCHED_DEADLINE"},
	{"process.scheduler deadline runtime", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 20000, Deadline: 10000}
	}, "process.scheduler.runtime 20000 must be at least 1024 and at most deadline 10000"},
	{"process.scheduler deadline good", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 10000, Deadline: 20000, Period: 30000}
	}, ""},
	{"process.scheduler flag", false, func(s *specs.Spec, _ string) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Flags: []specs.LinuxSchedulerFlag{"SCHED_FLAG_FOO"}}
	}, `process.scheduler.flags[0] "SCHED_FLAG_FOO"`},
	{"process.execCPUAffinity", false, func(s *specs.Spec, _ string) {
		s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0-3,7", Final: "3-1"}
	}, `process.execCPUAffinity.final "3-1": invalid list range`},
	{"process.selinuxLabel without selinux", false, func(s *specs.Spec, _ string) {
		s.Process.SelinuxLabel = "system_u:system_r:container_t:s0"
	}, "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported"},
	{"process.apparmorProfile NUL", false, func(s *specs.Spec, _ string) { s.Process.ApparmorProfile = "a\x00" }, "process.apparmorProfile contains"},

	// hostname, domainname
	{"hostname without uts", false, func(s *specs.Spec, _ string) { dropNS(s, specs.UTSNamespace) }, "hostname: unable to set hostname without a private UTS namespace"},
	{"domainname without uts", false, func(s *specs.Spec, _ string) {
		dropNS(s, specs.UTSNamespace)
		s.Hostname, s.Domainname = "", "example.org"
	}, "domainname: unable to set domainname without a private UTS namespace"},
	{"hostname too long", false, func(s *specs.Spec, _ string) { s.Hostname = strings.Repeat("h", 65) }, "is longer than 64 bytes"},

	// linux.namespaces
	{"namespace unknown", false, func(s *specs.Spec, _ string) { s.Linux.Namespaces[2].Type = "foo" }, `linux.namespaces[2].type "foo" is not a namespace`},
	{"namespace duplicate", false, func(s *specs.Spec, _ string) { addNS(s, specs.PIDNamespace, "") }, `linux.namespaces[6]: malformed spec file: duplicated ns "pid"`},
	{"namespace relative path", false, func(s *specs.Spec, _ string) { setNSPath(s, specs.IPCNamespace, "proc/1/ns/ipc") }, `linux.namespaces[2].path "proc/1/ns/ipc" must be an absolute path`},
	{"namespace path absent", false, func(s *specs.Spec, _ string) { setNSPath(s, specs.IPCNamespace, "/nonexistent/ns") }, "linux.namespaces[2].path: stat /nonexistent/ns: no such file or directory"},
	{"namespace path wrong type", false, func(s *specs.Spec, _ string) { setNSPath(s, specs.PIDNamespace, "/proc/self/ns/net") }, "linux.namespaces[0].path: /proc/self/ns/net is a network namespace, not a pid namespace"},
	{"namespace path not a namespace", false, func(s *specs.Spec, _ string) { setNSPath(s, specs.IPCNamespace, "/etc/hostname") }, "linux.namespaces[2].path: /etc/hostname is not a namespace file"},
	{"namespace path joined", false, func(s *specs.Spec, _ string) { setNSPath(s, specs.IPCNamespace, "/proc/self/ns/ipc") }, ""},

	// user namespace mappings
	{"mappings without userns", false, func(s *specs.Spec, _ string) {
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	}, "linux.uidMappings/gidMappings: user namespace mappings specified, but USER namespace isn't enabled"},
	{"userns without uid mappings", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Linux.UIDMappings = nil }, "linux.uidMappings: user namespaces enabled, but no uid mappings found"},
	{"userns without gid mappings", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Linux.GIDMappings = nil }, "linux.gidMappings: user namespaces enabled, but no gid mappings found"},
	{"mapping size 0", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Linux.UIDMappings[0].Size = 0 }, "linux.uidMappings[0].size must be greater than zero"},
	{"mapping overflow", false, func(s *specs.Spec, _ string) { withUserNS(s); s.Linux.GIDMappings[0].HostID = 0xffffff00 }, "linux.gidMappings[0]: range of 65536 IDs overflows 32 bits"},
	{"mapping overlap", false, func(s *specs.Spec, _ string) {
		withUserNS(s)
		s.Linux.UIDMappings = append(s.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 70000, HostID: 165000, Size: 10})
	}, "linux.uidMappings[1]: hostID range overlaps linux.uidMappings[0]"},
	{"mapping root unmapped", false, func(s *specs.Spec, _ string) {
		withUserNS(s)
		s.Linux.UIDMappings[0].ContainerID = 1
		s.Process.User.UID = 1
	}, "linux.uidMappings: user namespaces enabled, but no mapping found for uid 0"},
	{"userns good", false, func(s *specs.Spec, _ string) { withUserNS(s) }, ""},
	{"userns joined with mappings", false, func(s *specs.Spec, _ string) { withUserNS(s); setNSPath(s, specs.UserNamespace, "/proc/self/ns/user") }, ""},

	// linux.timeOffsets
	{"timeOffsets without time ns", false, func(s *specs.Spec, _ string) {
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
	}, "linux.timeOffsets: time namespace offsets specified, but time namespace isn't enabled"},
	{"timeOffsets bad clock", false, func(s *specs.Spec, _ string) {
		addNS(s, specs.TimeNamespace, "")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 10}}
	}, `linux.timeOffsets["realtime"]: clock must be`},
	{"timeOffsets nanosecs", false, func(s *specs.Spec, _ string) {
		addNS(s, specs.TimeNamespace, "")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Nanosecs: 1e9}}
	}, `linux.timeOffsets["boottime"].nanosecs 1000000000`},
	{"timeOffsets joined ns", false, func(s *specs.Spec, _ string) {
		addNS(s, specs.TimeNamespace, "/proc/self/ns/time")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}}
	}, "linux.timeOffsets: offsets can only be set for a new time namespace, but linux.namespaces[6] joins /proc/self/ns/time"},
	{"timeOffsets good", false, func(s *specs.Spec, _ string) {
		addNS(s, specs.TimeNamespace, "")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}, "monotonic": {Secs: -5, Nanosecs: 1}}
	}, ""},

	// linux.sysctl
	{"sysctl ipc without ipc ns", false, func(s *specs.Spec, _ string) {
		dropNS(s, specs.IPCNamespace)
		s.Linux.Sysctl = map[string]string{"kernel.shmmax": "1"}
	}, `linux.sysctl["kernel.shmmax"]: sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace`},
	{"sysctl mqueue with ipc ns", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"fs.mqueue.msg_max": "20"} }, ""},
	{"sysctl net without netns", false, func(s *specs.Spec, _ string) {
		dropNS(s, specs.NetworkNamespace)
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	}, `linux.sysctl["net.ipv4.ip_forward"]: sysctl "net.ipv4.ip_forward" not allowed in host network namespace`},
	{"sysctl net in joined host netns", false, func(s *specs.Spec, _ string) {
		setNSPath(s, specs.NetworkNamespace, "/proc/self/ns/net")
		s.Linux.Sysctl = map[string]string{"net.core.somaxconn": "256"}
	}, `linux.sysctl["net.core.somaxconn"]: sysctl "net.core.somaxconn" not allowed in host network namespace`},
	{"sysctl net slash form", false, func(s *specs.Spec, _ string) {
		s.Linux.Sysctl = map[string]string{"net/ipv4/conf/eth0.100/rp_filter": "1", "net.ipv4.ip_forward": "1"}
	}, ""},
	{"sysctl kernel.hostname", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"kernel.hostname": "x"} }, `sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field`},
	{"sysctl kernel.domainname", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"kernel.domainname": "x"} }, ""},
	{"sysctl not namespaced", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"kernel.panic": "1"} }, `linux.sysctl["kernel.panic"]: sysctl "kernel.panic" is not in a separate kernel namespace`},
	{"sysctl escaping", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"net.//.//.kernel.panic": "1"} }, `is not a valid sysctl name`},
	{"sysctl empty component", false, func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"net..ipv4": "1"} }, `is not a valid sysctl name`},

	// mounts
	{"mount destination empty", false, func(s *specs.Spec, _ string) { s.Mounts[4].Destination = "" }, "mounts[4].destination must not be empty"},
	{"mount NUL", false, func(s *specs.Spec, _ string) { s.Mounts[1].Source = "a\x00" }, "mounts[1].source: mount field contains null byte"},
	{"mount bind with data", false, func(s *specs.Spec, b string) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Source: b, Options: []string{"rbind", "ro", "mode=755"}})
	}, "mounts[7].options: bind mounts cannot have any filesystem-specific options applied (mode=755)"},
	{"mount bind without source", false, func(s *specs.Spec, _ string) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Options: []string{"bind"}})
	}, "mounts[7].source must be set for a bind mount"},
	{"mount bind good", false, func(s *specs.Spec, b string) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: b, Options: []string{"rbind", "rro", "nosuid", "rprivate"}})
	}, ""},
	{"mount idmap not bind", false, func(s *specs.Spec, _ string) {
		withUserNS(s)
		s.Mounts[1].Options = append(s.Mounts[1].Options, "idmap")
	}, "mounts[1]: id-mapped mounts are only supported for bind-mounts"},
	{"mount idmap without userns", false, func(s *specs.Spec, b string) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Source: b, Options: []string{"bind", "idmap"}})
	}, "mounts[7]: id-mapped mounts must have both uid and gid mappings specified, or the container must have a user namespace"},
	{"mount mappings only uid", false, func(s *specs.Spec, b string) {
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/data", Source: b, Options: []string{"bind"},
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
		})
	}, "mounts[7]: id-mapped mounts must have both uid and gid mappings specified"},
	{"mount mappings bad", false, func(s *specs.Spec, b string) {
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/data", Source: b, Options: []string{"bind"},
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 0}},
		})
	}, "mounts[7].gidMappings[0].size must be greater than zero"},
	{"mount idmap good", false, func(s *specs.Spec, b string) {
		withUserNS(s)
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Source: b, Options: []string{"rbind", "ridmap"}})
	}, ""},

	// maskedPaths, readonlyPaths, rootfsPropagation
	{"maskedPaths relative", false, func(s *specs.Spec, _ string) { s.Linux.MaskedPaths[3] = "proc/keys" }, `linux.maskedPaths[3] "proc/keys" must be an absolute path`},
	{"readonlyPaths relative", false, func(s *specs.Spec, _ string) { s.Linux.ReadonlyPaths[0] = "proc/bus" }, `linux.readonlyPaths[0] "proc/bus" must be an absolute path`},
	{"maskedPaths without mount ns", false, func(s *specs.Spec, _ string) { dropNS(s, specs.MountNamespace) }, "linux.maskedPaths: unable to restrict sys entries without a private MNT namespace"},
	{"rootfsPropagation", false, func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = "rsharedd" }, "linux.rootfsPropagation: rootfsPropagation=rsharedd is not supported"},
	{"rootfsPropagation good", false, func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = "rslave" }, ""},

	// linux.devices, linux.resources.devices
	{"device type", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "x", Major: 10, Minor: 229}}
	}, `linux.devices[0].type: invalid device type "x"`},
	{"device relative path", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/fuse", Type: "c", Major: 10, Minor: 229}}
	}, `linux.devices[0].path "dev/fuse" must be an absolute path`},
	{"device outside /dev", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/../etc/fuse", Type: "c", Major: 10, Minor: 229}}
	}, `linux.devices[0].path "/dev/../etc/fuse" must be under /dev`},
	{"device duplicate", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}, {Path: "/dev//fuse", Type: "p"}}
	}, `linux.devices[1].path "/dev//fuse" duplicates linux.devices[0]`},
	{"device major", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "b", Major: 4096}}
	}, "linux.devices[0].major 4096 is out of range"},
	{"device good", false, func(s *specs.Spec, _ string) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}, {Path: "/dev/fifo", Type: "p"}}
	}, ""},
	{"cgroup device access empty", false, func(s *specs.Spec, _ string) { s.Linux.Resources.Devices[0].Access = "" }, "linux.resources.devices[0].access: device access at 0 field cannot be empty"},
	{"cgroup device access extra letters", false, func(s *specs.Spec, _ string) { s.Linux.Resources.Devices[0].Access = "mwrx-" }, ""},
	{"cgroup device access none", false, func(s *specs.Spec, _ string) { s.Linux.Resources.Devices[0].Access = "x" }, `linux.resources.devices[0].access "x" holds none of r, w and m`},
	{"cgroup device type", false, func(s *specs.Spec, _ string) { s.Linux.Resources.Devices[0].Type = "p" }, `linux.resources.devices[0].type: invalid cgroup device type "p"`},

	// linux.cgroupsPath, linux.resources
	{"cgroupsPath escape", false, func(s *specs.Spec, _ string) { s.Linux.CgroupsPath = "/foo/../../bar" }, `linux.cgroupsPath "/foo/../../bar" must not contain ".."`},
	{"cgroupsPath good", false, func(s *specs.Spec, _ string) { s.Linux.CgroupsPath = "/runc-test/abc" }, ""},

	// linux.netDevices
	{"netDevices without netns", false, func(s *specs.Spec, _ string) {
		dropNS(s, specs.NetworkNamespace)
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"dummy0": {}}
	}, "linux.netDevices: unable to move network devices without a private NET namespace"},
	{"netDevices bad host name", false, func(s *specs.Spec, _ string) { s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"a/b": {}} }, `linux.netDevices["a/b"]: invalid network device name "a/b"`},
	{"netDevices name too long", false, func(s *specs.Spec, _ string) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth0": {Name: "abcdefghijklmnop"}}
	}, `linux.netDevices["eth0"].name: invalid network device name "abcdefghijklmnop"`},
	{"netDevices duplicate target", false, func(s *specs.Spec, _ string) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth0": {Name: "ctr0"}, "eth1": {Name: "ctr0"}}
	}, `linux.netDevices["eth1"].name "ctr0" is also the name of linux.netDevices["eth0"]`},
	{"netDevices good", false, func(s *specs.Spec, _ string) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth0": {Name: "ctr%d"}, "eth1": {Name: "ctr%d"}, "dummy0": {}}
	}, ""},

	// linux.intelRdt (resctrl is faked as mounted, see TestSpec)
	{"intelRdt closID", false, func(s *specs.Spec, _ string) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: ".."} }, `linux.intelRdt.closID: invalid intelRdt.ClosID ".."`},
	{"intelRdt closID slash", false, func(s *specs.Spec, _ string) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "a/b"} }, `linux.intelRdt.closID: invalid intelRdt.ClosID "a/b"`},
	{"intelRdt memBwSchema", false, func(s *specs.Spec, _ string) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{MemBwSchema: "L3:0=ff"} }, `linux.intelRdt.memBwSchema "L3:0=ff" must start with "MB:"`},
	{"intelRdt schemata newline", false, func(s *specs.Spec, _ string) {
		s.Linux.IntelRdt = &specs.LinuxIntelRdt{Schemata: []string{"L3:0=ff", "MB:0=20\nL2:0=f"}}
	}, "linux.intelRdt.schemata[1] must not contain newlines"},
	{"intelRdt good", false, func(s *specs.Spec, _ string) {
		s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "/", L3CacheSchema: "L3:0=ff", MemBwSchema: "MB:0=20"}
	}, ""},

	// linux.memoryPolicy
	{"memoryPolicy mode", false, func(s *specs.Spec, _ string) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_FOO"} }, `linux.memoryPolicy.mode: invalid memory policy mode "MPOL_FOO"`},
	{"memoryPolicy flag", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_FOO"}}
	}, `linux.memoryPolicy.flags[0]: invalid memory policy flag "MPOL_F_FOO"`},
	{"memoryPolicy default with nodes", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"}
	}, "linux.memoryPolicy.nodes must be empty for MPOL_DEFAULT"},
	{"memoryPolicy bind without nodes", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind}
	}, "linux.memoryPolicy.nodes must name at least one node for MPOL_BIND"},
	{"memoryPolicy bad nodes", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0,x"}
	}, `linux.memoryPolicy.nodes: invalid memory policy nodes "0,x": invalid list element "x"`},
	{"memoryPolicy static and relative", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{
			Mode: specs.MpolBind, Nodes: "0-1",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes, specs.MpolFRelativeNodes},
		}
	}, "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES are mutually exclusive"},
	{"memoryPolicy local with static", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolLocal, Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
	}, "cannot be used with MPOL_LOCAL"},
	{"memoryPolicy balancing", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing}}
	}, "linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING cannot be used with MPOL_INTERLEAVE"},
	{"memoryPolicy good", false, func(s *specs.Spec, _ string) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0-3,7", Flags: []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing, specs.MpolFStaticNodes}}
	}, ""},

	// linux.personality
	{"personality domain", false, func(s *specs.Spec, _ string) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"} }, "linux.personality.domain: invalid personality domain LINUX64"},
	{"personality good", false, func(s *specs.Spec, _ string) { s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32} }, ""},

	// hooks
	{"hook path relative", false, func(s *specs.Spec, _ string) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}, {Path: "bin/true"}}}
	}, `hooks.createRuntime[1].path "bin/true" must be an absolute path`},
	{"hook path empty", false, func(s *specs.Spec, _ string) { s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{}}} }, "hooks.poststop[0].path must not be empty"},
	{"hook timeout", false, func(s *specs.Spec, _ string) {
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Timeout: ptr(0)}}}
	}, "hooks.startContainer[0].timeout 0 must be greater than zero"},
	{"hook env", false, func(s *specs.Spec, _ string) {
		s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/true", Env: []string{"X"}}}} //nolint:staticcheck // deprecated by the OCI spec, still run: tested
	}, `hooks.prestart[0].env[0] "X": invalid environment variable: missing '='`},
	{"hooks good", false, func(s *specs.Spec, _ string) {
		s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true", Args: []string{"true"}, Env: []string{"A=b"}, Timeout: ptr(5)}}}
	}, ""},

	// annotations
	{"annotation empty key", false, func(s *specs.Spec, _ string) { s.Annotations = map[string]string{"": "x"} }, "annotations: a key must not be empty"},

	// rootless
	{"rootless spec", true, func(s *specs.Spec, _ string) { *s = *rootlessSpec() }, ""},
	{"rootless without userns", true, func(s *specs.Spec, _ string) {}, "linux.namespaces: rootless container requires user namespaces"},
	{"rootless without uid mappings", true, func(s *specs.Spec, _ string) {
		*s = *rootlessSpec()
		s.Linux.UIDMappings = nil
	}, "linux.uidMappings: rootless containers requires at least one UID mapping"},
	{"rootless unmapped gid= option", true, func(s *specs.Spec, _ string) {
		*s = *rootlessSpec()
		s.Mounts[2].Options = append(s.Mounts[2].Options, "gid=5")
	}, "mounts[2].options: cannot specify gid= mount options for unmapped gid in rootless containers"},
	{"rootless idmap mount", true, func(s *specs.Spec, b string) {
		*s = *rootlessSpec()
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Source: b, Options: []string{"bind", "idmap"}})
	}, "mounts[7]: id-mapped mounts are not supported for rootless containers"},
	{"rootless netDevices", true, func(s *specs.Spec, _ string) {
		*s = *rootlessSpec()
		addNS(s, specs.NetworkNamespace, "")
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"dummy0": {}}
	}, "linux.netDevices: network devices are not supported for rootless containers"},
}

func TestSpec(t *testing.T) {
	oldResctrl := resctrlMounted
	resctrlMounted = func() (bool, error) { return true, nil }
	defer func() { resctrlMounted = oldResctrl }()
	logrus.SetOutput(&bytes.Buffer{})
	defer logrus.SetOutput(os.Stderr)

	seen := make(map[string]bool)
	for _, tc := range specCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			bundle := newBundle(t)
			s := exampleSpec()
			tc.mutate(s, bundle)
			err := Spec(s, bundle, tc.rootless)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want no error, got %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("want error containing %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestSpecNil(t *testing.T) {
	if err := Spec(nil, "", false); err == nil {
		t.Fatal("Spec(nil) returned no error")
	}
}

// TestRootfsUnderSymlinkedBundle checks that a bundle reached through a
// symlink is fine (runc resolves it by working in it), while a rootfs
// that is itself a symlink is not.
func TestRootfsUnderSymlinkedBundle(t *testing.T) {
	real := newBundle(t)
	link := filepath.Join(t.TempDir(), "bundle")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := Spec(exampleSpec(), link, false); err != nil {
		t.Fatalf("symlinked bundle: %v", err)
	}
	s := exampleSpec()
	s.Root.Path = filepath.Join(link, "rootfs")
	if err := Spec(s, real, false); err == nil || !strings.Contains(err.Error(), "not an absolute path, or a symlink") {
		t.Fatalf("absolute root.path through a symlink: got %v", err)
	}
}

func TestRelativeMountDestinationWarns(t *testing.T) {
	var buf bytes.Buffer
	logrus.SetOutput(&buf)
	defer logrus.SetOutput(os.Stderr)
	s := exampleSpec()
	s.Mounts[3].Destination = "dev/shm"
	if err := Spec(s, newBundle(t), false); err != nil {
		t.Fatalf("relative mount destination is allowed by the spec, got %v", err)
	}
	if !strings.Contains(buf.String(), `mounts[3].destination \"dev/shm\" is not absolute`) {
		t.Fatalf("no warning naming mounts[3].destination; log: %q", buf.String())
	}
}

// TestIntelRdtWithoutResctrl runs against this machine's real mounts.
func TestIntelRdtWithoutResctrl(t *testing.T) {
	mounted, err := resctrlMounted()
	if err != nil {
		t.Fatal(err)
	}
	if mounted {
		t.Skip("resctrl is mounted here")
	}
	s := exampleSpec()
	s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "gold"}
	err = Spec(s, newBundle(t), false)
	if err == nil || !strings.Contains(err.Error(), "linux.intelRdt is specified in config, but no resctrl filesystem is mounted") {
		t.Fatalf("got %v", err)
	}
}

// TestUnifiedResources depends on the host's cgroup mode (v1 hybrid here).
func TestUnifiedResources(t *testing.T) {
	s := exampleSpec()
	s.Linux.Resources.Unified = map[string]string{"memory.high": "max"}
	err := Spec(s, newBundle(t), false)
	if cgroups.IsCgroup2UnifiedMode() {
		if err != nil {
			t.Fatalf("unified on cgroup v2: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "linux.resources.unified: invalid configuration: cannot use unified on cgroup v1") {
		t.Fatalf("unified on cgroup v1: got %v", err)
	}
}

func TestSeccompDelegated(t *testing.T) {
	defer func() { SeccompValidate = nil }()
	s := exampleSpec()
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}

	if err := Spec(s, newBundle(t), false); err != nil {
		t.Fatalf("without SeccompValidate: %v", err)
	}
	var got *specs.LinuxSeccomp
	SeccompValidate = func(sc *specs.LinuxSeccomp) error {
		got = sc
		return errors.New(`defaultAction "SCMP_ACT_FOO" is not an action`)
	}
	err := Spec(s, newBundle(t), false)
	if err == nil || err.Error() != `linux.seccomp: defaultAction "SCMP_ACT_FOO" is not an action` {
		t.Fatalf("got %v", err)
	}
	if got != s.Linux.Seccomp {
		t.Fatal("SeccompValidate was not given linux.seccomp")
	}
	SeccompValidate = func(*specs.LinuxSeccomp) error {
		return errors.New(`linux.seccomp.syscalls[0].names must not be empty`)
	}
	if err := Spec(s, newBundle(t), false); err == nil || err.Error() != `linux.seccomp.syscalls[0].names must not be empty` {
		t.Fatalf("field-named error was re-prefixed or lost: %v", err)
	}
}

func TestProcess(t *testing.T) {
	if err := Process(nil); err == nil || err.Error() != "process must be set" {
		t.Fatalf("Process(nil): %v", err)
	}
	p := exampleSpec().Process
	if err := Process(p); err != nil {
		t.Fatalf("example process: %v", err)
	}
	p.Cwd = "relative"
	if err := Process(p); err == nil || !strings.Contains(err.Error(), `process.cwd "relative" must be an absolute path`) {
		t.Fatalf("relative cwd: %v", err)
	}
	p = exampleSpec().Process
	p.Capabilities.Ambient = []string{"CAP_NOPE"}
	if err := Process(p); err != nil {
		t.Fatalf("unknown capability (ignored by the init): %v", err)
	}
	// On its own, a process is not held to a user namespace's mappings.
	p = exampleSpec().Process
	p.User.UID = 123456
	if err := Process(p); err != nil {
		t.Fatalf("uid without a config: %v", err)
	}
}

func TestID(t *testing.T) {
	for _, id := range []string{"a", "abc-123", "A_B+c.d", "..a", "a..", "...", ".a", "0"} {
		if err := ID(id); err != nil {
			t.Errorf("ID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "/a", "a b", "a:b", "ä", "a\x00", "a\n"} {
		if err := ID(id); !errors.Is(err, ErrInvalidID) || err.Error() != "invalid container ID format" {
			t.Errorf("ID(%q) = %v, want %v", id, err, ErrInvalidID)
		}
	}
}
