// Command oci-validate runs the OCI runtime-tools validation suite
// (github.com/opencontainers/runtime-tools/validation) against our runc and,
// in the same invocation, against a peer runtime (Debian's runc), and prints
// the results side by side. tests/oci/run.sh builds the suite at the pinned
// version and calls it; see tests/oci/README.md.
//
// Safety: the whole run happens in private mount, IPC and UTS namespaces (the
// command re-executes itself into them), so a program that runs a container
// without its own namespaces cannot leave mounts or a hostname on the host.
// No program may create a cgroup under the caller's own cgroup: our runtime
// gets RUNC_CGROUP_ROOT, the peer gets a wrapper that makes empty and
// relative linux.cgroupsPath values absolute under this run's prefix, and
// after every program the harness checks the caller's cgroups for new
// children. Containers, cgroups (under the prefix and the suite's absolute
// /cgrouptest), mounts and bundles are removed after every program.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// envUnshared marks the re-executed process that already runs in private
// namespaces.
const envUnshared = "OCI_VALIDATE_UNSHARED"

// absCgroups are the absolute linux.cgroupsPath values the suite uses
// (runtime-tools' cgroups.AbsCgroupPath, and the first component of its
// RelCgroupPath in case a runtime takes it as absolute). They are created at
// the root of each hierarchy, so they must not exist before the run.
var absCgroups = []string{"cgrouptest", "testdir"}

// runtimeUnder is one runtime under test.
type runtimeUnder struct {
	name    string // column title
	bin     string // the real binary
	honours bool   // honours RUNC_CGROUP_ROOT (else the wrapper rewrites config.json)

	dir     string // this runtime's scratch directory
	wrapper string // what the programs get as RUNTIME
	state   string // --root
	tmp     string // TMPDIR: the programs' bundles
	cwd     string // runtimetest and the rootfs tarball
	cgroup  string // absolute cgroup prefix for empty and relative paths
	results map[string][]Assertion
	times   map[string]time.Duration
	total   time.Duration
}

type options struct {
	suite, tarball, ours, peer, peerName, logs, known string
	timeout                                           time.Duration
	run                                               *regexp.Regexp
	verbose                                           bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wrap" {
		if err := wrapMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(125)
		}
		return
	}
	code, err := mainErr()
	if err != nil {
		fmt.Fprintln(os.Stderr, "oci-validate:", err)
		if code == 0 {
			code = 2
		}
	}
	os.Exit(code)
}

func mainErr() (int, error) {
	var o options
	var run string
	flag.StringVar(&o.suite, "suite", "", "directory holding the validation programs and runtimetest")
	flag.StringVar(&o.tarball, "tarball", "", "the busybox rootfs-amd64.tar.gz")
	flag.StringVar(&o.ours, "ours", "", "our runc binary")
	flag.StringVar(&o.peer, "peer", "/usr/bin/runc", `the peer runtime to compare with ("" for none)`)
	flag.StringVar(&o.peerName, "peer-name", "", "column title for the peer (default: from its --version)")
	flag.StringVar(&o.logs, "logs", "", "directory for each program's output (default: a new one under /tmp)")
	flag.StringVar(&o.known, "known", "", "known-failures.txt: our failures that are the host's or the suite's")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "timeout for each program")
	flag.StringVar(&run, "run", "", "only run the programs matching this regular expression")
	flag.BoolVar(&o.verbose, "v", false, "print the details of every failed assertion")
	flag.Parse()
	if o.suite == "" || o.tarball == "" || o.ours == "" {
		flag.Usage()
		return 2, errors.New("-suite, -tarball and -ours are required")
	}
	if os.Geteuid() != 0 {
		return 2, errors.New("the validation suite must run as root")
	}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			return 2, fmt.Errorf("-run: %w", err)
		}
		o.run = re
	}
	if os.Getenv(envUnshared) != "1" {
		return reexecUnshared()
	}
	return runSuite(o)
}

// reexecUnshared runs this command again in new mount (recursively private,
// which the Go runtime arranges), IPC and UTS namespaces.
func reexecUnshared() (int, error) {
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envUnshared+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Unshareflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 2, fmt.Errorf("re-exec in private namespaces: %w", err)
	}
	return 0, nil
}

func runSuite(o options) (code int, err error) {
	for _, p := range []*string{&o.suite, &o.tarball, &o.ours, &o.logs, &o.known} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return 2, err
			}
		}
	}
	programs, err := listPrograms(o.suite, o.run)
	if err != nil {
		return 2, err
	}
	known, err := readKnown(o.known)
	if err != nil {
		return 2, err
	}
	hs, err := cgroupHierarchies()
	if err != nil {
		return 2, fmt.Errorf("cgroup hierarchies: %w", err)
	}
	for _, h := range hs {
		for _, c := range absCgroups {
			if _, err := os.Stat(filepath.Join(h.mount, c)); err == nil {
				return 2, fmt.Errorf("cgroup %s already exists; the suite uses it and would remove it: remove it first if it is a leftover of an earlier run", filepath.Join(h.mount, c))
			}
		}
	}

	work, err := os.MkdirTemp("", "oci-validate.")
	if err != nil {
		return 2, err
	}
	// a container whose root is mapped to another host uid must be able
	// to reach its bundle through here
	if err := os.Chmod(work, 0o755); err != nil {
		return 2, err
	}
	defer func() {
		// a mount left under the work directory must not be walked into
		if err := unmountUnder(work); err != nil || hasMountsUnder(work) {
			fmt.Fprintf(os.Stderr, "oci-validate: mounts remain under %s (%v); not removing it\n", work, err)
			return
		}
		os.RemoveAll(work)
	}()
	if o.logs == "" {
		o.logs = work + ".logs"
	}
	if err := os.MkdirAll(o.logs, 0o755); err != nil {
		return 2, err
	}
	self, err := os.Executable()
	if err != nil {
		return 2, err
	}
	prefix := "/oci-validate-" + randHex(6)

	rts := []*runtimeUnder{{name: "ours", bin: o.ours, honours: true}}
	if o.peer != "" {
		name := o.peerName
		if name == "" {
			name = peerName(o.peer)
		}
		rts = append(rts, &runtimeUnder{name: name, bin: o.peer})
	}
	for i, rt := range rts {
		if err := rt.setup(work, fmt.Sprintf("rt%d", i), self, prefix, o); err != nil {
			return 2, err
		}
	}
	// remove the prefix and the suite's absolute cgroups however we leave
	defer func() {
		for _, h := range hs {
			for _, c := range append([]string{prefix[1:]}, absCgroups...) {
				if err := removeCgroupTree(filepath.Join(h.mount, c)); err != nil {
					fmt.Fprintln(os.Stderr, "oci-validate: cleanup:", err)
					if code == 0 {
						code = 1
					}
				}
			}
		}
	}()

	fmt.Printf("OCI runtime-tools validation: %d programs, timeout %s each, cgroup prefix %s, logs in %s\n",
		len(programs), o.timeout, prefix, o.logs)
	for _, rt := range rts {
		fmt.Printf("  %-12s %s\n", rt.name, rt.bin)
	}
	fmt.Println()
	w := 0
	for _, p := range programs {
		w = max(w, len(p))
	}
	fmt.Printf("%-*s", w+2, "program")
	for _, rt := range rts {
		fmt.Printf("  %-26s", rt.name+" (pass/fail/skip)")
	}
	fmt.Println()

	var harnessErrs []string
	for _, p := range programs {
		fmt.Printf("%-*s", w+2, p)
		for _, rt := range rts {
			own := ownChildren(hs)
			r := rt.runProgram(filepath.Join(o.suite, p), o.timeout)
			as := Assess(p, r)
			rt.results[p] = as
			if err := saveLogs(o.logs, rt.name, p, r); err != nil {
				harnessErrs = append(harnessErrs, err.Error())
			}
			for _, e := range rt.cleanup(hs) {
				harnessErrs = append(harnessErrs, fmt.Sprintf("%s, %s: cleanup: %s", p, rt.name, e))
			}
			for _, leak := range newChildren(own) {
				harnessErrs = append(harnessErrs, fmt.Sprintf("%s, %s: cgroup %s appeared under the caller's own cgroup (left in place)", p, rt.name, leak))
			}
			pass, fail, skip := Count(as)
			cell := fmt.Sprintf("%d/%d/%d", pass, fail, skip)
			if r.TimedOut {
				cell += " TIMEOUT"
			}
			fmt.Printf("  %-17s %6.1fs  ", cell, rt.times[p].Seconds())
		}
		fmt.Println()
	}

	// failures, ours first with the known reasons
	unexpected := 0
	byCategory := map[string]int{}
	var stale []string
	for i, rt := range rts {
		var lines []string
		seenKnown := map[string]bool{}
		for _, p := range programs {
			for _, a := range rt.results[p] {
				if a.Result != Fail {
					continue
				}
				line := "  " + a.Key(p)
				if i == 0 {
					if reason, ok := known[a.Key(p)]; ok {
						seenKnown[a.Key(p)] = true
						byCategory[category(reason)]++
						line += "\n      known: " + reason
					} else {
						unexpected++
						line += "\n      UNEXPECTED"
					}
				}
				if o.verbose && a.Detail != "" {
					line += "\n" + indent(clip(a.Detail, 20, 2000), "      | ")
				}
				lines = append(lines, line)
			}
		}
		fmt.Printf("\n%s: %d failed assertions\n", rt.name, len(lines))
		for _, l := range lines {
			fmt.Println(l)
		}
		if i == 0 && len(lines) > 0 {
			cats := make([]string, 0, len(byCategory))
			for c, n := range byCategory {
				cats = append(cats, fmt.Sprintf("%s %d", c, n))
			}
			sort.Strings(cats)
			fmt.Printf("%s: by reason: %s; unexpected %d\n", rt.name, strings.Join(cats, ", "), unexpected)
		}
		if i == 0 && o.run == nil {
			for k, reason := range known {
				// a flaky one may pass on a good day
				if !seenKnown[k] && !strings.HasPrefix(reason, "flaky") {
					stale = append(stale, k)
				}
			}
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		fmt.Printf("\nlisted in %s but passing now (remove them):\n", o.known)
		for _, k := range stale {
			fmt.Println("  " + k)
		}
	}
	if len(harnessErrs) > 0 {
		fmt.Println("\nharness problems:")
		for _, e := range harnessErrs {
			fmt.Println("  " + e)
		}
	}

	fmt.Println()
	nw := 0
	for _, rt := range rts {
		nw = max(nw, len(rt.name))
	}
	for _, rt := range rts {
		var pass, fail, skip int
		for _, p := range programs {
			a, b, c := Count(rt.results[p])
			pass, fail, skip = pass+a, fail+b, skip+c
		}
		fmt.Printf("%-*s  %d passed, %d failed, %d skipped  (%.0fs)\n", nw+1, rt.name+":", pass, fail, skip, rt.total.Seconds())
	}
	if unexpected > 0 || len(harnessErrs) > 0 {
		return 1, nil
	}
	return 0, nil
}

// setup makes the runtime's scratch directories and its wrapper script.
func (rt *runtimeUnder) setup(work, sub, self, prefix string, o options) error {
	rt.dir = filepath.Join(work, sub)
	rt.state = filepath.Join(rt.dir, "state")
	rt.tmp = filepath.Join(rt.dir, "tmp")
	rt.cwd = filepath.Join(rt.dir, "cwd")
	rt.cgroup = prefix + "/" + sub
	rt.results = map[string][]Assertion{}
	rt.times = map[string]time.Duration{}
	for _, d := range []string{rt.state, rt.tmp, rt.cwd, filepath.Join(rt.dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := copyFile(filepath.Join(o.suite, "runtimetest"), filepath.Join(rt.cwd, "runtimetest"), 0o755); err != nil {
		return err
	}
	if err := copyFile(o.tarball, filepath.Join(rt.cwd, "rootfs-amd64.tar.gz"), 0o644); err != nil {
		return err
	}
	cg := "-cgroup-rewrite " + shellQuote(rt.cgroup)
	if rt.honours {
		cg = "-cgroup-env " + shellQuote(rt.cgroup)
	}
	// named as the runtime: some programs print RUNTIME in their output
	rt.wrapper = filepath.Join(rt.dir, "bin", "runc")
	script := fmt.Sprintf("#!/bin/sh\n# %s under the OCI validation suite: own state root, cgroups under %s\nexec %s wrap -runtime %s -root %s %s -- \"$@\"\n",
		rt.name, rt.cgroup, shellQuote(self), shellQuote(rt.bin), shellQuote(rt.state), cg)
	return os.WriteFile(rt.wrapper, []byte(script), 0o755)
}

// runProgram runs one validation program with the runtime's wrapper as
// RUNTIME, killing its process group at the timeout.
func (rt *runtimeUnder) runProgram(prog string, timeout time.Duration) Run {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog)
	cmd.Dir = rt.cwd
	cmd.Env = append(os.Environ(), "RUNTIME="+rt.wrapper, "TMPDIR="+rt.tmp)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// a container or helper that keeps the output pipes open must not
	// hang the harness once the program itself is gone
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	rt.times[filepath.Base(prog)] = d
	rt.total += d
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	r := Run{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.TimedOut, r.Exit = true, -1
	case errors.As(err, &ee):
		r.Exit = ee.ExitCode()
	case err != nil:
		r.Exit = -1
		r.Stderr += "\noci-validate: " + err.Error()
	}
	return r
}

// cleanup removes what a program left: containers, the runtime's cgroups
// and the suite's absolute ones, mounts and bundles under TMPDIR.
func (rt *runtimeUnder) cleanup(hs []hierarchy) []string {
	var errs []string
	if ids := deleteContainers(rt.bin, rt.state); len(ids) > 0 {
		errs = append(errs, fmt.Sprintf("left %d container(s): %s (deleted)", len(ids), strings.Join(ids, " ")))
	}
	for _, h := range hs {
		for _, c := range append([]string{rt.cgroup[1:]}, absCgroups...) {
			if err := removeCgroupTree(filepath.Join(h.mount, c)); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if err := unmountUnder(rt.tmp); err != nil {
		errs = append(errs, err.Error())
	}
	if hasMountsUnder(rt.tmp) {
		errs = append(errs, "mounts remain under "+rt.tmp+"; not removing it")
		return errs
	}
	entries, _ := os.ReadDir(rt.tmp)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(rt.tmp, e.Name())); err != nil {
			errs = append(errs, err.Error())
		}
	}
	return errs
}

// ownChildren snapshots the subdirectories of the caller's own cgroup in
// each hierarchy where that is not the root.
func ownChildren(hs []hierarchy) map[string]map[string]bool {
	snap := map[string]map[string]bool{}
	for _, h := range hs {
		if h.own != "" && h.own != h.mount {
			snap[h.own] = childCgroups(h.own)
		}
	}
	return snap
}

// newChildren lists the cgroups that appeared under the caller's own cgroups
// since the snapshot.
func newChildren(before map[string]map[string]bool) []string {
	var leaks []string
	for dir, old := range before {
		for c := range childCgroups(dir) {
			if !old[c] {
				leaks = append(leaks, filepath.Join(dir, c))
			}
		}
	}
	sort.Strings(leaks)
	return leaks
}

// listPrograms lists the executables of the suite directory but runtimetest.
func listPrograms(dir string, run *regexp.Regexp) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ps []string
	for _, e := range entries {
		if e.IsDir() || e.Name() == "runtimetest" || (run != nil && !run.MatchString(e.Name())) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode()&0o111 != 0 {
			ps = append(ps, e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "runtimetest")); err != nil {
		return nil, fmt.Errorf("runtimetest: %w", err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no validation programs in %s", dir)
	}
	sort.Strings(ps)
	return ps, nil
}

// readKnown reads known-failures.txt: "program #N description | reason"
// lines; blank lines and lines starting with # are ignored. A reason that
// starts with "flaky" marks an assertion that fails only sometimes: it is
// not reported when it passes.
func readKnown(file string) (map[string]string, error) {
	known := map[string]string{}
	if file == "" {
		return known, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, " | ")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want \"program #N description | reason\"", file, n)
		}
		known[strings.TrimSpace(key)] = strings.TrimSpace(reason)
	}
	return known, sc.Err()
}

// saveLogs keeps a program's stdout and stderr as logs/runtime/program.*.
func saveLogs(logs, runtime, prog string, r Run) error {
	dir := filepath.Join(logs, strings.ReplaceAll(runtime, " ", "-"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	status := fmt.Sprintf("exit status %d, timed out %v\n", r.Exit, r.TimedOut)
	if err := os.WriteFile(filepath.Join(dir, prog+".stdout"), []byte(r.Stdout), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, prog+".stderr"), []byte(r.Stderr+"\n"+status), 0o644)
}

// peerName is "runc 1.1.5" from the peer's --version.
func peerName(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	name := filepath.Base(bin)
	if err != nil {
		return name
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if f := strings.Fields(first); len(f) >= 3 && f[1] == "version" {
		v, _, _ := strings.Cut(f[2], "+")
		return name + " " + v
	}
	return name
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_CLOEXEC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// category is the "category:" a known failure's reason starts with.
func category(reason string) string {
	c, _, ok := strings.Cut(reason, ":")
	if !ok || strings.Contains(c, "(") && !strings.HasSuffix(c, ")") {
		return "other"
	}
	return c
}

// clip shortens s to at most maxLines lines and maxBytes bytes (the full
// output is in the logs).
func clip(s string, maxLines, maxBytes int) string {
	cut := false
	if lines := strings.Split(s, "\n"); len(lines) > maxLines {
		s, cut = strings.Join(lines[:maxLines], "\n"), true
	}
	if len(s) > maxBytes {
		s, cut = s[:maxBytes], true
	}
	if cut {
		s += "\n[...]"
	}
	return s
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
