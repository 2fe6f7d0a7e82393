package devices

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/cgroups/devices/config"
)

// match is the part of a device rule that selects devices: a type ('b' or
// 'c') and a major and a minor number, each of which may be
// config.Wildcard.
type match struct {
	typ   config.Type
	major int64
	minor int64
}

func (m match) String() string {
	num := func(n int64) string {
		if n == config.Wildcard {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return string(m.typ) + " " + num(m.major) + ":" + num(m.minor)
}

// covers reports whether the device (typ, major, minor) is one m selects.
func (m match) covers(typ config.Type, major, minor int64) bool {
	return m.typ == typ &&
		(m.major == config.Wildcard || m.major == major) &&
		(m.minor == config.Wildcard || m.minor == minor)
}

// ruleSet models a cgroup v1 devices controller the way the kernel keeps
// it: a default behaviour (allow or deny every device) and a list of
// exceptions, each a match with the accesses ("rwm") to which the opposite
// of the default applies. Rules given in order update it as writes to
// devices.allow and devices.deny update the kernel's state, so the same
// model serves three purposes: reading devices.list, computing the writes
// that bring a v1 cgroup from its state to a target one, and giving the
// cgroup v2 program and the systemd properties the exact semantics of v1.
//
// The zero value denies every device.
type ruleSet struct {
	allowAll   bool
	exceptions map[match]config.Permissions
}

// newRuleSet applies rules, in order, to a ruleSet that denies every
// device (runc's starting point: the spec's rules say what to allow).
func newRuleSet(rules []*config.Rule) (*ruleSet, error) {
	rs := &ruleSet{}
	for _, r := range rules {
		if err := rs.apply(r); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// allowsEverything reports whether rs lets any access to any device.
func (rs *ruleSet) allowsEverything() bool {
	return rs.allowAll && len(rs.exceptions) == 0
}

// apply updates rs with one rule, as a write of the rule to devices.allow
// (r.Allow) or devices.deny would update the kernel's state. A type 'a'
// rule resets it to allow or deny all; an allow rule in a deny-all set
// (or a deny rule in an allow-all set) adds an exception, or adds the
// accesses to the exception of the same match; the opposite removes the
// accesses from the exception of the same match.
//
// One difference from the kernel, on purpose: removing accesses that a
// wider exception (one with a wildcard where the rule has a number) holds
// is refused. The kernel silently keeps the wider exception, so the rule
// would not take effect; "deny c 1:3 r" after "allow c 1:* r" is such a
// rule.
func (rs *ruleSet) apply(r *config.Rule) error {
	if !r.Type.CanCgroup() {
		return fmt.Errorf("device rule %s: type %q is not a cgroup device type", r.CgroupString(), string(r.Type))
	}
	if r.Type == config.WildcardDevice {
		*rs = ruleSet{allowAll: r.Allow}
		return nil
	}
	m := match{typ: r.Type, major: r.Major, minor: r.Minor}
	perms := config.Permissions("rwm").Intersection(r.Permissions)
	if r.Allow != rs.allowAll {
		rs.add(m, perms)
		return nil
	}
	return rs.remove(m, perms)
}

func (rs *ruleSet) add(m match, perms config.Permissions) {
	if perms.IsEmpty() {
		return
	}
	if rs.exceptions == nil {
		rs.exceptions = make(map[match]config.Permissions)
	}
	rs.exceptions[m] = rs.exceptions[m].Union(perms)
}

func (rs *ruleSet) remove(m match, perms config.Permissions) error {
	wider := []match{
		{m.typ, config.Wildcard, m.minor},
		{m.typ, m.major, config.Wildcard},
		{m.typ, config.Wildcard, config.Wildcard},
	}
	for _, w := range wider {
		if w == m {
			continue
		}
		if held := rs.exceptions[w].Intersection(perms); !held.IsEmpty() {
			verb := "allow"
			if rs.allowAll {
				verb = "deny"
			}
			return fmt.Errorf("device rule %s %s: cannot take %q out of the wider exception %s %s (%s); cgroup v1 would ignore it",
				m, perms, held, w, rs.exceptions[w], verb)
		}
	}
	left := rs.exceptions[m].Difference(perms)
	if left.IsEmpty() {
		delete(rs.exceptions, m)
	} else {
		rs.exceptions[m] = left
	}
	return nil
}

// allows reports whether rs lets the access ("r", "w", "m" or a
// combination) to the device, as the cgroup v2 program does: an exception
// applies when it selects the device and holds every requested access.
// That is the kernel's v1 rule for a deny-all cgroup; for an allow-all
// one, v1 denies an access that overlaps a deny exception at all (so "rw"
// on a device whose "w" is denied), where the program, like the library's,
// allows it.
func (rs *ruleSet) allows(typ config.Type, major, minor int64, access config.Permissions) bool {
	for m, perms := range rs.exceptions {
		if m.covers(typ, major, minor) && access.Difference(perms).IsEmpty() {
			return !rs.allowAll
		}
	}
	return rs.allowAll
}

// equal reports whether rs and o are the same state.
func (rs *ruleSet) equal(o *ruleSet) bool {
	if rs.allowAll != o.allowAll || len(rs.exceptions) != len(o.exceptions) {
		return false
	}
	for m, p := range rs.exceptions {
		if q, ok := o.exceptions[m]; !ok || p.Union("") != q.Union("") {
			return false
		}
	}
	return true
}

// sortedMatches lists the matches of the exceptions by major, minor and
// type, so that the rules written are always the same for the same state.
func (rs *ruleSet) sortedMatches() []match {
	ms := make([]match, 0, len(rs.exceptions))
	for m := range rs.exceptions {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b match) int {
		if a.major != b.major {
			return cmpInt(a.major, b.major)
		}
		if a.minor != b.minor {
			return cmpInt(a.minor, b.minor)
		}
		return cmpInt(int64(a.typ), int64(b.typ))
	})
	return ms
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// transition returns the rules that, written in order to devices.allow
// (Allow) and devices.deny, take a v1 cgroup from the state rs to the
// state to without ever denying, along the way, an access that both
// states allow:
//
//   - when the defaults differ, or rs allows by default (devices.list
//     does not show the exceptions of an allow-all cgroup, so they are
//     unknown), it starts with the 'a' rule that resets the cgroup to the
//     target's default: the one unavoidably disruptive write;
//   - then it takes away the accesses of rs's exceptions that to lacks,
//   - then it adds the accesses of to's exceptions that rs lacks.
func (rs *ruleSet) transition(to *ruleSet) []*config.Rule {
	var out []*config.Rule
	from := rs.exceptions
	if rs.allowAll || rs.allowAll != to.allowAll {
		out = append(out, &config.Rule{
			Type:        config.WildcardDevice,
			Major:       config.Wildcard,
			Minor:       config.Wildcard,
			Permissions: "rwm",
			Allow:       to.allowAll,
		})
		from = nil
	}
	old := &ruleSet{exceptions: from}
	for _, m := range old.sortedMatches() {
		if lost := from[m].Difference(to.exceptions[m]); !lost.IsEmpty() {
			out = append(out, m.rule(lost, to.allowAll))
		}
	}
	for _, m := range to.sortedMatches() {
		if gained := to.exceptions[m].Difference(from[m]); !gained.IsEmpty() {
			out = append(out, m.rule(gained, !to.allowAll))
		}
	}
	return out
}

func (m match) rule(perms config.Permissions, allow bool) *config.Rule {
	return &config.Rule{Type: m.typ, Major: m.major, Minor: m.minor, Permissions: perms, Allow: allow}
}

// rules returns the shortest list of rules that makes rs out of a cgroup
// denying everything: for an allow-all state the 'a' allow rule, then the
// deny exceptions; otherwise the allow exceptions alone. All rules but
// the leading 'a' one have the same action, the opposite of the default.
func (rs *ruleSet) rules() []*config.Rule {
	return (&ruleSet{}).transition(rs)
}

// parseList reads a devices.list file into a ruleSet. The file lists the
// allow exceptions of a deny-all cgroup, or holds "a *:* rwm" for a cgroup
// that allows by default (whose deny exceptions it does not show).
func parseList(list string) (*ruleSet, error) {
	rs := &ruleSet{}
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		line := sc.Text()
		r, err := parseListLine(line)
		if err != nil {
			return nil, fmt.Errorf("devices.list line %q: %w", line, err)
		}
		if err := rs.apply(r); err != nil {
			return nil, fmt.Errorf("devices.list line %q: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading devices.list: %w", err)
	}
	return rs, nil
}

// parseListLine parses "TYPE MAJOR:MINOR ACCESS" (numbers or "*") into an
// allow rule.
func parseListLine(line string) (*config.Rule, error) {
	f := strings.FieldsFunc(line, func(c rune) bool { return c == ' ' || c == ':' })
	if len(f) != 4 {
		return nil, fmt.Errorf("want \"type major:minor access\"")
	}
	r := &config.Rule{Allow: true, Major: config.Wildcard, Minor: config.Wildcard, Permissions: config.Permissions(f[3])}
	switch f[0] {
	case "a":
		// The whole file is then "a *:* rwm": an allow-all cgroup.
		r.Type = config.WildcardDevice
		return r, nil
	case "b":
		r.Type = config.BlockDevice
	case "c":
		r.Type = config.CharDevice
	default:
		return nil, fmt.Errorf("unknown device type %q", f[0])
	}
	for i, p := range []*int64{&r.Major, &r.Minor} {
		if f[1+i] == "*" {
			continue
		}
		n, err := strconv.ParseUint(f[1+i], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad device number: %w", err)
		}
		*p = int64(n)
	}
	if r.Permissions.IsEmpty() || !r.Permissions.IsValid() {
		return nil, fmt.Errorf("bad access %q", f[3])
	}
	return r, nil
}
