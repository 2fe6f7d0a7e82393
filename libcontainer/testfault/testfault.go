//go:build runc_testfault

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
