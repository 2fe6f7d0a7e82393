package harness

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeT records what a helper did to its test; Fatal and Skip end the
// goroutine, as they do a test's.
type fakeT struct {
	testing.TB
	name            string
	mu              sync.Mutex
	failed, skipped bool
	msgs            []string
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }

func (f *fakeT) note(format string, args ...any) {
	f.mu.Lock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeT) Errorf(format string, args ...any) { f.note(format, args...); f.failed = true }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Skip(args ...any) {
	f.note("%s", fmt.Sprint(args...))
	f.skipped = true
	runtime.Goexit()
}

// run runs fn as the test body of a fake test called name.
func run(name string, fn func(t testing.TB)) *fakeT {
	f := &fakeT{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll: cond ran %d times", n)
	}
	start := time.Now()
	if Poll(50*time.Millisecond, func() bool { return false }) {
		t.Error("Poll of a false cond held")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("Poll gave up after %v", d)
	}
}

func TestEventually(t *testing.T) {
	if f := run("T", func(t testing.TB) { Eventually(t, time.Second, func() bool { return true }, "x") }); f.failed {
		t.Errorf("Eventually of a true cond failed: %v", f.msgs)
	}
	f := run("T", func(t testing.TB) { Eventually(t, 20*time.Millisecond, func() bool { return false }, "the thing") })
	if !f.failed || !strings.Contains(strings.Join(f.msgs, ""), "the thing") {
		t.Errorf("Eventually of a false cond: failed %v, %v", f.failed, f.msgs)
	}
	f = run("T", func(t testing.TB) {
		i := 0
		EventuallyErr(t, 20*time.Millisecond, func() error { i++; return fmt.Errorf("seen %d", i) }, "the thing")
	})
	if msg := strings.Join(f.msgs, ""); !f.failed || !strings.Contains(msg, "the thing") || !strings.Contains(msg, "seen") {
		t.Errorf("EventuallyErr: the last error is not in %q", msg)
	}
	if err := Await(time.Second, func() error { return nil }); err != nil {
		t.Errorf("Await: %v", err)
	}
}

func TestConsistently(t *testing.T) {
	f := run("T", func(t testing.TB) {
		if !Consistently(t, 20*time.Millisecond, func() error { return nil }) {
			t.Errorf("returned false")
		}
	})
	if f.failed {
		t.Errorf("Consistently of a holding check failed: %v", f.msgs)
	}
	n := 0
	f = run("T", func(t testing.TB) {
		Consistently(t, time.Second, func() error {
			if n++; n == 2 {
				return errors.New("it moved")
			}
			return nil
		})
	})
	if !f.failed || n != 2 || !strings.Contains(strings.Join(f.msgs, ""), "it moved") {
		t.Errorf("Consistently of a check that broke: failed %v after %d checks: %v", f.failed, n, f.msgs)
	}
}

func TestRequires(t *testing.T) {
	missing := &Feature{Name: "missing", What: "a thing", Where: "runs elsewhere", probe: func() error { return errors.New("not here") }}
	present := &Feature{Name: "present", What: "another", Where: "here", probe: func() error { return nil }}
	mandatory = regexp.MustCompile(`^TestCVE_`)
	defer func() { mandatory, required = nil, map[string]bool{}; skips = nil }()
	skips = nil

	if f := run("TestX", func(t testing.TB) { Requires(t, present) }); f.failed || f.skipped {
		t.Errorf("a present feature: %+v", f)
	}
	f := run("TestX/sub", func(t testing.TB) { Requires(t, present, missing) })
	if !f.skipped || f.failed || !strings.Contains(f.msgs[0], "needs a thing (not here); runs elsewhere") {
		t.Errorf("a missing feature: %+v", f)
	}
	if s := Summary(); !strings.Contains(s, "1 skipped") || !strings.Contains(s, "missing:\n    TestX/sub: needs a thing") {
		t.Errorf("summary:\n%s", s)
	}
	// Never a skip in a mandatory test (nor its subtests).
	for _, name := range []string{"TestCVE_1", "TestCVE_1/sub"} {
		if f := run(name, func(t testing.TB) { Requires(t, missing) }); !f.failed || f.skipped {
			t.Errorf("%s: %+v", name, f)
		}
		if f := run(name, func(t testing.TB) { Skip(t, "why") }); !f.failed || f.skipped {
			t.Errorf("%s: Skip: %+v", name, f)
		}
	}
	// Nor for a feature RUNC_TEST_REQUIRE names.
	required["missing"] = true
	if f := run("TestX", func(t testing.TB) { Requires(t, missing) }); !f.failed || !strings.Contains(f.msgs[0], "RUNC_TEST_REQUIRE") {
		t.Errorf("a required feature: %+v", f)
	}
	// Not: the absence of a feature.
	if f := run("TestX", func(t testing.TB) { Requires(t, Not(missing)) }); f.failed || f.skipped {
		t.Errorf("Not(missing): %+v", f)
	}
	if f := run("TestY", func(t testing.TB) { Requires(t, Not(present)) }); !f.skipped {
		t.Errorf("Not(present): %+v", f)
	}
	if s := Summary(); !strings.Contains(s, "!present:\n    TestY: needs a host without another") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestParseRequired(t *testing.T) {
	fs, err := ParseRequired("cgroup2, systemd,!apparmor")
	if err != nil || len(fs) != 3 || fs[0] != CgroupV2 || fs[1] != Systemd || fs[2] != Not(AppArmor) {
		t.Errorf("ParseRequired: %v %v", fs, err)
	}
	if _, err := ParseRequired("cgroup3"); err == nil || !strings.Contains(err.Error(), `no feature "cgroup3"`) {
		t.Errorf("an unknown feature: %v", err)
	}
	if fs, err := ParseRequired(""); err != nil || len(fs) != 0 {
		t.Errorf("empty: %v %v", fs, err)
	}
}

// TestNoBareSkip: the suites skip only through Requires or Skip, which
// the summary lists and a mandatory test refuses: no t.Skip of their own.
func TestNoBareSkip(t *testing.T) {
	for _, dir := range []string{"../../integration", "../../stress"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		fset := token.NewFileSet()
		for _, file := range files {
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Skip" && sel.Sel.Name != "Skipf" && sel.Sel.Name != "SkipNow") {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "harness" {
					return true
				}
				t.Errorf("%s: a skip the run's summary does not see: use harness.Requires or harness.Skip", fset.Position(call.Pos()))
				return true
			})
		}
	}
}

// TestFeaturesDocumented: every feature has its row in tests/README.md.
func TestFeaturesDocumented(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Features() {
		if !strings.Contains(string(data), "| `"+name+"` |") {
			t.Errorf("feature %s has no row in tests/README.md", name)
		}
	}
}
