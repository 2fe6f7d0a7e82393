package rootfs

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// userNSSpec adds a user namespace (0 -> 0, 65536 ids, as the test child
// gets) to spec.
func userNSSpec(spec *specs.Spec) *specs.Spec {
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}}
	spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}}
	return spec
}

// TestUserNS runs the default spec in a user namespace without its own
// network namespace: devices are bind mounts of the host's nodes, sysfs
// falls back to a bind of /sys, cgroups are read-only even when the spec
// does not ask for it.
func TestUserNS(t *testing.T) {
	rootfs := newRootfs(t)
	spec := userNSSpec(defaultSpec(rootfs))
	spec.Mounts[6].Options = []string{"nosuid", "noexec", "nodev"} // cgroup without ro
	res := mustRun(t, childConfig{Spec: spec, InUserNS: true, CgroupPaths: testCgroups(t), Script: `
cat /proc/self/mountinfo
echo ---
stat -c '%n %t:%T %F' /dev/null /dev/zero /dev/tty
echo "keys=$(cat /proc/keys | wc -c)"
echo x > /proc/sys/kernel/domainname 2>/dev/null && echo "procsys=writable" || echo "procsys=readonly"
`}, unix.CLONE_NEWUSER)
	mounts := parseMountinfo(t, res.section(0))
	for _, d := range []string{"/dev/null", "/dev/zero", "/dev/tty"} {
		wantMount(t, mounts, d, "devtmpfs")
	}
	wantMount(t, mounts, "/sys", "sysfs", "ro", "nosuid", "noexec", "nodev")
	wantMount(t, mounts, "/sys/fs/cgroup", "tmpfs", "ro")
	wantMount(t, mounts, "/sys/fs/cgroup/cpu", "cgroup", "ro")
	wantMount(t, mounts, "/proc/sys", "proc", "ro")
	out := res.section(1)
	for _, want := range []string{
		"/dev/null 1:3 character special file", "/dev/zero 1:5 character special file",
		"/dev/tty 5:0 character special file", "keys=0", "procsys=readonly",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
}

// TestUserNSWithNetNS: with its own network namespace a user namespace
// gets a real sysfs mount.
func TestUserNSWithNetNS(t *testing.T) {
	rootfs := newRootfs(t)
	spec := userNSSpec(defaultSpec(rootfs))
	res := mustRun(t, childConfig{Spec: spec, InUserNS: true, CgroupPaths: testCgroups(t), Script: `
cat /proc/self/mountinfo
echo ---
ls /sys/class/net
`}, unix.CLONE_NEWUSER|unix.CLONE_NEWNET)
	if m := wantMount(t, parseMountinfo(t, res.section(0)), "/sys", "sysfs", "ro"); m != nil {
		if _, ok := parseMountinfo(t, res.section(0))["/sys/fs/cgroup/cpu"]; !ok {
			t.Errorf("no cgroup mounts under the new sysfs")
		}
	}
	if res.section(1) != "lo\n" {
		t.Errorf("/sys/class/net is not the container's: %q", res.section(1))
	}
}

// TestCgroupNS: with a cgroup namespace the hierarchies are mounted
// fresh, rooted at the namespace's root.
func TestCgroupNS(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	res := mustRun(t, childConfig{Spec: spec, Script: `
cat /proc/self/mountinfo
echo ---
ls /sys/fs/cgroup/cpu/cgroup.procs /sys/fs/cgroup/systemd/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs
`}, unix.CLONE_NEWCGROUP)
	mounts := parseMountinfo(t, res.section(0))
	for _, p := range []string{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd"} {
		if m := wantMount(t, mounts, p, "cgroup", "ro", "nosuid", "nodev", "noexec"); m != nil && m.Root != "/" {
			t.Errorf("%s: root %s, want / (the namespace's root)", p, m.Root)
		}
	}
	if m := wantMount(t, mounts, "/sys/fs/cgroup/unified", "cgroup2", "ro"); m != nil && m.Root != "/" {
		t.Errorf("unified: root %s, want /", m.Root)
	}
	if strings.Count(res.section(1), "cgroup.procs") != 3 {
		t.Errorf("cgroup files missing:\n%s", res.out)
	}
}

// TestCgroup2Host: on a cgroup v2 host a cgroup mount is a cgroup2 mount.
func TestCgroup2Host(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	res := mustRun(t, childConfig{Spec: spec, FakeCgroup2: true, Script: `
cat /proc/self/mountinfo
echo ---
ls /sys/fs/cgroup/cgroup.procs
`}, 0)
	wantMount(t, parseMountinfo(t, res.section(0)), "/sys/fs/cgroup", "cgroup2", "ro", "nosuid", "nodev", "noexec")
	if res.section(1) != "/sys/fs/cgroup/cgroup.procs\n" {
		t.Errorf("no cgroup2 files: %q", res.section(1))
	}
}
