package capabilities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// childEnv makes the test binary act as the child of TestApplyAsUser.
const childEnv = "_CAPABILITIES_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		runtime.LockOSThread()
		logrus.SetLevel(logrus.DebugLevel)
		if err := applyChild(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childCaps is the small set the child applies.
var childCaps = &specs.LinuxCapabilities{
	Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
	Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
	Effective:   []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
	Inheritable: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
	// CAP_NET_RAW is in neither permitted nor inheritable: the kernel
	// refuses to raise it, which is a warning, not an error.
	Ambient: []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
}

// applyChild does what init does: bounding set as root, keep caps, change
// to uid/gid 1000, apply the rest; then prints its thread's Cap* lines as
// JSON on stdout.
func applyChild() error {
	caps, err := New(childCaps)
	if err != nil {
		return err
	}
	if err := caps.ApplyBounding(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keepcaps: %w", err)
	}
	if err := unix.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := unix.Setresgid(1000, 1000, 1000); err != nil {
		return fmt.Errorf("setresgid: %w", err)
	}
	if err := unix.Setresuid(1000, 1000, 1000); err != nil {
		return fmt.Errorf("setresuid: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clear keepcaps: %w", err)
	}
	if err := caps.ApplyCaps(); err != nil {
		return err
	}
	// Capabilities are per thread: read this thread's, not the leader's.
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (strings.HasPrefix(k, "Cap") || k == "Uid" || k == "Gid") {
			out[k] = strings.TrimSpace(v)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func TestApplyAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstderr: %s", err, stderr.String())
	}
	var got map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("child output %q: %v", stdout.String(), err)
	}
	// Bits: CHOWN=0, KILL=5, NET_BIND_SERVICE=10, NET_RAW=13.
	want := map[string]string{
		"CapBnd": "0000000000002421", // chown kill net_bind_service net_raw
		"CapPrm": "0000000000000421", // chown kill net_bind_service
		"CapEff": "0000000000000401", // chown net_bind_service
		"CapInh": "0000000000000420", // kill net_bind_service
		"CapAmb": "0000000000000400", // net_bind_service
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.HasPrefix(got["Uid"], "1000\t1000\t1000") || !strings.HasPrefix(got["Gid"], "1000\t1000\t1000") {
		t.Errorf("child did not change user: Uid %q Gid %q", got["Uid"], got["Gid"])
	}
	if !strings.Contains(stderr.String(), `level=warning msg="can't raise ambient capability CAP_NET_RAW: operation not permitted"`) {
		t.Errorf("no warning about ambient CAP_NET_RAW; stderr: %s", stderr.String())
	}
}

func TestNewNil(t *testing.T) {
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, which := range []capability.CapType{capability.BOUNDING, capability.EFFECTIVE, capability.INHERITABLE, capability.PERMITTED, capability.AMBIENT} {
		if s := c.set(which); len(s) != 0 {
			t.Errorf("New(nil) %s = %v, want empty", which, s)
		}
	}
}

func TestNewGood(t *testing.T) {
	c, err := New(&specs.LinuxCapabilities{
		Bounding:  []string{"CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_CHOWN"},
		Effective: []string{"CAP_AUDIT_WRITE"},
		Ambient:   []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.set(capability.BOUNDING); len(got) != 2 || got[0] != capability.CAP_SYS_ADMIN || got[1] != capability.CAP_CHOWN {
		t.Errorf("bounding = %v, want [sys_admin chown] (deduplicated, in order)", got)
	}
	if !c.Has(capability.EFFECTIVE, "CAP_AUDIT_WRITE") || c.Has(capability.PERMITTED, "CAP_AUDIT_WRITE") {
		t.Errorf("Has: effective/permitted CAP_AUDIT_WRITE wrong: %+v", c)
	}
}

// Names that are not capabilities are ignored, as runc ignores them, and
// named once in a sorted list.
func TestParseUnknown(t *testing.T) {
	c, ignored, err := Parse(&specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_FOO"},
		Effective:   []string{"chown"},
		Inheritable: []string{"cap_chown", "CAP_FOO"},
		Permitted:   []string{""},
		Ambient:     []string{"CAP_CHOWN", "CAP_ALL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "CAP_ALL", "CAP_FOO", "cap_chown", "chown"}
	if !slices.Equal(ignored, want) {
		t.Errorf("ignored = %q, want %q", ignored, want)
	}
	if got := c.set(capability.BOUNDING); len(got) != 2 || got[0] != capability.CAP_CHOWN || got[1] != capability.CAP_KILL {
		t.Errorf("bounding = %v, want [chown kill]", got)
	}
	if got := c.set(capability.AMBIENT); len(got) != 1 || got[0] != capability.CAP_CHOWN {
		t.Errorf("ambient = %v, want [chown]", got)
	}
	if len(c.set(capability.EFFECTIVE)) != 0 || len(c.set(capability.PERMITTED)) != 0 {
		t.Errorf("effective/permitted not empty: %+v", c)
	}
}

// New warns about ignored names in runc's words.
func TestNewWarnsUnknown(t *testing.T) {
	var buf bytes.Buffer
	oldOut := logrus.StandardLogger().Out
	logrus.SetOutput(&buf)
	defer logrus.SetOutput(oldOut)
	if _, err := New(&specs.LinuxCapabilities{Bounding: []string{"CAP_FOO", "CAP_CHOWN", "CAP_BAR"}, Effective: []string{"CAP_FOO"}}); err != nil {
		t.Fatal(err)
	}
	const want = `level=warning msg="ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]"`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("log %q lacks %q", buf.String(), want)
	}
}

// TestNewUnsupported pretends the kernel stops at CAP_PERFMON (38): the
// later, known capabilities are dropped with a warning, not an error.
func TestNewUnsupported(t *testing.T) {
	old := lastCap
	lastCap = func() (capability.Cap, error) { return capability.CAP_PERFMON, nil }
	defer func() { lastCap = old }()

	var buf bytes.Buffer
	oldOut := logrus.StandardLogger().Out
	logrus.SetOutput(&buf)
	defer logrus.SetOutput(oldOut)

	c, err := New(&specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN", "CAP_BPF", "CAP_PERFMON", "CAP_CHECKPOINT_RESTORE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := c.set(capability.BOUNDING)
	if len(got) != 2 || got[0] != capability.CAP_CHOWN || got[1] != capability.CAP_PERFMON {
		t.Errorf("bounding = %v, want [chown perfmon]", got)
	}
	if !strings.Contains(buf.String(), "[CAP_BPF CAP_CHECKPOINT_RESTORE]") {
		t.Errorf("warning does not name the dropped capabilities: %q", buf.String())
	}
}

func TestKnown(t *testing.T) {
	k := Known()
	if len(k) != 41 {
		t.Errorf("Known() has %d names, want 41 (CAP_CHOWN..CAP_CHECKPOINT_RESTORE)", len(k))
	}
	for i := 1; i < len(k); i++ {
		if k[i-1] >= k[i] {
			t.Fatalf("Known() not sorted: %q before %q", k[i-1], k[i])
		}
	}
	for _, n := range []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF"} {
		if _, ok := byName.Get()[n]; !ok {
			t.Errorf("Known() lacks %s", n)
		}
	}
}
