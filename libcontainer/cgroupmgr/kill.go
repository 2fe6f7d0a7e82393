package cgroupmgr

import (
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/cgroups"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// KillAll signals every process in the cgroup.
//
// For SIGKILL where the container has a cgroup2 directory (v2, or the
// unified mount of a hybrid host) it writes cgroup.kill there (Linux 5.14,
// the runtime's floor): the kernel kills every member atomically, forks
// included. On a pure v2 host that is all. On a hybrid host the v1
// hierarchies are then checked for processes the cgroup2 directory does
// not hold (joining it is best effort) and those get the v1 treatment
// below.
//
// Otherwise (other signals, v1 only) the cgroup is frozen, every process
// signalled, and the cgroup thawed, so that nothing can fork between
// listing and signalling. A cgroup that was paused before stays paused,
// except after SIGKILL: frozen v1 processes cannot die until thawed.
//
// A cgroup directory that vanishes while it is being killed (the container
// exited and a delete removed it) held no process any more: that is
// success, not an error.
func (m *mgr) KillAll(sig unix.Signal) error {
	if !m.lib.Exists() {
		return fmt.Errorf("signal cgroup %s: %w", m.name(), ErrNotExist)
	}
	if sig == unix.SIGKILL {
		if dir := m.lib.Path(""); dir != "" {
			return m.cgroupKill(dir)
		}
	}
	return m.freezeAndSignal(sig)
}

// afterCgroupKill is called by cgroupKill right after it wrote cgroup.kill
// (a test hook: it lets a test remove the directory at that point).
var afterCgroupKill = func(string) {}

// cgroupKill writes cgroup.kill in the cgroup2 directory dir, then, on a
// hybrid host, kills through v1 the processes dir does not hold.
func (m *mgr) cgroupKill(dir string) error {
	err := cgroups.WriteFile(dir, "cgroup.kill", "1")
	if err != nil && !gone(err) {
		return fmt.Errorf("kill cgroup %s: %w", m.name(), err)
	}
	afterCgroupKill(dir)
	if cgroups.IsCgroup2UnifiedMode() {
		return nil // the v2 freezer lets killed processes die.
	}
	// Hybrid: the freezer is v1, whose frozen processes cannot die.
	if st, err := m.lib.GetFreezerState(); err == nil && st == cgroups.Frozen {
		if err := m.lib.Freeze(cgroups.Thawed); err != nil && !gone(err) {
			return fmt.Errorf("kill cgroup %s: thaw: %w", m.name(), err)
		}
	}
	// Hybrid: look for processes that are in the v1 cgroup only. Read the
	// cgroup2 list first: a process that exits in between then appears in
	// neither list rather than looking like a straggler.
	killed, err := cgroups.GetAllPids(dir)
	if err != nil && !gone(err) {
		return fmt.Errorf("list pids of %s: %w", dir, err)
	}
	all, err := m.lib.GetAllPids()
	if err != nil {
		if gone(err) {
			return nil
		}
		return fmt.Errorf("list pids of cgroup %s: %w", m.name(), err)
	}
	in2 := make(map[int]bool, len(killed))
	for _, p := range killed {
		in2[p] = true
	}
	var rest []int
	for _, p := range all {
		if !in2[p] {
			rest = append(rest, p)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	logrus.Debugf("cgroup %s: %d processes outside its cgroup2 directory, killing them through v1", m.name(), len(rest))
	return m.freezeAndSignal(unix.SIGKILL)
}

// gone reports whether err says a cgroup directory (or one of its files)
// is no longer there.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV)
}

// freezeAndSignal freezes the cgroup, sends sig to every process in it and
// thaws it again (unless it was paused before and sig is not SIGKILL).
// Failing to freeze (no freezer controller) is only warned about, as runc
// does.
func (m *mgr) freezeAndSignal(sig unix.Signal) error {
	wasFrozen := false
	if st, err := m.lib.GetFreezerState(); err == nil {
		wasFrozen = st == cgroups.Frozen
	}
	if !wasFrozen {
		if err := m.lib.Freeze(cgroups.Frozen); err != nil {
			logrus.Warnf("signal cgroup %s: freeze: %v", m.name(), err)
		}
	}
	thaw := func() {
		if wasFrozen && sig != unix.SIGKILL {
			return
		}
		if err := m.lib.Freeze(cgroups.Thawed); err != nil {
			logrus.Warnf("signal cgroup %s: thaw: %v", m.name(), err)
		}
	}
	pids, err := m.lib.GetAllPids()
	if err != nil {
		if gone(err) {
			return nil // nothing left to signal, nor to thaw
		}
		thaw()
		return fmt.Errorf("list pids of cgroup %s: %w", m.name(), err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
			logrus.Warnf("signal cgroup %s: kill %d: %v", m.name(), pid, err)
		}
	}
	thaw()
	return nil
}
