// Package testfault is fault injection for tests/stress, DEBUG ONLY: not
// part of any interface.
//
// With _RUNC_TEST_FAULT=<stage> in its environment, the runtime (and the
// `runc init` it starts, which is passed the variable) prints
// "_RUNC_TEST_FAULT <stage> <pid>" on stderr and stops itself with SIGSTOP
// (or, as the init of a pid namespace, blocks for good) on reaching <stage>,
// so that a test can SIGKILL it at a known point. Stages:
//
//	create:statedir  the state directory exists, nothing else (runtime)
//	spawn:started    runc init started, namespaces being made (runtime)
//	create:cgroup    the init is in its cgroup (runtime)
//	init:mounts      among the container's mounts (init)
//	create:ready     all set up and saved, the init not yet released (runtime)
//	init:setns       an exec'd process in the container's namespaces (init)
//
// (spawn:started also applies to runc exec.)
//
// Unset, it costs a string comparison.
package testfault

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

const envTestFault = "_RUNC_TEST_FAULT"

// testFaultStage is read when the package loads: `runc init` clears its
// environment early.
var testFaultStage = os.Getenv(envTestFault)

// At stops the process if the test asked for stage. The init of a
// pid namespace cannot stop itself (its own SIGSTOP is dropped): it blocks
// in pause(2) instead.
func At(stage string) {
	if testFaultStage != stage {
		return
	}
	fmt.Fprintf(os.Stderr, "%s %s %d\n", envTestFault, stage, os.Getpid())
	if os.Getpid() != 1 {
		// At this thread: a process-wide SIGSTOP may be taken by another
		// thread while this one runs on for a moment.
		runtime.LockOSThread()
		_ = unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGSTOP)
		runtime.UnlockOSThread()
		return
	}
	for {
		_ = unix.Pause()
	}
}

// Env passes the variable on to runc init.
func Env() []string {
	if testFaultStage == "" {
		return nil
	}
	return []string{envTestFault + "=" + testFaultStage}
}
