package harness

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
)

// FaultEnv is the variable that stops a runc built with the fault hook at
// a stage: FaultEnv=<stage> (libcontainer/testfault lists them). Only a
// binary built with the runc_testfault tag (`make runc-faults`) reads it.
const FaultEnv = "_RUNC_TEST_FAULT"

// FaultBin is the runc built with the fault hook (RUNC_FAULT_BINARY,
// default ../../runc.faults); the fault tests get it from FaultBinary.
var FaultBin string

var (
	faultOnce sync.Once
	faultErr  error
)

// FaultBinary returns FaultBin for a test that stops runc at a stage. A
// test that needs it fails without it, never skips: the suites' make
// targets build it and pass it on.
func FaultBinary(t testing.TB) string {
	t.Helper()
	faultOnce.Do(func() {
		has, err := HasFaultHook(FaultBin)
		switch {
		case err != nil:
			faultErr = fmt.Errorf("needs runc built with the fault hook (RUNC_FAULT_BINARY): %w; `make runc-faults` builds ./runc.faults, which `make integration` and `make test-stress` pass on", err)
		case !has:
			faultErr = fmt.Errorf("RUNC_FAULT_BINARY %s has no fault hook: build it with the runc_testfault tag (`make runc-faults`)", FaultBin)
		}
	})
	if faultErr != nil {
		t.Fatalf("%v", faultErr)
	}
	return FaultBin
}

// HasFaultHook reports whether the binary at path reads FaultEnv: a
// release build must not, the fault binary must.
func HasFaultHook(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return bytes.Contains(data, []byte(FaultEnv)), nil
}
