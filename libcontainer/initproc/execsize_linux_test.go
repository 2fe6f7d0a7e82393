package initproc

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestCheckExecSizeMatchesKernel compares checkExecSize with what execve
// really does, for environments around the limits.
func TestCheckExecSizeMatchesKernel(t *testing.T) {
	path, err := exec.LookPath("true")
	if err != nil {
		t.Skip(err)
	}
	args := []string{"true"}
	cases := map[string][]string{
		"small":                 {"A=1", "B=2"},
		"one var of 128k":       {"BIG=" + strings.Repeat("x", 128<<10)},
		"one var just below":    {"BIG=" + strings.Repeat("x", 128<<10-6)},
		"one var of 10M":        {"BIG=" + strings.Repeat("x", 10<<20)},
		"many vars, 1M in all":  manyVars(16, 64<<10-16),
		"many vars, 3M in all":  manyVars(48, 64<<10-16),
		"many vars, 10M in all": manyVars(160, 64<<10-16),
	}
	// Just inside and just past the total limit (a quarter of the stack
	// limit, at most 6 MiB).
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); err != nil {
		t.Fatal(err)
	}
	limit := min(uint64(6<<20), rl.Cur/4)
	cases["8k inside the limit"] = envOfSize(int(limit) - 8<<10)
	cases["8k past the limit"] = envOfSize(int(limit) + 8<<10)
	for name, env := range cases {
		cerr := checkExecSize(path, args, env)
		cmd := exec.Command(path)
		cmd.Env = env
		xerr := cmd.Run()
		e2big := errors.Is(xerr, syscall.E2BIG)
		if xerr != nil && !e2big {
			t.Fatalf("%s: exec: %v", name, xerr)
		}
		if (cerr != nil) != e2big {
			t.Errorf("%s: checkExecSize says %v, execve %v", name, cerr, xerr)
		}
	}
}

func manyVars(n, size int) []string {
	env := make([]string, n)
	for i := range env {
		env[i] = fmt.Sprintf("V%d=%s", i, strings.Repeat("y", size)) // distinct: os/exec keeps the last of a name
	}
	return env
}

func TestCheckExecSizeNamesTheVariable(t *testing.T) {
	err := checkExecSize("/bin/true", []string{"true"}, []string{"A=1", "HUGE=" + strings.Repeat("x", 1<<20)})
	if err == nil || !strings.Contains(err.Error(), "process.env: HUGE is too long") {
		t.Fatalf("got %v", err)
	}
	err = checkExecSize("/bin/true", []string{"true", strings.Repeat("x", 1<<20)}, nil)
	if err == nil || !strings.Contains(err.Error(), "process.args[1] is too long") {
		t.Fatalf("got %v", err)
	}
}

// envOfSize makes distinct variables of about total bytes in all.
func envOfSize(total int) []string {
	var env []string
	for i := 0; total > 0; i++ {
		n := min(total, 64<<10) - 16
		env = append(env, fmt.Sprintf("V%06d=%s", i, strings.Repeat("y", max(n, 1))))
		total -= n + 16
	}
	return env
}
