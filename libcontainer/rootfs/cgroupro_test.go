package rootfs

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCgroupfsBelow(t *testing.T) {
	for _, tc := range []struct {
		source, rel string
		ok          bool
	}{
		{"/", "sys/fs/cgroup", true},
		{"/sys", "fs/cgroup", true},
		{"/sys/", "fs/cgroup", true},
		{"/sys/fs", "cgroup", true},
		{"/sys/fs/cgroup", "", false},
		{"/sys/kernel", "", false},
		{"/proc", "", false},
		{"/does/not/exist", "", false},
	} {
		rel, ok := cgroupfsBelow(tc.source)
		if rel != tc.rel || ok != tc.ok {
			t.Errorf("cgroupfsBelow(%q) = %q, %v; want %q, %v", tc.source, rel, ok, tc.rel, tc.ok)
		}
	}
}

// rootlessSysSpec is the default spec in a user namespace with /sys
// replaced by the "rbind,ro" bind of `runc spec --rootless`.
func rootlessSysSpec(rootfs string) *specs.Spec {
	spec := userNSSpec(defaultSpec(rootfs))
	spec.Mounts[5] = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
	return spec
}

// cgroupMountsWritable lists the mounts at and below /sys/fs/cgroup in a
// mountinfo dump that are not read-only (the visible one of each point).
func cgroupMountsWritable(t *testing.T, text string) (all, writable []string) {
	t.Helper()
	for point, m := range parseMountinfo(t, text) {
		if point != "/sys/fs/cgroup" && !strings.HasPrefix(point, "/sys/fs/cgroup/") {
			continue
		}
		all = append(all, point)
		if !hasOpt(m.Options, "ro") {
			writable = append(writable, point+" ("+m.Options+")")
		}
	}
	return all, writable
}

// TestUserNSSysRbindCgroupReadonly: an "rbind,ro" of /sys in a user
// namespace, with no cgroup mount to cover it, must not leave the host's
// cgroup mounts below it writable (CVE-2023-25809).
func TestUserNSSysRbindCgroupReadonly(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cgroupMount bool
	}{
		{"without cgroup mount", false},
		{"with cgroup mount", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := rootlessSysSpec(rootfs)
			if !tc.cgroupMount {
				spec.Mounts = spec.Mounts[:6]
			}
			res := mustRun(t, childConfig{Spec: spec, InUserNS: true, CgroupPaths: testCgroups(t), Script: `
cat /proc/self/mountinfo
echo ---
touch /sys/fs/cgroup/cpu/x 2>&1 | grep -o 'Read-only file system'
`}, unix.CLONE_NEWUSER)
			all, writable := cgroupMountsWritable(t, res.section(0))
			if len(all) < 2 {
				t.Fatalf("want the host's cgroup mounts under /sys/fs/cgroup, got %v:\n%s", all, res.section(0))
			}
			if len(writable) > 0 {
				t.Errorf("writable cgroup mounts in the container: %v", writable)
			}
			if got := res.section(1); got != "Read-only file system\n" {
				t.Errorf("writing a cgroup file: %q, want EROFS", got)
			}
		})
	}
}

// TestUserNSSysfsFallbackCgroupReadonly: the bind of /sys that replaces
// sysfs in a user namespace without a network namespace gets the same
// treatment, even when the sysfs mount itself is read-write.
func TestUserNSSysfsFallbackCgroupReadonly(t *testing.T) {
	rootfs := newRootfs(t)
	spec := userNSSpec(defaultSpec(rootfs))
	spec.Mounts[5].Options = []string{"nosuid", "noexec", "nodev"}
	spec.Mounts = spec.Mounts[:6]
	res := mustRun(t, childConfig{Spec: spec, InUserNS: true, Script: "cat /proc/self/mountinfo"}, unix.CLONE_NEWUSER)
	mounts := parseMountinfo(t, res.out)
	if m := wantMount(t, mounts, "/sys", "sysfs"); m != nil && hasOpt(m.Options, "ro") {
		t.Errorf("/sys is read-only, the spec did not ask for it")
	}
	all, writable := cgroupMountsWritable(t, res.out)
	if len(all) < 2 || len(writable) > 0 {
		t.Errorf("cgroup mounts %v, writable %v", all, writable)
	}
}

// TestRootCgroupfsUntouched: without a user namespace an rbind of /sys is
// left as the spec says.
func TestRootSysRbindUntouched(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Mounts[5] = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
	spec.Mounts = spec.Mounts[:6]
	res := mustRun(t, childConfig{Spec: spec, Script: "cat /proc/self/mountinfo"}, 0)
	_, writable := cgroupMountsWritable(t, res.out)
	if len(writable) == 0 {
		t.Errorf("host cgroup mounts made read-only without a user namespace")
	}
}
