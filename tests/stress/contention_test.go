package stress

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// contentionOps are the commands raced on one ID (the "ID" argument), with the errors each may
// give when another caller got there first. Anything else is a failure.
var contentionOps = []struct {
	args    []string
	allowed []string
}{
	{[]string{"create", "ID"}, []string{"container with id exists"}},
	{[]string{"start", "ID"}, []string{"container does not exist", "cannot start an already running container", "cannot start a container that has stopped", "container init exited before it could be started"}},
	{[]string{"kill", "ID"}, []string{"container does not exist", "container not running"}},
	{[]string{"kill", "ID", "KILL"}, []string{"container does not exist", "container not running"}},
	{[]string{"delete", "ID"}, []string{"container does not exist", "that is not stopped"}},
	{[]string{"delete", "--force", "ID"}, nil},
	{[]string{"state", "ID"}, []string{"container does not exist"}},
	{[]string{"list", "--format", "json"}, nil},
}

// TestSameIDContention races create/start/kill/delete/state on one ID from
// many callers: each must succeed or fail with one of the expected errors,
// state.json must never be torn, and at the end nothing may be left.
func TestSameIDContention(t *testing.T) {
	callers, ops := 8, 40
	if long {
		ops = 250
	}
	b := newBundle(t, "", "sleep", "1000")
	defer b.remove()
	// The state root exists, as after any first create: the race is on
	// the ID (`list` of a root that does not exist fails, as runc's).
	if err := os.MkdirAll(b.Root, 0o700); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(b.Root)
	stateFile := filepath.Join(b.Root, b.ID, "state.json")

	// A reader that only ever sees whole state files.
	var reads, torn atomic.Int64
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(stateFile)
			if err != nil {
				continue
			}
			reads.Add(1)
			var st map[string]any
			if json.Unmarshal(data, &st) != nil || st["id"] != b.ID {
				if torn.Add(1) == 1 {
					t.Errorf("torn state.json (%d bytes): %.200q", len(data), data)
				}
			}
		}
	}()

	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			for i := 0; i < ops; i++ {
				op := contentionOps[rnd.IntN(len(contentionOps))]
				args := make([]string, len(op.args))
				for i, a := range op.args {
					if a == "ID" {
						a = b.ID
					}
					args[i] = a
				}
				r := b.runc(args...)
				name := strings.Join(op.args, " ")
				outcome := name + ": ok"
				if r.Code != 0 {
					outcome = name + ": unexpected error"
					for _, a := range op.allowed {
						if strings.Contains(r.Stderr, a) {
							outcome = name + ": " + a
						}
					}
					if strings.HasSuffix(outcome, "unexpected error") || r.Code != 1 {
						t.Errorf("runc %s: %s", strings.Join(args, " "), r)
					}
				} else {
					checkContentionOutput(t, op.args[0], b.ID, r.Stdout)
				}
				mu.Lock()
				outcomes[outcome]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-readerDone

	// The end state is consistent: whatever is there can be deleted, and
	// then nothing is left.
	if st, _ := b.stateOf(); st != nil {
		t.Logf("end state: %v (pid %v)", st["status"], st["pid"])
		if pid, _ := st["pid"].(float64); pid > 0 && !slicesContains(b.cgroupProcs(), int(pid)) {
			t.Errorf("end state pid %v is not in the container's cgroup", pid)
		}
	}
	b.mustRunc("delete", "--force", b.ID)
	after := checkHost(t, before, b.Root)

	var keys []string
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n  %-60s %d", k, outcomes[k])
	}
	fmt.Printf("contention: %d callers x %d ops on one ID in %v; state.json read %d times, torn %d; outcomes:%s\n",
		callers, ops, elapsed.Round(time.Millisecond), reads.Load(), torn.Load(), sb.String())
	report(t, "contention", before, after)
}

// checkContentionOutput checks what a successful state or list printed.
func checkContentionOutput(t *testing.T, cmd, id, out string) {
	var states []map[string]any
	switch cmd {
	case "state":
		var st map[string]any
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Errorf("state: bad JSON %v: %q", err, out)
			return
		}
		states = append(states, st)
	case "list":
		if err := json.Unmarshal([]byte(out), &states); err != nil {
			t.Errorf("list: bad JSON %v: %q", err, out)
			return
		}
	default:
		return
	}
	for _, st := range states {
		if st["id"] != id {
			t.Errorf("%s: id %v, want %s", cmd, st["id"], id)
		}
		pid, _ := st["pid"].(float64)
		switch st["status"] {
		case "created", "running":
			if pid <= 0 {
				t.Errorf("%s: %v with pid %v", cmd, st["status"], pid)
			}
		case "stopped":
			if pid != 0 {
				t.Errorf("%s: stopped with pid %v", cmd, pid)
			}
		case "creating":
		default:
			t.Errorf("%s: status %q", cmd, st["status"])
		}
	}
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
