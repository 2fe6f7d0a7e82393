package main

import (
	"os/exec"
	"strings"
	"testing"
)

// heavyDeps are packages whose initialisation (or size) the binary's start
// pays for and that it has no use for: cilium/ebpf came with the
// library's device-rule package and brought the ELF and DWARF readers,
// zstd, and go/format and encoding/xml (libcontainer/cgroupmgr/devices
// replaces it).
var heavyDeps = []string{
	"github.com/cilium/ebpf", "debug/elf", "debug/dwarf", "internal/zstd", "go/format", "encoding/xml",
}

// initHeavyDeps are what runc init has no use for on top: libseccomp
// (the runtime compiles the seccomp filter, the init only loads it).
var initHeavyDeps = []string{"github.com/seccomp/libseccomp-golang"}

// TestBinaryDeps lists the dependencies of runc and of runc init, with the
// build tags of `make runc`, and fails on any of heavyDeps (and, for the
// init, initHeavyDeps).
func TestBinaryDeps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	for _, pkg := range []struct {
		name, path string
		bad        []string
	}{
		{"runc", ".", heavyDeps},
		{"runc init", "./cmd/runc-init", append(heavyDeps, initHeavyDeps...)},
	} {
		out, err := exec.Command(goBin, "list", "-deps", "-tags", "seccomp urfave_cli_no_docs netgo osusergo", pkg.path).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg.path, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 {
			t.Fatalf("go list -deps %s: only %q", pkg.path, deps)
		}
		for _, dep := range deps {
			for _, bad := range pkg.bad {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s depends on %s", pkg.name, dep)
				}
			}
		}
	}
}
