package integration

import (
	"debug/buildinfo"
	"os/exec"
	"strings"
	"testing"
)

// TestStartupCarriesNoCheckpointCode: the binary does not link what only
// some commands would need and every run would pay for at start-up: CRIU's
// RPC goes through the runtime's own codec (libcontainer/criu/rpc), not
// go-criu's generated code and protobuf's registry, and no regexp is
// compiled at package initialisation. Checked from the outside: the
// binary's module list, and what `runc --version` initialises
// (GODEBUG=inittrace=1 prints one line per package initialised).
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
		if pkg == "regexp" || strings.HasPrefix(pkg, "regexp/") ||
			strings.HasPrefix(pkg, "google.golang.org/protobuf/") || strings.HasPrefix(pkg, "github.com/checkpoint-restore/") {
			t.Errorf("runc --version initialises %s: %s", pkg, strings.TrimSpace(line))
		}
	}
	if inits == 0 {
		t.Fatalf("GODEBUG=inittrace=1 runc --version printed no init lines: %q", stderr.String())
	}
}
