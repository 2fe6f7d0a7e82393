package clients

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// daemon is a daemon this run started, stopped by its PID.
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startDaemon starts argv in its own session, its output in logPath, and
// waits until ready() holds.
func startDaemon(name, logPath string, ready func() bool, argv ...string) (*daemon, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	d := &daemon{name: name, log: logPath, done: make(chan struct{})}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.Dir = work
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	if !eventually(60*time.Second, func() bool {
		select {
		case <-d.done:
			return true
		default:
		}
		return ready()
	}) {
		d.stop()
		return nil, fmt.Errorf("%s did not become ready; log %s:\n%s", name, logPath, tail(logPath, 20))
	}
	select {
	case <-d.done:
		return nil, fmt.Errorf("%s exited: log %s:\n%s", name, logPath, tail(logPath, 20))
	default:
	}
	return d, nil
}

// stop sends SIGTERM to the daemon's PID, then SIGKILL after 30s.
func (d *daemon) stop() error {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return nil
	case <-time.After(30 * time.Second):
	}
	d.cmd.Process.Kill()
	<-d.done
	return fmt.Errorf("%s (pid %d) ignored SIGTERM for 30s; killed", d.name, d.cmd.Process.Pid)
}

func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func socketUp(path string) bool {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Connect(fd, &unix.SockaddrUnix{Name: path}) == nil
}

// containerd is the containerd of this run, its CRI plugin disabled.
type containerd struct {
	*daemon
	dir, sock string
}

var (
	ctrdOnce sync.Once
	ctrdErr  error
)

// needContainerd starts containerd on first use.
func needContainerd(t *testing.T) *containerd {
	t.Helper()
	ctrdOnce.Do(func() { ctrd, ctrdErr = startContainerd() })
	if ctrdErr != nil {
		t.Fatal(ctrdErr)
	}
	return ctrd
}

func startContainerd() (*containerd, error) {
	dir := filepath.Join(work, "containerd")
	c := &containerd{dir: dir, sock: filepath.Join(dir, "containerd.sock")}
	for _, d := range []string{"root", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o711); err != nil {
			return nil, err
		}
	}
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = %q
[metrics]
  address = ""
`, dir+"/root", dir+"/state", c.sock, c.sock+".ttrpc", dir+"/debug.sock")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	d, err := startDaemon("containerd", filepath.Join(dir, "containerd.log"),
		func() bool { return socketUp(c.sock) },
		"containerd", "--config", filepath.Join(dir, "config.toml"))
	if err != nil {
		return nil, err
	}
	c.daemon = d
	if out, err := exec.Command("ctr", "--address", c.sock, "--namespace", ctrNamespace, "image", "import", imageTar).CombinedOutput(); err != nil {
		return c, fmt.Errorf("ctr image import: %v: %s", err, out)
	}
	return c, nil
}

// dockerd is the Docker daemon of this run, sharing our containerd, with
// our runtime as the default ("ours") and the reference runc as "runc-ref".
type dockerd struct {
	*daemon
	dir, sock string
}

var (
	dockerdOnce sync.Once
	dockerdErr  error
)

// needDockerd starts dockerd (and containerd) on first use.
func needDockerd(t *testing.T) *dockerd {
	t.Helper()
	c := needContainerd(t)
	dockerdOnce.Do(func() { dockrd, dockerdErr = startDockerd(c) })
	if dockerdErr != nil {
		t.Fatal(dockerdErr)
	}
	return dockrd
}

func startDockerd(c *containerd) (*dockerd, error) {
	dir := filepath.Join(work, "docker")
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return nil, err
	}
	d := &dockerd{dir: dir, sock: filepath.Join(dir, "docker.sock")}
	// Every runtime by name, so that a test picks one with --runtime.
	rts := map[string]any{}
	for _, rt := range runtimes {
		if rt.Name != "ours" {
			rts[dockerRuntimeName(rt)] = map[string]string{"path": rt.Path}
		}
	}
	// The trust key 20.10 writes would go to /etc/docker/key.json.
	cfg, _ := json.Marshal(map[string]any{"runtimes": rts, "deprecated-key-path": filepath.Join(dir, "key.json")})
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), cfg, 0o644); err != nil {
		return nil, err
	}
	ours := envPath("RUNC_BINARY", "../../runc")
	dd, err := startDaemon("dockerd", filepath.Join(dir, "dockerd.log"),
		func() bool { return socketUp(d.sock) },
		"dockerd",
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--host", "unix://"+d.sock,
		"--containerd", c.sock,
		"--containerd-namespace", "clients-moby",
		"--containerd-plugins-namespace", "clients-moby-plugins",
		"--add-runtime", "ours="+ours,
		"--default-runtime", "ours",
		"--bridge=none", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
		"--userland-proxy=false",
		"--exec-opt", "native.cgroupdriver=cgroupfs",
		"--cgroup-parent", cgParent+"/docker",
		"--storage-driver", "overlay2",
	)
	if err != nil {
		return nil, err
	}
	d.daemon = dd
	if out, err := exec.Command("/usr/bin/docker", "--host", "unix://"+d.sock, "load", "--input", imageTar).CombinedOutput(); err != nil {
		return d, fmt.Errorf("docker load: %v: %s", err, out)
	}
	return d, nil
}

// dockerRuntimeName is the name dockerd knows rt by.
func dockerRuntimeName(rt runtime) string {
	if rt.Name == "ours" {
		return "ours"
	}
	return rt.Name + "-ref"
}

// podman holds the configuration of this run's podman (no daemon): its
// storage, run directory and containers.conf in the work directory.
type podman struct {
	dir string
	env []string
}

var (
	podmanOnce sync.Once
	podmanErr  error
)

func needPodman(t *testing.T) *podman {
	t.Helper()
	podmanOnce.Do(func() { podmn, podmanErr = setupPodman() })
	if podmanErr != nil {
		t.Fatal(podmanErr)
	}
	return podmn
}

func setupPodman() (*podman, error) {
	dir := filepath.Join(work, "podman")
	for _, d := range []string{"root", "run", "tmp", "volumes", "networks"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o711); err != nil {
			return nil, err
		}
	}
	// Root here lacks CAP_SYS_RESOURCE, and podman would give containers
	// rlimits above its own hard limits (which it lowers for nproc).
	nofile, nproc := hardLimit(unix.RLIMIT_NOFILE, 4096), hardLimit(unix.RLIMIT_NPROC, 4096)
	conf := fmt.Sprintf(`[containers]
default_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]
log_driver = "k8s-file"
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %q
static_dir = %q
tmp_dir = %q
volume_path = %q
[network]
network_config_dir = %q
`, nofile, nofile, nproc, nproc, dir+"/events.log", dir+"/root/libpod", dir+"/tmp", dir+"/volumes", dir+"/networks")
	storage := fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n", dir+"/root", dir+"/run")
	if err := os.WriteFile(filepath.Join(dir, "containers.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "storage.conf"), []byte(storage), 0o644); err != nil {
		return nil, err
	}
	p := &podman{dir: dir, env: []string{
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
	}}
	cmd := exec.Command("podman", append(p.globalFlags(), "load", "--input", imageTar)...)
	cmd.Env = append(os.Environ(), p.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("podman load: %v: %s", err, out)
	}
	return p, nil
}

// globalFlags are podman's flags naming this run's storage.
func (p *podman) globalFlags() []string {
	return []string{"--root", p.dir + "/root", "--runroot", p.dir + "/run", "--cgroup-manager", "cgroupfs", "--tmpdir", p.dir + "/tmp"}
}

// hardLimit returns min(the hard limit of resource, max).
func hardLimit(resource int, max uint64) uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(resource, &rl); err == nil && rl.Max < max {
		return rl.Max
	}
	return max
}
