package criu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func extString(ms []ExtMount) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Dest+"|"+m.Name+"|"+m.Source)
	}
	return strings.Join(s, " ")
}

func TestExternalMounts(t *testing.T) {
	rootfs := t.TempDir()
	// /var/run -> /run inside the rootfs: the key is the real mountpoint.
	if err := os.MkdirAll(filepath.Join(rootfs, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../run", filepath.Join(rootfs, "var/run")); err != nil {
		t.Fatal(err)
	}
	// A symlink pointing out of the rootfs stays inside it.
	if err := os.Symlink("/etc", filepath.Join(rootfs, "etc")); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/data/", Type: "bind", Source: "/srv/data"},
			{Destination: "/var/run/sock", Type: "none", Source: "/run/host.sock", Options: []string{"bind"}},
			{Destination: "/etc/hosts", Source: "/etc/hosts", Options: []string{"rbind", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/data", Type: "bind", Source: "/srv/other"}, // same mountpoint: once
		},
		Linux: &specs.Linux{Devices: []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}},
	}
	cg := []ExtMount{{Dest: "/sys/fs/cgroup/memory", Name: "/sys/fs/cgroup/memory", Source: "/sys/fs/cgroup/memory/c1"}}
	got := ExternalMounts(spec, rootfs, cg, []string{"/proc/kcore", "proc/keys"})
	want := "/data|/data|/srv/data /run/sock|/run/sock|/run/host.sock /etc/hosts|/etc/hosts|/etc/hosts " +
		"/sys/fs/cgroup/memory|/sys/fs/cgroup/memory|/sys/fs/cgroup/memory/c1 " +
		"/proc/kcore|/dev/null|/dev/null /proc/keys|/dev/null|/dev/null /dev/fuse|/dev/fuse|/dev/fuse"
	if s := extString(got); s != want {
		t.Fatalf("ExternalMounts:\n got %s\nwant %s", s, want)
	}
	var dump, restore []string
	for _, m := range DumpMap(got) {
		dump = append(dump, m.Key+"="+m.Val)
	}
	for _, m := range RestoreMap(got) {
		restore = append(restore, m.Key+"="+m.Val)
	}
	if s := strings.Join(dump, " "); s != "/data=/data /run/sock=/run/sock /etc/hosts=/etc/hosts /sys/fs/cgroup/memory=/sys/fs/cgroup/memory /proc/kcore=/dev/null /proc/keys=/dev/null /dev/fuse=/dev/fuse" {
		t.Errorf("dump map: %s", s)
	}
	// One entry per name: both masked files come back as the host's
	// /dev/null.
	if s := strings.Join(restore, " "); s != "/data=/srv/data /run/sock=/run/host.sock /etc/hosts=/etc/hosts /sys/fs/cgroup/memory=/sys/fs/cgroup/memory/c1 /dev/null=/dev/null /dev/fuse=/dev/fuse" {
		t.Errorf("restore map: %s", s)
	}
}

func TestCgroupV1Mounts(t *testing.T) {
	rootfs := t.TempDir()
	hier := []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/rdma"}
	paths := map[string]string{
		"cpu":          "/sys/fs/cgroup/cpu,cpuacct/ct/1",
		"cpuacct":      "/sys/fs/cgroup/cpu,cpuacct/ct/1",
		"memory":       "/sys/fs/cgroup/memory/ct/1",
		"name=systemd": "/sys/fs/cgroup/systemd/ct/1",
		"":             "/sys/fs/cgroup/unified/ct/1",
	}
	got := extString(CgroupV1Mounts(rootfs, "/sys/fs/cgroup/", hier, paths))
	want := "/sys/fs/cgroup/cpu,cpuacct|/sys/fs/cgroup/cpu,cpuacct|/sys/fs/cgroup/cpu,cpuacct/ct/1 " +
		"/sys/fs/cgroup/memory|/sys/fs/cgroup/memory|/sys/fs/cgroup/memory/ct/1 " +
		"/sys/fs/cgroup/systemd|/sys/fs/cgroup/systemd|/sys/fs/cgroup/systemd/ct/1 " +
		"/sys/fs/cgroup/unified|/sys/fs/cgroup/unified|/sys/fs/cgroup/unified/ct/1"
	if got != want {
		t.Fatalf("CgroupV1Mounts:\n got %s\nwant %s", got, want)
	}
}
