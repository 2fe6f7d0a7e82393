package integration

import (
	"encoding/json"
	"os/exec"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestFeatures: `runc features` prints runtime-spec's features document,
// true to this build: the spec version it implements, the namespaces
// (time included), id-mapped mounts, netDevices, Intel RDT, memory
// policies, seccomp from libseccomp.
func TestFeatures(t *testing.T) {
	b := newBundle(t)
	out := b.mustRunc("features")
	var f features.Features
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("features JSON: %v\n%s", err, out)
	}
	if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version {
		t.Errorf("OCI versions %s..%s, want 1.0.0..%s", f.OCIVersionMin, f.OCIVersionMax, specs.Version)
	}
	if want := []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}; !slices.Equal(f.Hooks, want) {
		t.Errorf("hooks %v", f.Hooks)
	}
	for _, o := range []string{"rbind", "rro", "ridmap", "idmap", "tmpcopyup", "nosymfollow", "rprivate", "strictatime"} {
		if !slices.Contains(f.MountOptions, o) {
			t.Errorf("mount option %s missing", o)
		}
	}
	if !slices.IsSorted(f.MountOptions) {
		t.Errorf("mount options not sorted: %v", f.MountOptions)
	}
	l := f.Linux
	if l == nil {
		t.Fatal("no linux section")
	}
	if want := []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}; !slices.Equal(l.Namespaces, want) {
		t.Errorf("namespaces %v, want %v", l.Namespaces, want)
	}
	for _, c := range []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"} {
		if !slices.Contains(l.Capabilities, c) {
			t.Errorf("capability %s missing", c)
		}
	}
	isTrue := func(name string, b *bool) {
		if b == nil || !*b {
			t.Errorf("%s is not true", name)
		}
	}
	if l.Cgroup == nil || l.Seccomp == nil || l.IntelRdt == nil || l.MountExtensions == nil || l.MountExtensions.IDMap == nil || l.NetDevices == nil || l.MemoryPolicy == nil {
		t.Fatalf("sections missing: %s", out)
	}
	isTrue("cgroup.v1", l.Cgroup.V1)
	isTrue("cgroup.v2", l.Cgroup.V2)
	isTrue("cgroup.systemd", l.Cgroup.Systemd)
	isTrue("seccomp.enabled", l.Seccomp.Enabled)
	isTrue("intelRdt.enabled", l.IntelRdt.Enabled)
	isTrue("intelRdt.monitoring", l.IntelRdt.Monitoring)
	isTrue("mountExtensions.idmap.enabled", l.MountExtensions.IDMap.Enabled)
	isTrue("netDevices.enabled", l.NetDevices.Enabled)
	for _, a := range []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_NOTIFY", "SCMP_ACT_KILL_PROCESS"} {
		if !slices.Contains(l.Seccomp.Actions, a) {
			t.Errorf("seccomp action %s missing", a)
		}
	}
	if !slices.Contains(l.Seccomp.Archs, "SCMP_ARCH_X86_64") || len(l.Seccomp.Operators) != 7 {
		t.Errorf("seccomp archs %v operators %v", l.Seccomp.Archs, l.Seccomp.Operators)
	}
	for _, fl := range l.Seccomp.SupportedFlags {
		if !slices.Contains(l.Seccomp.KnownFlags, fl) {
			t.Errorf("supported seccomp flag %s is not a known one", fl)
		}
	}
	if !slices.Contains(l.MemoryPolicy.Modes, "MPOL_WEIGHTED_INTERLEAVE") || !slices.Contains(l.MemoryPolicy.Flags, "MPOL_F_STATIC_NODES") {
		t.Errorf("memory policy %+v", l.MemoryPolicy)
	}
	if f.Annotations["io.github.seccomp.libseccomp.version"] == "" {
		t.Errorf("annotations %v lack the libseccomp version", f.Annotations)
	}
	if !slices.Contains(f.PotentiallyUnsafeConfigAnnotations, "org.systemd.property.") {
		t.Errorf("potentiallyUnsafeConfigAnnotations %v", f.PotentiallyUnsafeConfigAnnotations)
	}

	// Arguments are refused, as by runc.
	if _, _, code := b.runc("features", "extra"); code != 1 {
		t.Errorf("features with an argument: exit %d, want 1", code)
	}
}

// TestFeaturesMountOptionsCoverRunc: every mount option runc 1.1 lists is
// in ours, but for acl/noacl, which runc 1.1 lists though the kernel
// ignores them.
func TestFeaturesMountOptionsCoverRunc(t *testing.T) {
	harness.Requires(t, harness.HostRunc)
	path, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := exec.Command(path, "features").Output()
	if err != nil {
		harness.Skipf(t, "%s features: %v", path, err)
	}
	var rf, f features.Features
	if err := json.Unmarshal(theirs, &rf); err != nil {
		t.Fatal(err)
	}
	b := newBundle(t)
	if err := json.Unmarshal([]byte(b.mustRunc("features")), &f); err != nil {
		t.Fatal(err)
	}
	for _, o := range rf.MountOptions {
		if o != "acl" && o != "noacl" && !slices.Contains(f.MountOptions, o) {
			t.Errorf("runc knows mount option %q, we do not", o)
		}
	}
	for _, ns := range rf.Linux.Namespaces {
		if !slices.Contains(f.Linux.Namespaces, ns) {
			t.Errorf("runc knows namespace %q, we do not", ns)
		}
	}
}
