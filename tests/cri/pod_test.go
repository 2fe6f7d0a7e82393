package cri

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// cmdTimeout bounds every crictl command.
const cmdTimeout = 120 * time.Second

// result is what one command gave.
type result struct {
	Stdout, Stderr string
	Code           int
	Dur            time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout: %q\nstderr: %q", r.Code, r.Dur.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// proc is a crictl command running in the background, its output in
// files.
type proc struct {
	t              *testing.T
	argv           []string
	cmd            *exec.Cmd
	stdout, stderr *os.File
	start          time.Time
	done           chan struct{}
	err            error
}

// crictlArgs is crictl with its configuration for this run's containerd
// (ctrd.crictlConfig) and args.
func crictlArgs(args ...string) []string {
	return append([]string{"crictl", "--config", ctrd.crictlConfig}, args...)
}

// spawn starts crictl with args, stdin (none if nil) on its input.
func spawn(t *testing.T, stdin io.Reader, args ...string) *proc {
	t.Helper()
	argv := crictlArgs(args...)
	p := &proc{t: t, argv: argv, stdout: tempFile(t), stderr: tempFile(t), done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = work
	p.cmd.Stdin = stdin
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("crictl: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits up to timeout for the command and returns what it gave.
func (p *proc) wait(timeout time.Duration) result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		p.t.Fatalf("%s: timed out after %v\nstdout: %q\nstderr: %q", strings.Join(p.argv, " "), timeout, fileText(p.stdout), fileText(p.stderr))
	}
	r := result{Stdout: fileText(p.stdout), Stderr: fileText(p.stderr), Dur: time.Since(p.start)}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		r.Code = ee.ExitCode()
	} else if p.err != nil {
		p.t.Fatalf("%s: %v", p.argv[0], p.err)
	}
	return r
}

// waitOutput waits until the command's stdout holds want.
func (p *proc) waitOutput(want string) {
	p.t.Helper()
	waitFor(p.t, fmt.Sprintf("%q from %s", want, strings.Join(p.argv[3:], " ")), func() bool {
		return strings.Contains(fileText(p.stdout), want)
	})
}

// crictl runs crictl to completion.
func crictl(t *testing.T, args ...string) result {
	t.Helper()
	return spawn(t, nil, args...).wait(cmdTimeout)
}

// must runs crictl and fails t unless it exits 0; it returns stdout
// without the final newline.
func must(t *testing.T, args ...string) string {
	t.Helper()
	r := crictl(t, args...)
	if r.Code != 0 {
		t.Fatalf("crictl %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimRight(r.Stdout, "\n")
}

func tempFile(t *testing.T) *os.File {
	f, err := os.CreateTemp(work, "out-*")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	t.Cleanup(func() { f.Close() })
	return f
}

func fileText(f *os.File) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	return string(data)
}

// waitFor polls cond for up to 60 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var (
	seq      atomic.Int64
	pullOnce sync.Once
	pullErr  error
)

// pod is a pod sandbox of one scenario, with its handler.
type pod struct {
	t      *testing.T
	h      handler
	id     string
	dir    string // its configuration files and logs
	config string // pod.json
	ctrs   []string
	nsOpts map[string]any // namespace_options, the pod's and its containers'
	cgroup string         // the pod's cgroup parent, as a kubelet gives it
	podUID string
}

// podOptions are the parts of a pod's configuration scenarios set.
type podOptions struct {
	sharePID bool // namespace_options.pid POD (else CONTAINER)
}

// newPod runs a pod with handler h; at the end of the test its containers
// and itself are removed and nothing of it may be left.
func newPod(t *testing.T, h handler, opt podOptions) *pod {
	t.Helper()
	pullOnce.Do(func() {
		if out, err := ctrd.crictl("pull", crictlImage).CombinedOutput(); err != nil {
			pullErr = fmt.Errorf("crictl pull %s: %w: %s", crictlImage, err, out)
		}
	})
	if pullErr != nil {
		t.Fatal(pullErr)
	}
	n := seq.Add(1)
	p := &pod{t: t, h: h, dir: filepath.Join(work, fmt.Sprintf("pod-%d", n))}
	if err := os.MkdirAll(filepath.Join(p.dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.podUID = fmt.Sprintf("runccri%d%d", os.Getpid(), n)
	// as a kubelet: each container its own PID namespace unless the pod
	// shares one (shareProcessNamespace), the same options for the pod
	// and its containers
	pidMode := 1 // CONTAINER
	if opt.sharePID {
		pidMode = 0 // POD
	}
	p.nsOpts = map[string]any{"pid": pidMode}
	// a kubelet's pod cgroup: besteffort/pod<uid> below its kubepods
	// (here below containerd's /k8s.io, which the run owns), or the
	// pod's slice with the systemd driver (by its path: containerd
	// takes the unit from its last element and reads the pod's stats
	// there)
	p.cgroup = podCgroupRoot + "/kubepods/besteffort/pod" + p.podUID
	if systemd {
		p.cgroup = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + p.podUID + ".slice"
	}
	linux := map[string]any{
		"cgroup_parent":    p.cgroup,
		"security_context": map[string]any{"namespace_options": p.nsOpts},
	}
	p.config = p.writeJSON("pod.json", map[string]any{
		"metadata":      map[string]any{"name": fmt.Sprintf("%s-%d", h.Name, n), "namespace": "runc-cri", "uid": p.podUID, "attempt": 0},
		"hostname":      fmt.Sprintf("pod%d", n),
		"log_directory": filepath.Join(p.dir, "logs"),
		"linux":         linux,
	})
	before := testhost.MountPoints()
	p.id = must(t, "runp", "--runtime", h.Name, p.config)
	t.Cleanup(func() { p.remove(before) })
	return p
}

// writeJSON writes v as name in the pod's directory and returns its path.
func (p *pod) writeJSON(name string, v any) string {
	p.t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// container creates (not starts) a container of the pod from cfg, the
// CRI ContainerConfig without metadata and image, which are added.
func (p *pod) container(name string, attempt int, cfg map[string]any) string {
	p.t.Helper()
	cfg["metadata"] = map[string]any{"name": name, "attempt": attempt}
	cfg["image"] = map[string]any{"image": crictlImage}
	linux, _ := cfg["linux"].(map[string]any)
	if linux == nil {
		linux = map[string]any{}
		cfg["linux"] = linux
	}
	linux["security_context"] = map[string]any{"namespace_options": p.nsOpts}
	cfg["log_path"] = fmt.Sprintf("%s_%d.log", name, attempt)
	path := p.writeJSON(fmt.Sprintf("%s-%d.json", name, attempt), cfg)
	id := must(p.t, "create", "--no-pull", p.id, path, p.config)
	p.ctrs = append(p.ctrs, id)
	return id
}

// run creates and starts a container running command.
func (p *pod) run(name string, command ...string) string {
	p.t.Helper()
	id := p.container(name, 0, map[string]any{"command": command})
	must(p.t, "start", id)
	return id
}

// remove does what a kubelet does when a pod goes: stopp, rmp; then
// nothing of the pod may be left: its shim, the shim's socket, its
// containers' cgroups, the runtime's state of them, their mounts.
func (p *pod) remove(mountsBefore map[string]bool) {
	t := p.t
	for _, args := range [][]string{{"stopp", p.id}, {"rmp", p.id}} {
		if r := crictl(t, args...); r.Code != 0 {
			t.Errorf("crictl %s: %s", strings.Join(args, " "), r)
		}
	}
	ids := append([]string{p.id}, p.ctrs...)
	var procs, cgs, state, mnts, socks []string
	ok := eventually(10*time.Second, func() bool {
		procs, cgs, state, mnts, socks = nil, nil, nil, nil, nil
		for _, pid := range testhost.Processes(func(args []string) bool {
			return strings.Contains(strings.Join(args, " "), p.id)
		}) {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			procs = append(procs, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
		for _, cg := range podCgroups() {
			for _, id := range ids {
				if strings.Contains(cg, id) {
					cgs = append(cgs, cg)
				}
			}
		}
		// the pod's own cgroup stays (the kubelet's to remove), empty
		for _, dir := range cgroupDirs(p.cgroup) {
			if ents, _ := os.ReadDir(dir); slices.ContainsFunc(ents, os.DirEntry.IsDir) {
				cgs = append(cgs, dir+"/*")
			}
		}
		for _, id := range ids {
			if s := filepath.Join(ctrd.runcRoot(p.h), criNamespace, id); exists(s) {
				state = append(state, s)
			}
		}
		for m := range testhost.MountPoints() {
			if !mountsBefore[m] && strings.HasPrefix(m, work+"/") {
				for _, id := range ids {
					if strings.Contains(m, id) {
						mnts = append(mnts, m)
					}
				}
			}
		}
		if s := shimSocket(ctrd.sock, criNamespace, p.id); exists(s) {
			socks = append(socks, s)
		}
		return len(procs)+len(cgs)+len(state)+len(mnts)+len(socks) == 0
	})
	if !ok {
		t.Errorf("left behind by pod %s: processes %q, cgroups %v, runtime state %v, mounts %v, shim sockets %v", p.id, procs, cgs, state, mnts, socks)
	}
	p.removeCgroup()
}

// removeCgroup removes the pod's cgroup, as a kubelet does once its
// containers are gone: the directory (cgroupfs), or the slice (systemd).
func (p *pod) removeCgroup() {
	if systemd {
		if out, err := exec.Command("systemctl", "stop", filepath.Base(p.cgroup)).CombinedOutput(); err != nil {
			p.t.Errorf("systemctl stop %s: %v: %s", filepath.Base(p.cgroup), err, out)
		}
		return
	}
	for _, dir := range cgroupDirs(p.cgroup) {
		if err := os.Remove(dir); err != nil {
			p.t.Errorf("the pod's cgroup: %v", err)
		}
	}
}

// eventually polls cond every 100ms until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// status is the part of `crictl inspect` the scenarios read.
type status struct {
	Status struct {
		State    string
		ExitCode int
		Reason   string
		LogPath  string
	}
	Info struct {
		Pid int
	}
}

func inspect(t *testing.T, id string) status {
	t.Helper()
	var st status
	out := must(t, "inspect", "--output", "json", id)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("crictl inspect %s: %v: %s", id, err, out)
	}
	return st
}

// waitExited waits for the container to exit and returns its status.
func waitExited(t *testing.T, id string) status {
	t.Helper()
	var st status
	waitFor(t, id+" to exit", func() bool {
		st = inspect(t, id)
		return st.Status.State == "CONTAINER_EXITED"
	})
	return st
}

// execSync runs argv in the container (exec --sync) and returns stdout.
func execSync(t *testing.T, id string, argv ...string) string {
	t.Helper()
	return must(t, append([]string{"exec", "--sync", id}, argv...)...)
}

// cgroupOf returns the cgroup (relative to the hierarchy) of pid: the
// memory controller's on cgroup v1, the unified one on v2.
func cgroupOf(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if (cgroupVersion() == "cgroup v2" && parts[0] == "0") || strings.Contains(","+parts[1]+",", ",memory,") {
			return parts[2]
		}
	}
	t.Fatalf("no cgroup in /proc/%d/cgroup: %s", pid, data)
	return ""
}

// cgroupValue reads a cgroup file of pid's cgroup: v1File in the v1
// controller's hierarchy, or v2File on cgroup v2.
func cgroupValue(t *testing.T, pid int, controller, v1File, v2File string) string {
	t.Helper()
	cg := cgroupOf(t, pid)
	path := filepath.Join("/sys/fs/cgroup", controller, cg, v1File)
	if cgroupVersion() == "cgroup v2" {
		path = filepath.Join("/sys/fs/cgroup", cg, v2File)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// nsOf returns the namespace link of kind of pid.
func nsOf(t *testing.T, pid int, kind string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sandboxPid returns the PID of the pod's sandbox (pause) process.
func (p *pod) sandboxPid(t *testing.T) int {
	t.Helper()
	out := must(t, "inspectp", "--output", "json", p.id)
	var st struct{ Info struct{ Pid int } }
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Info.Pid == 0 {
		t.Fatalf("crictl inspectp %s: no pid (%v): %s", p.id, err, out)
	}
	return st.Info.Pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
