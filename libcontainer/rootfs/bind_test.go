package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hostTree makes a host directory with a file and an empty "sub" dir the
// child mounts a tmpfs on (with a file "inner") before Prepare.
func hostTree(t *testing.T) (dir, sub string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("host file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub = filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, sub
}

// TestBindMounts checks bind and rbind with flags, recursive attributes,
// file binds and mountpoint creation.
func TestBindMounts(t *testing.T) {
	rootfs := newRootfs(t)
	dir, sub := hostTree(t)
	hostFile := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hostFile, []byte("127.0.0.1 bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/mnt/ro", Type: "bind", Source: dir, Options: []string{"rbind", "ro", "nosuid", "nodev"}},
		specs.Mount{Destination: "/mnt/rro", Type: "none", Source: dir, Options: []string{"rbind", "rro", "rnoexec"}},
		specs.Mount{Destination: "/mnt/plain", Source: dir, Options: []string{"bind"}},
		specs.Mount{Destination: "/a/b/c/hosts", Type: "bind", Source: hostFile, Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/mnt/atime", Type: "bind", Source: dir, Options: []string{"bind", "noatime", "nodiratime"}},
	)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), PreTmpfs: []string{sub}, Script: `
cat /proc/self/mountinfo
echo ---
cat /a/b/c/hosts /mnt/ro/file /mnt/ro/sub/inner
touch /mnt/ro/new 2>/dev/null && echo "ro=writable" || echo "ro=readonly"
touch /mnt/ro/sub/new 2>/dev/null && echo "ro/sub=writable" || echo "ro/sub=readonly"
touch /mnt/rro/sub/new2 2>/dev/null && echo "rro/sub=writable" || echo "rro/sub=readonly"
ls /mnt/plain/sub | wc -l
`}, 0)
	mounts := parseMountinfo(t, res.section(0))
	wantMount(t, mounts, "/mnt/ro", "", "ro", "nosuid", "nodev")
	if m := wantMount(t, mounts, "/mnt/ro/sub", "tmpfs", "rw"); m != nil && hasOpt(m.Options, "ro") {
		t.Errorf("ro without rro must not reach submounts: %q", m.Options)
	}
	wantMount(t, mounts, "/mnt/rro", "", "ro", "noexec")
	wantMount(t, mounts, "/mnt/rro/sub", "tmpfs", "ro", "noexec")
	wantMount(t, mounts, "/a/b/c/hosts", "", "ro")
	wantMount(t, mounts, "/mnt/atime", "", "noatime", "nodiratime")
	if _, ok := mounts["/mnt/plain/sub"]; ok {
		t.Errorf("a non-recursive bind copied a submount")
	}
	out := res.section(1)
	for _, want := range []string{"127.0.0.1 bound", "host file", "inner", "ro=readonly", "ro/sub=writable", "rro/sub=readonly"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n0\n") {
		t.Errorf("/mnt/plain/sub should be the empty host directory:\n%s", out)
	}
	if st, err := os.Stat(filepath.Join(rootfs, "a/b/c/hosts")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the file mountpoint was not created in the rootfs: %v", err)
	}
}

// TestBindLockedFlags checks, in a user namespace, that binding a mount
// whose flags are locked (nosuid, nodev, noexec from the host) keeps them
// when other flags are asked for, and that asking to clear one fails.
func TestBindLockedFlags(t *testing.T) {
	rootfs := newRootfs(t)
	// A host mount made here, before the child's user namespace exists:
	// its nosuid, nodev and noexec are locked in the child.
	host := t.TempDir()
	if err := unix.Mount("tmpfs", host, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(host, unix.MNT_DETACH) })
	spec := userNSSpec(defaultSpec(rootfs))
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/mnt/keep", Type: "bind", Source: host, Options: []string{"rbind", "ro"}})
	cgroups := testCgroups(t)
	res := mustRun(t, childConfig{Spec: spec, InUserNS: true, CgroupPaths: cgroups, Script: "cat /proc/self/mountinfo"}, unix.CLONE_NEWUSER)
	wantMount(t, parseMountinfo(t, res.out), "/mnt/keep", "tmpfs", "ro", "nosuid", "nodev", "noexec")

	spec.Mounts[len(spec.Mounts)-1].Options = []string{"rbind", "ro", "exec"}
	res = runChild(t, childConfig{Spec: spec, InUserNS: true, CgroupPaths: cgroups, Script: "true"}, unix.CLONE_NEWUSER)
	if res.code != 10 || !strings.Contains(res.out, "set mount flags") || !strings.Contains(res.out, "locked") {
		t.Errorf("clearing a locked flag should fail, got %d:\n%s", res.code, res.out)
	}
}

// TestDanglingSymlinkMountpoint checks that a file mountpoint that is a
// dangling symlink (like /etc/resolv.conf -> ../run/...) gets its target
// created inside the rootfs.
func TestDanglingSymlinkMountpoint(t *testing.T) {
	rootfs := newRootfs(t)
	if err := os.Remove(filepath.Join(rootfs, "etc/resolv.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../run/resolve/stub-resolv.conf", filepath.Join(rootfs, "etc/resolv.conf")); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(hostFile, []byte("nameserver 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/etc/resolv.conf", Type: "bind", Source: hostFile, Options: []string{"rbind", "ro"}})
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: "cat /etc/resolv.conf"}, 0)
	if res.out != "nameserver 192.0.2.1\n" {
		t.Errorf("got %q", res.out)
	}
	if st, err := os.Lstat(filepath.Join(rootfs, "run/resolve/stub-resolv.conf")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the symlink's target was not created in the rootfs: %v", err)
	}
}
