package clients

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// ctrNamespace is the containerd namespace of ctr's containers.
const ctrNamespace = "clients"

// ctrClient is ctr on one of our containerds, through its
// containerd-shim-runc-v2, with one runtime binary (--runc-binary) for its
// containers.
type ctrClient struct {
	rt   runtime
	base []string
}

func newCtr(t *testing.T, v containerdVersion, rt runtime) *ctrClient {
	c := needContainerdVersion(t, v)
	return &ctrClient{rt: rt, base: []string{c.ctr(), "--address", c.sock, "--namespace", ctrNamespace}}
}

func (c *ctrClient) cmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := command(t, stdin, nil, append(append([]string{}, c.base...), args...)...)
	r.Stderr = dropDeprecations(r.Stderr)
	return r
}

// dropDeprecations removes ctr 2.x's own warnings (on a cgroup v1 host:
// "DEPRECATION: The support for cgroup v1 is deprecated ...") from its
// stderr, leaving the container's.
func dropDeprecations(stderr string) string {
	var out []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.Contains(line, `level=warning msg="DEPRECATION: `) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func (c *ctrClient) must(t *testing.T, args ...string) string {
	t.Helper()
	r := c.cmd(t, "", args...)
	if r.Code != 0 {
		t.Fatalf("ctr %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimRight(r.Stdout, "\n")
}

// ctrContainer is one container made by a test.
type ctrContainer struct {
	c  *ctrClient
	id string
}

func (c *ctrClient) newContainer(t *testing.T) *ctrContainer {
	t.Helper()
	k := &ctrContainer{c: c, id: fmt.Sprintf("clients-%s-%d", c.rt.Name, nameSeq.Add(1))}
	before := snapshot()
	t.Cleanup(func() {
		c.cmd(t, "", "task", "kill", "--signal", "SIGKILL", k.id)
		eventually(10*time.Second, func() bool {
			return c.cmd(t, "", "task", "delete", "--force", k.id).Code != 0
		})
		c.cmd(t, "", "container", "delete", k.id)
		before.check(t, k.cgroup(), k.id)
	})
	return k
}

func (k *ctrContainer) cgroup() string { return cgParent + "/ctr/" + k.id }

// runArgs are the arguments of `ctr run` for the container.
func (k *ctrContainer) runArgs(flags []string, args ...string) []string {
	out := []string{
		"run",
		"--runc-binary", k.c.rt.Path,
		"--runc-root", filepath.Join(work, "ctr-runc-"+k.c.rt.Name),
		"--fifo-dir", filepath.Join(work, "fifo"),
		"--cgroup", k.cgroup(),
	}
	out = append(out, flags...)
	out = append(out, imageName, k.id)
	return append(out, args...)
}

func (k *ctrContainer) run(t *testing.T, stdin string, flags []string, args ...string) result {
	t.Helper()
	return k.c.cmd(t, stdin, k.runArgs(flags, args...)...)
}

func (k *ctrContainer) spawn(t *testing.T, flags []string, args ...string) *proc {
	t.Helper()
	return spawn(t, "", nil, append(append([]string{}, k.c.base...), k.runArgs(flags, args...)...)...)
}

// start runs the container detached.
func (k *ctrContainer) start(t *testing.T, flags []string, args ...string) {
	t.Helper()
	if r := k.run(t, "", append([]string{"--detach"}, flags...), args...); r.Code != 0 {
		t.Fatalf("ctr run -d: %s", r)
	}
}

// task returns the task's pid and status from `ctr task ls`.
func (k *ctrContainer) task(t *testing.T) (pid int, status string) {
	t.Helper()
	for _, line := range strings.Split(k.c.must(t, "task", "ls"), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == k.id {
			pid, _ = strconv.Atoi(f[1])
			return pid, f[2]
		}
	}
	return 0, ""
}

var ctrScenarios = []struct {
	name string
	f    func(t *testing.T, c *ctrClient)
}{
	{"oneshot", ctrOneshot},
	{"interactive", ctrInteractive},
	{"tty", ctrTTY},
	{"exec-tty", ctrExecTTY},
	{"exec-user-cwd-env", ctrExecUserCwdEnv},
	{"stop", ctrStop},
	{"kill", ctrKill},
	{"limits", ctrLimits},
	{"pause", ctrPause},
	{"ps", ctrPs},
	{"metrics", ctrMetrics},
	{"oom", ctrOOM},
	{"readonly-rootfs", ctrReadonlyRootfs},
	{"readonly-bind", ctrReadonlyBind},
	{"cap-drop-all", ctrCapDropAll},
	{"restart", ctrRestart},
	{"error-reported", ctrErrorReported},
}

// TestContainerd runs the ctr scenarios on Debian's containerd 1.6 and on
// containerd 2.4.2, each with every runtime.
func TestContainerd(t *testing.T) {
	for _, v := range containerdVersions {
		t.Run("containerd-"+v.Name, func(t *testing.T) {
			forEachRuntime(t, func(t *testing.T, rt runtime) {
				for _, s := range ctrScenarios {
					t.Run(s.name, func(t *testing.T) { s.f(t, newCtr(t, v, rt)) })
				}
			})
		})
	}
}

// One-shot: stdout and stderr apart, the exit code ctr's.
func ctrOneshot(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	r := k.run(t, "", []string{"--rm"}, "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.Code != 3 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Fatalf("want exit 3, stdout \"out\\n\", stderr \"err\\n\"; got %s", r)
	}
}

// ctr passes stdin on but never closes it (with runc too): the process
// reads lines, not up to the end.
func ctrInteractive(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	r := k.run(t, "hello\nrest\n", []string{"--rm"}, "sh", "-c", `read a; read b; echo "got $a $b"; echo end`)
	if r.Code != 0 || r.Stdout != "got hello rest\nend\n" {
		t.Fatalf("want the input echoed; got %s", r)
	}
}

func ctrTTY(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	p := spawnPty(t, nil, 33, 101, append(c.base, k.runArgs([]string{"--rm", "--tty"}, "sh")...)...)
	// ctr sizes the console once the task has started
	p.shell("33 101", 5)
}

func ctrExecTTY(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, nil, "sleep", "1000")
	p := spawnPty(t, nil, 24, 80, append(c.base, "task", "exec", "--tty", "--exec-id", "e1", k.id, "sh")...)
	p.shell("", 4)
}

// ctr exec has no --env: the container's environment is inherited.
func ctrExecUserCwdEnv(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, []string{"--env", "FOO=bar baz"}, "sleep", "1000")
	out := c.must(t, "task", "exec", "--exec-id", "e2", "--user", "1000", "--cwd", "/tmp", k.id,
		"sh", "-c", `id -u; pwd; echo "$FOO"`)
	if out != "1000\n/tmp\nbar baz" {
		t.Fatalf("exec output %q", out)
	}
	if r := c.cmd(t, "", "task", "exec", "--exec-id", "e3", k.id, "sh", "-c", "exit 9"); r.Code != 9 {
		t.Fatalf("exec exit code: %s", r)
	}
}

// ctr task kill sends SIGTERM by default, caught by the init's trap.
func ctrStop(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	p := k.spawn(t, []string{"--rm"}, "sh", "-c", `trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done`)
	p.waitOutput("ready", 30*time.Second)
	c.must(t, "task", "kill", k.id)
	r := p.wait(15 * time.Second)
	if r.Code != 7 || !strings.Contains(r.Stdout, "got TERM") {
		t.Fatalf("after SIGTERM: %s", r)
	}
}

func ctrKill(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	p := k.spawn(t, []string{"--rm"}, "sh", "-c", "echo ready; sleep 1000")
	p.waitOutput("ready", 30*time.Second)
	c.must(t, "task", "kill", "--signal", "SIGKILL", k.id)
	if r := p.wait(15 * time.Second); r.Code != 137 {
		t.Fatalf("after SIGKILL: %s", r)
	}
}

// Memory and CPU limits (ctr 1.6 has no pids flag); ctr's spec mounts no
// cgroupfs, so inside the process is seen in its cgroup.
func ctrLimits(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, []string{"--memory-limit", "67108864", "--cpus", "0.5"}, "sleep", "1000")
	if got := cgroupFile(t, "memory", k.cgroup(), "memory.limit_in_bytes"); got != "67108864" {
		t.Fatalf("memory limit on the host %s", got)
	}
	if got := cgroupFile(t, "cpu", k.cgroup(), "cpu.cfs_quota_us"); got != "50000" {
		t.Fatalf("cpu quota on the host %s", got)
	}
	inside := c.must(t, "task", "exec", "--exec-id", "e1", k.id, "cat", "/proc/self/cgroup")
	mustContain(t, "/proc/self/cgroup", inside, ":memory:"+k.cgroup()+"\n", ":cpu:"+k.cgroup()+"\n")
	pid, _ := k.task(t)
	if !containsInt(testhost.ProcessesIn(k.cgroup()), pid) {
		t.Fatalf("pid %d not in %s", pid, k.cgroup())
	}
}

func ctrPause(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, nil, "sleep", "1000")
	c.must(t, "task", "pause", k.id)
	if st := cgroupFile(t, "freezer", k.cgroup(), "freezer.state"); st != "FROZEN" {
		t.Fatalf("freezer.state %s after pause", st)
	}
	if _, st := k.task(t); st != "PAUSED" {
		t.Fatalf("status %s after pause", st)
	}
	c.must(t, "task", "resume", k.id)
	if st := cgroupFile(t, "freezer", k.cgroup(), "freezer.state"); st != "THAWED" {
		t.Fatalf("freezer.state %s after resume", st)
	}
	if _, st := k.task(t); st != "RUNNING" {
		t.Fatalf("status %s after resume", st)
	}
}

// task ps lists the container's processes (through the runtime's ps).
func ctrPs(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, nil, "sh", "-c", "sleep 1001 & sleep 1002")
	pid, _ := k.task(t)
	waitFor(t, "two processes", func() bool {
		var pids []int
		for _, line := range strings.Split(c.must(t, "task", "ps", k.id), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 0 {
				p, _ := strconv.Atoi(f[0])
				pids = append(pids, p)
			}
		}
		return len(pids) == 2 && containsInt(pids, pid)
	})
}

func ctrMetrics(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, nil, "sleep", "1000")
	out := c.must(t, "task", "metrics", "--format", "json", k.id)
	var m struct {
		Pids   struct{ Current int }
		Memory struct{ Usage struct{ Usage int64 } }
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("metrics: %v: %s", err, out)
	}
	if m.Pids.Current != 1 || m.Memory.Usage.Usage == 0 {
		t.Fatalf("metrics: want 1 pid and some memory: %s", out)
	}
}

// An OOM kill: exit 137 and containerd's /tasks/oom event.
func ctrOOM(t *testing.T, c *ctrClient) {
	events := spawn(t, "", nil, append(append([]string{}, c.base...), "events")...)
	time.Sleep(200 * time.Millisecond)
	k := c.newContainer(t)
	r := k.run(t, "", []string{"--rm", "--memory-limit", "33554432"}, "sh", "-c", "echo start; tail /dev/zero")
	if r.Code != 137 {
		t.Fatalf("want exit 137; got %s", r)
	}
	if !eventually(10*time.Second, func() bool {
		for _, line := range strings.Split(events.output(), "\n") {
			if strings.Contains(line, "/tasks/oom") && strings.Contains(line, k.id) {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no /tasks/oom event for %s: %s", k.id, events.output())
	}
}

func ctrReadonlyRootfs(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	r := k.run(t, "", []string{"--rm", "--read-only", "--mount", "type=tmpfs,src=tmpfs,dst=/scratch,options=rw:size=1m"}, "sh", "-c",
		`touch /x; echo hi > /scratch/y && cat /scratch/y; grep ' /scratch ' /proc/mounts`)
	if r.Code != 0 || !strings.Contains(r.Stderr, "Read-only file system") ||
		!strings.HasPrefix(r.Stdout, "hi\ntmpfs /scratch tmpfs rw,") {
		t.Fatalf("read-only root with a tmpfs: %s", r)
	}
}

func ctrReadonlyBind(t *testing.T, c *ctrClient) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := c.newContainer(t)
	r := k.run(t, "", []string{"--rm", "--mount", "type=bind,src=" + dir + ",dst=/data,options=rbind:ro"}, "sh", "-c", `cat /data/f; touch /data/x`)
	if r.Code == 0 || r.Stdout != "host data\n" || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("read-only bind: %s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Fatal("the container wrote through a read-only bind mount")
	}
}

// ctr's --cap-drop takes no "ALL": every capability of its default set,
// one by one.
func ctrCapDropAll(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	flags := []string{"--rm"}
	for _, cp := range []string{
		"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
		"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
	} {
		flags = append(flags, "--cap-drop", "CAP_"+cp)
	}
	r := k.run(t, "", flags, "sh", "-c", `grep ^Cap /proc/self/status; chown 1000 /tmp`)
	for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		mustContain(t, "status", r.Stdout, set+":\t0000000000000000")
	}
	if r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Fatalf("chown without CAP_CHOWN: %s", r)
	}
}

// Restart, as ctr users do it: kill, delete the task, start a new one.
func ctrRestart(t *testing.T, c *ctrClient) {
	k := c.newContainer(t)
	k.start(t, nil, "sleep", "1000")
	pid1, _ := k.task(t)
	c.must(t, "task", "kill", "--signal", "SIGKILL", k.id)
	waitFor(t, "stopped", func() bool { _, st := k.task(t); return st == "STOPPED" })
	c.must(t, "task", "delete", k.id)
	c.must(t, "task", "start", "--detach", k.id)
	pid2, st := k.task(t)
	if pid2 == pid1 || pid2 == 0 || st != "RUNNING" {
		t.Fatalf("pid %d before, %d %s after restart", pid1, pid2, st)
	}
	c.must(t, "task", "exec", "--exec-id", "e1", k.id, "true")
}

// Errors: the shim reads the runtime's --log-format json log, and ctr
// shows the error's text — from runc init (exec) and from the runtime
// itself (a namespace path that does not exist).
func ctrErrorReported(t *testing.T, c *ctrClient) {
	for _, tc := range []struct {
		flags []string
		cmd   string
		want  []string
	}{
		// (runc 1.5 and ours put "error during container init: " between
		// the two; Debian's runc 1.1.5 does not)
		{nil, "/nonexistent", []string{`runc create failed: unable to start container process: `, `exec: "/nonexistent": stat /nonexistent: no such file or directory`}},
		{nil, "nonexistent", []string{`exec: "nonexistent": executable file not found in $PATH`}},
		{nil, "/etc/passwd", []string{`exec: "/etc/passwd": permission denied`}},
		{[]string{"--cwd", "/etc/passwd"}, "true", []string{"runc create failed: ", "/etc/passwd", "not a directory"}},
		// the init fails on its mounts while the runtime moves it into
		// its cgroup: the init's error, not the move's "no such process"
		{[]string{"--mount", "type=bind,src=/nonexistent-src,dst=/x,options=rbind"}, "true", []string{"runc create failed: ", "/nonexistent-src", "no such file or directory"}},
	} {
		k := c.newContainer(t)
		r := k.run(t, "", append([]string{"--rm"}, tc.flags...), tc.cmd)
		if r.Code == 0 {
			t.Errorf("%v %s: ctr run succeeded: %s", tc.flags, tc.cmd, r)
			continue
		}
		mustContain(t, "ctr run "+tc.cmd, r.Stderr, tc.want...)
		if strings.Contains(r.Stderr, "apply cgroup") {
			t.Errorf("%v: the cgroup move's error instead of the init's: %s", tc.flags, r.Stderr)
		}
	}
}
