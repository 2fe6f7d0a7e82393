package stress

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestParallel creates and starts 100 containers at once under one state
// root, checks that each sees only its own hostname and processes, execs
// into them at once, and deletes them at once.
func TestParallel(t *testing.T) {
	const n = 100
	root := filepath.Join(baseDir, "parallel-state")
	before := takeSnapshot(root)
	bundles := make([]*bundle, n)
	outs := make([]*os.File, n)
	for i := range bundles {
		// The process reports what it sees, then waits.
		b := newBundle(t, root, "sh", "-c", "echo host=$(hostname); ps -o pid,comm; echo end; exec sleep 1000")
		b.Spec.Hostname = b.ID
		b.write()
		bundles[i] = b
		f, err := os.Create(filepath.Join(b.Dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		outs[i] = f
	}
	defer func() {
		for _, b := range bundles {
			b.runc("delete", "--force", b.ID)
			b.remove()
		}
	}()

	phase := func(name string, f func(i int, b *bundle) error) {
		t.Helper()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, b := range bundles {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f(i, b)
			}()
		}
		wg.Wait()
		d := time.Since(start)
		failed := 0
		for i, err := range errs {
			if err != nil {
				failed++
				t.Errorf("%s %s: %v", name, bundles[i].ID, err)
			}
		}
		fmt.Printf("parallel: %s of %d containers at once: %v, %d failed\n", name, n, d.Round(time.Millisecond), failed)
		if failed > 0 {
			t.FailNow()
		}
	}
	ok := func(r result) error {
		if r.Code != 0 {
			return fmt.Errorf("%s", r)
		}
		if strings.Contains(strings.ToLower(r.Stderr), "lock") {
			return fmt.Errorf("lock trouble: %s", r)
		}
		return nil
	}

	phase("create", func(i int, b *bundle) error {
		return ok(b.runcWith(call{stdout: outs[i]}, "create", b.ID))
	})
	list := bundles[0].mustRunc("list", "--format", "json")
	var states []map[string]any
	if err := json.Unmarshal([]byte(list.Stdout), &states); err != nil || len(states) != n {
		t.Fatalf("list after create: %d containers, %v", len(states), err)
	}
	for _, st := range states {
		if st["status"] != "created" {
			t.Errorf("list: %v is %v", st["id"], st["status"])
		}
	}
	phase("start", func(i int, b *bundle) error {
		return ok(b.runc("start", b.ID))
	})
	pidLine := regexp.MustCompile(`^\s*(\d+)\s+(\S+)$`)
	phase("check", func(i int, b *bundle) error {
		var out string
		if !harness.Poll(30*time.Second, func() bool {
			data, _ := os.ReadFile(filepath.Join(b.Dir, "out"))
			out = string(data)
			return strings.Contains(out, "end\n")
		}) {
			return fmt.Errorf("no report from the container: %q", out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if lines[0] != "host="+b.ID {
			return fmt.Errorf("sees hostname %q, want %q", lines[0], b.ID)
		}
		// Only its own sh (pid 1) and the ps it runs.
		var procs []string
		for _, l := range lines[2 : len(lines)-1] {
			m := pidLine.FindStringSubmatch(l)
			if m == nil {
				return fmt.Errorf("ps line %q", l)
			}
			procs = append(procs, m[1]+":"+m[2])
		}
		if len(procs) != 2 || procs[0] != "1:sh" || !strings.HasSuffix(procs[1], ":ps") {
			return fmt.Errorf("sees processes %v, want only 1:sh and its ps", procs)
		}
		return nil
	})
	phase("exec", func(i int, b *bundle) error {
		r := b.runc("exec", b.ID, "sh", "-c", "hostname; ps -o pid,comm")
		if err := ok(r); err != nil {
			return err
		}
		// Its hostname, then (after ps's header) sleep as pid 1 and
		// the exec'd process (ps, which sh may exec): nothing of
		// another container.
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		var procs []string
		for _, l := range lines[min(2, len(lines)):] {
			procs = append(procs, strings.Join(strings.Fields(l), ":"))
		}
		bad := lines[0] != b.ID || len(procs) < 2 || procs[0] != "1:sleep" || !strings.HasSuffix(procs[len(procs)-1], ":ps")
		for _, p := range procs[min(1, len(procs)):] {
			bad = bad || !strings.HasSuffix(p, ":sh") && !strings.HasSuffix(p, ":ps")
		}
		if bad {
			return fmt.Errorf("exec sees %q, want hostname %s and only 1:sleep and the exec'd sh/ps", r.Stdout, b.ID)
		}
		return nil
	})
	list = bundles[0].mustRunc("list", "-q")
	if got := len(strings.Fields(list.Stdout)); got != n {
		t.Errorf("list -q: %d containers, want %d", got, n)
	}
	phase("delete", func(i int, b *bundle) error {
		return ok(b.runc("delete", "--force", b.ID))
	})
	for _, f := range outs {
		f.Close()
	}
	after := checkHost(t, before, root)
	report(t, "parallel", before, after)
}
