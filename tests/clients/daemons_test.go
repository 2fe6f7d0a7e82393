package clients

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/daemon"
	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// containerdVersion is one containerd the ctr scenarios run on.
type containerdVersion struct {
	Name string // "1.6" (Debian's, which dockerd uses too) or "2.4"
	// Bin is the directory of its containerd, containerd-shim-runc-v2
	// and ctr, first in its PATH (containerd looks its shim up there).
	Bin string
}

// containerd is a containerd of this run, its CRI plugin disabled.
type containerd struct {
	*daemon.Daemon
	version   containerdVersion
	dir, sock string
}

// ctr is the path of this containerd's ctr.
func (c *containerd) ctr() string { return filepath.Join(c.version.Bin, "ctr") }

var (
	ctrdMu   sync.Mutex
	ctrds    = map[string]*containerd{}
	ctrdErrs = map[string]error{}
)

// debianContainerd is Debian's containerd (1.6), dockerd's.
var debianContainerd = containerdVersion{"1.6", "/usr/bin"}

// needContainerd starts Debian's containerd on first use.
func needContainerd(t *testing.T) *containerd {
	t.Helper()
	return needContainerdVersion(t, debianContainerd)
}

// needContainerdVersion starts containerd v on first use.
func needContainerdVersion(t *testing.T, v containerdVersion) *containerd {
	t.Helper()
	ctrdMu.Lock()
	defer ctrdMu.Unlock()
	if _, done := ctrds[v.Name]; !done && ctrdErrs[v.Name] == nil {
		c, err := startContainerd(v)
		ctrds[v.Name], ctrdErrs[v.Name] = c, err
	}
	if ctrdErrs[v.Name] != nil {
		t.Fatal(ctrdErrs[v.Name])
	}
	return ctrds[v.Name]
}

func startContainerd(v containerdVersion) (*containerd, error) {
	dir := filepath.Join(work, "containerd-"+v.Name)
	c := &containerd{version: v, dir: dir, sock: filepath.Join(dir, "containerd.sock")}
	for _, d := range []string{"root", "state", "opt"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o711); err != nil {
			return nil, err
		}
	}
	// containerd 2.x: the CRI plugins are apart, and NRI would listen
	// in /var/run/nri
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
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, dir+"/root", dir+"/state", c.sock, c.sock+".ttrpc", dir+"/debug.sock", dir+"/opt")
	if !strings.HasPrefix(v.Name, "1.") {
		config = strings.Replace(config, "version = 2", "version = 3", 1)
		config = strings.Replace(config, `disabled_plugins = ["io.containerd.grpc.v1.cri"]`,
			`disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.nri.v1.nri"]`, 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	d, err := daemon.Start("containerd "+v.Name, work, filepath.Join(dir, "containerd.log"),
		[]string{"PATH=" + v.Bin + ":" + os.Getenv("PATH")}, 60*time.Second,
		func() bool { return daemon.SocketUp(c.sock) },
		filepath.Join(v.Bin, "containerd"), "--config", filepath.Join(dir, "config.toml"))
	if err != nil {
		return nil, err
	}
	c.Daemon = d
	if out, err := exec.Command(c.ctr(), "--address", c.sock, "--namespace", ctrNamespace, "image", "import", imageTar).CombinedOutput(); err != nil {
		return c, fmt.Errorf("ctr image import: %w: %s", err, out)
	}
	return c, nil
}

// dockerd is the Docker daemon of this run, sharing our containerd 1.6,
// with our runtime as the default ("ours") and the reference runc as
// "runc-ref".
type dockerd struct {
	*daemon.Daemon
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
	ours := harness.EnvPath("RUNC_BINARY", "../../runc")
	dd, err := daemon.Start("dockerd", work, filepath.Join(dir, "dockerd.log"), nil, 60*time.Second,
		func() bool { return daemon.SocketUp(d.sock) },
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
	d.Daemon = dd
	if out, err := exec.Command("/usr/bin/docker", "--host", "unix://"+d.sock, "load", "--input", imageTar).CombinedOutput(); err != nil {
		return d, fmt.Errorf("docker load: %w: %s", err, out)
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
		return nil, fmt.Errorf("podman load: %w: %s", err, out)
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
