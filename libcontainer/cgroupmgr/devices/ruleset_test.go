package devices

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups/devices/config"
)

// rule builds a rule from "allow|deny a|b|c MAJOR:MINOR ACCESS".
func rule(t testing.TB, s string) *config.Rule {
	t.Helper()
	f := strings.Fields(s)
	if len(f) == 2 && f[1] == "a" {
		f = append(f, "*:*", "rwm")
	}
	if len(f) != 4 {
		t.Fatalf("bad rule %q", s)
	}
	r, err := parseListLine(f[1] + " " + f[2] + " " + f[3])
	if err != nil {
		t.Fatalf("rule %q: %v", s, err)
	}
	r.Allow = f[0] == "allow"
	return r
}

func rules(t testing.TB, ss ...string) []*config.Rule {
	out := make([]*config.Rule, 0, len(ss))
	for _, s := range ss {
		out = append(out, rule(t, s))
	}
	return out
}

// ruleStrings renders rules as "allow c 1:3 rwm".
func ruleStrings(rs []*config.Rule) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		verb := "deny"
		if r.Allow {
			verb = "allow"
		}
		out = append(out, verb+" "+r.CgroupString())
	}
	return out
}

// The rules runc starts a container with (deny all, then the defaults).
var runcDefaults = []string{
	"deny a",
	"allow c *:* m", "allow b *:* m",
	"allow c 1:3 rwm", "allow c 1:5 rwm", "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm",
	"allow c 5:0 rwm", "allow c 5:1 rwm", "allow c 5:2 rwm", "allow c 136:* rwm", "allow c 10:200 rwm",
}

func TestRuleSetRules(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{"empty denies all", nil, nil, ""},
		{"deny all", []string{"deny a"}, nil, ""},
		{"allow all", []string{"allow a"}, []string{"allow a *:* rwm"}, ""},
		{"allow all wins when last", []string{"deny a", "allow c 1:3 rwm", "allow a"}, []string{"allow a *:* rwm"}, ""},
		{"deny all resets", []string{"allow c 1:3 rwm", "deny a", "allow c 1:5 r"}, []string{"allow c 1:5 r"}, ""},
		{
			"merged and sorted",
			[]string{"allow c 1:5 r", "allow c 1:3 w", "allow c 1:5 m", "allow b 1:3 r", "allow c *:* m"},
			[]string{"allow c *:* m", "allow b 1:3 r", "allow c 1:3 w", "allow c 1:5 rm"},
			"",
		},
		{"later deny takes accesses away", []string{"allow c 1:3 rwm", "deny c 1:3 w"}, []string{"allow c 1:3 rm"}, ""},
		{
			"deny list",
			[]string{"allow a", "deny c 1:11 w", "deny b 8:* rwm", "allow c 1:11 w"},
			[]string{"allow a *:* rwm", "deny b 8:* rwm"},
			"",
		},
		{"hole in a wildcard", []string{"allow c 1:* r", "deny c 1:3 rw"}, nil, "wider exception c 1:*"},
		{"hole in a wildcard major", []string{"allow a", "deny c *:3 w", "allow c 4:3 w"}, nil, "wider exception c *:3"},
		{"hole with other accesses is fine", []string{"allow c 1:* r", "deny c 1:3 w"}, []string{"allow c 1:* r"}, ""},
		{"fifo refused", []string{"deny a"}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := newRuleSet(rules(t, tc.in...))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleStrings(rs.rules()); !slices.Equal(got, tc.want) {
				t.Errorf("rules %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := newRuleSet([]*config.Rule{{Type: config.FifoDevice, Permissions: "rwm", Allow: true}}); err == nil {
		t.Error("a fifo rule was taken")
	}
}

func TestParseList(t *testing.T) {
	rs, err := parseList("c 1:3 rwm\nc *:* m\nb 8:* r\nc 136:* rwm\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"allow c *:* m", "allow c 1:3 rwm", "allow b 8:* r", "allow c 136:* rwm"}
	if got := ruleStrings(rs.rules()); !slices.Equal(got, want) {
		t.Errorf("rules %q, want %q", got, want)
	}
	if rs, err := parseList("a *:* rwm\n"); err != nil || !rs.allowsEverything() {
		t.Errorf("a *:* rwm: %+v, %v", rs, err)
	}
	if rs, err := parseList(""); err != nil || rs.allowAll || len(rs.exceptions) != 0 {
		t.Errorf("empty list: %+v, %v", rs, err)
	}
	for _, bad := range []string{"c 1:3", "x 1:3 rwm", "c 1:y rwm", "c 1:3 rwx", "c 1:3 wr", "c 99999999999:1 r"} {
		if _, err := parseList(bad + "\n"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestTransitionCases: the writes of an update, for the cases that
// matter to a running container.
func TestTransitionCases(t *testing.T) {
	cases := []struct {
		name     string
		from, to []string
		want     []string
	}{
		{"same rules: nothing", runcDefaults, runcDefaults, nil},
		{"add one device: one write", runcDefaults, append(slices.Clone(runcDefaults), "allow c 1:11 w"), []string{"allow c 1:11 w"}},
		{
			"take one away, partly", append(slices.Clone(runcDefaults), "allow c 1:11 rw"), append(slices.Clone(runcDefaults), "allow c 1:11 w"),
			[]string{"deny c 1:11 r"},
		},
		{
			"drops before adds",
			[]string{"deny a", "allow c 1:3 rwm"},
			[]string{"deny a", "allow c 1:5 rwm"},
			[]string{"deny c 1:3 rwm", "allow c 1:5 rwm"},
		},
		{"to allow-all", []string{"deny a", "allow c 1:3 rwm"}, []string{"allow a"}, []string{"allow a *:* rwm"}},
		{
			"from allow-all: reset first",
			[]string{"allow a"},
			[]string{"deny a", "allow c 1:3 rwm"},
			[]string{"deny a *:* rwm", "allow c 1:3 rwm"},
		},
		{
			"allow-all to deny list: reset, as the denials are unknown",
			[]string{"allow a"},
			[]string{"allow a", "deny c 1:11 rwm"},
			[]string{"allow a *:* rwm", "deny c 1:11 rwm"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, err := newRuleSet(rules(t, tc.from...))
			if err != nil {
				t.Fatal(err)
			}
			to, err := newRuleSet(rules(t, tc.to...))
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleStrings(from.transition(to)); !slices.Equal(got, tc.want) {
				t.Errorf("transition %q, want %q", got, tc.want)
			}
		})
	}
}

// probes are device accesses to check rule sets against.
func probes() []struct {
	typ          config.Type
	major, minor int64
	access       config.Permissions
} {
	type probe = struct {
		typ          config.Type
		major, minor int64
		access       config.Permissions
	}
	var out []probe
	for _, typ := range []config.Type{config.CharDevice, config.BlockDevice} {
		for _, major := range []int64{1, 4, 5, 8, 136} {
			for _, minor := range []int64{0, 3, 5, 11} {
				for _, acc := range []config.Permissions{"r", "w", "m", "rw", "rm", "wm", "rwm"} {
					out = append(out, probe{typ, major, minor, acc})
				}
			}
		}
	}
	return out
}

// randomRules makes a rule list from a small space of devices, so that
// rules overlap.
func randomRules(rnd *rand.Rand) []*config.Rule {
	n := rnd.IntN(7)
	var out []*config.Rule
	if rnd.IntN(3) > 0 {
		out = append(out, &config.Rule{Type: config.WildcardDevice, Major: -1, Minor: -1, Permissions: "rwm", Allow: rnd.IntN(3) == 0})
	}
	types := []config.Type{config.CharDevice, config.BlockDevice}
	nums := []int64{config.Wildcard, 1, 5, 3}
	perms := []config.Permissions{"r", "w", "m", "rw", "rm", "wm", "rwm"}
	for range n {
		out = append(out, &config.Rule{
			Type: types[rnd.IntN(2)], Major: nums[rnd.IntN(len(nums))], Minor: nums[rnd.IntN(len(nums))],
			Permissions: perms[rnd.IntN(len(perms))], Allow: rnd.IntN(2) == 0,
		})
	}
	return out
}

// TestTransitionProperties applies the writes of random updates to a
// model of the kernel's state, one by one: the end state must be the
// target, and no state on the way may deny an access that both the old
// and the new rules allow (an update must not break a device the
// container keeps). An allow-all source is the exception: its deny
// exceptions are unknown, so the update starts with a reset to deny-all.
func TestTransitionProperties(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 3000 {
		from, err1 := newRuleSet(randomRules(rnd))
		to, err2 := newRuleSet(randomRules(rnd))
		if err1 != nil || err2 != nil {
			continue
		}
		checked++
		// The kernel state for a deny-all source is what devices.list
		// shows; an allow-all one shows only "a *:* rwm".
		state := &ruleSet{allowAll: from.allowAll}
		if !from.allowAll {
			state = &ruleSet{exceptions: from.exceptions}
		}
		steps := from.transition(to)
		for i, r := range steps {
			kernelWrite(state, r)
			if from.allowAll {
				continue
			}
			for _, p := range probes() {
				if from.allows(p.typ, p.major, p.minor, p.access) && to.allows(p.typ, p.major, p.minor, p.access) &&
					!state.allows(p.typ, p.major, p.minor, p.access) {
					t.Fatalf("%v -> %v: after write %d of %q, %c %d:%d %s is denied though both allow it",
						from, to, i, ruleStrings(steps), p.typ, p.major, p.minor, p.access)
				}
			}
		}
		if !state.equal(to) {
			t.Fatalf("%v -> %v: writes %q end in %v", from, to, ruleStrings(steps), state)
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d valid pairs", checked)
	}
}

// kernelWrite updates rs as the kernel updates a v1 cgroup's state on a
// write of r to devices.allow or devices.deny (security/device_cgroup.c):
// 'a' resets; otherwise an exception is added to, or the accesses are
// taken from the exception of exactly the same match, whatever wider
// exceptions hold.
func kernelWrite(rs *ruleSet, r *config.Rule) {
	if r.Type == config.WildcardDevice {
		*rs = ruleSet{allowAll: r.Allow}
		return
	}
	m := match{r.Type, r.Major, r.Minor}
	if rs.exceptions == nil {
		rs.exceptions = map[match]config.Permissions{}
	}
	if r.Allow != rs.allowAll {
		rs.exceptions[m] = rs.exceptions[m].Union(r.Permissions)
		return
	}
	if left := rs.exceptions[m].Difference(r.Permissions); left.IsEmpty() {
		delete(rs.exceptions, m)
	} else {
		rs.exceptions[m] = left
	}
}

func (rs *ruleSet) String() string {
	return fmt.Sprintf("{allowAll:%v %v}", rs.allowAll, ruleStrings(rs.rules()))
}
