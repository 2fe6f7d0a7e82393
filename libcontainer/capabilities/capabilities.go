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
// capability this build knows.
var byName = func() map[string]capability.Cap {
	m := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		m[name(c)] = c
	}
	return m
}()

// name returns the OCI spelling of a capability ("CAP_SYS_ADMIN").
func name(c capability.Cap) string {
	return "CAP_" + strings.ToUpper(c.String())
}

// Known returns every capability name this build knows (for `runc
// features`), sorted.
func Known() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New resolves the capability names of an OCI process.
//
// A name that is not a Linux capability at all is an error naming the
// field, e.g. `process.capabilities.bounding[2]: unknown capability
// "CAP_FOO"`. A name that is a capability but is not supported by the
// running kernel (its number is above /proc/sys/kernel/cap_last_cap) is
// dropped with a warning, as the runtime-spec asks and as runc does.
// A nil c means no capabilities at all.
func New(c *specs.LinuxCapabilities) (*Caps, error) {
	var caps Caps
	if c == nil {
		return &caps, nil
	}
	last, err := lastCap()
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	unsupported := make(map[string]struct{})
	sets := []struct {
		field string
		names []string
		dst   *[]capability.Cap
	}{
		{"bounding", c.Bounding, &caps.bounding},
		{"effective", c.Effective, &caps.effective},
		{"inheritable", c.Inheritable, &caps.inheritable},
		{"permitted", c.Permitted, &caps.permitted},
		{"ambient", c.Ambient, &caps.ambient},
	}
	for _, s := range sets {
		for i, n := range s.names {
			cp, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("process.capabilities.%s[%d]: unknown capability %q", s.field, i, n)
			}
			if cp > last {
				unsupported[n] = struct{}{}
				continue
			}
			if !slices.Contains(*s.dst, cp) {
				*s.dst = append(*s.dst, cp)
			}
		}
	}
	if len(unsupported) > 0 {
		names := make([]string, 0, len(unsupported))
		for n := range unsupported {
			names = append(names, n)
		}
		sort.Strings(names)
		logrus.Warnf("ignoring capabilities not supported by the running kernel: %s", strings.Join(names, ", "))
	}
	return &caps, nil
}

// Has reports whether the named capability is in the given set
// (capability.BOUNDING, EFFECTIVE, INHERITABLE, PERMITTED or AMBIENT).
func (c *Caps) Has(which capability.CapType, n string) bool {
	cp, ok := byName[n]
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
