package libcontainer

import (
	"slices"
	"testing"
)

func TestDedupEnv(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{"A=1", "B=2"}, []string{"A=1", "B=2"}},
		// runc exec -e PATH=/bin -e FOO=bar on the default config.
		{
			[]string{"PATH=/usr/bin:/bin", "TERM=xterm", "PATH=/bin", "FOO=bar"},
			[]string{"PATH=/bin", "TERM=xterm", "FOO=bar"},
		},
		{[]string{"A=1", "A=2", "A=3"}, []string{"A=3"}},
		{[]string{"A=", "B=x=y", "A=z"}, []string{"A=z", "B=x=y"}},
		{[]string{"NOEQ", "A=1", "NOEQ"}, []string{"NOEQ", "A=1", "NOEQ"}},
	} {
		if got := dedupEnv(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("dedupEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
