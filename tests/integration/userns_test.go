package integration

// User namespaces created by root: linux.uidMappings/gidMappings.

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// mountsByPoint parses "mountpoint fstype options" lines (the visible,
// last, mount of each point wins).
func mountsByPoint(text string) map[string][2]string {
	m := map[string][2]string{}
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) == 3 {
			m[f[0]] = [2]string{f[1], f[2]}
		}
	}
	return m
}

const mountsScript = `awk '{print $5, $(NF-2), $6}' /proc/self/mountinfo`

// TestUserNSRoot: root runs a container with its own user namespace
// (0-65535 -> 100000-165535): root inside is 100000 outside, the rootfs
// (owned by 100000) is root's, /dev nodes are the host's (bind mounts,
// owned by nobody), /proc is a procfs, /sys a read-only sysfs of the
// container's network namespace, and the host's cgroups are read-only.
func TestUserNSRoot(t *testing.T) {
	b := userNSBundle(t, "sh", "-c", `id; cat /proc/self/uid_map /proc/self/gid_map
echo ---
stat -c '%n %F %t:%T %u:%g' / /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
echo ---
`+mountsScript+`
echo ---
ls /sys/class/net`)
	out := b.mustRunc("run", b.ID)
	parts := strings.Split(out, "---\n")
	if len(parts) != 4 {
		t.Fatalf("output %q", out)
	}
	if got := strings.Join(strings.Fields(parts[0]), " "); got != "uid=0(root) gid=0(root) 0 100000 65536 0 100000 65536" {
		t.Errorf("ids and maps: %q", got)
	}
	for _, want := range []string{
		"/ directory 0:0 0:0",
		"/dev/null character special file 1:3 65534:65534",
		"/dev/zero character special file 1:5 65534:65534",
		"/dev/full character special file 1:7 65534:65534",
		"/dev/random character special file 1:8 65534:65534",
		"/dev/urandom character special file 1:9 65534:65534",
		"/dev/tty character special file 5:0 65534:65534",
	} {
		mustContain(t, "stat", parts[1], want+"\n")
	}
	mounts := mountsByPoint(parts[2])
	for p, want := range map[string]string{
		"/proc": "proc", "/sys": "sysfs", "/dev": "tmpfs", "/dev/null": "devtmpfs", "/dev/pts": "devpts",
		"/dev/shm": "tmpfs", "/dev/mqueue": "mqueue", "/sys/fs/cgroup": "tmpfs", "/sys/fs/cgroup/memory": "cgroup",
	} {
		if mounts[p][0] != want {
			t.Errorf("%s: %q, want %s", p, mounts[p], want)
		}
	}
	for p, m := range mounts {
		if (p == "/sys" || strings.HasPrefix(p, "/sys/fs/cgroup")) && !strings.HasPrefix(m[1], "ro,") {
			t.Errorf("%s is not read-only: %s", p, m[1])
		}
	}
	if got := strings.TrimSpace(parts[3]); got != "lo" {
		t.Errorf("/sys/class/net: %q, want the container's (lo)", got)
	}
}

// TestUserNSHostIDs: the container's processes run as the mapped ids on
// the host, and create/start work across the user namespace (the exec
// fifo belongs to the container's root).
func TestUserNSHostIDs(t *testing.T) {
	b := userNSBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	b.mustRunc("start", b.ID)
	b.waitStatus("running")
	st := procStatus(t, b.initPid())
	if f := strings.Fields(st["Uid"]); len(f) == 0 || f[0] != "100000" {
		t.Errorf("host uid %q, want 100000", st["Uid"])
	}
	if f := strings.Fields(st["Gid"]); len(f) == 0 || f[0] != "100000" {
		t.Errorf("host gid %q, want 100000", st["Gid"])
	}
	if st["Groups"] != "" {
		t.Errorf("supplementary groups %q, want none", st["Groups"])
	}
	b.mustRunc("delete", "--force", b.ID)
}

// TestUserNSSysfsFallback: without a network namespace of its own, a
// container in a user namespace may not mount sysfs; it gets a read-only
// bind of the host's /sys instead (with the host's devices), and the
// host's cgroups under it read-only.
func TestUserNSSysfsFallback(t *testing.T) {
	b := userNSBundle(t, "sh", "-c", mountsScript+"; echo ---; ls /sys/class/net")
	var ns []specs.LinuxNamespace
	for _, n := range b.Spec.Linux.Namespaces {
		if n.Type != specs.NetworkNamespace {
			ns = append(ns, n)
		}
	}
	b.Spec.Linux.Namespaces = ns
	b.write()
	out := b.mustRunc("run", b.ID)
	parts := strings.Split(out, "---\n")
	if len(parts) != 2 {
		t.Fatalf("output %q", out)
	}
	mounts := mountsByPoint(parts[0])
	if m := mounts["/sys"]; m[0] != "sysfs" || !strings.HasPrefix(m[1], "ro,") {
		t.Errorf("/sys: %v, want a read-only sysfs bind", m)
	}
	for p, m := range mounts {
		if strings.HasPrefix(p, "/sys/fs/cgroup") && !strings.HasPrefix(m[1], "ro,") {
			t.Errorf("%s is not read-only: %s", p, m[1])
		}
	}
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var host []string
	for _, e := range ents {
		host = append(host, e.Name())
	}
	sort.Strings(host)
	got := strings.Fields(parts[1])
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(host, " ") {
		t.Errorf("/sys/class/net in the container %v, want the host's %v", got, host)
	}
}

// TestUserNSDevicesLikeRunc: the device nodes a user-namespaced container
// sees are what runc gives it, checked side by side with the installed
// runc on the same bundle.
func TestUserNSDevicesLikeRunc(t *testing.T) {
	harness.Requires(t, harness.HostRunc)
	path, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	const script = `stat -c '%n %F %t:%T %u:%g %a' / /dev /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/ptmx /dev/pts /dev/shm /dev/fd /dev/stdin /dev/stdout /dev/stderr /proc /sys`
	b := userNSBundle(t, "sh", "-c", script)
	ours := b.mustRunc("run", b.ID)
	root := filepath.Join(b.Dir, "runc-state")
	b.Spec.Linux.CgroupsPath = b.CgroupPath() + "-runc"
	b.write()
	t.Cleanup(func() { removeCgroups(b.Spec.Linux.CgroupsPath) })
	cmd := exec.Command(path, "--root", root, "run", b.ID+"-runc")
	cmd.Dir = b.Dir
	theirs, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s run: %v: %s", path, err, theirs)
	}
	if ours != string(theirs) {
		t.Errorf("ours:\n%s\nrunc's:\n%s", ours, theirs)
	}
}

// TestUserNSInaccessibleBindSource: bind sources under a directory that
// root in the container's user namespace cannot search (mode 0700, owned
// by the host's root) are opened by the runtime on the host, as runc and
// crun do: a directory (bind and rbind) and a file, with their flags.
func TestUserNSInaccessibleBindSource(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.MkdirAll(filepath.Join(secret, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dir/foo.txt", "file.txt"} {
		if err := os.WriteFile(filepath.Join(secret, f), []byte(f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(secret, 0o700); err != nil {
		t.Fatal(err)
	}
	b := userNSBundle(t, "sh", "-c", `cat /mnt/dir/foo.txt /mnt/rdir/foo.txt /mnt/file.txt
touch /mnt/dir/new && echo dir writable
touch /mnt/rdir/new 2>/dev/null || echo rdir read-only
ls -ld /mnt/dir | awk '{print $3}'`)
	b.Spec.Mounts = append(b.Spec.Mounts,
		specs.Mount{Destination: "/mnt/dir", Type: "bind", Source: filepath.Join(secret, "dir"), Options: []string{"bind"}},
		specs.Mount{Destination: "/mnt/rdir", Type: "bind", Source: filepath.Join(secret, "dir"), Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/mnt/file.txt", Type: "bind", Source: filepath.Join(secret, "file.txt"), Options: []string{"bind", "ro"}},
	)
	b.write()
	out := b.mustRunc("run", b.ID)
	// The directory is the host root's: nobody in the container, which
	// may not write it (the write fails; only the messages are checked).
	want := "dir/foo.txt\ndir/foo.txt\nfile.txt\nrdir read-only\nnobody\n"
	if got := strings.ReplaceAll(out, "touch: /mnt/dir/new: Permission denied\n", ""); got != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(secret, "dir/new")); err == nil {
		t.Error("the container created a file in the host root's directory")
	}
}

// TestUserNSBindSourceInRootfs: a bind source inside the rootfs is found
// by the init as the spec's earlier mounts left it (here: under a tmpfs
// mounted first), not as the host had it, with a user namespace too.
func TestUserNSBindSourceInRootfs(t *testing.T) {
	b := userNSBundle(t, "sh", "-c", "echo hi > /data/x; cat /mnt/x")
	if err := os.MkdirAll(filepath.Join(b.Dir, "rootfs/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	b.Spec.Mounts = append(b.Spec.Mounts,
		specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/mnt", Type: "bind", Source: "rootfs/data", Options: []string{"bind"}},
	)
	b.write()
	if out := b.mustRunc("run", b.ID); out != "hi\n" {
		t.Errorf("output %q: /mnt is not the tmpfs at /data", out)
	}
}
