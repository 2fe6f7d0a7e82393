package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// wantEmptyDir fails unless dir exists and is empty.
func wantEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("host directory %s: %v", dir, err)
	}
	if len(entries) != 0 {
		t.Errorf("host directory %s was written to: %v", dir, entries)
	}
}

// TestSymlinkDestinationStaysInRoot: mount destinations that go through
// absolute symlinks pointing at host directories land inside the rootfs;
// the host directories are neither mounted on nor written to.
func TestSymlinkDestinationStaysInRoot(t *testing.T) {
	rootfs := newRootfs(t)
	hostDir := t.TempDir()  // target of /tmp/x
	hostDir2 := t.TempDir() // target of /tmp/y
	if err := os.Symlink(hostDir, filepath.Join(rootfs, "tmp/x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostDir2, filepath.Join(rootfs, "tmp/y")); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(hostFile, []byte("bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/tmp/x", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/tmp/x/deep/file", Type: "bind", Source: hostFile, Options: []string{"bind"}},
		specs.Mount{Destination: "/tmp/y/file", Type: "bind", Source: hostFile, Options: []string{"bind"}},
		specs.Mount{Destination: "/../../.." + hostDir2 + "/dotdot", Type: "tmpfs", Source: "tmpfs"},
	)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), HookCheck: hostDir, Script: `
cat /proc/self/mountinfo
echo ---
cat /tmp/x/deep/file /tmp/y/file
`}, 0)
	if !strings.Contains(res.out, "hook: "+hostDir+" mounted=no entries=0") {
		t.Errorf("during Prepare the host directory was mounted on or written to:\n%s", res.out)
	}
	mounts := parseMountinfo(t, res.section(0))
	wantMount(t, mounts, hostDir, "tmpfs")
	wantMount(t, mounts, hostDir+"/deep/file", "")
	wantMount(t, mounts, hostDir2+"/file", "")
	wantMount(t, mounts, hostDir2+"/dotdot", "tmpfs")
	if res.section(1) != "bound\nbound\n" {
		t.Errorf("bind mounts through the symlinks: got %q", res.section(1))
	}
	wantEmptyDir(t, hostDir)
	wantEmptyDir(t, hostDir2)
	if _, err := os.Stat(filepath.Join(rootfs, hostDir2, "file")); err != nil {
		t.Errorf("the mountpoint was not created inside the rootfs: %v", err)
	}
}

// TestProcSysSymlinkRejected: /proc or /sys replaced by a symlink in the
// image is refused (CVE-2019-16884, CVE-2019-19921, CVE-2023-27561), and
// nothing is created where the symlink points.
func TestProcSysSymlinkRejected(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{"proc", `error mounting "proc" to rootfs at "/proc" (mounts[0]): check mountpoint: filesystem "proc" must be mounted on ordinary directory`},
		{"sys", `error mounting "sysfs" to rootfs at "/sys" (mounts[5]): check mountpoint: filesystem "sysfs" must be mounted on ordinary directory`},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			rootfs := newRootfs(t)
			hostDir := t.TempDir()
			link := filepath.Join(rootfs, tc.dir)
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(hostDir, link); err != nil {
				t.Fatal(err)
			}
			res := runChild(t, childConfig{Spec: defaultSpec(rootfs), CgroupPaths: testCgroups(t), Script: "true"}, 0)
			if res.code != 10 || !strings.Contains(res.out, tc.want) {
				t.Errorf("want Prepare to fail with %q, got %d:\n%s", tc.want, res.code, res.out)
			}
			wantEmptyDir(t, hostDir)
			if _, err := os.Lstat(filepath.Join(rootfs, hostDir)); err == nil {
				t.Errorf("the symlink's target was created in the rootfs")
			}
		})
	}
}

// TestFakeDevNull: the container replaces /dev/null with a symlink to
// /etc/passwd before masking (CVE-2025-31133). Masked files must still be
// covered by the real null device and /etc/passwd left alone.
func TestFakeDevNull(t *testing.T) {
	rootfs := newRootfs(t)
	if err := os.WriteFile(filepath.Join(rootfs, "etc/secret"), []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Linux.MaskedPaths = append(spec.Linux.MaskedPaths, "/etc/secret")
	const script = `
cat /proc/self/mountinfo
echo ---
echo "keys=$(cat /proc/keys | wc -c) secret=$(cat /etc/secret | wc -c)"
head -1 /etc/passwd
stat -c '%t:%T %F' /proc/keys
`
	cgroups := testCgroups(t)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: cgroups, ReplaceDevNull: true, Script: script}, 0)
	mounts := parseMountinfo(t, res.section(0))
	if _, ok := mounts["/etc/passwd"]; ok {
		t.Errorf("something was mounted on /etc/passwd:\n%s", res.section(0))
	}
	wantMount(t, mounts, "/etc/secret", "")
	want := "keys=0 secret=0\nroot:x:0:0:root:/root:/bin/sh\n1:3 character special file\n"
	if res.section(1) != want {
		t.Errorf("got:\n%s\nwant:\n%s", res.section(1), want)
	}
	passwd, err := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if err != nil || !strings.HasPrefix(string(passwd), "root:x:0:0:") {
		t.Errorf("rootfs /etc/passwd changed: %q %v", passwd, err)
	}

	// Without the host's null device kept by Prepare, Finish refuses.
	res = runChild(t, childConfig{Spec: spec, CgroupPaths: cgroups, ReplaceDevNull: true, FreshFinish: true, Script: script}, 0)
	if res.code != 11 || !strings.Contains(res.out, "not the null device") {
		t.Errorf("want Finish to refuse the fake /dev/null, got %d:\n%s", res.code, res.out)
	}
}

// TestMaskedSymlink: a masked path that is a symlink is covered itself;
// its target is not.
func TestMaskedSymlink(t *testing.T) {
	rootfs := newRootfs(t)
	if err := os.Symlink("/etc/passwd", filepath.Join(rootfs, "etc/link")); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Linux.MaskedPaths = append(spec.Linux.MaskedPaths, "/etc/link", "/etc/missing", "/etc/link")
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: `
cat /proc/self/mountinfo
echo ---
echo "link=$(cat /etc/link | wc -c)"
head -1 /etc/passwd
`}, 0)
	mounts := parseMountinfo(t, res.section(0))
	wantMount(t, mounts, "/etc/link", "")
	if _, ok := mounts["/etc/passwd"]; ok {
		t.Errorf("the symlink's target was masked")
	}
	if want := "link=0\nroot:x:0:0:root:/root:/bin/sh\n"; res.section(1) != want {
		t.Errorf("got %q, want %q", res.section(1), want)
	}
}
