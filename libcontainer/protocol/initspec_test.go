package protocol

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// TestInitConfigCarriesInitSpec: the spec crosses the socket with what
// the init reads, and without what it does not.
func TestInitConfigCarriesInitSpec(t *testing.T) {
	prio := int64(5)
	spec := &specs.Spec{
		Version:    "1.3.0",
		Process:    &specs.Process{Args: []string{"sh"}},
		Root:       &specs.Root{Path: "/b/rootfs", Readonly: true},
		Hostname:   "h",
		Domainname: "d",
		Mounts:     []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid"}}},
		Hooks: &specs.Hooks{
			CreateRuntime:   []specs.Hook{{Path: "/runtime"}},
			CreateContainer: []specs.Hook{{Path: "/cc", Args: []string{"cc"}}},
			StartContainer:  []specs.Hook{{Path: "/sc", Env: []string{"A=1"}}},
			Poststop:        []specs.Hook{{Path: "/stop"}},
		},
		Annotations: map[string]string{"a": "b"},
		Linux: &specs.Linux{
			UIDMappings:       []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
			GIDMappings:       []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}},
			Sysctl:            map[string]string{"net.ipv4.ip_forward": "1"},
			Namespaces:        []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace, Path: "/run/netns/x"}},
			Devices:           []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}},
			Seccomp:           &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}},
			RootfsPropagation: "rslave",
			MaskedPaths:       []string{"/proc/kcore"},
			ReadonlyPaths:     []string{"/proc/sys"},
			MountLabel:        "system_u:object_r:container_file_t:s0",
			Personality:       &specs.LinuxPersonality{Domain: specs.PerLinux32},
			MemoryPolicy:      &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"},
			CgroupsPath:       "/c",
			Resources: &specs.LinuxResources{
				CPU:    &specs.LinuxCPU{Cpus: "0-1", Shares: new(uint64)},
				Memory: &specs.LinuxMemory{Limit: &prio},
			},
			IntelRdt: &specs.LinuxIntelRdt{ClosID: "x"},
		},
		Windows: &specs.Windows{LayerFolders: []string{"C:\\"}},
	}
	filter := &bpf.Filter{Program: []byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, Flags: 4, Listener: true}
	data, err := json.Marshal(&InitConfig{Mode: ModeStandard, ID: "c", Spec: spec, Process: spec.Process, FifoFd: 5, Seccomp: filter})
	if err != nil {
		t.Fatal(err)
	}
	var got InitConfig
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Mode != ModeStandard || got.ID != "c" || got.FifoFd != 5 || !reflect.DeepEqual(got.Process, spec.Process) || !reflect.DeepEqual(got.Seccomp, filter) {
		t.Errorf("the config's own fields changed: %+v", got)
	}
	want := &specs.Spec{
		Root: spec.Root, Hostname: "h", Domainname: "d", Mounts: spec.Mounts,
		Hooks: &specs.Hooks{CreateContainer: spec.Hooks.CreateContainer, StartContainer: spec.Hooks.StartContainer},
		Linux: &specs.Linux{
			UIDMappings: spec.Linux.UIDMappings, GIDMappings: spec.Linux.GIDMappings,
			Sysctl: spec.Linux.Sysctl, Namespaces: spec.Linux.Namespaces, Devices: spec.Linux.Devices,
			RootfsPropagation: "rslave",
			MaskedPaths:       spec.Linux.MaskedPaths, ReadonlyPaths: spec.Linux.ReadonlyPaths,
			MountLabel: spec.Linux.MountLabel, Personality: spec.Linux.Personality,
			MemoryPolicy: spec.Linux.MemoryPolicy,
			Resources:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1"}},
		},
	}
	if !reflect.DeepEqual(got.Spec, want) {
		g, _ := json.Marshal(got.Spec)
		w, _ := json.Marshal(want)
		t.Errorf("the init's spec:\n got %s\nwant %s", g, w)
	}

	// nothing in, nothing out
	data, err = json.Marshal(&InitConfig{Mode: ModeSetns})
	if err != nil {
		t.Fatal(err)
	}
	got = InitConfig{}
	if err := json.Unmarshal(data, &got); err != nil || got.Spec != nil {
		t.Errorf("no spec: got %+v, %v (%s)", got.Spec, err, data)
	}
}
