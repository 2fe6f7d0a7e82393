package clients

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// engineScenarios are what Docker and Podman users do, each checked the
// same way with every runtime.
var engineScenarios = []struct {
	name string
	f    func(t *testing.T, e *engine)
}{
	{"oneshot", engineOneshot},
	{"interactive", engineInteractive},
	{"tty", engineTTY},
	{"exec-tty", engineExecTTY},
	{"exec-user-cwd-env", engineExecUserCwdEnv},
	{"stop", engineStop},
	{"kill", engineKill},
	{"limits", engineLimits},
	{"update", engineUpdate},
	{"pause", enginePause},
	{"top", engineTop},
	{"stats", engineStats},
	{"oom", engineOOM},
	{"pids-limit", enginePidsLimit},
	{"readonly-rootfs", engineReadonlyRootfs},
	{"readonly-bind", engineReadonlyBind},
	{"cap-drop-all", engineCapDropAll},
	{"logs", engineLogs},
	{"restart", engineRestart},
	{"restart-policy", engineRestartPolicy},
	{"exec-not-found", engineExecNotFound},
	{"user-groups", engineUserGroups},
	{"join-namespaces", engineJoinNamespaces},
}

func TestDocker(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt runtime) {
		for _, s := range engineScenarios {
			t.Run(s.name, func(t *testing.T) { s.f(t, dockerEngine(t, rt)) })
		}
	})
}

func TestPodman(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt runtime) {
		for _, s := range engineScenarios {
			t.Run(s.name, func(t *testing.T) { s.f(t, podmanEngine(t, rt)) })
		}
	})
}

// A one-shot run: its stdout and stderr apart, its exit code the
// client's.
func engineOneshot(t *testing.T, e *engine) {
	c := e.newContainer(t)
	r := c.run(t, "", []string{"--rm"}, "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.Code != 3 || r.Stdout != "out\n" || !strings.Contains(r.Stderr, "err\n") {
		t.Fatalf("want exit 3, stdout \"out\\n\", stderr \"err\\n\"; got %s", r)
	}
	c = e.newContainer(t)
	if r := c.run(t, "", []string{"--rm"}, "true"); r.Code != 0 || r.Stdout != "" {
		t.Fatalf("run true: %s", r)
	}
}

// run -i passes stdin to the process, up to its end.
func engineInteractive(t *testing.T, e *engine) {
	c := e.newContainer(t)
	r := c.run(t, "hello\nrest\n", []string{"--rm", "--interactive"}, "sh", "-c", `read a; echo "got $a"; cat; echo end`)
	if r.Code != 0 || r.Stdout != "got hello\nrest\nend\n" {
		t.Fatalf("want the input echoed; got %s", r)
	}
}

// run -it from a terminal: the process gets a pty of the terminal's size,
// what is typed reaches it, and its exit code is the client's.
func engineTTY(t *testing.T, e *engine) {
	c := e.newContainer(t)
	p := spawnPty(t, e.env, 33, 101, append(e.base, c.runArgs([]string{"--rm", "--interactive", "--tty"}, "sh")...)...)
	// the client sizes the pty once the process has started
	p.shell("33 101", 5)
}

// exec -it into a running container: a new pty, its exit code returned.
func engineExecTTY(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sleep", "1000")
	p := spawnPty(t, e.env, 24, 80, append(e.base, "exec", "--interactive", "--tty", c.name, "sh")...)
	p.shell("", 4)
	// without -i, stdin is not the terminal's input but it still is a tty
	p = spawnPty(t, e.env, 24, 80, append(e.base, "exec", "--tty", c.name, "sh", "-c", "tty; exit 6")...)
	p.expect("/dev/pts/")
	if code := p.wait(); code != 6 {
		t.Fatalf("exec -t: exit code %d, want 6; terminal: %q", code, p.Text())
	}
}

// exec with a user, a working directory and an environment variable.
func engineExecUserCwdEnv(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, []string{"--env", "FROMRUN=1"}, "sleep", "1000")
	out := e.must(t, "exec", "--user", "1000:1000", "--workdir", "/tmp", "--env", "FOO=bar baz", c.name,
		"sh", "-c", `id -u; id -g; pwd; echo "$FOO"; echo "$FROMRUN"`)
	if out != "1000\n1000\n/tmp\nbar baz\n1" {
		t.Fatalf("exec output %q", out)
	}
	if out := e.must(t, "exec", "--user", "user", c.name, "id", "-un"); out != "user" {
		t.Fatalf("exec --user user: %q", out)
	}
	r := e.cmd(t, "", "exec", c.name, "sh", "-c", "exit 9")
	if r.Code != 9 {
		t.Fatalf("exec exit code: %s", r)
	}
}

// stop sends SIGTERM, which a trap in the container's init catches well
// within the stop timeout; the exit code is the trap's.
func engineStop(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sh", "-c", `trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done`)
	waitLogs(t, e, c.name, "ready")
	start := time.Now()
	e.must(t, "stop", "--time", "30", c.name)
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("stop took %v: SIGTERM did not reach the trap", d)
	}
	if code := e.inspect(t, c.name, "{{.State.ExitCode}}"); code != "7" {
		t.Fatalf("exit code %s, want 7 (the trap's)", code)
	}
	mustContain(t, "logs", e.must(t, "logs", c.name), "got TERM")
}

// kill (SIGKILL) gives 137.
func engineKill(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sleep", "1000")
	e.must(t, "kill", c.name)
	if code := e.must(t, "wait", c.name); code != "137" {
		t.Fatalf("wait: %q, want 137", code)
	}
	if code := e.inspect(t, c.name, "{{.State.ExitCode}}"); code != "137" {
		t.Fatalf("exit code %s, want 137", code)
	}
	// kill with a signal the process handles
	c = e.newContainer(t)
	c.start(t, nil, "sh", "-c", `trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.1; done`)
	waitLogs(t, e, c.name, "ready")
	e.must(t, "kill", "--signal", "USR1", c.name)
	if code := e.must(t, "wait", c.name); code != "0" {
		t.Fatalf("wait after USR1: %q, want 0", code)
	}
}

// Memory, pids and CPU limits, in the container's cgroup on the host and
// as seen inside.
func engineLimits(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, []string{"--memory", "64m", "--pids-limit", "50", "--cpus", "0.5"}, "sleep", "1000")
	cg := c.cgroup()
	checkLimits(t, cg, "67108864", "50", "50000")
	inside := e.must(t, "exec", c.name, "cat",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	if inside != "67108864\n50\n50000" {
		t.Fatalf("limits inside: %q", inside)
	}
	// the container's processes are in that cgroup
	pid, _ := strconv.Atoi(e.inspect(t, c.name, "{{.State.Pid}}"))
	if cgs := testhost.ProcessesIn(cg); !containsInt(cgs, pid) {
		t.Fatalf("pid %d not in %s (%v)", pid, cg, cgs)
	}
}

func checkLimits(t *testing.T, cg, mem, pids, quota string) {
	t.Helper()
	got := []string{
		cgroupFile(t, "memory", cg, "memory.limit_in_bytes"),
		cgroupFile(t, "pids", cg, "pids.max"),
		cgroupFile(t, "cpu", cg, "cpu.cfs_quota_us"),
	}
	want := []string{mem, pids, quota}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("host cgroup %s: memory, pids, cpu quota %v, want %v", cg, got, want)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// update changes the limits of a running container.
func engineUpdate(t *testing.T, e *engine) {
	if e.name == "podman" {
		t.Skip("podman 4.3 has no update command")
	}
	c := e.newContainer(t)
	c.start(t, []string{"--memory", "64m", "--memory-swap", "64m", "--pids-limit", "50", "--cpus", "0.5"}, "sleep", "1000")
	e.must(t, "update", "--memory", "128m", "--memory-swap", "256m", "--pids-limit", "60", "--cpus", "1.5", c.name)
	checkLimits(t, c.cgroup(), "134217728", "60", "150000")
	if got := cgroupFile(t, "memory", c.cgroup(), "memory.memsw.limit_in_bytes"); got != "268435456" {
		t.Fatalf("memsw limit %s", got)
	}
	if got := e.inspect(t, c.name, "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"); got != "134217728 60" {
		t.Fatalf("inspect after update: %q", got)
	}
	e.must(t, "exec", c.name, "true")
}

// pause freezes the container's cgroup; unpause thaws it.
func enginePause(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sh", "-c", `i=0; while :; do i=$((i+1)); echo $i > /tmp/tick; sleep 0.05; done`)
	e.must(t, "pause", c.name)
	if st := cgroupFile(t, "freezer", c.cgroup(), "freezer.state"); st != "FROZEN" {
		t.Fatalf("freezer.state %s after pause", st)
	}
	if st := e.inspect(t, c.name, "{{.State.Status}}"); st != "paused" {
		t.Fatalf("status %s after pause", st)
	}
	e.must(t, "unpause", c.name)
	if st := cgroupFile(t, "freezer", c.cgroup(), "freezer.state"); st != "THAWED" {
		t.Fatalf("freezer.state %s after unpause", st)
	}
	if st := e.inspect(t, c.name, "{{.State.Status}}"); st != "running" {
		t.Fatalf("status %s after unpause", st)
	}
	a := e.must(t, "exec", c.name, "cat", "/tmp/tick")
	time.Sleep(300 * time.Millisecond)
	if b := e.must(t, "exec", c.name, "cat", "/tmp/tick"); a == b {
		t.Fatal("the container's loop does not run after unpause")
	}
}

// top lists the container's processes.
func engineTop(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sh", "-c", "sleep 1001 & sleep 1002")
	waitFor(t, "two sleeps", func() bool {
		out := e.cmd(t, "", "top", c.name).Stdout
		return strings.Contains(out, "sleep 1001") && strings.Contains(out, "sleep 1002")
	})
}

// stats reads the container's usage.
func engineStats(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sleep", "1000")
	out := e.must(t, "stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", c.name)
	if strings.HasPrefix(out, "0B") || !strings.HasSuffix(out, " 1") {
		t.Fatalf("stats %q: want a memory usage and 1 pid", out)
	}
}

// A process over its memory limit is OOM-killed, reported as OOMKilled.
//
// Podman 4.3 looks for conmon's "oom" file in the bundle, but Debian's
// conmon 2.1.6 writes it in its working directory (podman's): with runc
// as with ours, podman reports OOMKilled false. What is checked there is
// that conmon saw the OOM event (through the runtime's memory cgroup).
func engineOOM(t *testing.T, e *engine) {
	c := e.newContainer(t)
	dir := t.TempDir()
	args := append(append([]string{}, e.base...), c.runArgs([]string{"--memory", "32m", "--memory-swap", "32m"}, "sh", "-c", "echo start; tail /dev/zero")...)
	r := spawnIn(t, dir, "", e.env, args...).wait(cmdTimeout)
	if r.Code != 137 {
		t.Fatalf("want exit 137; got %s", r)
	}
	got := e.inspect(t, c.name, "{{.State.OOMKilled}} {{.State.ExitCode}}")
	if e.name == "podman" {
		if _, err := os.Stat(filepath.Join(dir, "oom")); err != nil || got != "false 137" {
			t.Fatalf("conmon's oom file: %v; OOMKilled, exit code: %q", err, got)
		}
		return
	}
	if got != "true 137" {
		t.Fatalf("OOMKilled, exit code: %q", got)
	}
}

// The pids limit stops forks beyond it: with the init and the exec'd
// shell, 8 more fit in 10.
func enginePidsLimit(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, []string{"--pids-limit", "10"}, "sleep", "1000")
	r := e.cmd(t, "", "exec", c.name, "sh", "-c", `i=0; while [ $i -lt 20 ]; do sleep 100 & i=$((i+1)); echo $i; done`)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if r.Code == 0 || lines[len(lines)-1] != "8" || !strings.Contains(r.Stderr, "can't fork: Resource temporarily unavailable") {
		t.Fatalf("want forks refused after 8: %s", r)
	}
	// the init and the 8 sleeps, the shell gone
	if got := cgroupFile(t, "pids", c.cgroup(), "pids.current"); got != "9" {
		t.Fatalf("pids.current %s, want 9", got)
	}
}

// --read-only with a tmpfs: the root is read-only, the tmpfs writable.
func engineReadonlyRootfs(t *testing.T, e *engine) {
	c := e.newContainer(t)
	r := c.run(t, "", []string{"--rm", "--read-only", "--tmpfs", "/scratch:rw,size=1m"}, "sh", "-c",
		`touch /x; echo hi > /scratch/y && cat /scratch/y; grep ' /scratch ' /proc/mounts`)
	if r.Code != 0 || !strings.Contains(r.Stderr, "Read-only file system") ||
		!strings.HasPrefix(r.Stdout, "hi\ntmpfs /scratch tmpfs rw,") {
		t.Fatalf("read-only root with a tmpfs: %s", r)
	}
}

// A read-only bind mount: readable, not writable.
func engineReadonlyBind(t *testing.T, e *engine) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := e.newContainer(t)
	r := c.run(t, "", []string{"--rm", "--volume", dir + ":/data:ro"}, "sh", "-c", `cat /data/f; touch /data/x`)
	if r.Code == 0 || r.Stdout != "host data\n" || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("read-only bind: %s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Fatal("the container wrote through a read-only bind mount")
	}
}

// --cap-drop ALL leaves no capability.
func engineCapDropAll(t *testing.T, e *engine) {
	c := e.newContainer(t)
	r := c.run(t, "", []string{"--rm", "--cap-drop", "ALL"}, "sh", "-c", `grep ^Cap /proc/self/status; chown 1000 /tmp`)
	for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		mustContain(t, "status", r.Stdout, set+":\t0000000000000000")
	}
	if r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Fatalf("chown without CAP_CHOWN: %s", r)
	}
}

// logs keeps stdout and stderr apart.
func engineLogs(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sh", "-c", "echo out1; echo err1 >&2; echo out2")
	e.must(t, "wait", c.name)
	r := e.cmd(t, "", "logs", c.name)
	if r.Code != 0 || r.Stdout != "out1\nout2\n" || r.Stderr != "err1\n" {
		t.Fatalf("logs: %s", r)
	}
}

// restart stops the container and starts it again: a new process.
func engineRestart(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, nil, "sh", "-c", "echo started; sleep 1000")
	pid1 := e.inspect(t, c.name, "{{.State.Pid}}")
	e.must(t, "restart", "--time", "1", c.name)
	pid2 := e.inspect(t, c.name, "{{.State.Pid}}")
	if pid1 == pid2 || pid2 == "0" {
		t.Fatalf("pid %s before restart, %s after", pid1, pid2)
	}
	if st := e.inspect(t, c.name, "{{.State.Status}}"); st != "running" {
		t.Fatalf("status %s after restart", st)
	}
	if n := strings.Count(e.must(t, "logs", c.name), "started"); n != 2 {
		t.Fatalf("%d starts in the logs, want 2", n)
	}
	e.must(t, "exec", c.name, "true")
}

// --restart on-failure:2 restarts a failing container twice.
func engineRestartPolicy(t *testing.T, e *engine) {
	c := e.newContainer(t)
	c.start(t, []string{"--restart", "on-failure:2"}, "sh", "-c", "echo run; exit 1")
	waitFor(t, "two restarts", func() bool {
		return e.inspect(t, c.name, "{{.RestartCount}} {{.State.Status}}") == "2 exited"
	})
	if n := strings.Count(e.must(t, "logs", c.name), "run"); n != 3 {
		t.Fatalf("%d runs in the logs, want 3", n)
	}
}

// A command that cannot be exec'd: the runtime's error reaches the user,
// and the client maps it to 127 or 126 from its words (as it does for
// runc's).
func engineExecNotFound(t *testing.T, e *engine) {
	for _, tc := range []struct {
		cmd  string
		code int
		want string
	}{
		{"/nonexistent", 127, `exec: "/nonexistent": stat /nonexistent: no such file or directory`},
		{"nonexistent", 127, `exec: "nonexistent": executable file not found in $PATH`},
		{"/etc/passwd", 126, `exec: "/etc/passwd": permission denied`},
	} {
		c := e.newContainer(t)
		r := c.run(t, "", []string{"--rm"}, tc.cmd)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("run %s: want exit %d and %q; got %s", tc.cmd, tc.code, tc.want, r)
		}
		e.rm(t, c.name)
	}
}

// --user with --group-add of a group the user is already in: Docker
// lists it twice in additionalGids; the process has each group once. The
// process also starts at all: create + start, its init opening exec.fifo
// as the user.
func engineUserGroups(t *testing.T, e *engine) {
	c := e.newContainer(t)
	r := c.run(t, "", []string{"--rm", "--user", "1000", "--group-add", "29"}, "sh", "-c", `id -u; grep ^Groups: /proc/self/status`)
	if r.Code != 0 || strings.Join(strings.Fields(r.Stdout), " ") != "1000 Groups: 29 100 1000" {
		t.Fatalf("user and groups: %s", r)
	}
}

// A container joining another's pid, ipc and network namespaces (the
// runtime setns()es to paths of the first container's init).
func engineJoinNamespaces(t *testing.T, e *engine) {
	a := e.newContainer(t)
	a.start(t, []string{"--ipc", "shareable"}, "sleep", "1000")
	if e.name == "podman" {
		// podman's --ipc takes no "shareable"; every ipc namespace can be
		// joined
		e.rm(t, a.name)
		a = e.newContainer(t)
		a.start(t, nil, "sleep", "1000")
	}
	pid := e.inspect(t, a.name, "{{.State.Pid}}")
	var want []string
	for _, ns := range []string{"pid", "ipc", "net"} {
		target, err := os.Readlink("/proc/" + pid + "/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, target)
	}
	// the network flag given here replaces the engine's --network none
	b := e.newContainer(t)
	flags := []string{"--rm", "--pid", "container:" + a.name, "--ipc", "container:" + a.name, "--network", "container:" + a.name}
	r := b.run(t, "", flags, "sh", "-c", `for n in pid ipc net; do readlink /proc/self/ns/$n; done; ps -o comm | grep -c sleep`)
	if r.Code != 0 || r.Stdout != strings.Join(want, "\n")+"\n1\n" {
		t.Fatalf("joined namespaces %v: %s", want, r)
	}
}

// waitLogs waits until the container's logs hold want.
func waitLogs(t *testing.T, e *engine, name, want string) {
	t.Helper()
	waitFor(t, "logs "+want, func() bool { return strings.Contains(e.cmd(t, "", "logs", name).Stdout, want) })
}

// waitFor polls cond for 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !eventually(30*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
