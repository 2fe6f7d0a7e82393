package harness

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// The polling interval starts short (most conditions hold within a few
// milliseconds) and grows to pollMax, so that a slow condition does not
// cost a busy loop.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 50 * time.Millisecond
)

// Poll checks cond until it holds or timeout passes, and reports whether
// it held. It checks once more after the deadline, so a condition that
// became true while the machine was busy is not missed. Use it where the
// caller has its own failure message or a way on; Eventually otherwise.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	wait := pollMin
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
		wait = min(wait*3/2, pollMax)
	}
}

// Eventually waits up to timeout for cond to hold and fails the test
// (t.Fatalf) naming what it waited for when it does not. cond runs on the
// test's goroutine and may itself call t.Fatal to give up early.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("%s: not within %v", what, timeout)
	}
}

// EventuallyErr waits up to timeout for check to return nil; when it does
// not, the test fails naming what it waited for and check's last error
// (what was seen instead).
func EventuallyErr(t testing.TB, timeout time.Duration, check func() error, what string) {
	t.Helper()
	if err := Await(timeout, check); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Await is EventuallyErr without the test: nil once check returned nil,
// else check's last error, saying how long it waited.
func Await(timeout time.Duration, check func() error) error {
	var last error
	if Poll(timeout, func() bool { last = check(); return last == nil }) {
		return nil
	}
	if last == nil {
		last = errors.New("no error")
	}
	return fmt.Errorf("still after %v: %w", timeout, last)
}

// Consistently checks, for the whole of d, that check returns nil:
// something that must not happen (a frozen counter moving, a fork past
// the limit), check's error saying what happened instead. As soon as it
// does, the test is marked failed (t.Errorf, so that the test goes on to
// its other checks) and Consistently returns false. It can only miss a
// failure, never make one up: d is how long we look, not a time anything
// must take.
func Consistently(t testing.TB, d time.Duration, check func() error) bool {
	t.Helper()
	var err error
	if Poll(d, func() bool { err = check(); return err != nil }) {
		t.Errorf("%v (within %v)", err, d)
		return false
	}
	return true
}
