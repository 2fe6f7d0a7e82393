package protocol

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// TestInitConfigCarriesInitSpec: the spec crosses the socket with what
// the init reads, and without what it does not.
func TestInitConfigCarriesInitSpec(t *testing.T) {
	roundTrip := func(c *InitConfig) (InitConfig, []byte, error) {
		var got InitConfig
		data, err := c.MarshalBinary()
		if err == nil {
			err = got.UnmarshalBinary(data)
		}
		return got, data, err
	}
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
	got, _, err := roundTrip(&InitConfig{Mode: ModeStandard, ID: "c", Spec: spec, Process: spec.Process, FifoFd: 5, Seccomp: filter})
	if err != nil {
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
		t.Errorf("the init's spec:\n got %+v\nwant %+v", got.Spec, want)
	}

	// nothing in, nothing out
	got, data, err := roundTrip(&InitConfig{Mode: ModeSetns})
	if err != nil || got.Spec != nil || got.Process != nil || got.Seccomp != nil {
		t.Errorf("no spec: got %+v, %v (%q)", got, err, data)
	}
}

// fill sets every field reachable from v (addressable) to a value of its
// own: strings and numbers from a counter, true, pointers to filled
// values, slices of two and maps of two filled items.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).Type() != reflect.TypeFor[*specs.Spec]() { // InitConfig.Spec: from an InitSpec
				fill(t, v.Field(i), n)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, n)
			fill(t, e, n)
			v.SetMapIndex(k, e)
		}
	default:
		t.Fatalf("fill: no value for a %s", v.Type())
	}
}

// TestInitConfigWireComplete: every field of the config, of its process
// and of the spec's parts the init reads crosses the socket. A field the
// runtime-spec adds to one of their types fails here until initwire.go
// carries it.
func TestInitConfigWireComplete(t *testing.T) {
	n := 0
	var is InitSpec
	fill(t, reflect.ValueOf(&is).Elem(), &n)
	var want InitConfig
	fill(t, reflect.ValueOf(&want).Elem(), &n)
	want.Spec = is.Spec()
	data, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got InitConfig
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(NewInitSpec(got.Spec), &is) {
		t.Errorf("the init's spec:\n got %+v\nwant %+v", NewInitSpec(got.Spec), &is)
	}
	got.Spec, want.Spec = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the config:\n got %+v\nwant %+v", got, want)
	}

	// Whatever is cut off or added is an error, never a panic or a
	// config.
	for i := range len(data) {
		if err := new(InitConfig).UnmarshalBinary(data[:i]); err == nil {
			t.Fatalf("the first %d of %d bytes decoded", i, len(data))
		}
	}
	if err := new(InitConfig).UnmarshalBinary(append(data, 0)); err == nil {
		t.Error("a trailing byte was taken")
	}
	if err := new(InitConfig).UnmarshalBinary(append([]byte{wireVersion + 1}, data[1:]...)); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("another format: %v", err)
	}
}

// TestWireInts: signed and unsigned values round-trip, extremes included.
func TestWireInts(t *testing.T) {
	ints := []int64{0, 1, -1, -1000, math.MinInt64, math.MaxInt64}
	uints := []uint64{0, 1, 1 << 63, math.MaxUint64}
	w := &wireWriter{}
	for _, v := range ints {
		w.int(v)
	}
	for _, v := range uints {
		w.uint(v)
	}
	r := &wireReader{b: w.b}
	for _, v := range ints {
		if got := r.int(); got != v {
			t.Errorf("int %d read back as %d", v, got)
		}
	}
	for _, v := range uints {
		if got := r.uint(); got != v {
			t.Errorf("uint %d read back as %d", v, got)
		}
	}
	if r.err != nil || len(r.b) != 0 {
		t.Errorf("err %v, %d bytes left", r.err, len(r.b))
	}
}
