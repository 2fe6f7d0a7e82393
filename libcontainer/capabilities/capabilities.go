// Package capabilities resolves the capability sets of an OCI process and
// applies them to the calling thread.
//
// The intended order of use inside the container's init is:
//
//	caps, err := capabilities.New(spec.Process.Capabilities)
//	caps.ApplyBounding()           // while still root, needs CAP_SETPCAP
//	prctl(PR_SET_KEEPCAPS, 1)      // keep the permitted set across setuid
//	setgroups/setresgid/setresuid  // change to the container user
//	prctl(PR_SET_KEEPCAPS, 0)
//	caps.ApplyCaps()               // effective, permitted, inheritable, ambient
//
// All of it must happen on one locked OS thread (runtime.LockOSThread),
// since capabilities are a per-thread attribute.
package capabilities

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/lazy"
)

// Caps holds the five capability sets of an OCI process, resolved to
// capability numbers. Every capability in it is supported by the running
// kernel. The zero value (and New(nil)) holds no capabilities at all.
type Caps struct {
	bounding    []capability.Cap
	effective   []capability.Cap
	inheritable []capability.Cap
	permitted   []capability.Cap
	ambient     []capability.Cap
}

// lastCap returns the highest capability the running kernel supports.
// It is a variable so tests can pretend to run on an older kernel.
var lastCap = capability.LastCap

// byName maps "CAP_CHOWN" style names to capability numbers for every
// capability this build knows; built on first use, not at start-up.
var byName = lazy.Value[map[string]capability.Cap]{New: func() map[string]capability.Cap {
	m := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		m[name(c)] = c
	}
	return m
}}

// name returns the OCI spelling of a capability ("CAP_SYS_ADMIN").
func name(c capability.Cap) string {
	return "CAP_" + strings.ToUpper(c.String())
}

// Known returns every capability name this build knows (for `runc
// features`), sorted.
func Known() []string {
	names := make([]string, 0, len(byName.Get()))
	for n := range byName.Get() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New resolves the capability names of an OCI process, as Parse does, and
// warns about the names it ignored, in runc's words: `ignoring unknown or
// unavailable capabilities: [CAP_BAR CAP_FOO]`. The container's init calls
// it, so the warning is given once per process started.
func New(c *specs.LinuxCapabilities) (*Caps, error) {
	caps, ignored, err := Parse(c)
	if err != nil {
		return nil, err
	}
	if len(ignored) > 0 {
		logrus.Warnf("ignoring unknown or unavailable capabilities: %v", ignored)
	}
	return caps, nil
}

// Parse resolves the capability names of an OCI process. Like runc (and
// as the runtime-spec asks for those the kernel lacks), a name that is not
// a capability this build knows, or one the running kernel does not
// support (its number is above /proc/sys/kernel/cap_last_cap), is not an
// error: it is left out of the sets and returned in ignored (sorted, each
// once). A nil c means no capabilities at all.
func Parse(c *specs.LinuxCapabilities) (_ *Caps, ignored []string, _ error) {
	var caps Caps
	if c == nil {
		return &caps, nil, nil
	}
	last, err := lastCap()
	if err != nil {
		return nil, nil, fmt.Errorf("capabilities: %w", err)
	}
	for _, s := range []struct {
		names []string
		dst   *[]capability.Cap
	}{
		{c.Bounding, &caps.bounding},
		{c.Effective, &caps.effective},
		{c.Inheritable, &caps.inheritable},
		{c.Permitted, &caps.permitted},
		{c.Ambient, &caps.ambient},
	} {
		for _, n := range s.names {
			cp, ok := byName.Get()[n]
			if !ok || cp > last {
				if !slices.Contains(ignored, n) {
					ignored = append(ignored, n)
				}
				continue
			}
			if !slices.Contains(*s.dst, cp) {
				*s.dst = append(*s.dst, cp)
			}
		}
	}
	sort.Strings(ignored)
	return &caps, ignored, nil
}

// Has reports whether the named capability is in the given set
// (capability.BOUNDING, EFFECTIVE, INHERITABLE, PERMITTED or AMBIENT).
func (c *Caps) Has(which capability.CapType, n string) bool {
	cp, ok := byName.Get()[n]
	if !ok {
		return false
	}
	return slices.Contains(c.set(which), cp)
}

// set returns the capabilities of one set.
func (c *Caps) set(which capability.CapType) []capability.Cap {
	switch which {
	case capability.BOUNDING:
		return c.bounding
	case capability.EFFECTIVE:
		return c.effective
	case capability.INHERITABLE:
		return c.inheritable
	case capability.PERMITTED:
		return c.permitted
	case capability.AMBIENT:
		return c.ambient
	}
	return nil
}
