package initproc

import (
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// dedupEnv returns env with one entry per name, as runc 1.5 passes it to
// the process: the last entry of a name wins, in its own place (exec -e
// PATH=... moves PATH after the config's variables; a new name goes at
// the end). Entries without '=' are kept as they are (validation reports
// them).
func dedupEnv(env []string) []string {
	seen := make(map[string]bool, len(env))
	out := make([]string, 0, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		if name, _, ok := strings.Cut(kv, "="); ok {
			if seen[name] {
				continue
			}
			seen[name] = true
		}
		out = append(out, kv)
	}
	slices.Reverse(out)
	return out
}

// processEnv returns the process's environment. HOME, when the config
// leaves it out or sets it empty, is the user's home directory from the
// container's /etc/passwd ("/" for a user without an entry), added at the
// end, as runc does. It runs in the container, after pivot_root.
func processEnv(p *specs.Process) []string {
	env := dedupEnv(p.Env)
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			if v != "" {
				return env
			}
			env = slices.Delete(env, i, i+1)
			break
		}
	}
	home := "/"
	if u, err := lookupUID(int(p.User.UID)); err == nil {
		home = u.Home
	}
	return append(env, "HOME="+home)
}

func lookupUID(uid int) (*user.User, error) {
	users, err := user.ParsePasswdFileFilter("/etc/passwd", func(u user.User) bool { return u.Uid == uid })
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, user.ErrNoPasswdEntries
	}
	return &users[0], nil
}

// lookPath finds the executable the way a shell would with the process's
// PATH, giving the error text runc users know.
func lookPath(name string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	os.Setenv("PATH", path)
	return exec.LookPath(name)
}
