package libcontainer

// DEBUG ONLY: fault injection for tests/stress. Not part of any interface.
//
// With _RUNC_TEST_FAULT=<stage> in its environment, the runtime (and the
// `runc init` it starts, which is passed the variable) prints
// "_RUNC_TEST_FAULT <stage> <pid>" on stderr and stops itself with SIGSTOP on
// reaching <stage>, so that a test can SIGKILL it at a known point. Stages:
//
//	create:statedir  the state directory exists, nothing else (runtime)
//	spawn:started    runc init started, namespaces being made (runtime)
//	create:cgroup    the init is in its cgroup (runtime)
//	init:mounts      among the container's mounts (init)
//	create:ready     all set up and saved, the init not yet released (runtime)
//
// Unset, it costs a string comparison.

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

const envTestFault = "_RUNC_TEST_FAULT"

// testFaultStage is read when the package loads: `runc init` clears its
// environment early.
var testFaultStage = os.Getenv(envTestFault)

// testFault stops the process if the test asked for stage.
func testFault(stage string) {
	if testFaultStage != stage {
		return
	}
	fmt.Fprintf(os.Stderr, "%s %s %d\n", envTestFault, stage, os.Getpid())
	_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
}

// testFaultEnv passes the variable on to runc init.
func testFaultEnv() []string {
	if testFaultStage == "" {
		return nil
	}
	return []string{envTestFault + "=" + testFaultStage}
}
