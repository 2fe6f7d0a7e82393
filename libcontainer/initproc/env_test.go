package initproc

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDedupEnv(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{"A=1", "B=2"}, []string{"A=1", "B=2"}},
		// runc exec -e PATH=/bin -e FOO=bar on the default config: as
		// in runc 1.5, the last entry of a name wins in its own place.
		{
			[]string{"PATH=/usr/bin:/bin", "TERM=xterm", "PATH=/bin", "FOO=bar"},
			[]string{"TERM=xterm", "PATH=/bin", "FOO=bar"},
		},
		{[]string{"A=1", "A=2", "A=3"}, []string{"A=3"}},
		{[]string{"A=", "B=x=y", "A=z"}, []string{"B=x=y", "A=z"}},
		{[]string{"NOEQ", "A=1", "NOEQ"}, []string{"NOEQ", "A=1", "NOEQ"}},
	} {
		if got := dedupEnv(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("dedupEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestProcessEnvHome: a HOME that is set is kept; an empty or missing one
// is the user's home ("/" for a uid that /etc/passwd has not, as here with
// a uid no system uses), added at the end.
func TestProcessEnvHome(t *testing.T) {
	const uid = 0x7ffffff0
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"HOME=/h", "A=1"}, []string{"HOME=/h", "A=1"}},
		{[]string{"HOME=", "A=1"}, []string{"A=1", "HOME=/"}},
		{[]string{"A=1"}, []string{"A=1", "HOME=/"}},
		{[]string{"HOME=/h", "A=1", "HOME="}, []string{"A=1", "HOME=/"}},
	} {
		p := &specs.Process{Env: tc.in, User: specs.User{UID: uid}}
		if got := processEnv(p); !slices.Equal(got, tc.want) {
			t.Errorf("processEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
