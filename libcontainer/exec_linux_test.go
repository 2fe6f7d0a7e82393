package libcontainer

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestInheritProcess(t *testing.T) {
	umask := uint32(0o027)
	base := &specs.Process{
		Args:            []string{"init"},
		NoNewPrivileges: true,
		Capabilities:    &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}},
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 10, Soft: 10}},
		ApparmorProfile: "ctr-profile",
		SelinuxLabel:    "ctr-label",
		User:            specs.User{UID: 5, Umask: &umask},
	}
	// An empty process takes the container's, except no_new_privs and
	// the user.
	got := inheritProcess(&specs.Process{Args: []string{"sh"}}, base)
	if got.NoNewPrivileges || got.User.UID != 0 || got.Args[0] != "sh" {
		t.Errorf("own fields changed: %+v", got)
	}
	if !reflect.DeepEqual(got.Capabilities, base.Capabilities) || !reflect.DeepEqual(got.Rlimits, base.Rlimits) ||
		got.ApparmorProfile != "ctr-profile" || got.SelinuxLabel != "ctr-label" || got.User.Umask == nil || *got.User.Umask != umask {
		t.Errorf("not inherited: %+v", got)
	}
	// Changing the result does not change the container's.
	got.Capabilities.Bounding[0] = "CAP_CHOWN"
	got.Rlimits[0].Soft = 1
	if base.Capabilities.Bounding[0] != "CAP_KILL" || base.Rlimits[0].Soft != 10 {
		t.Error("inheritProcess shares the container's capabilities or rlimits")
	}
	// What the process sets is its own, even empty capability sets.
	own := &specs.Process{
		Capabilities:    &specs.LinuxCapabilities{},
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_CORE"}},
		ApparmorProfile: "p",
		SelinuxLabel:    "l",
	}
	got = inheritProcess(own, base)
	if len(got.Capabilities.Bounding) != 0 || got.Rlimits[0].Type != "RLIMIT_CORE" || got.ApparmorProfile != "p" || got.SelinuxLabel != "l" {
		t.Errorf("overridden: %+v", got)
	}
	if got == own {
		t.Error("inheritProcess returned its argument, not a copy")
	}
}

func TestParseSubCgroups(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want map[string]string
		err  string
	}{
		{nil, nil, ""},
		{[]string{"sub"}, map[string]string{"": "sub"}, ""},
		{[]string{"memory:a", "cpu,cpuacct:b/c"}, map[string]string{"memory": "a", "cpu": "b/c", "cpuacct": "b/c"}, ""},
		{[]string{"a", "b"}, nil, "invalid --cgroup argument: a (missing <controller>: prefix)"},
		{[]string{"memory:a", "b"}, nil, "invalid --cgroup argument: b (missing <controller>: prefix)"},
		{[]string{"a:b:c"}, nil, "invalid --cgroup argument: a:b:c"},
	} {
		got, err := ParseSubCgroups(tc.args)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSubCgroups(%q): error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSubCgroups(%q) = %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
}
