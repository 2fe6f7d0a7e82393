package integration

import (
	"debug/buildinfo"
	"os/exec"
	"strings"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestStartupCarriesNoCheckpointCode: the binary does not link what only
// some commands would need and every run would pay for at start-up: CRIU's
// RPC goes through the runtime's own codec (libcontainer/criu/rpc), not
// go-criu's generated code and protobuf's registry, no regexp is compiled
// at package initialisation, crypto/* is not linked (the seccomp cache's
// names are FNV digests), and of our own packages only three have an
// initialiser (main's commands, the seccomp and device-rule hooks): the
// others' tables are data (table.Table, lazy.Value), not maps built at
// every start. Checked from the outside: the binary's module list, and
// what `runc --version` initialises (GODEBUG=inittrace=1 prints one line
// per package initialised).
func TestStartupCarriesNoCheckpointCode(t *testing.T) {
	info, err := buildinfo.ReadFile(runcBin)
	if err != nil {
		t.Fatalf("%s: %v", runcBin, err)
	}
	if len(info.Deps) == 0 {
		t.Fatalf("%s: no module list in its build info", runcBin)
	}
	for _, d := range info.Deps {
		for _, bad := range []string{"github.com/checkpoint-restore/go-criu", "google.golang.org/protobuf"} {
			if strings.HasPrefix(d.Path, bad) {
				t.Errorf("%s links %s %s", runcBin, d.Path, d.Version)
			}
		}
	}

	cmd := exec.Command(runcBin, "--version")
	cmd.Env = append(cmd.Environ(), "GODEBUG=inittrace=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc --version: %v: %s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "runc version ") {
		t.Errorf("runc --version printed %q", stdout.String())
	}
	inits := 0
	for line := range strings.Lines(stderr.String()) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		inits++
		pkg := f[1]
		if pkg == "regexp" || strings.HasPrefix(pkg, "regexp/") || pkg == "crypto" || strings.HasPrefix(pkg, "crypto/") ||
			strings.HasPrefix(pkg, "google.golang.org/protobuf/") || strings.HasPrefix(pkg, "github.com/checkpoint-restore/") {
			t.Errorf("runc --version initialises %s: %s", pkg, strings.TrimSpace(line))
		}
		const ours = "github.com/seed4bdd2c93/runc/libcontainer"
		if strings.HasPrefix(pkg, ours+"/") && pkg != ours+"/cgroupmgr" {
			t.Errorf("runc --version initialises %s (a package-level map, or a variable set by a call?): %s", pkg, strings.TrimSpace(line))
		}
	}
	if inits == 0 {
		t.Fatalf("GODEBUG=inittrace=1 runc --version printed no init lines: %q", stderr.String())
	}
}

// TestRuncLinksNoC: the runc that `make` builds (the one that embeds its
// init, the runc_initbin tag) is pure Go: the C stage is in the embedded
// init and libseccomp in the embedded seccomp compiler
// (libcontainer/seccomp/helperbin), and a program that links C starts up
// later. Checked from the binary's build info.
func TestRuncLinksNoC(t *testing.T) {
	info, err := buildinfo.ReadFile(runcBin)
	if err != nil {
		t.Fatalf("%s: %v", runcBin, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if !strings.Contains(","+settings["-tags"]+",", ",runc_initbin,") {
		harness.Skipf(t, "%s embeds no init (tags %q): it runs itself as runc init, with the C stage", runcBin, settings["-tags"])
	}
	if settings["CGO_ENABLED"] != "0" {
		t.Errorf("%s was built with CGO_ENABLED=%q, want 0", runcBin, settings["CGO_ENABLED"])
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/seccomp/libseccomp-golang" {
			t.Errorf("%s links %s", runcBin, d.Path)
		}
	}
}
