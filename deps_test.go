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

// TestBinaryDeps lists the binary's dependencies, with the build tags of
// `make runc`, and fails on any of heavyDeps.
func TestBinaryDeps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-tags", "seccomp urfave_cli_no_docs netgo osusergo", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps: only %q", deps)
	}
	for _, dep := range deps {
		for _, bad := range heavyDeps {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("runc depends on %s", dep)
			}
		}
	}
}
