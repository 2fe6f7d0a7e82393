package stress

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// signalOutcome runs `sleep` in the foreground with bin, sends it sig with
// `bin kill`, and says what `run` did: "exit N", or "survived" (then it is
// killed with SIGKILL and must exit 137).
func signalOutcome(t *testing.T, bin string, sig int, pidns bool) string {
	b := newBundle(t, "", "sleep", "1000")
	defer b.remove()
	b.Bin = bin
	if !pidns {
		var ns []specs.LinuxNamespace
		for _, n := range b.Spec.Linux.Namespaces {
			if n.Type != specs.PIDNamespace {
				ns = append(ns, n)
			}
		}
		b.Spec.Linux.Namespaces = ns
	}
	b.write()
	p := b.start(call{}, "run", b.ID)
	// Running, and past its execve: both runtimes report "running" a
	// moment before (while runc init, a Go program, would take the signal).
	if !harness.Poll(10*time.Second, func() bool {
		st, _ := b.stateOf()
		if st == nil || st["status"] != "running" {
			return false
		}
		pid, _ := st["pid"].(float64)
		return procComm(int(pid)) == "sleep"
	}) {
		p.Cmd.Process.Kill()
		return "did not start: " + p.wait(10*time.Second).Stderr
	}
	if r := b.runc("kill", b.ID, fmt.Sprint(sig)); r.Code != 0 {
		return "kill failed: " + strings.TrimSpace(r.Stderr)
	}
	select {
	case <-p.Done():
		r := p.result()
		if r.Code != 128+sig && r.Stderr != "" {
			t.Logf("%s: run after signal %d: %s", bin, sig, r)
		}
		return fmt.Sprintf("exit %d", r.Code)
	case <-time.After(500 * time.Millisecond):
	}
	b.runc("kill", b.ID, "KILL")
	r := p.wait(10 * time.Second)
	if r.Code != 137 {
		return fmt.Sprintf("survived, then exit %d after SIGKILL", r.Code)
	}
	return "survived"
}

// TestSignalExitCodes: for each signal 1-31 sent with `runc kill`, the exit
// code of the foreground `run` must be what Debian's runc 1.1.5 gives for
// the same container, with the process as a pid namespace's init (which
// ignores signals it has no handler for) and without a pid namespace
// (default actions).
func TestSignalExitCodes(t *testing.T) {
	if refRunc == "" {
		harness.Skip(t, "no reference runc (REF_RUNC, /usr/sbin/runc)")
	}
	before := takeSnapshot()
	type key struct {
		sig   int
		pidns bool
	}
	var (
		mu   sync.Mutex
		ours = map[key]string{}
		ref  = map[key]string{}
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 8)
	)
	for sig := 1; sig <= 31; sig++ {
		for _, pidns := range []bool{true, false} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				o := signalOutcome(t, runcBin, sig, pidns)
				r := signalOutcome(t, refRunc, sig, pidns)
				mu.Lock()
				ours[key{sig, pidns}], ref[key{sig, pidns}] = o, r
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	var sb strings.Builder
	for _, pidns := range []bool{true, false} {
		fmt.Fprintf(&sb, "\n  pid namespace %v:", pidns)
		for sig := 1; sig <= 31; sig++ {
			k := key{sig, pidns}
			fmt.Fprintf(&sb, " %s=%s", strings.TrimPrefix(unix.SignalName(unix.Signal(sig)), "SIG"), strings.TrimPrefix(ours[k], "exit "))
			if ours[k] != ref[k] {
				t.Errorf("signal %d (%s), pid namespace %v: run gives %q, runc 1.1.5 %q", sig, unix.SignalName(unix.Signal(sig)), pidns, ours[k], ref[k])
			}
		}
	}
	fmt.Printf("signals: outcome of `run` per signal sent with `kill` (same as runc 1.1.5 unless reported):%s\n", sb.String())
	checkHost(t, before)
}

// TestForegroundRunReaps: in a container without a pid namespace, orphaned
// processes are reparented to the foreground `run` (a subreaper), which
// must reap them; its exit code stays the container process's. With a pid
// namespace whose PID 1 is no init (sleep), the orphans' zombies are the
// container's; they go with it, and run exits with PID 1's code.
func TestForegroundRunReaps(t *testing.T) {
	orphans := "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do (sleep 0.3 &); done; "
	for _, pidns := range []bool{false, true} {
		t.Run(fmt.Sprintf("pidns=%v", pidns), func(t *testing.T) {
			script, code := orphans+"sleep 1.5; exit 7", 7
			if pidns {
				script, code = orphans+"exec sleep 1.5", 0
			}
			b := newBundle(t, "", "sh", "-c", script)
			defer b.remove()
			if !pidns {
				var ns []specs.LinuxNamespace
				for _, n := range b.Spec.Linux.Namespaces {
					if n.Type != specs.PIDNamespace {
						ns = append(ns, n)
					}
				}
				b.Spec.Linux.Namespaces = ns
			}
			b.write()
			before := takeSnapshot(b.Root)
			p := b.start(call{}, "run", b.ID)
			run := p.Cmd.Process.Pid
			adopted, zombiesInside := 0, 0
			seen := map[int]int{} // zombie children of run -> times seen
			for i := 0; i < 12; i++ {
				time.Sleep(100 * time.Millisecond)
				for _, c := range childrenOf(run) {
					switch procState(c) {
					case "Z":
						seen[c]++
					default:
						if procComm(c) == "sleep" {
							adopted = max(adopted, len(childrenOf(run)))
						}
					}
				}
				if pidns {
					// Children of the container's PID 1.
					n := 0
					if st, _ := b.stateOf(); st != nil {
						pid1, _ := st["pid"].(float64)
						for _, c := range childrenOf(int(pid1)) {
							if procState(c) == "Z" {
								n++
							}
						}
					}
					zombiesInside = max(zombiesInside, n)
				}
			}
			for pid, n := range seen {
				if n > 2 {
					t.Errorf("zombie %d stayed a child of runc run for %d00ms", pid, n)
				}
			}
			if !pidns && adopted < 10 {
				t.Errorf("runc run adopted %d orphans, want the 20 the container made", adopted)
			}
			if pidns && zombiesInside == 0 {
				t.Errorf("no zombies under the container's non-init PID 1: the test tests nothing")
			}
			r := p.wait(30 * time.Second)
			if r.Code != code {
				t.Errorf("run: %s, want exit %d", r, code)
			}
			t.Logf("orphans adopted by runc run: %d; zombies inside the container at most: %d", adopted, zombiesInside)
			checkHost(t, before, b.Root)
		})
	}
}
