package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// runOpts are what runAsyncOpts can change about how runc is started.
type runOpts struct {
	attr  *syscall.SysProcAttr
	files []*os.File // fds 3, 4, ...
	env   []string   // added to ours
	// wrap, if set, starts runc through this command (runc's argv
	// appended), e.g. a shell that sets variables naming its own pid.
	wrap []string
	// bin, if set, is the runc to run instead of the bundle's.
	bin string
}

// runAsyncAttr is runAsync with process attributes (a new session).
func (b *bundle) runAsyncAttr(attr *syscall.SysProcAttr, args ...string) *asyncRun {
	return b.runAsyncOpts(runOpts{attr: attr}, args...)
}

// runAsyncFiles is runAsync with extra fds 3, 4, ...
func (b *bundle) runAsyncFiles(extra []*os.File, args ...string) *asyncRun {
	return b.runAsyncOpts(runOpts{files: extra}, args...)
}

// runAsyncOpts starts runc in the background (stdin /dev/null).
func (b *bundle) runAsyncOpts(o runOpts, args ...string) *asyncRun {
	b.t.Helper()
	p := b.Start(harness.Call{Attr: o.attr, Files: o.files, Env: o.env, Wrap: o.wrap, Bin: o.bin}, args...)
	return &asyncRun{Proc: p, b: b}
}

// errMsg returns the messages of runc's log lines on stderr (logfmt
// `msg="..."`), unquoted, one per line; other lines as they are.
func errMsg(stderr string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if i := strings.Index(line, ` msg="`); i >= 0 {
			rest := line[i+len(" msg="):]
			// The quoted value ends at the first unescaped quote.
			for j := 1; j < len(rest); j++ {
				if rest[j] == '\\' {
					j++
					continue
				}
				if rest[j] == '"' {
					if s, err := strconv.Unquote(rest[:j+1]); err == nil {
						line = s
					}
					break
				}
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// readPidFile reads a --pid-file runc wrote.
func readPidFile(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file %s: %q", path, data)
	}
	return pid
}

// hostFds lists the open fds of pid, as the host sees them: fd -> target.
func hostFds(t *testing.T, pid int) map[string]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds := map[string]string{}
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		fds[e.Name()] = target
	}
	return fds
}

func fdNames(fds map[string]string) string {
	var names []string
	for fd := range fds {
		names = append(names, fd)
	}
	sort.Slice(names, func(i, j int) bool {
		a, _ := strconv.Atoi(names[i])
		b, _ := strconv.Atoi(names[j])
		return a < b
	})
	return strings.Join(names, " ")
}

// runningBundle starts `sleep 100` detached in a new bundle, after fix
// changes its config.
func runningBundle(t *testing.T, fix func(*bundle)) *bundle {
	t.Helper()
	b := newBundle(t, "sleep", "100")
	if fix != nil {
		fix(b)
		b.write()
	}
	b.mustRunc("run", "-d", b.ID)
	return b
}

// TestExecNoNewPrivsFlag: exec's process has no_new_privs as the
// container's does, unless --no-new-privs sets it or --no-new-privs=false
// clears it, as in runc 1.5.
func TestExecNoNewPrivsFlag(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) []string {
		var got []string
		for _, nnp := range []bool{false, true} {
			b := newBundleWith(t, bin, "sleep", "100")
			b.Spec.Process.NoNewPrivileges = nnp
			b.write()
			b.mustRunc("run", "-d", b.ID)
			for _, flags := range [][]string{nil, {"--no-new-privs"}, {"--no-new-privs=false"}} {
				args := append(append([]string{"exec"}, flags...), b.ID, "grep", "NoNewPrivs", "/proc/self/status")
				got = append(got, fmt.Sprintf("config %v, exec %q: %s", nnp, flags, strings.TrimSpace(b.mustRunc(args...))))
			}
		}
		return got
	})
	want := []string{
		"config false, exec []: NoNewPrivs:\t0", "config false, exec [\"--no-new-privs\"]: NoNewPrivs:\t1",
		"config false, exec [\"--no-new-privs=false\"]: NoNewPrivs:\t0",
		"config true, exec []: NoNewPrivs:\t1", "config true, exec [\"--no-new-privs\"]: NoNewPrivs:\t1",
		"config true, exec [\"--no-new-privs=false\"]: NoNewPrivs:\t0",
	}
	if !slices.Equal(ours, ref) || !slices.Equal(ours, want) {
		t.Errorf("ours:\n%s\nrunc 1.5.3:\n%s\nwant:\n%s", strings.Join(ours, "\n"), strings.Join(ref, "\n"), strings.Join(want, "\n"))
	}
}

func TestExecExitCodesAndErrors(t *testing.T) {
	b := runningBundle(t, nil)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"sh", "-c", "exit 42"}, 42, ""},
		{[]string{"true"}, 0, ""},
		{[]string{"sh", "-c", "kill -9 $$"}, 128 + 9, ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
		{[]string{"nosuchcommand"}, 255, `exec failed: unable to start container process: exec: "nosuchcommand": executable file not found in $PATH`},
		{nil, 255, "exec failed: process args cannot be empty"},
	} {
		r := b.run(nil, append([]string{"exec", b.ID}, tc.args...)...)
		if r.Code != tc.code || !strings.Contains(errMsg(r.Stderr), tc.stderr) {
			t.Errorf("exec %v: exit %d stderr %q; want %d and %q", tc.args, r.Code, r.Stderr, tc.code, tc.stderr)
		}
	}
	r := b.run(nil, "exec", "nosuchcontainer", "true")
	if r.Code != 255 || !strings.Contains(r.Stderr, "exec failed: container does not exist") {
		t.Errorf("exec in a missing container: exit %d stderr %q", r.Code, r.Stderr)
	}
	// The container is unharmed by all this.
	if s := b.status(); s != "running" {
		t.Errorf("container %s after the execs", s)
	}
}

func TestExecStdio(t *testing.T) {
	b := runningBundle(t, nil)
	r := b.run([]byte("hello\n"), "exec", b.ID, "sh", "-c", "read x; echo out:$x; echo err:$x >&2")
	if r.Code != 0 || r.Stdout != "out:hello\n" || r.Stderr != "err:hello\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// Foreground without a terminal: the process gets pipes, never runc's
	// own stdio.
	r = b.run(nil, "exec", b.ID, "sh", "-c", "readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2")
	for _, l := range strings.Fields(r.Stdout) {
		if !strings.HasPrefix(l, "pipe:") {
			t.Errorf("foreground exec stdio %q, want pipes", r.Stdout)
		}
	}
	// Detached: the process inherits runc's stdio as it is.
	out := filepath.Join(b.Dir, "detached.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runcBin, "--root", b.Root, "exec", "-d", b.ID, "sh", "-c", "sleep 0.2; echo later")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	harness.EventuallyErr(t, 10*time.Second, func() error {
		if data, _ := os.ReadFile(out); string(data) != "later\n" {
			return fmt.Errorf("runc's stdout holds %q", data)
		}
		return nil
	}, "the detached process writes to runc's stdout")
}

func TestExecForwardsSignals(t *testing.T) {
	b := runningBundle(t, nil)
	r := b.runAsync("exec", b.ID, "sh", "-c", "trap 'echo got USR1' USR1; trap 'echo got TERM; exit 7' TERM; touch /tmp/ready; while :; do sleep 0.1; done")
	waitFile(t, filepath.Join(b.Dir, "rootfs/tmp/ready"))
	r.Cmd.Process.Signal(syscall.SIGUSR1)
	harness.Eventually(t, 10*time.Second, func() bool { return strings.Contains(r.Stdout(), "got USR1\n") }, "the exec'd shell handles USR1")
	r.Cmd.Process.Signal(syscall.SIGTERM)
	res := r.wait()
	if res.Code != 7 || !strings.Contains(res.Stdout, "got USR1\n") || !strings.Contains(res.Stdout, "got TERM") {
		t.Fatalf("exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
}

// An exec'd process is in every namespace of the container and in its
// cgroup; --detach returns at once and --pid-file (relative to runc's
// working directory) names it.
func TestExecDetachJoinsContainer(t *testing.T) {
	b := runningBundle(t, nil)
	init := b.initPid()
	start := time.Now()
	b.mustRunc("exec", "-d", "--pid-file", "exec.pid", b.ID, "sleep", "100")
	if time.Since(start) > 5*time.Second {
		t.Errorf("exec -d did not return at once")
	}
	pid := readPidFile(t, filepath.Join(b.Dir, "exec.pid"))
	for _, ns := range []string{"mnt", "pid", "net", "ipc", "uts", "cgroup"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", init, ns))
		got, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if got == "" || got != want {
			t.Errorf("exec'd process in %s namespace %q, the container's init in %q", ns, got, want)
		}
	}
	wantCg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", init))
	gotCg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if string(gotCg) != string(wantCg) {
		t.Errorf("exec'd process cgroups:\n%s\ninit's:\n%s", gotCg, wantCg)
	}
	// In the container's pid namespace, the init is 1.
	out := b.mustRunc("exec", b.ID, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; ps -o pid,comm | grep -c sleep")
	if !strings.HasPrefix(out, "sleep 100 \n") || strings.TrimSpace(strings.Split(out, "\n")[1]) != "2" {
		t.Errorf("inside the container: %q", out)
	}
}

func TestExecStoppedAndPaused(t *testing.T) {
	b := runningBundle(t, nil)
	// Paused (frozen by hand, as runc pause does on cgroup v1).
	freezer := filepath.Join("/sys/fs/cgroup/freezer", b.CgroupPath(), "freezer.state")
	harness.Requires(t, harness.CgroupV1) // a v1 freezer
	if _, err := os.Stat(freezer); err != nil {
		t.Fatalf("no v1 freezer: %v", err)
	}
	if err := os.WriteFile(freezer, []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			if err := os.WriteFile(freezer, []byte("THAWED"), 0); err != nil {
				t.Error(err)
			}
		}
	}
	defer thaw()
	b.waitStatus("paused")
	r := b.run(nil, "exec", b.ID, "true")
	if r.Code != 255 || !strings.Contains(r.Stderr, "exec failed: cannot exec in a paused container (use --ignore-paused to override)") {
		t.Errorf("exec in a paused container: exit %d stderr %q", r.Code, r.Stderr)
	}
	// With --ignore-paused the process joins the frozen cgroup and runs
	// once the container is thawed.
	a := b.runAsync("exec", "--ignore-paused", b.ID, "echo", "ran")
	select {
	case <-a.Done():
		t.Fatal("exec --ignore-paused finished in a frozen container")
	case <-time.After(500 * time.Millisecond):
	}
	thaw()
	if res := a.wait(); res.Code != 0 || res.Stdout != "ran\n" {
		t.Errorf("exec --ignore-paused: exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}

	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	r = b.run(nil, "exec", b.ID, "true")
	if r.Code != 255 || !strings.Contains(r.Stderr, "exec failed: cannot exec in a stopped container") {
		t.Errorf("exec in a stopped container: exit %d stderr %q", r.Code, r.Stderr)
	}
}

// A created container (init waiting for start) can be exec'd into.
func TestExecCreated(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	if out := b.mustRunc("exec", b.ID, "echo", "in-created"); out != "in-created\n" {
		t.Errorf("exec in a created container: %q", out)
	}
	if s := b.status(); s != "created" {
		t.Errorf("status %s after exec, want created", s)
	}
}

func TestExecUserEnvCwd(t *testing.T) {
	b := runningBundle(t, nil)
	if out := b.mustRunc("exec", "-u", "1000:1000", "-g", "10", "-g", "20", b.ID, "id"); out != "uid=1000(user) gid=1000(user) groups=10,20\n" {
		t.Errorf("exec -u 1000:1000 -g 10 -g 20: %q", out)
	}
	// UID alone keeps the config's gid.
	if out := b.mustRunc("exec", "--user", "1000", b.ID, "id"); out != "uid=1000(user) gid=0(root)\n" {
		t.Errorf("exec --user 1000: %q", out)
	}
	// -e appends to the config's environment; a name set again takes the
	// new value in its new place (as runc 1.5); HOME comes from
	// /etc/passwd.
	if out := b.mustRunc("exec", "-e", "FOO=bar", "-e", "PATH=/bin", b.ID, "env"); out != "TERM=xterm\nFOO=bar\nPATH=/bin\nHOME=/root\n" {
		t.Errorf("exec -e: %q", out)
	}
	if out := b.mustRunc("exec", "--cwd", "/tmp", b.ID, "pwd"); out != "/tmp\n" {
		t.Errorf("exec --cwd /tmp: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "x"}, `parsing x as int for uid failed: strconv.Atoi: parsing "x": invalid syntax`},
		{[]string{"-u", "0:y"}, `parsing y as int for gid failed`},
		{[]string{"-g", "-1"}, "additional-gids must be a positive number -1"},
		{[]string{"--cwd", "rel"}, "process.cwd \"rel\" must be an absolute path"},
		{[]string{"--cwd", "/nonexistent"}, `chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory`},
		{[]string{"-e", "NOEQUALS"}, "invalid environment variable: missing '='"},
	} {
		r := b.run(nil, append(append([]string{"exec"}, tc.args...), b.ID, "true")...)
		if r.Code != 255 || !strings.Contains(errMsg(r.Stderr), tc.want) {
			t.Errorf("exec %v: exit %d stderr %q; want 255 and %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
	// Flags and the command after the container id are the command's.
	if out := b.mustRunc("exec", b.ID, "echo", "-u", "--cwd", "-e"); out != "-u --cwd -e\n" {
		t.Errorf("flags after the id: %q", out)
	}
}

func TestExecProcessJSON(t *testing.T) {
	b := runningBundle(t, nil)
	write := func(p any) string {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(b.Dir, "process.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write(specs.Process{
		Args: []string{"sh", "-c", "id; pwd; echo $FOO"},
		Env:  []string{"PATH=/bin", "FOO=from-json"},
		Cwd:  "/etc",
		User: specs.User{UID: 1000, GID: 100},
	})
	// The JSON is used as it is: the other flags do not change it.
	out := b.mustRunc("exec", "-p", path, "--cwd", "/tmp", b.ID, "ignored")
	if out != "uid=1000(user) gid=100(users) groups=100(users)\n/etc\nfrom-json\n" && out != "uid=1000(user) gid=100(users)\n/etc\nfrom-json\n" {
		t.Errorf("exec -p: %q", out)
	}
	for _, tc := range []struct {
		json string
		want string
	}{
		{`{bad`, "invalid character"},
		{`{"args":["true"]}`, "process.cwd must not be empty"},
		{`{"args":[],"cwd":"/"}`, "process.args must not be empty"},
		{`{"args":["true"],"cwd":"/","user":{"uid":"x"}}`, "cannot unmarshal string"},
		{`{"args":["true"],"cwd":"/","rlimits":[{"type":"RLIMIT_NOPE","hard":1,"soft":1}]}`, "process.rlimits[0].type"},
	} {
		path := filepath.Join(b.Dir, "bad.json")
		os.WriteFile(path, []byte(tc.json), 0o644)
		r := b.run(nil, "exec", "--process", path, b.ID)
		if r.Code != 255 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("exec -p %s: exit %d stderr %q; want 255 and %q", tc.json, r.Code, r.Stderr, tc.want)
		}
	}
	if r := b.run(nil, "exec", "-p", "/nonexistent.json", b.ID); r.Code != 255 || !strings.Contains(r.Stderr, "no such file or directory") {
		t.Errorf("exec -p of a missing file: exit %d stderr %q", r.Code, r.Stderr)
	}
}

// What the exec'd process gets from the container: its seccomp filter,
// and (unless it sets its own) its capabilities, rlimits and, from the
// flags only, no_new_privs.
func TestExecInheritsContainerSettings(t *testing.T) {
	b := runningBundle(t, func(b *bundle) {
		b.Spec.Process.NoNewPrivileges = false
		b.Spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 777, Soft: 555}}
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
		}
	})
	out := b.mustRunc("exec", b.ID, "sh", "-c", "ulimit -n; ulimit -Hn; grep -E 'NoNewPrivs|Seccomp:' /proc/self/status; mkdir /tmp/d 2>&1; true")
	for _, want := range []string{"555\n777\n", "NoNewPrivs:\t0", "Seccomp:\t2", "Operation not permitted"} {
		mustContain(t, "exec'd process", out, want)
	}
	out = b.mustRunc("exec", "--no-new-privs", b.ID, "grep", "NoNewPrivs", "/proc/self/status")
	mustContain(t, "exec --no-new-privs", out, "NoNewPrivs:\t1")
	// Capabilities: the same sets as the container's process.
	init := procStatus(t, b.initPid())
	b.mustRunc("exec", "-d", "--pid-file", "p", b.ID, "sleep", "100")
	st := procStatus(t, readPidFile(t, filepath.Join(b.Dir, "p")))
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Seccomp"} {
		if st[k] != init[k] {
			t.Errorf("exec'd %s %s, container's %s", k, st[k], init[k])
		}
	}
	// A process with its own rlimits keeps them.
	p := specs.Process{
		Args: []string{"sh", "-c", "ulimit -n"}, Cwd: "/", Env: []string{"PATH=/bin"},
		Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 333, Soft: 222}},
	}
	data, _ := json.Marshal(p)
	os.WriteFile(filepath.Join(b.Dir, "p.json"), data, 0o644)
	if out := b.mustRunc("exec", "-p", "p.json", b.ID); out != "222\n" {
		t.Errorf("process.json rlimits: %q", out)
	}
}

// exec --cap adds to the bounding, effective, permitted and ambient sets
// but never the inheritable set (CVE-2022-29162), read from the host.
func TestExecCapNeverInheritable(t *testing.T) {
	b := runningBundle(t, nil)
	b.mustRunc("exec", "-d", "--cap", "CAP_SYS_ADMIN", "--cap", "CAP_NET_RAW", "--pid-file", "p", b.ID, "sleep", "100")
	st := procStatus(t, readPidFile(t, filepath.Join(b.Dir, "p")))
	hex := func(k string) uint64 {
		v, err := strconv.ParseUint(st[k], 16, 64)
		if err != nil {
			t.Fatalf("%s: %q", k, st[k])
		}
		return v
	}
	const sysAdmin, netRaw = 1 << 21, 1 << 13
	if hex("CapInh") != 0 {
		t.Errorf("CapInh %s, want 0", st["CapInh"])
	}
	for _, k := range []string{"CapBnd", "CapPrm", "CapEff"} {
		if hex(k)&(sysAdmin|netRaw) != sysAdmin|netRaw {
			t.Errorf("%s %s lacks the added capabilities", k, st[k])
		}
	}
	// Ambient needs inheritable: the kernel refuses it, so none is raised.
	if hex("CapAmb")&(sysAdmin|netRaw) != 0 {
		t.Errorf("CapAmb %s holds an added capability", st["CapAmb"])
	}
}

func TestExecSubCgroup(t *testing.T) {
	b := runningBundle(t, nil)
	harness.Requires(t, harness.CgroupV1)
	if _, err := os.Stat("/sys/fs/cgroup/memory" + b.CgroupPath()); err != nil {
		t.Fatalf("no v1 memory cgroup: %v", err)
	}
	for _, h := range testhost.CgroupHierarchies() {
		dir := filepath.Join(h, b.CgroupPath())
		if _, err := os.Stat(dir); err == nil {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			// A v1 cpuset cgroup takes no process before it has cpus
			// and mems.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if v, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
					os.WriteFile(filepath.Join(dir, "sub", f), v, 0)
				}
			}
		}
	}
	cgLines := func(pid int) map[string]string {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		m := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.SplitN(l, ":", 3)
			m[f[1]] = f[2]
		}
		return m
	}
	// One path: every hierarchy.
	b.mustRunc("exec", "-d", "--cgroup", "sub", "--pid-file", "p1", b.ID, "sleep", "100")
	for ctrl, path := range cgLines(readPidFile(t, filepath.Join(b.Dir, "p1"))) {
		if path != b.CgroupPath()+"/sub" {
			t.Errorf("--cgroup sub: %s at %s", ctrl, path)
		}
	}
	// CTRL:PATH: that hierarchy only.
	b.mustRunc("exec", "-d", "--cgroup", "memory:sub", "--cgroup", "pids:sub", "--pid-file", "p2", b.ID, "sleep", "100")
	for ctrl, path := range cgLines(readPidFile(t, filepath.Join(b.Dir, "p2"))) {
		want := b.CgroupPath()
		if ctrl == "memory" || ctrl == "pids" {
			want += "/sub"
		}
		if path != want {
			t.Errorf("--cgroup memory:sub: %s at %s, want %s", ctrl, path, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cgroup", "nosuch"}, "error adding pid"},
		{[]string{"--cgroup", "a:b:c"}, "invalid --cgroup argument: a:b:c"},
		{[]string{"--cgroup", "sub", "--cgroup", "other"}, "invalid --cgroup argument: sub (missing <controller>: prefix)"},
		{[]string{"--cgroup", "nosuchctrl:sub"}, "unknown controller nosuchctrl"},
		{[]string{"--cgroup", "memory:../.."}, "bad sub cgroup path: ../.."},
		{[]string{"--cgroup", "../.."}, "bad sub cgroup path: ../.."},
	} {
		r := b.run(nil, append(append([]string{"exec"}, tc.args...), b.ID, "true")...)
		if r.Code != 255 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("exec %v: exit %d stderr %q; want 255 and %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

// --preserve-fds N passes fds 3..3+N-1, for run and exec alike.
func TestPreserveFds(t *testing.T) {
	files := make([]*os.File, 2)
	for i := range files {
		f, err := os.CreateTemp(t.TempDir(), "fd")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "content-%d\n", i+3)
		f.Seek(0, 0)
		files[i] = f
		defer f.Close()
	}
	b := newBundle(t, "sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd | tr '\\n' ' '")
	res := b.runAsyncFiles(files, "run", "--preserve-fds", "2", b.ID).wait()
	if res.Code != 0 || !strings.HasPrefix(res.Stdout, "content-3\ncontent-4\n0 1 2 3 4 5 ") {
		t.Errorf("run --preserve-fds 2: exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}

	b = runningBundle(t, nil)
	for _, f := range files {
		f.Seek(0, 0)
	}
	res = b.runAsyncFiles(files, "exec", "--preserve-fds", "2", b.ID, "sh", "-c", "cat <&3; cat <&4").wait()
	if res.Code != 0 || res.Stdout != "content-3\ncontent-4\n" {
		t.Errorf("exec --preserve-fds 2: exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	// A preserved fd runc does not have is an error (as in runc 1.2).
	res = b.runAsyncFiles(files[:1], "exec", "--preserve-fds", "2", b.ID, "true").wait()
	if res.Code != 255 || !strings.Contains(res.Stderr, "unable to stat preserved-fd 1 (of 2)") {
		t.Errorf("exec --preserve-fds 2 with one fd: exit %d stderr %q", res.Code, res.Stderr)
	}
}

// CVE-2024-21626 for exec: the exec'd process holds only its stdio and
// the fds it was given, whatever else runc and its init had open (console
// and pidfd sockets, the container's namespaces, the init socket, the log
// pipe); and a working directory or executable reached through an fd
// number (/proc/self/fd/N) cannot lead out of the container.
func TestExecNoFdLeaks(t *testing.T) {
	b := runningBundle(t, nil)
	console, pidfds := newFdReceiver(t), newFdReceiver(t)
	extra, err := os.Open(b.Dir) // a host directory, preserved on purpose
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	res := b.runAsyncFiles([]*os.File{extra}, "exec", "-d", "-t", "--console-socket", console.Path,
		"--pidfd-socket", pidfds.Path, "--preserve-fds", "1", "--pid-file", "p", b.ID, "sleep", "100").wait()
	if res.Code != 0 {
		t.Fatalf("exec: exit %d stderr %q", res.Code, res.Stderr)
	}
	console.receive()
	pidfds.receive()
	pid := readPidFile(t, filepath.Join(b.Dir, "p"))
	fds := hostFds(t, pid)
	if fdNames(fds) != "0 1 2 3" || fds["3"] != b.Dir {
		t.Errorf("exec'd process fds %v, want 0-2 (pty) and 3 (%s)", fds, b.Dir)
	}
	// The same for a foreground exec with pipes.
	// (ls lists the shell's fds: it forks for ls, since more follows.)
	out := strings.Join(strings.Fields(b.mustRunc("exec", b.ID, "sh", "-c", "ls /proc/$$/fd; true")), " ")
	if out != "0 1 2" {
		t.Errorf("foreground exec'd shell has fds %q, want 0 1 2", out)
	}
	// The preserved host directory is the user's to pass, but not a way
	// out as the working directory.
	res = b.runAsyncFiles([]*os.File{extra}, "exec", "--preserve-fds", "1", "--cwd", "/proc/self/fd/3", b.ID, "sh", "-c", "echo CONTAINER-RAN; ls").wait()
	if res.Code != 255 || strings.Contains(res.Stdout, "CONTAINER-RAN") || !strings.Contains(res.Stderr, "outside of the container") {
		t.Errorf("exec --cwd of a host directory fd: exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	// No fd of runc or its init is a way out either (nothing but the
	// pty and the sockets is open beyond stdio while the init runs).
	for fd := 3; fd <= 15; fd++ {
		r := b.run(nil, "exec", "--cwd", fmt.Sprintf("/proc/self/fd/%d", fd), b.ID, "sh", "-c", "echo CONTAINER-RAN; pwd")
		if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
			t.Errorf("exec --cwd /proc/self/fd/%d ran: %q", fd, r.Stdout)
		}
		r = b.run(nil, "exec", b.ID, fmt.Sprintf("/proc/self/fd/%d", fd))
		if r.Code != 255 {
			t.Errorf("exec of /proc/self/fd/%d: exit %d stdout %q", fd, r.Code, r.Stdout)
		}
	}
}

// The container's own process, with a console and a pidfd socket: only
// its pty as stdio.
func TestRunNoFdLeaksWithConsole(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.Spec.Process.Terminal = true
	b.write()
	console, pidfds := newFdReceiver(t), newFdReceiver(t)
	b.mustRunc("run", "-d", "--console-socket", console.Path, "--pidfd-socket", pidfds.Path, b.ID)
	console.receive()
	pidfds.receive()
	fds := hostFds(t, b.initPid())
	if fdNames(fds) != "0 1 2" {
		t.Errorf("container process fds %v, want 0 1 2", fds)
	}
	for fd, target := range fds {
		if !strings.HasPrefix(target, "/dev/pts/") {
			t.Errorf("fd %s is %s, want the pty", fd, target)
		}
	}
}

// --pidfd-socket: a pidfd of the container's process ("standard") or of
// the exec'd process ("setns"), usable to signal it.
func TestPidfdSocket(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	rcv := newFdReceiver(t)
	b.mustRunc("run", "-d", "--pidfd-socket", rcv.Path, b.ID)
	name, pidfd := rcv.receive()
	if name != "standard" || pidfdPid(t, pidfd) != b.initPid() {
		t.Errorf("run --pidfd-socket: %q for pid %d, want \"standard\" for %d", name, pidfdPid(t, pidfd), b.initPid())
	}

	b.mustRunc("exec", "-d", "--pidfd-socket", rcv.Path, "--pid-file", "p", b.ID, "sleep", "100")
	name, execfd := rcv.receive()
	pid := readPidFile(t, filepath.Join(b.Dir, "p"))
	if name != "setns" || pidfdPid(t, execfd) != pid {
		t.Errorf("exec --pidfd-socket: %q for pid %d, want \"setns\" for %d", name, pidfdPid(t, execfd), pid)
	}
	if err := unix.PidfdSendSignal(int(execfd.Fd()), unix.SIGKILL, nil, 0); err != nil {
		t.Fatal(err)
	}
	if !pidGone(pid) {
		t.Error("the exec'd process survived SIGKILL through its pidfd")
	}
	if err := unix.PidfdSendSignal(int(pidfd.Fd()), unix.SIGKILL, nil, 0); err != nil {
		t.Fatal(err)
	}
	b.waitStatus("stopped")

	// create: sent by the init before create returns.
	b2 := newBundle(t, "sleep", "100")
	b2.mustRunc("create", "--pidfd-socket", rcv.Path, b2.ID)
	if name, fd := rcv.receive(); name != "standard" || pidfdPid(t, fd) != b2.initPid() {
		t.Errorf("create --pidfd-socket: %q for %d", name, pidfdPid(t, fd))
	}
	if r := b2.run(nil, "run", "--pidfd-socket", "/nonexistent/sock", b2.ID+"x"); r.Code != 1 || !strings.Contains(r.Stderr, "failed to dial /nonexistent/sock") {
		t.Errorf("unreachable pidfd socket: exit %d stderr %q", r.Code, r.Stderr)
	}
}

// exec into a container with a user namespace joins it (the C stage
// joins the user namespace after the others, as root) and maps the user.
func TestExecUserNamespace(t *testing.T) {
	b := runningBundle(t, func(b *bundle) {
		// The container's root (host uid 100000) must reach the rootfs.
		for d := b.Dir; d != "/tmp" && d != "/"; d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	})
	out := b.mustRunc("exec", b.ID, "sh", "-c", "id; cat /proc/self/uid_map")
	if !strings.HasPrefix(out, "uid=0(root) gid=0(root)") || !strings.Contains(out, "100000") {
		t.Errorf("exec in a user namespace: %q", out)
	}
	b.mustRunc("exec", "-d", "-u", "1000:1000", "--pid-file", "p", b.ID, "sleep", "100")
	pid := readPidFile(t, filepath.Join(b.Dir, "p"))
	st := procStatus(t, pid)
	if f := strings.Fields(st["Uid"]); len(f) == 0 || f[0] != "101000" {
		t.Errorf("exec -u 1000 in the user namespace: host Uid %q, want 101000", st["Uid"])
	}
	want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", b.initPid()))
	got, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if got != want {
		t.Errorf("exec'd user namespace %s, container's %s", got, want)
	}
}

// Rootless exec: an unprivileged runc joins the container's namespaces
// (the user namespace first: the others are refused before it) and the
// process is the user on the host.
func TestExecRootless(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	init := int(b.state()["pid"].(float64))
	out := b.mustRunc("exec", b.ID, "sh", "-c", "id -u; cat /proc/self/uid_map")
	if f := strings.Fields(out); len(f) != 4 || f[0] != "0" || f[2] != strconv.Itoa(u.uid) {
		t.Errorf("rootless exec: %q", out)
	}
	if _, _, code := b.runc("exec", b.ID, "sh", "-c", "exit 9"); code != 9 {
		t.Errorf("rootless exec exit %d, want 9", code)
	}
	pidFile := filepath.Join(b.Dir, "exec.pid")
	b.mustRunc("exec", "-d", "--pid-file", pidFile, b.ID, "sleep", "100")
	pid := readPidFile(t, pidFile)
	if f := strings.Fields(procStatus(t, pid)["Uid"]); len(f) == 0 || f[0] != strconv.Itoa(u.uid) {
		t.Errorf("rootless exec'd process host Uid %v, want %d", f, u.uid)
	}
	for _, ns := range []string{"user", "mnt", "pid", "net", "ipc", "uts"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", init, ns))
		got, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if got != want {
			t.Errorf("rootless exec'd process in %s namespace %q, container in %q", ns, got, want)
		}
	}
}

// An exec'd process gets the container's execution domain, as in runc.
func TestExecPersonality(t *testing.T) {
	harness.Requires(t, harness.Linux32)
	b := runningBundle(t, func(b *bundle) {
		b.Spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	})
	host, _ := exec.Command("uname", "-m").Output()
	out := b.mustRunc("exec", b.ID, "uname", "-m")
	if out == string(host) || !strings.HasPrefix(out, "i") && !strings.HasPrefix(out, "armv") {
		t.Errorf("exec'd process in a linux32 container: uname -m %q (host %q)", out, host)
	}
}

// A relative --pid-file is relative to runc's working directory, not to
// the bundle run and create change into (runc's revisePidFile).
func TestPidFileRelativeToCaller(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	elsewhere := t.TempDir()
	cmd := exec.Command(runcBin, "--root", b.Root, "run", "-d", "--bundle", b.Dir, "--pid-file", "init.pid", b.ID)
	cmd.Dir = elsewhere
	// Files, not pipes: the detached container keeps runc's stdio.
	out := b.tempFile()
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		t.Fatalf("run -d: %v: %s", err, readAll(out))
	}
	if pid := readPidFile(t, filepath.Join(elsewhere, "init.pid")); pid != b.initPid() {
		t.Errorf("pid file %d, init %d", pid, b.initPid())
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "init.pid")); err == nil {
		t.Error("pid file written in the bundle")
	}
}
