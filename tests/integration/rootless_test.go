package integration

// Rootless containers: runc run by an ordinary user that the test creates
// (useradd, with /etc/subuid and /etc/subgid ranges), through setpriv.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// rootlessUserName is the account the rootless tests run as.
const rootlessUserName = "runc-it-rootless"

// userPath is the PATH the rootless user runs runc with (newuidmap and
// newgidmap are in /usr/bin).
const userPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// rootlessUser is an unprivileged account with a subordinate id range.
type rootlessUser struct {
	name     string
	uid, gid int
	subStart uint32 // first subordinate uid and gid
	subCount uint32
}

// needRootlessUser creates the test account (if it is not there) with a
// subordinate uid and gid range of 65536, and removes it when the test
// ends if it created it. It skips the test where the kernel does not let
// unprivileged users create user namespaces.
func needRootlessUser(t *testing.T) *rootlessUser {
	t.Helper()
	harness.Requires(t, harness.UserNS)
	for _, tool := range []string{"useradd", "userdel", "setpriv", "newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (scripts/deps.sh test installs it): %v", tool, err)
		}
	}
	if _, err := exec.Command("id", "-u", rootlessUserName).Output(); err != nil {
		if out, err := exec.Command("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", rootlessUserName).CombinedOutput(); err != nil {
			t.Fatalf("useradd: %v: %s", err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("userdel", rootlessUserName).CombinedOutput(); err != nil {
				t.Errorf("userdel: %v: %s", err, out)
			}
		})
	}
	u := &rootlessUser{name: rootlessUserName}
	for _, f := range []struct {
		flag string
		dst  *int
	}{{"-u", &u.uid}, {"-g", &u.gid}} {
		out, err := exec.Command("id", f.flag, u.name).Output()
		if err != nil {
			t.Fatal(err)
		}
		*f.dst, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	start, count := subIDRange(t, "/etc/subuid", u.name)
	gstart, gcount := subIDRange(t, "/etc/subgid", u.name)
	if count < 65536 || gcount < 65536 || start != gstart {
		// Give the account a range of its own (and the same for gids).
		start, count = 300000, 65536
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			if err := appendLine(f, fmt.Sprintf("%s:%d:%d", u.name, start, count)); err != nil {
				t.Fatal(err)
			}
		}
	}
	u.subStart, u.subCount = start, count
	return u
}

// subIDRange returns the first range of name in a subordinate id file.
func subIDRange(t *testing.T, file, name string) (uint32, uint32) {
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 3 && f[0] == name {
			a, _ := strconv.ParseUint(f[1], 10, 32)
			b, _ := strconv.ParseUint(f[2], 10, 32)
			return uint32(a), uint32(b)
		}
	}
	return 0, 0
}

func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(line + "\n")
	return err
}

// rlBundle is a bundle owned by the rootless user, with the config that
// user's `runc spec --rootless` wrote (a harness.Bundle whose runc runs as
// the user: Bin is the runc run as the user, the reference in a
// differential test).
type rlBundle struct {
	*harness.Bundle
	t   *testing.T
	u   *rootlessUser
	XDG string // XDG_RUNTIME_DIR, inside Dir
	// NoRoot leaves --root out (the default state root is then used).
	NoRoot bool
	// Path is the PATH runc runs with (userPath if empty).
	Path string
}

// newRootlessBundle makes a bundle owned by u with a copy of the busybox
// rootfs (owned by u too, as if u had unpacked it), then runs
// `runc spec --rootless` as u and turns the terminal off. Cleanup deletes
// the container as u and checks its state directory is gone.
func newRootlessBundle(t *testing.T, u *rootlessUser, args ...string) *rlBundle {
	t.Helper()
	// Not t.TempDir(): the user must reach it.
	dir, err := os.MkdirTemp("", "runc-it-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b := &rlBundle{
		Bundle: &harness.Bundle{
			T:    t,
			Bin:  runcBin,
			ID:   harness.NewID(fmt.Sprintf("rl%d", os.Getpid())),
			Dir:  dir,
			Root: filepath.Join(dir, "state"),
		},
		t:   t,
		u:   u,
		XDG: filepath.Join(dir, "xdg"),
	}
	b.Command = b.command
	harness.CopyRootfs(t, filepath.Join(dir, "rootfs"))
	if err := os.Mkdir(b.XDG, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", u.uid, u.gid), dir).CombinedOutput(); err != nil {
		t.Fatalf("chown bundle: %v: %s", err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b.mustRunc("spec", "--rootless", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b.Spec); err != nil {
		t.Fatal(err)
	}
	harness.Edit(b.Spec, args)
	b.write()
	t.Cleanup(b.cleanup)
	return b
}

func (b *rlBundle) write() {
	b.t.Helper()
	b.Write()
	if err := os.Chown(filepath.Join(b.Dir, "config.json"), b.u.uid, b.u.gid); err != nil {
		b.t.Fatal(err)
	}
}

func (b *rlBundle) cleanup() {
	b.NoRoot = false
	b.Cleanup()
	if _, err := os.Stat(filepath.Join(b.XDG, "runc", b.ID)); err == nil {
		b.t.Errorf("state directory %s left behind", filepath.Join(b.XDG, "runc", b.ID))
	}
}

// command returns runc as the rootless user (setpriv, a clean environment
// with XDG_RUNTIME_DIR), in the bundle directory.
func (b *rlBundle) command(args ...string) *exec.Cmd {
	path := b.Path
	if path == "" {
		path = userPath
	}
	argv := []string{
		"--reuid", strconv.Itoa(b.u.uid), "--regid", strconv.Itoa(b.u.gid), "--init-groups", "--",
		"/usr/bin/env", "-i", "PATH=" + path, "HOME=" + b.Dir, "USER=" + b.u.name, "XDG_RUNTIME_DIR=" + b.XDG,
		b.Bin,
	}
	if !b.NoRoot {
		argv = append(argv, "--root", b.Root)
	}
	cmd := exec.Command("setpriv", append(argv, args...)...)
	cmd.Dir = b.Dir
	return cmd
}

// runc runs runc as the user and returns its output and exit code.
func (b *rlBundle) runc(args ...string) (string, string, int) {
	b.t.Helper()
	r := b.Run(args...)
	return r.Stdout, r.Stderr, r.Code
}

func (b *rlBundle) mustRunc(args ...string) string {
	b.t.Helper()
	out, errOut, code := b.runc(args...)
	if code != 0 {
		b.t.Fatalf("runc %s (as %s): exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), b.u.name, code, out, errOut)
	}
	return out
}

// state returns the container's `runc state` (run as the user).
func (b *rlBundle) state() map[string]any {
	b.t.Helper()
	out := b.mustRunc("state", b.ID)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		b.t.Fatalf("state JSON: %v: %s", err, out)
	}
	return st
}

// TestRootlessSpec: `runc spec --rootless` as an ordinary user writes the
// config rootless runc does.
func TestRootlessSpec(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u)
	s := b.Spec
	var userNS, netNS bool
	for _, ns := range s.Linux.Namespaces {
		userNS = userNS || ns.Type == specs.UserNamespace
		netNS = netNS || ns.Type == specs.NetworkNamespace
	}
	if !userNS || netNS {
		t.Errorf("namespaces %v: want a user namespace and no network namespace", s.Linux.Namespaces)
	}
	wantMap := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.uid), Size: 1}}
	if fmt.Sprint(s.Linux.UIDMappings) != fmt.Sprint(wantMap) {
		t.Errorf("uidMappings %v, want %v", s.Linux.UIDMappings, wantMap)
	}
	wantMap[0].HostID = uint32(u.gid)
	if fmt.Sprint(s.Linux.GIDMappings) != fmt.Sprint(wantMap) {
		t.Errorf("gidMappings %v, want %v", s.Linux.GIDMappings, wantMap)
	}
	if s.Linux.Resources != nil {
		t.Errorf("linux.resources %+v, want none", s.Linux.Resources)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" && (m.Source != "/sys" || !strings.Contains(strings.Join(m.Options, ","), "rbind")) {
			t.Errorf("/sys mount %+v, want an rbind of /sys", m)
		}
		for _, o := range m.Options {
			if strings.HasPrefix(o, "uid=") || strings.HasPrefix(o, "gid=") {
				t.Errorf("mount %s keeps %s", m.Destination, o)
			}
		}
	}
}

// TestRootlessRun: the README's commands. The user's `runc --root DIR run`
// runs the rootless spec: root inside is the user outside, setgroups is
// denied (one id mapped, no helper), the exit code comes back, nothing is
// left behind.
func TestRootlessRun(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/setgroups; exit 7")
	out, errOut, code := b.runc("run", b.ID)
	if code != 7 {
		t.Fatalf("exit %d, want 7; stdout %q stderr %q", code, out, errOut)
	}
	lines := strings.Fields(out)
	want := []string{"0", "0", "0", strconv.Itoa(u.uid), "1", "deny"}
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Errorf("output %q, want %q", strings.Join(lines, " "), strings.Join(want, " "))
	}
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Errorf("state directory after run: %v", err)
	}
}

// TestRootlessDetachedProcessIsTheUser: a detached rootless container's
// process is the user on the host. Cgroups the user cannot write are
// skipped (the process stays in the caller's), and the state keeps only
// cgroups that exist.
func TestRootlessDetachedProcessIsTheUser(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	st := b.state()
	if st["status"] != "running" {
		t.Fatalf("status %v", st["status"])
	}
	pid := int(st["pid"].(float64))
	status := procStatus(t, pid)
	for _, k := range []string{"Uid", "Gid"} {
		id := u.uid
		if k == "Gid" {
			id = u.gid
		}
		if f := strings.Fields(status[k]); len(f) == 0 || f[0] != strconv.Itoa(id) {
			t.Errorf("%s of the container process: %q, want %d", k, status[k], id)
		}
	}
	data, err := os.ReadFile(filepath.Join(b.Root, b.ID, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		CgroupPaths map[string]string `json:"cgroup_paths"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	for k, p := range state.CgroupPaths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("state keeps cgroup %q: %s, which runc could not create: %v", k, p, err)
		}
	}
	if len(state.CgroupPaths) == 0 {
		own, _ := os.ReadFile("/proc/self/cgroup")
		theirs, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil {
			t.Fatal(err)
		}
		if string(own) != string(theirs) {
			t.Errorf("no cgroup in the state, but the container's cgroups differ from the caller's:\n%s\nvs\n%s", theirs, own)
		}
	}
	b.mustRunc("kill", b.ID, "KILL")
	if !pidGone(pid) {
		t.Fatalf("container process %d survived kill", pid)
	}
	b.mustRunc("delete", b.ID)
}

// TestRootlessXDGRuntimeDir: without --root, rootless runc keeps its state
// in $XDG_RUNTIME_DIR/runc; create, list, state, start and delete find it.
func TestRootlessXDGRuntimeDir(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "true")
	b.NoRoot = true
	b.mustRunc("create", b.ID)
	if _, err := os.Stat(filepath.Join(b.XDG, "runc", b.ID, "state.json")); err != nil {
		t.Fatalf("state not under $XDG_RUNTIME_DIR/runc: %v", err)
	}
	out := b.mustRunc("list", "-q")
	if strings.TrimSpace(out) != b.ID {
		t.Errorf("list: %q, want %q", out, b.ID)
	}
	if st := b.state(); st["status"] != "created" {
		t.Errorf("status %v, want created", st["status"])
	}
	b.mustRunc("start", b.ID)
	b.mustRunc("delete", "--force", b.ID)
	if _, err := os.Stat(filepath.Join(b.XDG, "runc", b.ID)); !os.IsNotExist(err) {
		t.Errorf("state directory after delete: %v", err)
	}
}

// TestRootlessOwnIDNeedsNoHelper: mapping just the user's own ids needs no
// newuidmap/newgidmap (PATH without them), while more ids do, and the
// error says which helper is missing.
func TestRootlessOwnIDNeedsNoHelper(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "cat", "/proc/self/uid_map")
	b.Path = "/nonexistent"
	out := b.mustRunc("run", b.ID)
	if f := strings.Fields(out); strings.Join(f, " ") != "0 "+strconv.Itoa(u.uid)+" 1" {
		t.Errorf("uid_map %q", out)
	}

	b.Spec.Linux.UIDMappings = append(b.Spec.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 1, HostID: u.subStart, Size: 1000})
	b.Spec.Linux.GIDMappings = append(b.Spec.Linux.GIDMappings, specs.LinuxIDMapping{ContainerID: 1, HostID: u.subStart, Size: 1000})
	b.write()
	_, errOut, code := b.runc("run", b.ID)
	if code == 0 {
		t.Fatal("run with several id ranges and no newuidmap succeeded")
	}
	mustContain(t, "error", errOut, "newuidmap")
}

// TestRootlessSubIDRanges: with ranges from /etc/subuid and /etc/subgid,
// newuidmap/newgidmap write several ranges; ids other than root map into
// the user's subordinate range on the host, and setgroups is allowed.
func TestRootlessSubIDRanges(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups && touch /f && chown 1000:1001 /f")
	b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.uid), Size: 1}, {ContainerID: 1, HostID: u.subStart, Size: u.subCount}}
	b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.gid), Size: 1}, {ContainerID: 1, HostID: u.subStart, Size: u.subCount}}
	caps := b.Spec.Process.Capabilities
	caps.Bounding = append(caps.Bounding, "CAP_CHOWN")
	caps.Effective = append(caps.Effective, "CAP_CHOWN")
	caps.Permitted = append(caps.Permitted, "CAP_CHOWN")
	b.write()
	out := b.mustRunc("run", b.ID)
	got := strings.Join(strings.Fields(out), " ")
	r := fmt.Sprintf("1 %d %d", u.subStart, u.subCount)
	want := fmt.Sprintf("0 %d 1 %s 0 %d 1 %s allow", u.uid, r, u.gid, r)
	if got != want {
		t.Errorf("maps %q, want %q", got, want)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(b.Dir, "rootfs", "f"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != u.subStart+999 || st.Gid != u.subStart+1000 {
		t.Errorf("file chowned to 1000:1001 inside is %d:%d on the host, want %d:%d", st.Uid, st.Gid, u.subStart+999, u.subStart+1000)
	}
}

// TestRootlessCgroupfsReadonly: every cgroup mount a rootless container
// sees is read-only (CVE-2023-25809): with the rootless spec as written
// (no cgroup namespace on cgroup v1), with a cgroup namespace, and without
// its cgroup mount (only the "rbind,ro" of /sys then brings the host's
// cgroups in).
func TestRootlessCgroupfsReadonly(t *testing.T) {
	u := needRootlessUser(t)
	script := `for f in $(grep /sys/fs/cgroup /proc/mounts | awk '{print $2}' | uniq); do test -e $f && grep -w $f /proc/mounts | tail -n1; done; touch /sys/fs/cgroup/memory/x 2>/dev/null && echo WRITABLE; true`
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
	}{
		// runc spec --rootless has no cgroup namespace on cgroup v1.
		{"rootless spec", func(*specs.Spec) {}},
		{"cgroup namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		}},
		{"no cgroup mount", func(s *specs.Spec) {
			var ms []specs.Mount
			for _, m := range s.Mounts {
				if m.Destination != "/sys/fs/cgroup" {
					ms = append(ms, m)
				}
			}
			s.Mounts = ms
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newRootlessBundle(t, u, "sh", "-c", script)
			tc.edit(b.Spec)
			b.write()
			out := b.mustRunc("run", b.ID)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) < 2 {
				t.Fatalf("no cgroup mounts listed: %q", out)
			}
			for _, l := range lines {
				if f := strings.Fields(l); len(f) < 4 || !strings.HasPrefix(f[3], "ro,") {
					t.Errorf("not read-only: %q", l)
				}
			}
		})
	}
}

// TestRootlessAutoInUserNS: root inside a user namespace that an ordinary
// user made is rootless for --rootless=auto: runc spec --rootless and run
// work there, with the state under $XDG_RUNTIME_DIR/runc.
func TestRootlessAutoInUserNS(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u)
	// Inside: ids 0 -> the user; the container maps 0 -> 0 (the user).
	b.Spec.Linux.UIDMappings[0].HostID = 0
	b.Spec.Linux.GIDMappings[0].HostID = 0
	b.Spec.Process.Args = []string{"sh", "-c", "ls -d /proc/1 && cat /proc/self/uid_map"}
	b.write()
	cmd := exec.Command("setpriv", "--reuid", strconv.Itoa(u.uid), "--regid", strconv.Itoa(u.gid), "--init-groups", "--",
		"/usr/bin/env", "-i", "PATH="+userPath, "USER="+u.name, "XDG_RUNTIME_DIR="+b.XDG,
		"unshare", "--user", "--map-root-user", "--",
		"sh", "-c", `"$0" run "$1" && ls -d "$XDG_RUNTIME_DIR/runc"`, runcBin, b.ID)
	cmd.Dir = b.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run in a user namespace: %v: %s", err, out)
	}
	got := strings.Join(strings.Fields(string(out)), " ")
	if want := fmt.Sprintf("/proc/1 0 0 1 %s/runc", b.XDG); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestRootlessExecBeforeStart: rootless, `runc exec` into a created
// container (before `runc start`) runs in the container's namespaces, as
// with runc 1.5.3; the container still starts, and exec works after.
// Ours keeps the init non-dumpable while it waits (its /proc/<pid>/ns
// files are the host root's): its namespaces come from the init itself,
// over a socket in the state directory. Unlike runc 1.5.3's, the init's
// fds (the host's exec.fifo among them) stay hidden from the processes
// exec'd into the container.
func TestRootlessExecBeforeStart(t *testing.T) {
	u := needRootlessUser(t)
	type seen struct {
		Exec, After string
		SameNS      bool
		Status      string
	}
	namespaces := []string{"user", "mnt", "pid", "uts", "ipc", "cgroup"}
	script := "id -u; cat /proc/self/uid_map; for n in " + strings.Join(namespaces, " ") + "; do readlink /proc/self/ns/$n; done"
	initFds := map[string]string{} // what the exec'd process sees of the init's fds, by runc
	ours, ref := differential(t, func(t *testing.T, bin string) seen {
		b := newRootlessBundle(t, u, "sleep", "100")
		b.Bin = bin
		// A state directory too long for a socket address.
		b.Root = filepath.Join(b.Dir, "state-"+strings.Repeat("x", 100))
		var s seen
		b.mustRunc("create", b.ID)
		st := b.state()
		if st["status"] != "created" {
			t.Fatalf("status %v after create", st["status"])
		}
		pid := int(st["pid"].(float64))
		sock := filepath.Join(b.Root, b.ID, "ns.sock")
		if bin == runcBin {
			// Ours: the init's socket, for the runtime's user only.
			if fi, err := os.Stat(sock); err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
				t.Errorf("namespace socket %s: %v, %v; want a socket of mode 0600", sock, fi, err)
			}
		}
		out, errOut, code := b.runc("exec", b.ID, "sh", "-c", script)
		if code != 0 {
			t.Fatalf("exec before start: exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2+len(namespaces) {
			t.Fatalf("exec output %q", out)
		}
		s.Exec = strings.Join(strings.Fields(strings.Join(lines[:2], " ")), " ")
		var initNS []string // read by the test, as root
		for _, n := range namespaces {
			l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, n))
			if err != nil {
				t.Fatal(err)
			}
			initNS = append(initNS, l)
		}
		if s.SameNS = strings.Join(lines[2:], " ") == strings.Join(initNS, " "); !s.SameNS {
			t.Errorf("exec'd process in %v, the init in %v", lines[2:], initNS)
		}
		s.Status = b.state()["status"].(string)
		out = b.mustRunc("exec", b.ID, "sh", "-c", "ls -l /proc/1/fd >/dev/null 2>&1 && echo visible || echo hidden")
		initFds[bin] = strings.TrimSpace(out)
		b.mustRunc("start", b.ID)
		if _, err := os.Stat(sock); bin == runcBin && !os.IsNotExist(err) {
			t.Errorf("namespace socket after start: %v", err)
		}
		s.After = strings.TrimSpace(b.mustRunc("exec", b.ID, "echo", "after start"))
		b.mustRunc("delete", "--force", b.ID)
		return s
	})
	if ours != ref {
		t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
	}
	want := seen{Exec: "0 0 " + strconv.Itoa(u.uid) + " 1", After: "after start", SameNS: true, Status: "created"}
	if ours != want {
		t.Errorf("ours %+v, want %+v", ours, want)
	}
	if initFds[runcBin] != "hidden" {
		t.Errorf("a process exec'd into the created container sees the init's fds (%s)", initFds[runcBin])
	}
	t.Logf("the init's fds, seen from an exec'd process: ours %s, runc 1.5.3 %s", initFds[runcBin], initFds[refBin])
}

// TestRootlessCgroupPermissionError: rootless, an absolute cgroupsPath the
// user may not create fails, with or without resources to set, with runc
// 1.5.3's `unable to apply cgroup configuration: mkdir ...: permission
// denied`, and leaves nothing behind. (Without a cgroupsPath, cgroups the
// user cannot make are skipped: TestRootlessDetachedProcessIsTheUser.)
func TestRootlessCgroupPermissionError(t *testing.T) {
	u := needRootlessUser(t)
	mkdirErr := regexp.MustCompile(`mkdir \S+: permission denied`)
	for _, withResources := range []bool{false, true} {
		name := "no resources"
		if withResources {
			name = "memory limit"
		}
		t.Run(name, func(t *testing.T) {
			type seen struct {
				Code  int
				Mkdir string
			}
			ours, ref := differential(t, func(t *testing.T, bin string) seen {
				b := newRootlessBundle(t, u, "true")
				b.Bin = bin
				// Under the run's prefix, which root owns (or which
				// does not exist): never made by the user.
				cg := cgPrefix + "-rootless/" + b.ID
				b.Spec.Linux.CgroupsPath = cg
				if withResources {
					limit := int64(64 << 20)
					b.Spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
				}
				b.write()
				_, errOut, code := b.runc("run", "-d", b.ID)
				if code == 0 {
					t.Fatal("run with a cgroup the user may not create succeeded")
				}
				mustContain(t, "error", errOut, "unable to apply cgroup configuration: ")
				for _, h := range testhost.CgroupHierarchies() {
					if _, err := os.Stat(filepath.Join(h, cg)); err == nil {
						t.Errorf("cgroup %s made", filepath.Join(h, cg))
					}
				}
				return seen{Code: code, Mkdir: mkdirErr.FindString(errOut)}
			})
			if ours != ref {
				t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
			}
			if ours.Mkdir == "" {
				t.Errorf("no mkdir error: %+v", ours)
			}
		})
	}
}

// delegateCgroup makes the cgroup rel in every hierarchy, as root, and
// hands it to u (the directory and its cgroup.procs and tasks), the way an
// administrator delegates a cgroup v1 subtree. cpuset.cpus and .mems are
// filled from the parent on the way down (a new v1 cpuset is empty).
// Cleanup removes it with whatever the user made below.
func delegateCgroup(t *testing.T, rel string, u *rootlessUser) {
	t.Helper()
	t.Cleanup(func() {
		if err := removeCgroups(rel); err != nil {
			t.Errorf("cgroups left below %s: %v", rel, err)
		}
	})
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, "cgroup.procs")); err != nil {
			continue
		}
		dir := h
		for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
			parent := dir
			dir = filepath.Join(dir, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if cur, err := os.ReadFile(filepath.Join(dir, f)); err == nil && strings.TrimSpace(string(cur)) == "" {
					v, err := os.ReadFile(filepath.Join(parent, f))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, f), v, 0); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for _, f := range []string{"", "cgroup.procs", "tasks"} {
			if err := os.Chown(filepath.Join(dir, f), u.uid, u.gid); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
}

// TestRootlessDelegatedCgroup: rootless, with a cgroupsPath inside a
// cgroup delegated to the user, the container gets its cgroup and limits,
// and `runc exec` says nothing of the cgroups it may not join (on this
// hybrid host, the unified hierarchy: a move there needs the common
// ancestor's cgroup.procs), as runc 1.5.3. The exec'd process joins every
// cgroup it may: runc 1.5.3 stops at the first it may not (in map order),
// often leaving it out of the memory and pids cgroups.
func TestRootlessDelegatedCgroup(t *testing.T) {
	u := needRootlessUser(t)
	type seen struct {
		Limits, ExecStderr string
	}
	execCgroups := map[string]string{} // the exec'd process's memory and pids cgroups, by runc
	ours, ref := differential(t, func(t *testing.T, bin string) seen {
		b := newRootlessBundle(t, u, "sleep", "100")
		b.Bin = bin
		deleg := cgPrefix + "/rl-" + b.ID
		delegateCgroup(t, deleg, u)
		cg := deleg + "/ctr"
		b.Spec.Linux.CgroupsPath = cg
		limit, pids := int64(64<<20), int64(50)
		b.Spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}}
		b.write()
		b.mustRunc("run", "-d", b.ID)
		var s seen
		for _, f := range []string{"memory/memory.limit_in_bytes", "pids/pids.max"} {
			v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", filepath.Dir(f), cg, filepath.Base(f)))
			if err != nil {
				t.Fatal(err)
			}
			s.Limits += strings.TrimSpace(string(v)) + " "
		}
		pidFile := filepath.Join(b.Dir, "exec.pid")
		_, errOut, code := b.runc("exec", "-d", "--pid-file", pidFile, b.ID, "sleep", "100")
		if code != 0 {
			t.Fatalf("exec: exit %d: %s", code, errOut)
		}
		s.ExecStderr = errOut
		data, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		cgs, err := os.ReadFile("/proc/" + strings.TrimSpace(string(data)) + "/cgroup")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(cgs), "\n") {
			if f := strings.SplitN(l, ":", 3); len(f) == 3 && (f[1] == "memory" || f[1] == "pids") {
				execCgroups[bin] += f[1] + ":" + f[2] + " "
			}
		}
		b.mustRunc("delete", "--force", b.ID)
		return s
	})
	if ours != ref {
		t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
	}
	if ours.Limits != "67108864 50 " {
		t.Errorf("limits %q, want the memory and pids limits of the config", ours.Limits)
	}
	for _, ctrl := range []string{"memory", "pids"} {
		if got := execCgroups[runcBin]; !regexp.MustCompile(ctrl + `:/\S+/ctr `).MatchString(got) {
			t.Errorf("the exec'd process is in %q: want the container's %s cgroup", got, ctrl)
		}
	}
	t.Logf("the exec'd process's cgroups: ours %q, runc 1.5.3 %q", execCgroups[runcBin], execCgroups[refBin])
}

// underNofile runs cmd (a runc command line) through prlimit with
// RLIMIT_NOFILE soft:hard, and returns its output and exit code.
func underNofile(t *testing.T, cmd *exec.Cmd, nofile string) (string, string, int) {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is missing: %v", err)
	}
	cmd.Args = append([]string{"prlimit", "--nofile=" + nofile, "--"}, cmd.Args...)
	cmd.Path = prlimit
	var stdout, stderr *os.File
	for _, f := range []**os.File{&stdout, &stderr} {
		if *f, err = os.CreateTemp(t.TempDir(), "out-"); err != nil {
			t.Fatal(err)
		}
		defer (*f).Close()
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	r := harness.RunCmd(t, cmd, harness.RunTimeout)
	if r.Code == -1 {
		t.Fatalf("%v: %s", cmd.Args, r.Stderr)
	}
	return readAll(stdout), readAll(stderr), r.Code
}

// TestRlimitNofileLikeRunc: a caller whose RLIMIT_NOFILE soft limit is
// below its hard limit, as root and rootless. Without a limit in the
// config the container's process gets the caller's soft limit, not the
// hard one the Go runtime raised runc's own to (runc 1.2+ restores it),
// and an exec'd process its own caller's; a config's soft < hard stands,
// for exec'd processes and startContainer hooks too (ours ran the hooks
// before it lowered the limits). Same as runc 1.5.3.
func TestRlimitNofileLikeRunc(t *testing.T) {
	const show = `echo $(ulimit -n) $(ulimit -Hn)`
	type seen struct{ Run, Hook, Exec string }
	for _, rootless := range []bool{false, true} {
		for _, cfg := range []*specs.POSIXRlimit{nil, {Type: "RLIMIT_NOFILE", Soft: 512, Hard: 2048}} {
			name := "root"
			if rootless {
				name = "rootless"
			}
			if cfg == nil {
				name += ", no limit in the config"
			} else {
				name += ", config 512:2048"
			}
			t.Run(name, func(t *testing.T) {
				var u *rootlessUser
				if rootless {
					u = needRootlessUser(t)
				}
				ours, ref := differential(t, func(t *testing.T, bin string) seen {
					var (
						spec    *specs.Spec
						write   func()
						command func(args ...string) *exec.Cmd
						id, dir string
					)
					if rootless {
						b := newRootlessBundle(t, u, "sh", "-c", show)
						b.Bin = bin
						spec, write, command, id, dir = b.Spec, b.write, b.command, b.ID, b.Dir
					} else {
						b := newBundleWith(t, bin, "sh", "-c", show)
						spec, write, id, dir = b.Spec, b.write, b.ID, b.Dir
						command = func(args ...string) *exec.Cmd {
							cmd := exec.Command(bin, append([]string{"--root", b.Root}, args...)...)
							cmd.Dir = b.Dir
							return cmd
						}
					}
					spec.Process.Rlimits = nil
					if cfg != nil {
						spec.Process.Rlimits = []specs.POSIXRlimit{*cfg}
					}
					spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", show + " > /hook.out"}}}}
					write()
					var s seen
					out, errOut, code := underNofile(t, command("run", id), "1024:4096")
					if code != 0 {
						t.Fatalf("run: exit %d: %s", code, errOut)
					}
					s.Run = strings.TrimSpace(out)
					hook, err := os.ReadFile(filepath.Join(dir, "rootfs", "hook.out"))
					if err != nil {
						t.Fatalf("startContainer hook: %v", err)
					}
					s.Hook = strings.TrimSpace(string(hook))
					spec.Hooks = nil
					spec.Process.Args = []string{"sleep", "100"}
					write()
					if _, errOut, code := underNofile(t, command("run", "-d", id), "1024:4096"); code != 0 {
						t.Fatalf("run -d: exit %d: %s", code, errOut)
					}
					out, errOut, code = underNofile(t, command("exec", id, "sh", "-c", show), "1000:3000")
					if code != 0 {
						t.Fatalf("exec: exit %d: %s", code, errOut)
					}
					s.Exec = strings.TrimSpace(out)
					if _, errOut, code := underNofile(t, command("delete", "--force", id), "1024:4096"); code != 0 {
						t.Fatalf("delete: exit %d: %s", code, errOut)
					}
					return s
				})
				if ours != ref {
					t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
				}
				want := seen{"1024 4096", "1024 4096", "1000 3000"}
				if cfg != nil {
					want = seen{"512 2048", "512 2048", "512 2048"}
				}
				if ours != want {
					t.Errorf("ours %+v, want %+v", ours, want)
				}
			})
		}
	}
}
