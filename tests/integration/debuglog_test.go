package integration

// runc --debug: logrus's text format with RFC 3339 time stamps (or JSON
// with --log-format json), and runc 1.5's milestones, which its own tests
// and users' scripts grep, from the C stage (through the log pipe) and the
// Go init (forwarded by the parent) alike (issue 14, point 11).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// logEntry is one line of a runc log.
type logEntry struct {
	Time  string `json:"time"`
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

var textLogLine = regexp.MustCompile(`^time="([^"]*)" level=([a-z]+) msg=`)

// textLog parses the logrus text lines of out (other lines, the
// container's output, are skipped), failing the test on a time stamp that
// is not RFC 3339.
func textLog(t *testing.T, out string) []logEntry {
	t.Helper()
	var entries []logEntry
	for _, line := range strings.Split(out, "\n") {
		m := textLogLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, err := time.Parse(time.RFC3339, m[1]); err != nil {
			t.Errorf("time stamp %q is not RFC 3339: %v (line %q)", m[1], err, line)
		}
		entries = append(entries, logEntry{Time: m[1], Level: m[2], Msg: errMsg(line)})
	}
	if len(entries) == 0 {
		t.Fatalf("no log lines in %q", out)
	}
	return entries
}

// jsonLog parses a --log-format json log: every line must be a JSON
// object with an RFC 3339 time stamp.
func jsonLog(t *testing.T, out string) []logEntry {
	t.Helper()
	var entries []logEntry
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e logEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339, e.Time); err != nil {
			t.Errorf("time stamp %q is not RFC 3339: %v", e.Time, err)
		}
		entries = append(entries, e)
	}
	return entries
}

// checkMilestones checks that every pattern matches the message of a debug
// entry.
func checkMilestones(t *testing.T, what string, entries []logEntry, patterns []string) {
	t.Helper()
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for _, e := range entries {
			if e.Level == "debug" && re.MatchString(e.Msg) {
				found = true
				break
			}
		}
		if !found {
			var msgs []string
			for _, e := range entries {
				msgs = append(msgs, e.Msg)
			}
			t.Errorf("%s: no debug message matches %q; messages:\n%s", what, p, strings.Join(msgs, "\n"))
		}
	}
}

// runMilestones are what runc 1.5.3 logs on `runc --debug run` of the test
// bundle with a seccomp profile (no flags set: SPEC_ALLOW, 4).
var runMilestones = []string{
	`^runc exeseal: using overlayfs for sealed (/proc/self/exe|runc init \(/run/runc-init/bin/runc-init-[0-9a-f]{16}\))$`,
	`^runc exeseal: using /proc/self/exe clone$`,
	`^nsexec\[\d+\]: => nsexec container setup$`,
	`^nsexec\[\d+\]: affinity: 0x[0-9a-f]+$`,
	`<= nsexec container setup$`,
	`^child process in init\(\)$`,
	`^seccomp filter flags: 4$`,
	`^init: closing the pipe to signal completion$`,
}

// withSeccomp gives the bundle a small filter (mkdir fails with EPERM).
func withSeccomp(b *bundle) {
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
	}
	b.write()
}

func TestDebugLogRun(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "echo", "Hello World")
		withSeccomp(b)
		return b.run(nil, "--debug", "run", b.ID)
	})
	for _, r := range []struct {
		what string
		res  result
	}{{"ours", ours}, {"runc 1.5.3", ref}} {
		if r.res.Code != 0 || r.res.Stdout != "Hello World\n" {
			t.Fatalf("%s: exit %d, stdout %q", r.what, r.res.Code, r.res.Stdout)
		}
		checkMilestones(t, r.what, textLog(t, r.res.Stderr), runMilestones)
	}
	// Ours are kept beside runc's.
	checkMilestones(t, "ours", textLog(t, ours.Stderr), []string{`^config validated$`, `^init: exec /bin/echo$`, `^init: affinity: 0x[0-9a-f]+$`})
	// Without --debug: nothing but what is wrong.
	b := newBundle(t, "true")
	if r := b.run(nil, "run", b.ID); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("run without --debug: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// create logs the end of the set-up and the wait on the exec fifo.
func TestDebugLogCreate(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "true")
		r := b.run(nil, "--debug", "create", b.ID)
		b.mustRunc("start", b.ID)
		return r
	})
	for _, r := range []struct {
		what string
		res  result
	}{{"ours", ours}, {"runc 1.5.3", ref}} {
		if r.res.Code != 0 {
			t.Fatalf("%s: create: exit %d: %s", r.what, r.res.Code, r.res.Stderr)
		}
		checkMilestones(t, r.what, textLog(t, r.res.Stderr), []string{
			`^nsexec\[\d+\]: => nsexec container setup$`,
			`^child process in init\(\)$`,
			`^init: closing the pipe to signal completion$`,
			`^init: about to wait on exec fifo$`,
		})
	}
}

// exec logs its own milestones, and the CPUs the init of an exec runs on
// with process.execCPUAffinity.initial (runc's test greps
// `nsexec*: affinity: <mask>` across the whole output).
func TestDebugLogExec(t *testing.T) {
	if onlineCPUs(t) == "0" {
		t.Fatal("needs two CPUs: execCPUAffinity.initial must differ from the whole set")
	}
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "sleep", "100")
		b.mustRunc("run", "-d", b.ID)
		proc := filepath.Join(b.Dir, "process.json")
		data := `{"args":["true"],"env":["PATH=/bin"],"cwd":"/","execCPUAffinity":{"initial":"1"}}`
		if err := os.WriteFile(proc, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return b.run(nil, "--debug", "exec", "--process", proc, b.ID)
	})
	affinity := regexp.MustCompile(`(?s)nsexec.*: affinity: 0x2"`)
	for _, r := range []struct {
		what string
		res  result
	}{{"ours", ours}, {"runc 1.5.3", ref}} {
		if r.res.Code != 0 {
			t.Fatalf("%s: exec: exit %d: %s", r.what, r.res.Code, r.res.Stderr)
		}
		checkMilestones(t, r.what, textLog(t, r.res.Stderr), []string{
			`^nsexec\[\d+\]: => nsexec container setup$`,
			`^child process in init\(\)$`,
			`^setns_init: about to exec$`,
		})
		if !affinity.MatchString(r.res.Stderr) {
			t.Errorf("%s: no \"nsexec...: affinity: 0x2\" in %q", r.what, r.res.Stderr)
		}
	}
}

// --log FILE --log-format json: the same messages, as JSON lines (which
// containerd reads); nothing on stderr.
func TestDebugLogJSON(t *testing.T) {
	type outcome struct {
		Res result
		Log string
	}
	ours, ref := differential(t, func(t *testing.T, bin string) outcome {
		b := newBundleWith(t, bin, "echo", "Hello World")
		withSeccomp(b)
		logFile := filepath.Join(b.Dir, "log.json")
		r := b.run(nil, "--log", logFile, "--log-format", "json", "--debug", "run", b.ID)
		data, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		return outcome{r, string(data)}
	})
	for _, r := range []struct {
		what string
		o    outcome
	}{{"ours", ours}, {"runc 1.5.3", ref}} {
		if r.o.Res.Code != 0 || r.o.Res.Stderr != "" || r.o.Res.Stdout != "Hello World\n" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", r.what, r.o.Res.Code, r.o.Res.Stdout, r.o.Res.Stderr)
		}
		checkMilestones(t, r.what, jsonLog(t, r.o.Log), runMilestones)
	}
}

// The seccomp(2) flags, as the debug log gives them: runc's values for
// every way of writing linux.seccomp.flags (an empty list is no flags;
// an absent one, runc's default SPEC_ALLOW).
func TestDebugLogSeccompFlags(t *testing.T) {
	cases := []struct {
		name  string
		flags []specs.LinuxSeccompFlag
	}{
		{"absent", nil},
		{"empty", []specs.LinuxSeccompFlag{}},
		{"log", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}},
		{"spec allow", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}},
		{"log, spec allow, tsync", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, "SECCOMP_FILTER_FLAG_TSYNC"}},
	}
	flagsLine := regexp.MustCompile(`msg="seccomp filter flags: (\d+)"`)
	ours, ref := differential(t, func(t *testing.T, bin string) []string {
		var got []string
		for _, tc := range cases {
			b := newBundleWith(t, bin, "true")
			withSeccomp(b)
			b.Spec.Linux.Seccomp.Flags = tc.flags
			b.write()
			if tc.flags != nil && len(tc.flags) == 0 {
				b.writeEmptySeccompFlags() // the spec's type omits an empty list
			}
			r := b.run(nil, "--debug", "run", b.ID)
			m := flagsLine.FindAllStringSubmatch(r.Stderr, -1)
			if r.Code != 0 || len(m) != 1 {
				t.Errorf("%s: exit %d, %d flags lines in %q", tc.name, r.Code, len(m), r.Stderr)
				got = append(got, "")
				continue
			}
			got = append(got, m[0][1])
		}
		return got
	})
	for i, tc := range cases {
		if ours[i] != ref[i] {
			t.Errorf("flags %s: ours %q, runc 1.5.3's %q", tc.name, ours[i], ref[i])
		}
	}
}

// writeEmptySeccompFlags writes "flags": [] into linux.seccomp of the
// bundle's config.json.
func (b *bundle) writeEmptySeccompFlags() {
	b.t.Helper()
	path := filepath.Join(b.Dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		b.t.Fatal(err)
	}
	cfg["linux"].(map[string]any)["seccomp"].(map[string]any)["flags"] = []string{}
	if data, err = json.Marshal(cfg); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
