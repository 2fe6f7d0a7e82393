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
//	CLIENTS_KEEP      keep the work directory (for debugging)
package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

	ctrd   *containerd
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
	ours := envPath("RUNC_BINARY", "../../runc")
	ref := envPath("REFERENCE_RUNC", "/usr/sbin/runc")
	rootfsSrc = envPath("BUSYBOX_ROOTFS", "../rootfs/busybox")
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
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "dockerd", "/usr/bin/docker", "podman", "conmon"} {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(os.Stderr, "clients: %s is not installed (scripts/deps.sh clients)\n", bin)
			return 1
		}
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
		for _, d := range []*daemon{daemonOf(ctrd), daemonOf(dockrd)} {
			if d != nil {
				fmt.Fprintf(os.Stderr, "clients: the last lines of %s's log:\n%s\n", d.name, tail(d.log, 30))
			}
		}
	}
	return code
}

// daemonOf returns the daemon of a client's daemon struct, or nil.
func daemonOf(v any) *daemon {
	switch d := v.(type) {
	case *containerd:
		if d != nil {
			return d.daemon
		}
	case *dockerd:
		if d != nil {
			return d.daemon
		}
	}
	return nil
}

// teardown stops the daemons by PID, then checks that nothing of this run
// is left: no process, no mount under the work directory, no cgroup.
func teardown() error {
	var errs []string
	if dockrd != nil {
		if err := dockrd.stop(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if ctrd != nil {
		if err := ctrd.stop(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if pids := processesMatching(work); len(pids) > 0 {
		errs = append(errs, fmt.Sprintf("processes left: %v", pids))
		for _, p := range pids {
			killPid(p)
		}
	}
	if mnts := mountsUnder(work); len(mnts) > 0 {
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

func envPath(name, def string) string {
	p := os.Getenv(name)
	if p == "" {
		p = def
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

// forEachRuntime runs f as a subtest per runtime.
func forEachRuntime(t *testing.T, f func(t *testing.T, rt runtime)) {
	for _, rt := range runtimes {
		t.Run(rt.Name, func(t *testing.T) { f(t, rt) })
	}
}
