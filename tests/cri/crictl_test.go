package cri

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/ptytest"
)

// crictlScenarios are what a kubelet does with a pod, through crictl,
// each checked the same way with every handler. Every pod is removed at
// the end of its scenario, and nothing of it may be left (pod.remove).
var crictlScenarios = []struct {
	name string
	f    func(t *testing.T, h handler)
}{
	{"shared-namespaces", scenarioSharedNamespaces},
	{"exec", scenarioExec},
	{"exec-sync-timeout", scenarioExecSyncTimeout},
	{"exec-tty", scenarioExecTTY},
	{"attach", scenarioAttach},
	{"logs-reopen", scenarioLogs},
	{"stats", scenarioStats},
	{"update-resources", scenarioUpdate},
	{"stop-grace-period", scenarioStopGrace},
	{"oom", scenarioOOM},
	{"restart-in-pod", scenarioRestart},
	{"remove", scenarioRemove},
}

func TestCrictl(t *testing.T) {
	forEachHandler(t, func(t *testing.T, h handler) {
		for _, s := range crictlScenarios {
			t.Run(s.name, func(t *testing.T) { s.f(t, h) })
		}
	})
}

// Two containers of a pod share its network, IPC and UTS namespaces
// (and, with shareProcessNamespace, its PID namespace, the pause process
// as PID 1), each with its own mount namespace.
func scenarioSharedNamespaces(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{sharePID: true})
	a := p.run("a", "sh", "-c", "echo from-a > /dev/shm/a; exec sleep 1001")
	b := p.run("b", "sleep", "1002")
	sandbox := p.sandboxPid(t)
	pa, pb := inspect(t, a).Info.Pid, inspect(t, b).Info.Pid
	for _, ns := range []string{"net", "ipc", "uts", "pid"} {
		want := nsOf(t, sandbox, ns)
		if nsOf(t, pa, ns) != want || nsOf(t, pb, ns) != want {
			t.Errorf("%s namespace: sandbox %s, a %s, b %s", ns, want, nsOf(t, pa, ns), nsOf(t, pb, ns))
		}
	}
	if nsOf(t, pa, "mnt") == nsOf(t, pb, "mnt") || nsOf(t, pa, "mnt") == nsOf(t, sandbox, "mnt") {
		t.Errorf("the containers share a mount namespace")
	}
	// seen from b: a's file in the pod's /dev/shm, a's process, pause as 1
	waitFor(t, "a's file in the pod's /dev/shm", func() bool {
		return strings.TrimSpace(crictl(t, "exec", "--sync", b, "cat", "/dev/shm/a").Stdout) == "from-a"
	})
	if out := execSync(t, b, "cat", "/proc/1/cmdline"); !strings.HasPrefix(out, "/pause") {
		t.Errorf("PID 1 of the pod: %q, want /pause", out)
	}
	if out := execSync(t, b, "ps", "-o", "args"); !strings.Contains(out, "sleep 1001") {
		t.Errorf("b does not see a's process: %q", out)
	}
	if out := execSync(t, a, "hostname"); out != p.hostname() {
		t.Errorf("hostname %q, want the pod's %q", out, p.hostname())
	}
}

// exec (streaming): stdout and stderr apart, the exit code crictl's, the
// container's environment and working directory.
func scenarioExec(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.container("c", 0, map[string]any{
		"command":     []string{"sleep", "1000"},
		"envs":        []map[string]string{{"key": "FOO", "value": "bar baz"}},
		"working_dir": "/tmp",
	})
	must(t, "start", id)
	// crictl exits 1 and says the command's exit code
	r := crictl(t, "exec", id, "sh", "-c", `echo "out $FOO $(pwd)"; echo err >&2; exit 3`)
	if r.Code != 1 || r.Stdout != "out bar baz /tmp\n" || !strings.HasPrefix(r.Stderr, "err\n") ||
		!strings.Contains(r.Stderr, "command terminated with exit code 3") {
		t.Fatalf("exec: want stdout %q, stderr %q, exit code 3; got %s", "out bar baz /tmp\n", "err\n", r)
	}
	r = spawn(t, strings.NewReader("line one\nline two\n"), "exec", "-i", id, "sh", "-c", "cat; echo done").wait(cmdTimeout)
	if r.Code != 0 || r.Stdout != "line one\nline two\ndone\n" {
		t.Fatalf("exec -i: %s", r)
	}
	if r := crictl(t, "exec", id, "/nonexistent"); r.Code == 0 || !strings.Contains(r.Stderr, "/nonexistent") {
		t.Fatalf("exec of a missing file: %s", r)
	}
}

// exec --sync with a timeout: the call returns when the timeout passes,
// and the process is gone (what a kubelet's exec probe relies on).
func scenarioExecSyncTimeout(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.run("c", "sleep", "1000")
	r := crictl(t, "exec", "--sync", "--timeout", "2", id, "sleep", "4321")
	if r.Code == 0 || r.Dur > 30*time.Second || !strings.Contains(r.Stderr, "timeout") {
		t.Fatalf("exec --sync --timeout 2 of sleep 4321: want a timeout error within 30s; got %s", r)
	}
	waitFor(t, "the timed-out exec to be killed", func() bool {
		return !strings.Contains(execSync(t, id, "ps", "-o", "args"), "sleep 4321")
	})
	if out := execSync(t, id, "sh", "-c", "echo ok; exit 0"); out != "ok" {
		t.Fatalf("exec --sync after the timeout: %q", out)
	}
	if r := crictl(t, "exec", "--sync", "--timeout", "10", id, "sh", "-c", "exit 5"); r.Code != 1 || !strings.Contains(r.Stderr, "exited with 5") {
		t.Fatalf("exec --sync of exit 5: want crictl's exit 1 and the command's exit code 5; got %s", r)
	}
}

// exec -it: a shell on a terminal, sized as the client's.
func scenarioExecTTY(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.run("c", "sleep", "1000")
	term := spawnPty(t, 30, 90, crictlArgs("exec", "-it", id, "sh")...)
	term.send("tty; echo $((6*7))x\r")
	term.expect("42x")
	if !strings.Contains(term.text(), "/dev/pts/") {
		t.Fatalf("not on a terminal: %q", term.text())
	}
	waitFor(t, "the terminal's size", func() bool {
		term.send("stty size\r")
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(term.text(), "30 90")
	})
	term.send("exit 4\r")
	if code := term.wait(); code != 1 || !strings.Contains(term.text(), "command terminated with exit code 4") {
		t.Fatalf("crictl exited %d; want 1 and the shell's exit code 4 on the terminal: %q", code, term.text())
	}
}

// attach: the container's stdin and stdout reached from outside.
func scenarioAttach(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.container("c", 0, map[string]any{
		"command": []string{"sh", "-c", `echo ready; while read -r l; do echo "got $l"; done`},
		"stdin":   true,
	})
	must(t, "start", id)
	waitFor(t, "the container's first line", func() bool { return strings.Contains(p.log(t, id), "ready") })
	// the input stays open while the client is attached
	attach := func(line string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		a := spawn(t, r, "attach", "-i", id)
		r.Close()
		if _, err := w.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		a.waitOutput("got " + line)
		a.kill()
	}
	attach("hello")
	// the container goes on reading after the client went away
	attach("again")
	if st := inspect(t, id); st.Status.State != "CONTAINER_RUNNING" {
		t.Fatalf("state after attach: %s", st.Status.State)
	}
}

// logs: stdout and stderr in the pod's log directory in CRI format; after
// the file is rotated away, `crictl logs --reopen` starts a new one.
func scenarioLogs(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.run("c", "sh", "-c", `echo out; echo err >&2; i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.2; done`)
	waitFor(t, "line 3 in the logs", func() bool { return strings.Contains(must(t, "logs", id), "line 3") })
	r := crictl(t, "logs", id)
	if !strings.HasPrefix(r.Stdout, "out\n") || r.Stderr != "err\n" {
		t.Fatalf("crictl logs: %s", r)
	}
	path := inspect(t, id).Status.LogPath
	raw, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(raw), " stdout F out\n") || !strings.Contains(string(raw), " stderr F err\n") {
		t.Fatalf("the log file %s (%v) is not in CRI format: %q", path, err, raw)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	must(t, "logs", "--reopen", id)
	waitFor(t, "lines in the new log file", func() bool {
		data, _ := os.ReadFile(path)
		return strings.Count(string(data), " stdout F line ") >= 2
	})
	old, _ := os.ReadFile(path + ".1")
	time.Sleep(time.Second)
	if again, _ := os.ReadFile(path + ".1"); len(again) != len(old) {
		t.Fatalf("the rotated file still grows after --reopen")
	}
}

// stats: CPU and memory of a container and of its pod, from its cgroup.
func scenarioStats(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.run("c", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 1000")
	var s struct {
		Stats []struct {
			Attributes struct{ ID string }
			CPU        struct{ UsageCoreNanoSeconds struct{ Value string } }
			Memory     struct{ WorkingSetBytes struct{ Value string } }
		}
	}
	waitFor(t, "CPU and memory in the stats", func() bool {
		if err := json.Unmarshal([]byte(must(t, "stats", "--output", "json", "--id", id)), &s); err != nil || len(s.Stats) != 1 {
			return false
		}
		cpu, _ := strconv.ParseInt(s.Stats[0].CPU.UsageCoreNanoSeconds.Value, 10, 64)
		mem, _ := strconv.ParseInt(s.Stats[0].Memory.WorkingSetBytes.Value, 10, 64)
		return s.Stats[0].Attributes.ID == id && cpu > 10_000_000 && mem > 0
	})
	var ps struct {
		Stats []struct {
			Attributes struct{ ID string }
			Linux      struct {
				Containers []struct{ Attributes struct{ ID string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(must(t, "statsp", "--output", "json", "--id", p.id)), &ps); err != nil {
		t.Fatalf("crictl statsp: %v", err)
	}
	if len(ps.Stats) != 1 || ps.Stats[0].Attributes.ID != p.id || len(ps.Stats[0].Linux.Containers) != 1 {
		t.Fatalf("crictl statsp: want the pod with its one container: %+v", ps)
	}
}

// update: memory and CPU limits of a running container changed, seen in
// its cgroup.
func scenarioUpdate(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.container("c", 0, map[string]any{
		"command": []string{"sleep", "1000"},
		"linux":   map[string]any{"resources": map[string]any{"memory_limit_in_bytes": 128 << 20, "cpu_period": 100000, "cpu_quota": 100000}},
	})
	must(t, "start", id)
	pid := inspect(t, id).Info.Pid
	if got := cgroupValue(t, pid, "memory", "memory.limit_in_bytes", "memory.max"); got != strconv.Itoa(128<<20) {
		t.Fatalf("memory limit before the update: %s", got)
	}
	must(t, "update", "--memory", strconv.Itoa(64<<20), "--cpu-period", "100000", "--cpu-quota", "50000", id)
	if got := cgroupValue(t, pid, "memory", "memory.limit_in_bytes", "memory.max"); got != strconv.Itoa(64<<20) {
		t.Errorf("memory limit after the update: %s, want %d", got, 64<<20)
	}
	if got := cgroupValue(t, pid, "cpu", "cpu.cfs_quota_us", "cpu.max"); got != "50000" && got != "50000 100000" {
		t.Errorf("CPU quota after the update: %s, want 50000", got)
	}
	if st := inspect(t, id); st.Status.State != "CONTAINER_RUNNING" {
		t.Fatalf("state after the update: %s", st.Status.State)
	}
}

// stop with a grace period: SIGTERM first, SIGKILL when the period ends.
func scenarioStopGrace(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	// a process that handles SIGTERM stops at once, with its own code
	trap := p.run("trap", "sh", "-c", `trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done`)
	waitFor(t, "the trap", func() bool { return strings.Contains(p.log(t, trap), "ready") })
	r := crictl(t, "stop", "--timeout", "30", trap)
	if st := inspect(t, trap); r.Code != 0 || st.Status.ExitCode != 7 || r.Dur > 20*time.Second {
		t.Fatalf("stop of a process trapping SIGTERM: exit code %d after %v (%s)", st.Status.ExitCode, r.Dur, r)
	}
	if !strings.Contains(p.log(t, trap), "got TERM") {
		t.Fatalf("no SIGTERM seen: %q", p.log(t, trap))
	}
	// PID 1 without a handler ignores SIGTERM: killed after the period
	deaf := p.run("deaf", "sleep", "1000")
	r = crictl(t, "stop", "--timeout", "3", deaf)
	st := inspect(t, deaf)
	if r.Code != 0 || st.Status.ExitCode != 137 || r.Dur < 3*time.Second || r.Dur > 30*time.Second {
		t.Fatalf("stop --timeout 3 of a process ignoring SIGTERM: exit code %d after %v, want 137 after 3s (%s)", st.Status.ExitCode, r.Dur, r)
	}
}

// OOM: the kernel's kill reported as OOMKilled with exit code 137.
//
// The reason is containerd's: its shim names the exit OOMKilled when the
// cgroup's OOM event reaches it before the exit does. Under the VM lane's
// emulated CPU that race goes the other way now and then, with either
// runtime (critest's own OOM spec is left out of CI's VM subset for it):
// a SIGKILLed exit with another reason gets one more try, reported.
func scenarioOOM(t *testing.T, h handler) {
	for try := 1; ; try++ {
		p := newPod(t, h, podOptions{})
		id := p.container(fmt.Sprintf("c%d", try), 0, map[string]any{
			"command": []string{"sh", "-c", "echo start; tail /dev/zero"},
			"linux":   map[string]any{"resources": map[string]any{"memory_limit_in_bytes": 32 << 20}},
		})
		must(t, "start", id)
		st := waitExited(t, id)
		switch {
		case st.Status.ExitCode == 137 && st.Status.Reason == "OOMKilled":
			return
		case st.Status.ExitCode == 137 && try == 1:
			fmt.Printf("crictl: FLAKY: %s: exit 137 reported as %q, not OOMKilled; once more\n", h.Name, st.Status.Reason)
			continue
		}
		t.Fatalf("want exit code 137, reason OOMKilled; got %d, %q", st.Status.ExitCode, st.Status.Reason)
	}
}

// A container that exits is replaced in the same pod by a new attempt
// (the kubelet's restart), which joins the pod's namespaces; the old one
// is removed.
func scenarioRestart(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	first := p.container("app", 0, map[string]any{"command": []string{"sh", "-c", "echo attempt 0; exit 1"}})
	must(t, "start", first)
	if st := waitExited(t, first); st.Status.ExitCode != 1 {
		t.Fatalf("first attempt: exit code %d", st.Status.ExitCode)
	}
	second := p.container("app", 1, map[string]any{"command": []string{"sh", "-c", "echo attempt 1; exec sleep 1000"}})
	must(t, "start", second)
	if st := inspect(t, second); st.Status.State != "CONTAINER_RUNNING" {
		t.Fatalf("second attempt: %s", st.Status.State)
	}
	if nsOf(t, inspect(t, second).Info.Pid, "net") != nsOf(t, p.sandboxPid(t), "net") {
		t.Fatal("the new attempt is not in the pod's network namespace")
	}
	must(t, "rm", first)
	if out := must(t, "ps", "--all", "--quiet", "--pod", p.id); out != second {
		t.Fatalf("containers of the pod after removing the first: %q, want %s", out, second)
	}
	if !strings.Contains(p.log(t, second), "attempt 1") {
		t.Fatalf("log of the second attempt: %q", p.log(t, second))
	}
}

// remove: a container's stop and rm take its process, cgroup and runtime
// state; the pod's stopp and rmp then take the shim, its socket, the
// sandbox's state (the pod's own check, in cleanup).
func scenarioRemove(t *testing.T, h handler) {
	p := newPod(t, h, podOptions{})
	id := p.run("c", "sleep", "1000")
	pid := inspect(t, id).Info.Pid
	cg := cgroupOf(t, pid)
	state := filepath.Join(ctrd.runcRoot(h), criNamespace, id)
	sock := shimSocket(ctrd.sock, criNamespace, p.id)
	// what must go is there first
	if len(cgroupDirs(cg)) == 0 || !exists(state) || !exists(sock) {
		t.Fatalf("before removal: cgroup %s %v, state %s %v, shim socket %s %v", cg, cgroupDirs(cg), state, exists(state), sock, exists(sock))
	}
	must(t, "stop", "--timeout", "0", id)
	must(t, "rm", id)
	waitFor(t, "the container's process, cgroup and state to go", func() bool {
		return !alive(pid) && len(cgroupDirs(cg)) == 0 && !exists(state)
	})
	if r := crictl(t, "inspect", id); r.Code == 0 {
		t.Fatalf("inspect after rm: %s", r)
	}
	if !exists(sock) {
		t.Fatal("the pod's shim went with its container")
	}
}

// hostname is the pod's hostname (pod.json).
func (p *pod) hostname() string {
	return "pod" + strings.TrimPrefix(filepath.Base(p.dir), "pod-")
}

// log returns what `crictl logs` shows of a container.
func (p *pod) log(t *testing.T, id string) string {
	t.Helper()
	r := crictl(t, "logs", id)
	return r.Stdout + r.Stderr
}

// term is a crictl command on a pty whose master we hold.
type term struct {
	t    *testing.T
	argv []string
	p    *ptytest.Proc
}

func spawnPty(t *testing.T, rows, cols uint16, argv ...string) *term {
	t.Helper()
	p, err := ptytest.Start(argv, work, nil, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &term{t: t, argv: argv, p: p}
}

func (tm *term) text() string { return tm.p.Text() }

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.p.Master.WriteString(s); err != nil {
		tm.t.Fatal(err)
	}
}

func (tm *term) expect(want string) {
	tm.t.Helper()
	waitFor(tm.t, "the terminal to show "+strconv.Quote(want), func() bool { return strings.Contains(tm.text(), want) })
}

func (tm *term) wait() int {
	tm.t.Helper()
	code, ok := tm.p.Wait(cmdTimeout)
	if !ok {
		tm.t.Fatalf("%s: timed out; terminal: %q", strings.Join(tm.argv, " "), tm.text())
	}
	return code
}
