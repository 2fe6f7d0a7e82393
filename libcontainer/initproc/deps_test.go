package initproc

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The init is kept apart from the runtime's side: runc init must not carry
// (nor run the package initialisation of) the runtime's state machine, its
// cgroup managers, CRIU, D-Bus, eBPF or netlink, nor Go's net package (its
// sockets are raw fds: net's initialisation, with net/netip's, took 2% of
// the CPU time of an exec's init). forbiddenDeps are the
// import paths (and, ending in "/", the prefixes) initproc must not
// depend on.
var forbiddenDeps = []string{
	"github.com/seed4bdd2c93/runc/libcontainer",
	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr",
	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr/",
	"github.com/seed4bdd2c93/runc/libcontainer/criu",
	"github.com/seed4bdd2c93/runc/libcontainer/criu/",
	"github.com/opencontainers/cgroups",
	"github.com/opencontainers/cgroups/",
	"github.com/checkpoint-restore/go-criu/",
	"github.com/godbus/dbus/",
	"github.com/coreos/go-systemd/",
	"github.com/cilium/ebpf",
	"github.com/cilium/ebpf/",
	"github.com/vishvananda/netlink",
	"github.com/vishvananda/netlink/",
	"net",
}

// TestInitDeps lists the dependencies of this package, as the build sees
// them with each set of build tags the binaries use, and fails on any of
// forbiddenDeps.
func TestInitDeps(t *testing.T) {
	// go test puts its toolchain's GOROOT/bin first in PATH
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the package's dependencies: %v", err)
	}
	for _, tags := range []string{"", "seccomp", "seccomp runc_testfault"} {
		out, err := exec.Command(goBin, "list", "-deps", "-tags", tags, "-f", "{{.ImportPath}}", ".").Output()
		if err != nil {
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				t.Fatalf("go list -deps -tags %q: %v: %s", tags, err, ee.Stderr)
			}
			t.Fatalf("go list -deps -tags %q: %v", tags, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps -tags %q: only %q", tags, deps)
		}
		for _, dep := range deps {
			for _, bad := range forbiddenDeps {
				if dep == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad) {
					t.Errorf("with tags %q, initproc depends on %s (%s)", tags, dep, whyDep(goBin, tags, dep))
				}
			}
		}
	}
}

// whyDep returns the import chain from this package to dep (go mod why
// -m is for modules; go list's Deps do not give the path, so the chain is
// searched here).
func whyDep(goBin, tags, dep string) string {
	out, err := exec.Command(goBin, "list", "-deps", "-tags", tags, "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", ".").Output()
	if err != nil {
		return "import chain unknown: " + err.Error()
	}
	imports := map[string][]string{}
	var self string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imps, _ := strings.Cut(line, ":")
		imports[pkg] = strings.Fields(imps)
		self = pkg // go list prints the package itself last
	}
	// breadth-first from self to dep
	prev := map[string]string{self: ""}
	queue := []string{self}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == dep {
			chain := []string{p}
			for q := prev[p]; q != ""; q = prev[q] {
				chain = append([]string{q}, chain...)
			}
			return "via " + strings.Join(chain, " -> ")
		}
		for _, i := range imports[p] {
			if _, seen := prev[i]; !seen {
				prev[i] = p
				queue = append(queue, i)
			}
		}
	}
	return "import chain not found"
}
