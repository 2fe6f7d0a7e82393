package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultScript dumps what the default-spec tests check, in sections.
const defaultScript = `
cat /proc/self/mountinfo
echo ---
stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
echo ---
for l in fd stdin stdout stderr ptmx core; do echo "$l -> $(readlink /dev/$l)"; done
echo ---
echo "keys=$(cat /proc/keys | wc -c)"
echo "firmware=$(ls -A /sys/firmware | wc -l)"
echo "pid=$$"
echo x > /proc/sys/kernel/domainname 2>/dev/null && echo "procsys=writable" || echo "procsys=readonly"
touch /sys/x 2>/dev/null && echo "sys=writable" || echo "sys=readonly"
touch /dev/shm/x && echo "shm=writable" || echo "shm=readonly"
touch /newfile && echo "root=writable" || echo "root=readonly"
ls /sys/fs/cgroup/cpu/ | grep -q '^marker$' && echo "cgroup=container" || echo "cgroup=other"
echo x > /sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null && echo "cgroupfs=writable" || echo "cgroupfs=readonly"
`

// TestDefaultSpec runs the spec `runc spec` writes and checks mounts,
// devices, /dev symlinks, masked and read-only paths.
func TestDefaultSpec(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: defaultScript}, 0)

	mounts := parseMountinfo(t, res.section(0))
	wantMount(t, mounts, "/", "", "rw")
	wantMount(t, mounts, "/proc", "proc", "rw")
	if m := wantMount(t, mounts, "/dev", "tmpfs", "nosuid"); m != nil {
		if !hasOpt(m.VFSOptions, "size=65536k") || !hasOpt(m.VFSOptions, "mode=755") {
			t.Errorf("/dev superblock options %q, want size=65536k,mode=755", m.VFSOptions)
		}
		if hasOpt(m.Options, "relatime") {
			t.Errorf("/dev options %q: strictatime was asked for", m.Options)
		}
	}
	if m := wantMount(t, mounts, "/dev/pts", "devpts", "nosuid", "noexec"); m != nil {
		for _, o := range []string{"gid=5", "mode=620", "ptmxmode=666"} {
			if !hasOpt(m.VFSOptions, o) {
				t.Errorf("/dev/pts superblock options %q lack %s", m.VFSOptions, o)
			}
		}
	}
	if m := wantMount(t, mounts, "/dev/shm", "tmpfs", "nosuid", "noexec", "nodev"); m != nil && m.Source != "shm" {
		t.Errorf("/dev/shm source %q, want shm", m.Source)
	}
	wantMount(t, mounts, "/dev/mqueue", "mqueue", "nosuid", "noexec", "nodev")
	wantMount(t, mounts, "/sys", "sysfs", "ro", "nosuid", "noexec", "nodev")
	wantMount(t, mounts, "/sys/fs/cgroup", "tmpfs", "ro", "nosuid", "noexec", "nodev")
	wantMount(t, mounts, "/sys/fs/cgroup/cpu", "cgroup", "ro", "nosuid", "noexec", "nodev")
	wantMount(t, mounts, "/sys/fs/cgroup/memory", "cgroup", "ro")
	wantMount(t, mounts, "/sys/fs/cgroup/systemd", "cgroup", "ro")
	wantMount(t, mounts, "/sys/fs/cgroup/unified", "cgroup2", "ro")
	wantMount(t, mounts, "/proc/keys", "tmpfs")
	wantMount(t, mounts, "/proc/timer_list", "tmpfs")
	wantMount(t, mounts, "/proc/acpi", "tmpfs", "ro")
	wantMount(t, mounts, "/sys/firmware", "tmpfs", "ro")
	wantMount(t, mounts, "/proc/sys", "proc", "ro")
	for _, p := range []string{"/proc/kcore", "/proc/sysrq-trigger"} {
		if _, err := os.Stat(p); err == nil {
			wantMount(t, mounts, p, "")
		}
	}
	for p := range mounts {
		if strings.Contains(p, rootfs) {
			t.Errorf("the host rootfs path leaks into the container's mount table: %s", p)
		}
	}

	wantDevs := map[string]string{
		"/dev/null": "1:3", "/dev/zero": "1:5", "/dev/full": "1:7",
		"/dev/random": "1:8", "/dev/urandom": "1:9", "/dev/tty": "5:0",
	}
	for _, line := range strings.Split(strings.TrimSpace(res.section(1)), "\n") {
		// "/dev/null character special file 1:3 666 0:0"
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Errorf("bad stat line %q", line)
			continue
		}
		name, majmin, mode, owner := f[0], f[len(f)-3], f[len(f)-2], f[len(f)-1]
		if !strings.Contains(line, "character special file") {
			t.Errorf("%s is not a character device: %q", name, line)
		}
		if want := wantDevs[name]; majmin != want {
			t.Errorf("%s is %s, want %s", name, majmin, want)
		}
		if mode != "666" || owner != "0:0" {
			t.Errorf("%s: mode %s owner %s, want 666 0:0", name, mode, owner)
		}
		delete(wantDevs, name)
	}
	if len(wantDevs) != 0 {
		t.Errorf("devices missing: %v\n%s", wantDevs, res.section(1))
	}

	links := res.section(2)
	for _, want := range []string{
		"fd -> /proc/self/fd", "stdin -> /proc/self/fd/0", "stdout -> /proc/self/fd/1",
		"stderr -> /proc/self/fd/2", "ptmx -> pts/ptmx",
	} {
		if !strings.Contains(links, want+"\n") {
			t.Errorf("missing /dev symlink %q in:\n%s", want, links)
		}
	}
	if _, err := os.Stat("/proc/kcore"); err == nil && !strings.Contains(links, "core -> /proc/kcore") {
		t.Errorf("missing /dev/core symlink in:\n%s", links)
	}

	facts := res.section(3)
	for _, want := range []string{
		"keys=0", "firmware=0", "pid=1", "procsys=readonly", "sys=readonly",
		"shm=writable", "root=writable", "cgroup=container", "cgroupfs=readonly",
	} {
		if !strings.Contains(facts, want+"\n") {
			t.Errorf("want %q in:\n%s", want, facts)
		}
	}
	// Writes inside the container's tmpfs mounts must not reach the rootfs.
	if _, err := os.Stat(filepath.Join(rootfs, "dev/shm/x")); err == nil {
		t.Errorf("/dev/shm/x was written to the rootfs directory, not to the tmpfs")
	}
}

// TestReadonlyRoot checks root.readonly and a read-only /dev.
func TestReadonlyRoot(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Root.Readonly = true
	spec.Mounts[1].Options = append(spec.Mounts[1].Options, "ro")
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: `
cat /proc/self/mountinfo
echo ---
touch /newfile 2>&1 && echo "root=writable"
touch /dev/newfile 2>&1 && echo "dev=writable"
touch /dev/shm/x && echo "shm=writable"
`}, 0)
	mounts := parseMountinfo(t, res.section(0))
	wantMount(t, mounts, "/", "", "ro")
	wantMount(t, mounts, "/dev", "tmpfs", "ro", "nosuid")
	out := res.section(1)
	if strings.Count(out, "Read-only file system") != 2 || strings.Contains(out, "root=writable") || strings.Contains(out, "dev=writable") {
		t.Errorf("/ and /dev should refuse writes with EROFS:\n%s", out)
	}
	if !strings.Contains(out, "shm=writable") {
		t.Errorf("/dev/shm should stay writable:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "newfile")); err == nil {
		t.Errorf("newfile was created in the read-only rootfs")
	}
}

// TestNoPivot checks --no-pivot: the rootfs is moved onto / and chrooted
// into, and the host's procfs and sysfs are not reachable.
func TestNoPivot(t *testing.T) {
	rootfs := newRootfs(t)
	if err := os.WriteFile(filepath.Join(rootfs, "marker"), []byte("in the rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	res := mustRun(t, childConfig{Spec: spec, NoPivot: true, CgroupPaths: testCgroups(t), Script: `
cat /marker
echo ---
cat /proc/self/mountinfo
echo ---
echo "keys=$(cat /proc/keys | wc -c)"
`}, 0)
	if res.section(0) != "in the rootfs" {
		t.Errorf("/ is not the rootfs: %q", res.section(0))
	}
	mounts := parseMountinfo(t, res.section(1))
	wantMount(t, mounts, "/proc", "proc")
	wantMount(t, mounts, "/sys", "sysfs", "ro")
	if !strings.Contains(res.section(2), "keys=0") {
		t.Errorf("masked paths not applied: %s", res.section(2))
	}
}

// TestRootfsPropagation checks that linux.rootfsPropagation shows up on
// the container's / as the OCI validation suite expects.
func TestRootfsPropagation(t *testing.T) {
	for _, tc := range []struct {
		prop      string
		want      string
		forbidden []string
	}{
		{"shared", "shared:", nil},
		{"rshared", "shared:", nil},
		{"unbindable", "unbindable", []string{"shared:"}},
		{"runbindable", "unbindable", []string{"shared:"}},
		{"private", "", []string{"shared:", "unbindable", "master:"}},
		{"", "", []string{"shared:", "unbindable"}},
	} {
		t.Run("prop="+tc.prop, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := defaultSpec(rootfs)
			spec.Linux.RootfsPropagation = tc.prop
			res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: "cat /proc/self/mountinfo"}, 0)
			root := parseMountinfo(t, res.out)["/"]
			if root == nil {
				t.Fatalf("no / in\n%s", res.out)
			}
			if tc.want != "" && !strings.Contains(root.Optional, tc.want) {
				t.Errorf("/ optional fields %q, want %s", root.Optional, tc.want)
			}
			for _, f := range tc.forbidden {
				if strings.Contains(root.Optional, f) {
					t.Errorf("/ optional fields %q, must not have %s", root.Optional, f)
				}
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		rootfs := newRootfs(t)
		spec := defaultSpec(rootfs)
		spec.Linux.RootfsPropagation = "sideways"
		res := runChild(t, childConfig{Spec: spec, Script: "true"}, 0)
		if res.code != 10 || !strings.Contains(res.out, "linux.rootfsPropagation") {
			t.Errorf("want a Prepare error naming linux.rootfsPropagation, got %d:\n%s", res.code, res.out)
		}
	})
}

// TestMountPropagationOptions checks propagation options on mounts.
func TestMountPropagationOptions(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/mnt/shared", Type: "tmpfs", Source: "tmpfs", Options: []string{"rshared"}},
		specs.Mount{Destination: "/mnt/unbindable", Type: "tmpfs", Source: "tmpfs", Options: []string{"unbindable"}},
		specs.Mount{Destination: "/mnt/private", Type: "tmpfs", Source: "tmpfs", Options: []string{"shared", "private"}},
	)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: "cat /proc/self/mountinfo"}, 0)
	mounts := parseMountinfo(t, res.out)
	if m := wantMount(t, mounts, "/mnt/shared", "tmpfs"); m != nil && !strings.Contains(m.Optional, "shared:") {
		t.Errorf("/mnt/shared optional %q, want shared", m.Optional)
	}
	if m := wantMount(t, mounts, "/mnt/unbindable", "tmpfs"); m != nil && !strings.Contains(m.Optional, "unbindable") {
		t.Errorf("/mnt/unbindable optional %q, want unbindable", m.Optional)
	}
	if m := wantMount(t, mounts, "/mnt/private", "tmpfs"); m != nil && m.Optional != "" {
		t.Errorf("/mnt/private optional %q, want none (private is applied after shared)", m.Optional)
	}
}

// TestHook checks that beforePivot runs with the mounts in place, and
// that its error stops Prepare.
func TestHook(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), HookCheck: rootfs, Script: "true"}, 0)
	if !strings.Contains(res.out, "hook: rootfs proc mounted") {
		t.Errorf("the hook did not see the rootfs's /proc mounted:\n%s", res.out)
	}
	res = runChild(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), HookFail: true, Script: "true"}, 0)
	if res.code != 10 || !strings.Contains(res.out, "hook failed on purpose") {
		t.Errorf("want the hook's error from Prepare, got %d:\n%s", res.code, res.out)
	}
}

// TestMountErrors checks that errors name the mount and the step.
func TestMountErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mount specs.Mount
		want  []string
	}{
		{
			"unknown fs",
			specs.Mount{Destination: "/mnt", Type: "nosuchfs", Source: "x"},
			[]string{`error mounting "x" to rootfs at "/mnt" (mounts[7]): mount: fsopen nosuchfs`},
		},
		{
			"bad option",
			specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{"bogus=1"}},
			[]string{`error mounting "tmpfs" to rootfs at "/mnt" (mounts[7]): mount: fsconfig bogus=1`},
		},
		{
			"missing source",
			specs.Mount{Destination: "/mnt", Type: "bind", Source: "/nonexistent/source", Options: []string{"rbind"}},
			[]string{`error mounting "/nonexistent/source" to rootfs at "/mnt" (mounts[7]): open source`, "no such file"},
		},
		{
			"tmpfs on proc file",
			specs.Mount{Destination: "/proc/version", Type: "bind", Source: "/etc/hostname", Options: []string{"bind"}},
			[]string{`error mounting "/etc/hostname" to rootfs at "/proc/version" (mounts[7]): check mountpoint`, "inside /proc"},
		},
		{
			"tmpfs on /proc",
			specs.Mount{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"},
			[]string{`error mounting "tmpfs" to rootfs at "/proc" (mounts[7]): check mountpoint: only procfs may be mounted on /proc`},
		},
		{
			"idmap",
			specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{"rbind", "idmap"}},
			[]string{"mounts[7]", "id-mapped mount was not prepared by the runtime"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := defaultSpec(rootfs)
			spec.Mounts = append(spec.Mounts, tc.mount)
			res := runChild(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: "true"}, 0)
			if res.code != 10 {
				t.Fatalf("want a Prepare error, got exit %d:\n%s", res.code, res.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.ToLower(res.out), strings.ToLower(w)) {
					t.Errorf("error lacks %q:\n%s", w, res.out)
				}
			}
		})
	}
}

// TestTmpfsModeAndCopyUp checks that a tmpfs keeps the mode of the
// directory it covers, and runc's tmpcopyup.
func TestTmpfsModeAndCopyUp(t *testing.T) {
	rootfs := newRootfs(t)
	for _, d := range []string{"private", "data/sub"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "private"), 0o710); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "data/sub/file"), []byte("copied\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(rootfs, "data/sub/file"), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/file", filepath.Join(rootfs, "data/link")); err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/private", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup"}},
	)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: `
stat -c '%a' /private
cat /data/link
stat -c '%a %u:%g' /data/sub/file
echo new > /data/new
grep ' /data ' /proc/self/mountinfo | wc -l
`}, 0)
	want := "710\ncopied\n640 1000:1000\n1\n"
	if res.out != want {
		t.Errorf("got:\n%s\nwant:\n%s", res.out, want)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "data/new")); err == nil {
		t.Errorf("a write to the copied-up tmpfs reached the rootfs")
	}
}

// TestRemount checks an entry with the remount option.
func TestRemount(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
		specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{"remount", "nosuid", "size=2m"}},
	)
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: "cat /proc/self/mountinfo"}, 0)
	if m := wantMount(t, parseMountinfo(t, res.out), "/mnt", "tmpfs", "nosuid"); m != nil && !hasOpt(m.VFSOptions, "size=2048k") {
		t.Errorf("/mnt superblock options %q, want size=2048k", m.VFSOptions)
	}
}

// TestDevices checks linux.devices.
func TestDevices(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	mode := os.FileMode(0o600)
	fifoMode := os.FileMode(0o640)
	uid, gid := uint32(1000), uint32(100)
	spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode, UID: &uid, GID: &gid},
		{Path: "/dev/deep/dir/loop7", Type: "b", Major: 7, Minor: 7, FileMode: &mode},
		{Path: "/dev/myfifo", Type: "p", FileMode: &fifoMode},
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: &mode},
	}
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: `
stat -c '%n %F %t:%T %a %u:%g' /dev/fuse /dev/deep/dir/loop7 /dev/myfifo /dev/null
`}, 0)
	for _, want := range []string{
		"/dev/fuse character special file a:e5 600 1000:100",
		"/dev/deep/dir/loop7 block special file 7:7 600 0:0",
		"/dev/myfifo fifo 0:0 640 0:0",
		"/dev/null character special file 1:3 600 0:0",
	} {
		if !strings.Contains(res.out, want+"\n") {
			t.Errorf("want %q in:\n%s", want, res.out)
		}
	}
}

// TestNoDevSetupWithBoundDev checks that a bind-mounted /dev is left as is.
func TestNoDevSetupWithBoundDev(t *testing.T) {
	rootfs := newRootfs(t)
	host := t.TempDir()
	spec := defaultSpec(rootfs)
	spec.Mounts[1] = specs.Mount{Destination: "/dev", Type: "bind", Source: host, Options: []string{"rbind"}}
	spec.Mounts = spec.Mounts[:2] // proc and /dev only
	spec.Linux.MaskedPaths = nil
	mustRun(t, childConfig{Spec: spec, Script: "true"}, 0)
	entries, err := os.ReadDir(host)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("devices or symlinks were created in a bind-mounted /dev: %v", entries)
	}
}

// TestDevWithoutMount checks runc's behaviour when /dev is not a mount:
// the devices are created in the rootfs's own /dev directory.
func TestDevWithoutMount(t *testing.T) {
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	spec.Mounts = spec.Mounts[:1]
	spec.Linux.MaskedPaths = nil
	mustRun(t, childConfig{Spec: spec, Script: "true"}, 0)
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(rootfs, "dev/null"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Errorf("rootfs/dev/null is not char 1:3: mode %o rdev %x", st.Mode, st.Rdev)
	}
}

// TestMountLabel checks that MountLabel reaches new mounts as context=.
// This kernel has no SELinux, so tmpfs rejects the option: the error
// shows it was passed (and that proc, which takes no label, went first).
func TestMountLabel(t *testing.T) {
	if _, err := os.Stat("/sys/fs/selinux"); err == nil {
		t.Skip("SELinux is enabled; this test expects the context option to be refused")
	}
	rootfs := newRootfs(t)
	spec := defaultSpec(rootfs)
	res := runChild(t, childConfig{Spec: spec, MountLabel: "system_u:object_r:container_file_t:s0:c1,c2", Script: "true"}, 0)
	want := `error mounting "tmpfs" to rootfs at "/dev" (mounts[1]): mount: fsconfig context=system_u:object_r:container_file_t:s0:c1,c2`
	if res.code != 10 || !strings.Contains(res.out, want) {
		t.Errorf("want %q, got %d:\n%s", want, res.code, res.out)
	}
}

// TestReadonlyAndMaskedPaths checks readonlyPaths and maskedPaths on
// files and directories of the rootfs, as the OCI validation suite does.
func TestReadonlyAndMaskedPaths(t *testing.T) {
	rootfs := newRootfs(t)
	for _, d := range []string{"ro-dir/sub", "masked-dir/sub"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"ro-file", "masked-file", "masked-dir/secret"} {
		if err := os.WriteFile(filepath.Join(rootfs, f), []byte("content\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := defaultSpec(rootfs)
	spec.Linux.ReadonlyPaths = []string{"/ro-dir", "/ro-file", "/missing/ro"}
	spec.Linux.MaskedPaths = []string{"/masked-dir", "/masked-file", "/missing/masked"}
	res := mustRun(t, childConfig{Spec: spec, CgroupPaths: testCgroups(t), Script: `
touch /ro-dir/new 2>/dev/null && echo "ro-dir=writable" || echo "ro-dir=readonly"
touch /ro-dir/sub/new 2>/dev/null && echo "ro-dir/sub=writable" || echo "ro-dir/sub=readonly"
(echo x >> /ro-file) 2>/dev/null && echo "ro-file=writable" || echo "ro-file=readonly"
cat /ro-file
echo "masked-dir=$(ls -A /masked-dir | wc -l)"
echo "masked-file=$(cat /masked-file | wc -c)"
touch /masked-dir/new 2>/dev/null && echo "masked-dir=writable" || echo "masked-dir=readonly"
ls -d /missing 2>/dev/null || echo "missing=absent"
`}, 0)
	want := "ro-dir=readonly\nro-dir/sub=readonly\nro-file=readonly\ncontent\nmasked-dir=0\nmasked-file=0\nmasked-dir=readonly\nmissing=absent\n"
	if res.out != want {
		t.Errorf("got:\n%s\nwant:\n%s", res.out, want)
	}
}
