package cri

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/daemon"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// podCgroupRoot is where containerd puts a pod without a cgroup parent
// (its spec default, /<namespace>/<id>), with the cgroupfs driver.
const podCgroupRoot = "/k8s.io"

// criNamespace is the containerd namespace of the CRI plugin.
const criNamespace = "k8s.io"

// containerd is the containerd of this run, with its CRI plugin.
type containerd struct {
	*daemon.Daemon
	dir, sock string
	// events is `ctr events`, recording the tasks created (the shims'
	// IDs, whose sockets are checked at the end).
	events    *exec.Cmd
	eventsLog string
	// crictlConfig is crictl's configuration: this containerd's socket.
	crictlConfig string
}

func startContainerd() (*containerd, error) {
	dir := filepath.Join(work, "containerd")
	c := &containerd{dir: dir, sock: filepath.Join(dir, "containerd.sock")}
	for _, d := range []string{"root", "state", "tmp", "opt", "certs.d/_default", "cni", "nri/plugins", "nri/conf"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o711); err != nil {
			return nil, err
		}
	}
	for _, h := range handlers {
		if err := os.MkdirAll(c.runcRoot(h), 0o711); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "certs.d/_default/hosts.toml"), []byte(reg.hostsToml()), 0o644); err != nil {
		return nil, err
	}
	// Loopback alone leaves the pod without an address, which containerd
	// refuses; static (an IPAM plugin, run here as a plugin of the chain)
	// reports 127.0.0.1/8 and configures nothing.
	cni := `{
  "cniVersion": "1.0.0",
  "name": "runc-cri-loopback",
  "plugins": [
    {"type": "loopback"},
    {"type": "static", "ipam": {"type": "static", "addresses": [{"address": "127.0.0.1/8"}]}}
  ]
}
`
	if err := os.WriteFile(filepath.Join(dir, "cni/10-loopback.conflist"), []byte(cni), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(c.config()), 0o644); err != nil {
		return nil, err
	}
	c.crictlConfig = filepath.Join(dir, "crictl.yaml")
	crictlConfig := fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 60\n", c.sock, c.sock)
	if err := os.WriteFile(c.crictlConfig, []byte(crictlConfig), 0o644); err != nil {
		return nil, err
	}
	env := []string{"TMPDIR=" + filepath.Join(dir, "tmp")}
	if criBin != "" {
		env = append(env, "PATH="+os.Getenv("PATH"))
	}
	d, err := daemon.Start("containerd", work, filepath.Join(dir, "containerd.log"), env, 2*time.Minute,
		c.ready, "containerd", "--config", filepath.Join(dir, "config.toml"))
	if err != nil {
		return nil, err
	}
	c.Daemon = d
	c.eventsLog = filepath.Join(dir, "events.log")
	logf, err := os.Create(c.eventsLog)
	if err != nil {
		return c, err
	}
	defer logf.Close()
	c.events = exec.Command("ctr", "--address", c.sock, "events")
	c.events.Stdout, c.events.Stderr = logf, logf
	if err := c.events.Start(); err != nil {
		return c, fmt.Errorf("ctr events: %w", err)
	}
	return c, nil
}

// runcRoot is the runtime's --root for a handler's containers.
func (c *containerd) runcRoot(h handler) string {
	return filepath.Join(c.dir, "runc", h.Name)
}

// config is containerd's configuration: every path in the work directory
// (the NRI socket, opt, the image verifier's and CNI's directories
// included), the streaming server on 127.0.0.1, one runc-shim handler per
// runtime.
func (c *containerd) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, `version = 3
root = %q
state = %q
temp = %q

[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = %q
  level = "info"
[metrics]
  address = ""

[plugins.'io.containerd.internal.v1.opt']
  path = %q
[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = %q
[plugins.'io.containerd.nri.v1.nri']
  disable = false
  socket_path = %q
  plugin_path = %q
  plugin_config_path = %q

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = %q
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = %q

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins.'io.containerd.cri.v1.runtime']
  # root lacks CAP_SYS_RESOURCE here: no oom_score_adj below its own
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [%q]
    conf_dir = %q
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = %q
`,
		c.dir+"/root", c.dir+"/state", c.dir+"/tmp",
		c.sock, c.sock+".ttrpc", c.dir+"/debug.sock",
		c.dir+"/opt", c.dir+"/opt/image-verifier",
		c.nriSocket(), c.dir+"/nri/plugins", c.dir+"/nri/conf",
		sandboxImage, c.dir+"/certs.d",
		cniBin(), c.dir+"/cni", handlers[0].Name)
	for _, h := range handlers {
		fmt.Fprintf(&b, `    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%q]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%q.options]
        BinaryName = %q
        Root = %q
        SystemdCgroup = %v
`, h.Name, h.Name, h.Binary, c.runcRoot(h), systemd)
	}
	return b.String()
}

// cniBin is the directory of the CNI plugins: CRI_CNI_BIN, or Debian's
// (containernetworking-plugins).
func cniBin() string {
	if d := os.Getenv("CRI_CNI_BIN"); d != "" {
		return d
	}
	return "/usr/lib/cni"
}

func (c *containerd) nriSocket() string { return filepath.Join(c.dir, "nri.sock") }

// ready: the socket answers and the CRI plugin says the runtime and the
// network are ready (the CNI configuration loaded).
func (c *containerd) ready() bool {
	if !daemon.SocketUp(c.sock) {
		return false
	}
	out, err := exec.Command("crictl", "--config", c.crictlConfig, "--timeout", "5s", "info").Output()
	if err != nil {
		return false
	}
	var info struct {
		Status struct {
			Conditions []struct {
				Type   string
				Status bool
			}
		}
	}
	if json.Unmarshal(out, &info) != nil {
		return false
	}
	ready := 0
	for _, cond := range info.Status.Conditions {
		if (cond.Type == "RuntimeReady" || cond.Type == "NetworkReady") && cond.Status {
			ready++
		}
	}
	return ready == 2
}

// crictl runs crictl on this containerd.
func (c *containerd) crictl(args ...string) *exec.Cmd {
	return exec.Command("crictl", append([]string{"--config", c.crictlConfig}, args...)...)
}

// shutdown removes the pods left (an error: the tests remove theirs),
// stops `ctr events` and containerd.
func (c *containerd) shutdown() []string {
	var errs []string
	if out, err := c.crictl("pods", "-q").Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
		errs = append(errs, fmt.Sprintf("pods left: %s", strings.Fields(string(out))))
		if out, err := c.crictl("rmp", "--force", "--all").CombinedOutput(); err != nil {
			errs = append(errs, fmt.Sprintf("crictl rmp --force --all: %v: %s", err, out))
		}
	}
	if c.events != nil {
		c.events.Process.Signal(syscall.SIGTERM)
		c.events.Wait()
	}
	if err := c.Stop(); err != nil {
		errs = append(errs, err.Error())
	}
	return errs
}

// shimIDs returns the IDs of the tasks created in the CRI namespace (a
// pod's shim is named after its sandbox, whose task is one of them).
func (c *containerd) shimIDs() []string {
	f, err := os.Open(c.eventsLog)
	if err != nil {
		return nil
	}
	defer f.Close()
	re := regexp.MustCompile(`\s/tasks/create\s.*"container_id":"([0-9a-f]+)"`)
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), " "+criNamespace+" ") {
			continue
		}
		if m := re.FindStringSubmatch(sc.Text()); m != nil && !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// shimSocket is where containerd-shim-runc-v2 2.4 puts the socket of the
// shim id of a containerd listening on address (pkg/shim's
// SocketAddress).
func shimSocket(address, ns, id string) string {
	return fmt.Sprintf("/run/containerd/s/%x", sha256.Sum256([]byte(filepath.Join(address, ns, id))))
}

// leftovers checks, once containerd is stopped, that nothing of this run
// is left: no process naming the work directory (shims), nothing in the
// pods' cgroups and no such cgroup, no mount under the work directory, no
// shim socket, no container state in the runtimes' roots. What it finds
// it reports and removes.
func leftovers() []string {
	var errs []string
	if work == "" {
		return nil
	}
	// shims exit on their own once their last task is deleted
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		pids = testhost.Processes(func(args []string) bool {
			return strings.Contains(strings.Join(args, "\x00"), work)
		})
		if len(pids) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(pids) > 0 {
		var descs []string
		for _, p := range pids {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			descs = append(descs, fmt.Sprintf("%d (%s)", p, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
			syscall.Kill(p, syscall.SIGKILL)
		}
		errs = append(errs, fmt.Sprintf("processes left: %s", strings.Join(descs, ", ")))
	}
	for _, cg := range podCgroups() {
		if pids := testhost.ProcessesIn(cg); len(pids) > 0 {
			errs = append(errs, fmt.Sprintf("processes left in %s: %v", cg, pids))
		}
	}
	if left := removePodCgroups(); len(left) > 0 {
		errs = append(errs, fmt.Sprintf("cgroups left: %v", left))
	}
	if mnts := testhost.MountsUnder(work); len(mnts) > 0 {
		errs = append(errs, fmt.Sprintf("mounts left: %v", mnts))
		for i := 0; i < 4; i++ {
			for _, m := range mnts {
				syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}
	}
	if ctrd != nil {
		for _, id := range ctrd.shimIDs() {
			if s := shimSocket(ctrd.sock, criNamespace, id); exists(s) {
				errs = append(errs, fmt.Sprintf("shim socket of %s left: %s", id, s))
				os.Remove(s)
			}
		}
		// the shim runs the runtime with --root Root/<namespace>
		for _, h := range handlers {
			dir := filepath.Join(ctrd.runcRoot(h), criNamespace)
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				errs = append(errs, fmt.Sprintf("%s's state left in %s: %v", h.Name, dir, names))
			}
		}
	}
	return errs
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// containerCgroup matches the name of a container's or a pod's cgroup:
// a container ID (cgroupfs: the parent's child), a kubelet's pod<uid>, or
// a systemd scope or slice of either.
var containerCgroup = regexp.MustCompile(`^([0-9a-f]{64}|pod.*|cri-containerd-[0-9a-f]{64}\.scope|kubepods-.*pod.*\.slice)$`)

// podCgroups returns the cgroups of pods and containers in any hierarchy
// (paths relative to the hierarchy): below /k8s.io, and with the systemd
// driver in the kubepods slices and system.slice.
func podCgroups() []string {
	var out []string
	for _, h := range testhost.CgroupHierarchies() {
		filepath.WalkDir(h, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel := "/" + strings.TrimPrefix(strings.TrimPrefix(p, h), "/")
			under := strings.HasPrefix(rel, podCgroupRoot+"/") || strings.HasPrefix(rel, "/kubepods") || strings.HasPrefix(rel, "/system.slice/")
			if under && containerCgroup.MatchString(d.Name()) && !slices.Contains(out, rel) {
				out = append(out, rel)
			}
			return nil
		})
	}
	return out
}

// removePodCgroups removes /k8s.io (made by the runtimes for the pods, and
// left by them as a parent; the kubelet-like pods' parents are below it)
// and with the systemd driver the kubepods slice, and returns the pod and
// container cgroups found (left behind).
func removePodCgroups() []string {
	left := podCgroups()
	for _, h := range testhost.CgroupHierarchies() {
		root := filepath.Join(h, podCgroupRoot)
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i])
		}
	}
	if systemd {
		exec.Command("systemctl", "stop", "kubepods.slice").Run()
	}
	return left
}

// cgroupDirs returns the directories of cgroup path that exist.
func cgroupDirs(path string) []string {
	var out []string
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, path)); err == nil {
			out = append(out, filepath.Join(h, path))
		}
	}
	return out
}

// tail is the last 40 lines of the log at path.
func tail(path string) string { return daemon.Tail(path, 40) }
