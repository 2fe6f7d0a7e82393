// Package mntnstest is for tests of the packages that mount: it runs a
// function in a private mount namespace that cannot reach the host's.
package mntnstest

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Run runs fn on an OS thread of its own in a new mount namespace whose
// mounts are private; the thread is thrown away afterwards, so nothing fn
// mounts reaches the host's mount table. It needs root.
func Run(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("needs root (mount namespaces)")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with us
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			t.Errorf("make / private: %v", err)
			return
		}
		fn()
	}()
	<-done
}
