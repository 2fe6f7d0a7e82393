// Package cri runs the runtime under Kubernetes' container runtime
// interface as a kubelet drives it: containerd 2.4's CRI plugin and the
// runc v2 shim, with two runtime handlers, "ours" (BinaryName pointing at
// RUNC_BINARY) and "runc-1.5.3" (the reference). TestCritest runs
// critest, the CRI validation suite, against each handler and fails on a
// test ours fails and runc 1.5.3 passes; TestCrictl runs what a kubelet
// does with crictl, with each handler.
//
// containerd is started here, its state in a temporary directory and its
// API on unix sockets only; the images (busybox-based, after cri-tools'
// own recipes) are served by a registry on 127.0.0.1 that containerd's
// registry host configuration sends every registry name to; pods get
// loopback only (a CNI chain of loopback and static 127.0.0.1/8). Pod
// cgroups land at containerd's default, /k8s.io/<id> (cgroupfs driver),
// or in system.slice (systemd driver, CRI_SYSTEMD=1): the run refuses to
// start if /k8s.io exists (unless a killed run of its own left it, see
// claimFile), and checks at the end that nothing is left
// (processes, shims and their sockets, mounts, cgroups, runtime state).
//
// Environment:
//
//	RUNC_BINARY     our runtime (default ../../runc)
//	RUNC_REFERENCE  runc 1.5.3 (scripts/deps.sh reference)
//	BUSYBOX_ROOTFS  the rootfs the images are built from (../rootfs/busybox)
//	PAUSE_BINARY    tests/cmd/pause, static (built here when unset)
//	NGINX_BINARY    tests/cmd/nginx, static (built here when unset)
//	NNP_BINARY      tests/cmd/nnp, static (built here when unset)
//	CRI_BIN         the directory of containerd 2.4.2, its shim, ctr,
//	                crictl and critest 1.37.0 (scripts/deps.sh cri); put
//	                first in PATH for containerd
//	CRI_CNI_BIN     the CNI plugins' directory (default /usr/lib/cni)
//	CRI_SYSTEMD     1: SystemdCgroup = true (a cgroup v2 + systemd node)
//	CRI_FOCUS       critest's -ginkgo.focus (a subset; default all)
//	CRI_TIMEOUT     the time critest has per handler (default 60m)
//	CRI_HANDLERS    "ours", "runc-1.5.3" or both (the default)
//	CRI_KEEP        keep the work directory (for debugging)
package cri

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// handler is one CRI runtime handler: the runc shim with one runtime.
type handler struct {
	Name   string // the handler's name, "ours" or "runc-1.5.3"
	Binary string
}

var (
	// work is this run's directory: containerd's state, sockets, logs.
	work     string
	handlers []handler
	criBin   string
	systemd  bool
	ctrd     *containerd
	reg      *imageRegistry
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) (code int) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "cri: these tests need root")
		return 1
	}
	ours := harness.EnvPath("RUNC_BINARY", "../../runc")
	ref := harness.EnvPath("RUNC_REFERENCE", "../../.cache/runc-1.5.3/runc")
	rootfs := harness.EnvPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
	criBin = os.Getenv("CRI_BIN")
	systemd = os.Getenv("CRI_SYSTEMD") == "1"
	want := os.Getenv("CRI_HANDLERS")
	if want == "" {
		want = "ours,runc-1.5.3"
	}
	for _, name := range strings.Split(want, ",") {
		switch strings.TrimSpace(name) {
		case "ours":
			handlers = append(handlers, handler{"ours", ours})
		case "runc-1.5.3":
			handlers = append(handlers, handler{"runc-1.5.3", ref})
		default:
			fmt.Fprintf(os.Stderr, "cri: CRI_HANDLERS: unknown handler %q (ours, runc-1.5.3)\n", name)
			return 1
		}
	}
	if err := checkTools(rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	// The pod cgroups' parent must be ours alone.
	if err := takePodCgroups(); err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	// On disk under /var/tmp: the image store and overlay mounts.
	var err error
	if work, err = os.MkdirTemp("/var/tmp", "runc-cri-"); err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	if err := claimPodCgroups(); err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	defer func() {
		if err := teardownOnce(); err != nil {
			fmt.Fprintln(os.Stderr, "cri: teardown:", err)
			code = 1
		}
	}()
	// interrupted (^C, CI's cancel): clean up all the same
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "cri: %v: cleaning up\n", sig)
		if err := teardownOnce(); err != nil {
			fmt.Fprintln(os.Stderr, "cri: teardown:", err)
		}
		os.Exit(1)
	}()
	// traversable by the containers' root in a user namespace (their
	// rootfs is below)
	if err := os.Chmod(work, 0o711); err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	bins := map[string]string{}
	for _, name := range []string{"pause", "nginx", "nnp"} {
		if bins[name], err = helperBinary(name); err != nil {
			fmt.Fprintln(os.Stderr, "cri:", err)
			return 1
		}
	}
	images, err := testImages(rootfs, bins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cri:", err)
		return 1
	}
	if reg, err = startRegistry(images, filepath.Join(work, "registry.log")); err != nil {
		fmt.Fprintln(os.Stderr, "cri: registry:", err)
		return 1
	}
	if ctrd, err = startContainerd(); err != nil {
		fmt.Fprintln(os.Stderr, "cri: containerd:", err)
		return 1
	}
	code = m.Run()
	if code != 0 && ctrd != nil {
		fmt.Fprintf(os.Stderr, "cri: the last lines of containerd's log (%s):\n%s\n", ctrd.Log, tail(ctrd.Log))
	}
	if misses := reg.missed(); len(misses) > 0 {
		fmt.Fprintf(os.Stderr, "cri: the registry had no answer for: %s\n", strings.Join(misses, ", "))
	}
	return code
}

// checkTools checks the runtimes, the rootfs and the CRI tools.
func checkTools(rootfs string) error {
	for _, h := range handlers {
		if _, err := os.Stat(h.Binary); err != nil {
			return fmt.Errorf("handler %s: %w", h.Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin/busybox")); err != nil {
		return fmt.Errorf("%w (make tests/rootfs/busybox)", err)
	}
	if criBin != "" {
		os.Setenv("PATH", criBin+":"+os.Getenv("PATH"))
	}
	for _, tool := range []struct{ name, flag, want string }{
		{"containerd", "--version", " v2.4.2"},
		{"containerd-shim-runc-v2", "-v", " v2.4.2"},
		{"ctr", "--version", " v2.4.2"},
		{"crictl", "--version", " v1.37.0"},
		{"critest", "-version", " v1.37.0"},
	} {
		path, err := exec.LookPath(tool.name)
		if err != nil {
			return fmt.Errorf("%s is not installed (scripts/deps.sh cri, then CRI_BIN=<the directory it prints>)", tool.name)
		}
		out, _ := exec.Command(path, tool.flag).CombinedOutput()
		if !strings.Contains(string(out), tool.want) {
			return fmt.Errorf("%s is not version%s: %s says %q (scripts/deps.sh cri)", tool.name, tool.want, path, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// helperBinary returns $<NAME>_BINARY, or tests/cmd/<name> built
// statically (in the work directory).
func helperBinary(name string) (string, error) {
	if p := os.Getenv(strings.ToUpper(name) + "_BINARY"); p != "" {
		return p, nil
	}
	bin := filepath.Join(work, name)
	// "go": go test puts its toolchain's GOROOT/bin first in PATH
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build tests/cmd/%s: %w\n%s", name, err, out)
	}
	return bin, nil
}

var (
	teardownMu  sync.Mutex
	teardownErr error
	tornDown    bool
)

// teardownOnce runs teardown once, whoever asks first (the end of the run
// or a signal), and returns its error to both.
func teardownOnce() error {
	teardownMu.Lock()
	defer teardownMu.Unlock()
	if !tornDown {
		tornDown = true
		teardownErr = teardown()
	}
	return teardownErr
}

// teardown removes every pod, stops containerd and the registry, then
// checks that nothing of this run is left.
func teardown() error {
	var errs []string
	if ctrd != nil {
		errs = append(errs, ctrd.shutdown()...)
	}
	if reg != nil {
		reg.stop()
	}
	errs = append(errs, leftovers()...)
	if os.Getenv("CRI_KEEP") == "" {
		if err := os.RemoveAll(work); err != nil {
			errs = append(errs, err.Error())
		}
	} else {
		fmt.Fprintln(os.Stderr, "cri: work directory kept:", work)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	releasePodCgroups()
	return nil
}

// forEachHandler runs f as a subtest per handler.
func forEachHandler(t *testing.T, f func(t *testing.T, h handler)) {
	for _, h := range handlers {
		t.Run(h.Name, func(t *testing.T) { f(t, h) })
	}
}
