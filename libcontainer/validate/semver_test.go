package validate

import (
	"regexp"
	"testing"
)

// semverRE is SemVer 2.0.0's grammar as a regexp (the major number
// captured): the reference semverMajor is checked against.
var semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

var semverCases = []string{
	"1.0.0", "1.3.0", "0.0.0", "10.20.30", "1.0.0-rc.1", "1.0.0-rc-1.x-y", "1.0.0+build.5", "1.0.0-alpha+001",
	"1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.2.3-00", "2.0.0", "1.0.0--", "1.0.0+-",
	"", "1", "1.0", "1.0.0.0", "01.0.0", "1.00.0", "1.0.01", "1.0.0-", "1.0.0+", "1.0.0-a..b", "1.0.0+a..b",
	"1.0.0-a_b", "1.0.0+a+b", "1.0.0-é", "v1.0.0", " 1.0.0", "1.0.0 ", "1.-0.0", "1.0.0-.a", "1.0.0-a.",
	"1..0", "a.b.c", "1.0.0\n", "1.0.0-rc1+", "-1.0.0", "+1.0.0", "1.0.x",
}

func checkSemver(t *testing.T, v string) {
	m := semverRE.FindStringSubmatch(v)
	major, ok := semverMajor(v)
	if ok != (m != nil) || ok && major != m[1] {
		t.Errorf("semverMajor(%q) = %q, %v; the grammar says %q", v, major, ok, m)
	}
}

func TestSemverMajor(t *testing.T) {
	for _, v := range semverCases {
		checkSemver(t, v)
	}
}

func FuzzSemverMajor(f *testing.F) {
	for _, v := range semverCases {
		f.Add(v)
	}
	f.Fuzz(checkSemver)
}
