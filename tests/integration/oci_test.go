package integration

// Behaviour the OCI runtime-tools validation suite (make test-oci) checks,
// pinned down here so that `make test` catches a regression without the
// suite.

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestUsageErrorOnStdout: as runc, "Incorrect Usage." and the command's
// help go to stdout; only the error goes to stderr (the log).
func TestUsageErrorOnStdout(t *testing.T) {
	b := newBundle(t)
	r := b.run(nil, "start")
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1", r.Code)
	}
	if !strings.HasPrefix(r.Stdout, "Incorrect Usage.\n\n") || !strings.Contains(r.Stdout, "USAGE:") {
		t.Errorf("stdout %q: want Incorrect Usage. and the help", r.Stdout)
	}
	if strings.Contains(r.Stderr, "Incorrect Usage") || !strings.Contains(r.Stderr, `"start\" requires exactly 1 argument(s)`) {
		t.Errorf("stderr %q: want only the error", r.Stderr)
	}
}

// TestRlimitASWithLargeSeccompProfile is the suite's process_rlimits: an
// RLIMIT_AS below what runc init has already mapped, with a large seccomp
// profile, must not keep the filter from loading (it is compiled before
// the limits are applied).
func TestRlimitASWithLargeSeccompProfile(t *testing.T) {
	names := syscallNames(t)
	const gib = 1 << 30
	for _, nnp := range []bool{false, true} {
		b := newBundle(t, "sh", "-c", "ulimit -v; ulimit -H -v; mkdir /tmp/d")
		b.Spec.Process.NoNewPrivileges = nnp
		b.Spec.Process.Rlimits = append(b.Spec.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_AS", Hard: 2 * gib, Soft: gib})
		// every syscall gets a rule that never matches (arg 5 is never
		// this value), and mkdir one that does
		seccomp := &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
		}
		for _, n := range names {
			if n != "mkdir" && n != "mkdirat" {
				seccomp.Syscalls = append(seccomp.Syscalls, specs.LinuxSyscall{
					Names: []string{n}, Action: specs.ActErrno,
					Args: []specs.LinuxSeccompArg{{Index: 5, Value: 0x5eccdeadbeef, Op: specs.OpEqualTo}},
				})
			}
		}
		b.Spec.Linux.Seccomp = seccomp
		b.write()
		r := b.run(nil, "run", b.ID)
		if strings.Contains(r.Stderr, "seccomp") {
			t.Fatalf("noNewPrivileges=%v: %s", nnp, r.Stderr)
		}
		// the limits reached the process, the filter denies mkdir
		if want := "1048576\n2097152\n"; !strings.HasPrefix(r.Stdout, want) {
			t.Errorf("noNewPrivileges=%v: stdout %q, want the limits %q (stderr %q)", nnp, r.Stdout, want, r.Stderr)
		}
		if r.Code != 1 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("noNewPrivileges=%v: exit %d stderr %q: want mkdir to fail with EPERM", nnp, r.Code, r.Stderr)
		}
	}
}

// TestPoststartAfterExec: poststart hooks run once the process has been
// exec'd (runtime-spec: "after the user-specified process is executed"),
// not while runc init is still on its way there: `runc start` returns, and
// runs the hooks, only after the exec.
func TestPoststartAfterExec(t *testing.T) {
	for _, cmd := range []string{"create+start", "run"} {
		t.Run(cmd, func(t *testing.T) {
			b := newBundle(t, "sleep", "30")
			out := filepath.Join(b.Dir, "comm")
			// the hook reads the init's pid from the state on stdin
			script := `read -r s; pid=$(echo "$s" | sed 's/.*"pid":\([0-9]*\).*/\1/'); cat /proc/$pid/comm > ` + out
			b.Spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", script}}}}
			// work between the exec fifo and the exec makes a too early
			// hook likelier to see runc init
			b.Spec.Hooks.StartContainer = []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 0.2"}}}
			b.write()
			if cmd == "run" {
				b.mustRunc("run", "-d", b.ID)
			} else {
				b.mustRunc("create", b.ID)
				b.mustRunc("start", b.ID)
			}
			data, err := os.ReadFile(out)
			if err != nil || string(data) != "sleep\n" {
				t.Errorf("the poststart hook saw the init as %q (%v), want the process, sleep", data, err)
			}
			b.mustRunc("delete", "--force", b.ID)
		})
	}
}

// syscallNames lists the x86_64 syscalls from the kernel headers.
func syscallNames(t *testing.T) []string {
	t.Helper()
	harness.Requires(t, harness.SyscallTable)
	f, err := os.Open(harness.SyscallHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "#define __NR_"); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	if len(names) < 300 {
		t.Fatalf("only %d syscalls in the table", len(names))
	}
	return names
}
