package libcontainer

import (
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// dedupEnv returns env with one entry per name, as runc passes it to the
// process: a name set twice keeps the place of its first entry and the
// value of its last (exec -e PATH=... overrides the config's PATH in
// place; a new name goes at the end). Entries without '=' are kept as
// they are (validation reports them).
func dedupEnv(env []string) []string {
	index := make(map[string]int, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			out = append(out, kv)
			continue
		}
		if i, seen := index[name]; seen {
			out[i] = kv
			continue
		}
		index[name] = len(out)
		out = append(out, kv)
	}
	return out
}

// withEnv returns p, or a copy of it with env appended to its environment.
func withEnv(p *specs.Process, env []string) *specs.Process {
	if len(env) == 0 {
		return p
	}
	cp := *p
	cp.Env = append(slices.Clip(p.Env), env...)
	return &cp
}
