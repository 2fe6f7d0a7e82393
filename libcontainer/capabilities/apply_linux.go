package capabilities

import (
	"errors"
	"fmt"
	"slices"

	"github.com/moby/sys/capability"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// ApplyBounding drops every capability that is not in the bounding set
// from the calling thread's bounding set (PR_CAPBSET_DROP). It needs
// CAP_SETPCAP in the effective set, so call it before changing to the
// container user. Capabilities already absent from the bounding set are
// left alone, so calling it twice is harmless.
func (c *Caps) ApplyBounding() error {
	last, err := lastCap()
	if err != nil {
		return fmt.Errorf("apply bounding set: %w", err)
	}
	for cp := capability.Cap(0); cp <= last; cp++ {
		if slices.Contains(c.bounding, cp) {
			continue
		}
		set, err := capability.GetBound(cp)
		if err != nil {
			if errors.Is(err, unix.EINVAL) {
				continue // not supported by this kernel
			}
			return fmt.Errorf("read bounding set %s: %w", name(cp), err)
		}
		if !set {
			continue
		}
		if err := capability.DropBound(cp); err != nil {
			return fmt.Errorf("drop %s from bounding set: %w", name(cp), err)
		}
	}
	return nil
}

// ApplyCaps sets the effective, permitted and inheritable sets of the
// calling thread (capset), then its ambient set.
//
// Call it after the change to the container user (setresgid/setresuid).
// For a non-root user the permitted set survives that change only if the
// caller set PR_SET_KEEPCAPS before it; without that, the permitted set is
// empty by then and capset fails with EPERM for any capability asked for.
//
// The kernel raises an ambient capability only if it is in both the
// permitted and inheritable sets. Like runc, one it refuses to raise
// (EPERM when it is not in both) is skipped with a warning, `can't raise
// ambient capability CAP_X: operation not permitted`, rather than failing
// the container.
func (c *Caps) ApplyCaps() error {
	pid, err := capability.NewPid2(0)
	if err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}
	pid.Clear(capability.CAPS)
	pid.Set(capability.EFFECTIVE, c.effective...)
	pid.Set(capability.PERMITTED, c.permitted...)
	pid.Set(capability.INHERITABLE, c.inheritable...)
	if err := pid.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}

	if err := capability.ResetAmbient(); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for _, cp := range c.ambient {
		if err := capability.SetAmbient(true, cp); err != nil {
			logrus.Warnf("can't raise ambient capability %s: %v", name(cp), err)
		}
	}
	return nil
}
