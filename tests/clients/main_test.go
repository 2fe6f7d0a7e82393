// Package clients runs the runtime under the real container engines that
// drive runc in production — containerd (ctr, through
// containerd-shim-runc-v2), Docker (dockerd sharing that containerd) and
// Podman (through conmon) — and checks that each scenario gives what it
// gives with runc.
//
// Every daemon is started here, by hand, with its state in a temporary
// directory and unix sockets only, and stopped by its PID at the end. The
// image is a busybox rootfs (tests/rootfs/busybox.sh, with a uid-1000
// user) packed here as a docker archive and loaded into each engine. Every
// container's cgroup is under a parent of this run (/runc-clients-PID/...),
// never under the caller's own cgroup.
//
// Environment:
//
//	RUNC_BINARY       our runtime (default ../../runc)
//	BUSYBOX_ROOTFS    the rootfs to pack (default ../rootfs/busybox)
//	REFERENCE_RUNC    the runc to compare with (default /usr/sbin/runc)
//	CLIENTS_RUNTIMES  which runtimes to run the scenarios with:
//	                  "ours", "runc" or "ours,runc" (the default)
//	CONTAINERD_2_4    the directory of containerd 2.4.2, its shim and ctr
//	                  (scripts/deps.sh cri prints it): the ctr scenarios
//	                  run on it too, beside Debian's containerd 1.6
//	CLIENTS_CONTAINERDS  which containerds the ctr scenarios run on:
//	                  "1.6", "2.4" or "1.6,2.4" (the default)
//	CLIENTS_KEEP      keep the work directory (for debugging)
package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/daemon"
	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

const imageName = "localhost/busybox:clients"

// runtime is one OCI runtime the scenarios are run with.
type runtime struct {
	Name string // "ours" or "runc"
	Path string
}

var (
	runtimes []runtime
	// work is this run's directory: daemons' state, sockets, image.
	work string
	// cgParent is the cgroup every container of this run goes under.
	cgParent  = fmt.Sprintf("/runc-clients-%d", os.Getpid())
	imageTar  string
	rootfsSrc string

	// containerdVersions are the containerds of the ctr scenarios, the
	// first Debian's (dockerd's too).
	containerdVersions []containerdVersion

	dockrd *dockerd
	podmn  *podman
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) (code int) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "clients: these tests need root")
		return 1
	}
	ours := harness.EnvPath("RUNC_BINARY", "../../runc")
	ref := harness.EnvPath("REFERENCE_RUNC", "/usr/sbin/runc")
	rootfsSrc = harness.EnvPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
	want := os.Getenv("CLIENTS_RUNTIMES")
	if want == "" {
		want = "ours,runc"
	}
	for _, name := range strings.Split(want, ",") {
		switch strings.TrimSpace(name) {
		case "ours":
			runtimes = append(runtimes, runtime{"ours", ours})
		case "runc":
			runtimes = append(runtimes, runtime{"runc", ref})
		default:
			fmt.Fprintf(os.Stderr, "clients: CLIENTS_RUNTIMES: unknown runtime %q (ours, runc)\n", name)
			return 1
		}
	}
	for _, rt := range runtimes {
		if _, err := os.Stat(rt.Path); err != nil {
			fmt.Fprintf(os.Stderr, "clients: runtime %s: %v\n", rt.Name, err)
			return 1
		}
	}
	for _, bin := range []string{"/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/bin/ctr", "dockerd", "/usr/bin/docker", "podman", "conmon"} {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(os.Stderr, "clients: %s is not installed (scripts/deps.sh clients)\n", bin)
			return 1
		}
	}
	if err := chooseContainerds(); err != nil {
		fmt.Fprintln(os.Stderr, "clients:", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(rootfsSrc, "bin/busybox")); err != nil {
		fmt.Fprintf(os.Stderr, "clients: %v (make tests/rootfs/busybox)\n", err)
		return 1
	}

	var err error
	// On disk under /var/tmp: the engines' image stores and overlay
	// mounts live here, and /tmp may be a small tmpfs elsewhere.
	if work, err = os.MkdirTemp("/var/tmp", "runc-clients-"); err != nil {
		fmt.Fprintln(os.Stderr, "clients:", err)
		return 1
	}
	defer func() {
		if err := teardown(); err != nil {
			fmt.Fprintln(os.Stderr, "clients: teardown:", err)
			code = 1
		}
	}()
	imageTar = filepath.Join(work, "image.tar")
	if err := writeImageArchive(rootfsSrc, imageTar, imageName); err != nil {
		fmt.Fprintln(os.Stderr, "clients: image:", err)
		return 1
	}
	code = m.Run()
	if code != 0 {
		// what the daemons said, for the failures above
		for _, d := range runningDaemons() {
			fmt.Fprintf(os.Stderr, "clients: the last lines of %s's log:\n%s\n", d.Name, daemon.Tail(d.Log, 30))
		}
	}
	return code
}

// chooseContainerds sets containerdVersions from CLIENTS_CONTAINERDS,
// checking containerd 2.4's binaries.
func chooseContainerds() error {
	want := os.Getenv("CLIENTS_CONTAINERDS")
	if want == "" {
		want = "1.6,2.4"
	}
	for _, v := range strings.Split(want, ",") {
		switch strings.TrimSpace(v) {
		case "1.6":
			containerdVersions = append(containerdVersions, debianContainerd)
		case "2.4":
			dir := os.Getenv("CONTAINERD_2_4")
			if dir == "" {
				return fmt.Errorf("CONTAINERD_2_4 is not set: the directory of containerd 2.4.2 (scripts/deps.sh cri prints it), or CLIENTS_CONTAINERDS=1.6")
			}
			for _, tool := range []struct{ name, flag string }{{"containerd", "--version"}, {"containerd-shim-runc-v2", "-v"}, {"ctr", "--version"}} {
				out, _ := exec.Command(filepath.Join(dir, tool.name), tool.flag).CombinedOutput()
				if !strings.Contains(string(out), " v2.4.2") {
					return fmt.Errorf("%s/%s is not containerd v2.4.2's: %q (scripts/deps.sh cri)", dir, tool.name, strings.TrimSpace(string(out)))
				}
			}
			containerdVersions = append(containerdVersions, containerdVersion{"2.4", dir})
		default:
			return fmt.Errorf("CLIENTS_CONTAINERDS: unknown containerd %q (1.6, 2.4)", v)
		}
	}
	return nil
}

// runningDaemons are the daemons this run started.
func runningDaemons() []*daemon.Daemon {
	var out []*daemon.Daemon
	ctrdMu.Lock()
	for _, name := range []string{"1.6", "2.4"} {
		if c := ctrds[name]; c != nil && c.Daemon != nil {
			out = append(out, c.Daemon)
		}
	}
	ctrdMu.Unlock()
	if dockrd != nil && dockrd.Daemon != nil {
		out = append(out, dockrd.Daemon)
	}
	return out
}

// teardown stops the daemons by PID, then checks that nothing of this run
// is left: no process, no mount under the work directory, no cgroup.
func teardown() error {
	var errs []string
	// dockerd first: it runs on containerd 1.6
	daemons := runningDaemons()
	slices.Reverse(daemons)
	for _, d := range daemons {
		if err := d.Stop(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if pids := processesMatching(work); len(pids) > 0 {
		errs = append(errs, fmt.Sprintf("processes left: %v", pids))
		for _, p := range pids {
			killPid(p)
		}
	}
	if mnts := testhost.MountsUnder(work); len(mnts) > 0 {
		errs = append(errs, fmt.Sprintf("mounts left: %v", mnts))
		unmountAll(mnts)
	}
	if left := removeCgroupTree(cgParent); len(left) > 0 {
		errs = append(errs, fmt.Sprintf("cgroups left: %v", left))
	}
	if os.Getenv("CLIENTS_KEEP") == "" {
		if err := os.RemoveAll(work); err != nil {
			errs = append(errs, err.Error())
		}
	} else {
		fmt.Fprintln(os.Stderr, "clients: work directory kept:", work)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// forEachRuntime runs f as a subtest per runtime.
func forEachRuntime(t *testing.T, f func(t *testing.T, rt runtime)) {
	for _, rt := range runtimes {
		t.Run(rt.Name, func(t *testing.T) { f(t, rt) })
	}
}
