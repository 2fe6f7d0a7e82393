package hooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestRunHooksFailure: a failing hook stops the hooks after it, except for
// poststop hooks, which all run (runtime-spec lifecycle step 13; the OCI
// validation suite's poststop_fail).
func TestRunHooksFailure(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		wantRan bool
	}{
		{"prestart", false},
		{"createRuntime", false},
		{"poststart", false},
		{"poststop", true},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			hooks := []specs.Hook{
				{Path: "/bin/false", Args: []string{"false"}},
				{Path: "/bin/sh", Args: []string{"sh", "-c", "echo ran >> " + out}},
			}
			err := Run(hooks, tc.kind, &specs.State{Version: specs.Version, ID: "c", Status: specs.StateStopped})
			if err == nil || !strings.Contains(err.Error(), tc.kind+" hook #0") {
				t.Fatalf("err = %v, want the failure of %s hook #0", err, tc.kind)
			}
			data, _ := os.ReadFile(out)
			if ran := string(data) == "ran\n"; ran != tc.wantRan {
				t.Errorf("second hook ran: %v, want %v (output %q)", ran, tc.wantRan, data)
			}
		})
	}
}
