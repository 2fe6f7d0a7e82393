package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// heavyDeps are packages whose initialisation (or size) the binary's start
// pays for and that it has no use for: cilium/ebpf came with the
// library's device-rule package and brought the ELF and DWARF readers,
// zstd, and go/format and encoding/xml (libcontainer/cgroupmgr/devices
// replaces it). crypto/*: a dozen package initialisers (the FIPS module's)
// for one digest, the seccomp cache's file names, which need none (see
// libcontainer/seccomp/cache_linux.go).
var heavyDeps = []string{
	"github.com/cilium/ebpf", "debug/elf", "debug/dwarf", "internal/zstd", "go/format", "encoding/xml", "crypto",
}

// libseccomp is only in the embedded compiler (cmd/runc-seccomp): runc
// links no C (libseccomp, the C stage, cgo's runtime), and runc init only
// loads the program runc compiled.
var (
	noC          = []string{"runtime/cgo", "github.com/seccomp/libseccomp-golang"}
	noLibseccomp = []string{"github.com/seccomp/libseccomp-golang"}
)

// TestBinaryDeps lists the dependencies of the programs `make runc`
// builds, with its build tags and cgo setting: runc, runc init and the
// seccomp compiler, and fails on any of heavyDeps and those a program
// must not link; it checks that the two programs that need the C stage
// and libseccomp have them.
func TestBinaryDeps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	const tags = "seccomp urfave_cli_no_docs netgo osusergo"
	for _, pkg := range []struct {
		name, path, tags, cgo string
		bad, need             []string
	}{
		{"runc", ".", tags + " runc_initbin", "0", append(heavyDeps, noC...), []string{"github.com/seed4bdd2c93/runc/libcontainer/seccomp/helperbin"}},
		{"runc init", "./cmd/runc-init", tags, "1", append(heavyDeps, noLibseccomp...), []string{"runtime/cgo"}},
		{"runc-seccomp", "./cmd/runc-seccomp", tags, "1", heavyDeps, []string{"github.com/seccomp/libseccomp-golang"}},
	} {
		// -e: runc embeds the other two, which need not be built yet.
		cmd := exec.Command(goBin, "list", "-e", "-deps", "-tags", pkg.tags, pkg.path)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+pkg.cgo)
		out, err := cmd.Output()
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
		for _, need := range pkg.need {
			if !slices.Contains(deps, need) {
				t.Errorf("%s does not depend on %s", pkg.name, need)
			}
		}
	}
}
