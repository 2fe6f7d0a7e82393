package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestNoFaultHookInRelease: the binary under test, built as `make` (or
// `make static`, the same) and `make release` build it, has no test fault hook
// (libcontainer/testfault, compiled in only with the runc_testfault tag):
// it does not contain the variable's name, and with the variable set a
// run goes through without stopping. The binary the fault tests use
// (`make runc-faults`) has it.
func TestNoFaultHookInRelease(t *testing.T) {
	has, err := harness.HasFaultHook(runcBin)
	if err != nil {
		t.Fatal(err)
	}
	if has {
		t.Errorf("%s contains %s: a release build must not have the test fault hook", runcBin, harness.FaultEnv)
	}
	b := newBundle(t, "true")
	r := b.runAsyncOpts(runOpts{env: []string{harness.FaultEnv + "=create:statedir"}}, "run", b.ID)
	res := r.within(20*time.Second, "run with "+harness.FaultEnv+" set")
	if res.Code != 0 || strings.Contains(res.Stderr, harness.FaultEnv) {
		t.Errorf("run with %s set: exit %d, stderr %q; want 0 and no fault line", harness.FaultEnv, res.Code, res.Stderr)
	}
	if has, err := harness.HasFaultHook(harness.FaultBinary(t)); err != nil || !has {
		t.Errorf("the fault binary %s has no hook (%v)", harness.FaultBin, err)
	}
}
