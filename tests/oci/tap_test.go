package main

import (
	"strings"
	"testing"
)

func TestAssessTAP(t *testing.T) {
	out := `TAP version 13
ok 1 - create MUST create a new container
  ---
  {
    "reference": "x"
  }
  ...
not ok 2 - state MUST return the state
Refer to: https://example
# expect: 1, actual: 2
ok 3 # SKIP linux.sysctl not set
not ok 4 # TODO not yet
1..4
`
	as := Assess("state", Run{Stdout: out})
	if len(as) != 4 {
		t.Fatalf("got %d assertions, want 4: %+v", len(as), as)
	}
	want := []Outcome{Pass, Fail, Skip, Skip}
	for i, a := range as {
		if a.Result != want[i] || a.Num != i+1 {
			t.Errorf("assertion %d: got #%d %v, want #%d %v", i, a.Num, a.Result, i+1, want[i])
		}
	}
	if as[1].Desc != "state MUST return the state" {
		t.Errorf("description: %q", as[1].Desc)
	}
	if !strings.Contains(as[1].Detail, "expect: 1, actual: 2") {
		t.Errorf("detail of #2: %q", as[1].Detail)
	}
	if !strings.Contains(as[0].Detail, `"reference": "x"`) {
		t.Errorf("detail of #1: %q", as[0].Detail)
	}
	if p, f, s := Count(as); p != 1 || f != 1 || s != 2 {
		t.Errorf("Count = %d/%d/%d, want 1/1/2", p, f, s)
	}
}

func TestAssessByMeaning(t *testing.T) {
	yamlErr := "TAP version 13\n  ---\n  {\n    \"error\": \"if any poststop hook fails ...\"\n  }\n  ...\n1..0\n"
	inner := "TAP version 13\nok 1 - root filesystem\nnot ok 2 - x\n1..2\n"
	for _, tc := range []struct {
		name, program string
		run           Run
		want          []Outcome
	}{
		{"hook fail ok", "poststop_fail", Run{Stdout: "TAP version 13\n1..0\n"}, []Outcome{Pass}},
		{"hook fail yaml", "poststop_fail", Run{Stdout: yamlErr}, []Outcome{Fail}},
		{"caps fail rejected", "process_capabilities_fail", Run{Stderr: "failed to create the container\n"}, []Outcome{Pass}},
		// the runtime accepted CAP_TEST: runtimetest's TAP, then Fatal
		{"caps fail accepted", "process_capabilities_fail", Run{Stdout: inner, Exit: 1}, []Outcome{Fail}},
		{"only yaml", "hooks", Run{Stdout: yamlErr}, []Outcome{Fail}},
		{"no output, died", "mounts", Run{Exit: 1, Stderr: "failed to create the container"}, []Outcome{Fail}},
		{"no output, timeout", "mounts", Run{Exit: -1, TimedOut: true}, []Outcome{Fail}},
		{"points then died", "start", Run{Stdout: "ok 1 - a\n", Exit: 1}, []Outcome{Pass, Fail}},
		{"points short of plan", "start", Run{Stdout: "1..3\nok 1 - a\n"}, []Outcome{Pass, Fail}},
		{"points then timeout", "start", Run{Stdout: "ok 1 - a\n", TimedOut: true, Exit: -1}, []Outcome{Pass, Fail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := Assess(tc.program, tc.run)
			if len(as) != len(tc.want) {
				t.Fatalf("got %d assertions %+v, want %d", len(as), as, len(tc.want))
			}
			for i, a := range as {
				if a.Result != tc.want[i] {
					t.Errorf("assertion %d: got %v, want %v (%+v)", i, a.Result, tc.want[i], a)
				}
			}
		})
	}
}

func TestAssertionKey(t *testing.T) {
	a := Assess("pidfile", Run{Stdout: "not ok 1 - create with '--pid-file' option works\n1..1\n"})[0]
	if got, want := a.Key("pidfile"), "pidfile #1 create with '--pid-file' option works"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}
