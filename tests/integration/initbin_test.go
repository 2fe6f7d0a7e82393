package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cachedInit matches the executable of an init run from the embedded
// program's cache (libcontainer/exeseal.CacheDir), seen through its
// detached overlay.
var cachedInit = regexp.MustCompile(`^/runc-init-[0-9a-f]{16}$`)

// memfdInit is the executable of an init run from a memfd copy of the
// embedded program.
const memfdInit = "/memfd:runc init (deleted)"

// embeddedInit tells whether exe, an init's executable, is runc's
// embedded init program (cached or in a memfd).
func embeddedInit(exe string) bool { return cachedInit.MatchString(exe) || exe == memfdInit }

// embedsInit tells, from the --debug log of a create, run or exec, whether
// runc ran its embedded init program.
func embedsInit(debugLog string) bool {
	return strings.Contains(debugLog, "sealed runc init (") || strings.Contains(debugLog, "no cached runc init")
}

// The runc that `make` builds embeds its init program (cmd/runc-init,
// package initbin), writes it once into /run/runc-init/bin (root-only, the
// program read-only) and runs it from there through a read-only overlay:
// a created container's waiting init is that program, not the host's runc
// binary; its executable cannot be opened for writing; `ps` still shows it
// as "runc init"; the debug log names it.
func TestInitEmbedded(t *testing.T) {
	b := newBundle(t, "true")
	r := b.run(nil, "--debug", "create", b.ID)
	if r.Code != 0 {
		t.Fatalf("create: exit %d, stderr %q", r.Code, r.Stderr)
	}
	m := regexp.MustCompile(`runc exeseal: using overlayfs for sealed runc init \((/run/runc-init/bin/runc-init-[0-9a-f]{16})\)`).FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("debug log of create names no embedded init:\n%s", r.Stderr)
	}
	pid := b.initPid()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !cachedInit.MatchString(exe) || exe != "/"+filepath.Base(m[1]) {
		t.Errorf("the created init runs %q, want the embedded init %s through its overlay", exe, m[1])
	}
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); string(cmdline) != "runc\x00init\x00" {
		t.Errorf("the created init's cmdline is %q, want runc init", cmdline)
	}
	if w, err := os.OpenFile(fmt.Sprintf("/proc/%d/exe", pid), os.O_WRONLY, 0); err == nil {
		w.Close()
		t.Error("the init's executable opened for writing")
	} else {
		t.Logf("open for writing: %v", err)
	}
	for p, want := range map[string]os.FileMode{
		"/run/runc-init": os.ModeDir | 0o700, "/run/runc-init/bin": os.ModeDir | 0o700,
		"/run/runc-init/empty": os.ModeDir | 0o700, m[1]: 0o500,
	} {
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
	}
	// It links musl, not glibc, whose start sizes the CPU caches with a
	// few dozen CPUID instructions, each a trap to the hypervisor in a VM
	// (Makefile, INITCC). A static glibc program carries the names of
	// its tunables.
	prog, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(prog, []byte("glibc.cpu.")) {
		t.Errorf("the embedded init %s links glibc (built with INITCC=gcc?), want musl", m[1])
	}
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
}

// A runc built without the embedded init (plain `go build`, no
// runc_initbin tag) re-executes its own sealed binary as `runc init`, and
// runs containers as before.
func TestInitFallback(t *testing.T) {
	bin := goBuild(t, ".", "seccomp urfave_cli_no_docs", "RUNC_PLAIN_BINARY")
	b := newBundleWith(t, bin, "sh", "-c", "echo ok")
	r := b.run(nil, "--debug", "run", b.ID)
	if r.Code != 0 || r.Stdout != "ok\n" {
		t.Fatalf("plain runc run: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if strings.Contains(r.Stderr, "sealed runc init") {
		t.Errorf("a plain go build runc used an embedded init:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "runc exeseal: using overlayfs for sealed /proc/self/exe") &&
		!strings.Contains(r.Stderr, "using a sealed memfd copy") {
		t.Errorf("plain runc: no sealed self re-exec in the debug log:\n%s", r.Stderr)
	}
}

// A rootless runc cannot write the cache: it runs its embedded init from a
// sealed memfd copy, never its own binary.
func TestInitEmbeddedRootless(t *testing.T) {
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "true")
	if _, errOut, code := b.runc("--debug", "create", b.ID); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	} else if !strings.Contains(errOut, "no cached runc init") {
		t.Errorf("debug log of a rootless create: no memfd copy of the embedded init:\n%s", errOut)
	}
	pid := int(b.state()["pid"].(float64))
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	if exe != memfdInit {
		t.Errorf("the rootless created init runs %q, want the embedded init's memfd", exe)
	}
	b.mustRunc("delete", "-f", b.ID)
}
