package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// Bundle is one test container: its bundle directory, its config, its
// state root and the runc it is run with.
type Bundle struct {
	T    testing.TB
	Bin  string // the runc this bundle is run with (Bin, or the reference)
	ID   string
	Dir  string
	Root string // --root; "" leaves the flag out
	Spec *specs.Spec
	// Command, if set, makes the command that runs runc with args (as
	// another user, say); by default Bin --root Root args, in Dir.
	Command func(args ...string) *exec.Cmd
}

// Options are what New can change about a bundle.
type Options struct {
	// Args is process.args (empty: the template's sh).
	Args []string
	// Bin is the runc to run it with (default: Bin).
	Bin string
	// ID is the container ID (default: NewID()).
	ID string
	// Dir is the bundle directory, made if missing (default: a new
	// temporary directory of the test).
	Dir string
	// Root is the state root (default: Dir/state).
	Root string
	// Rootfs, if set, is used as root.path as it is, read-only (a rootfs
	// many bundles share); by default the bundle gets its own writable
	// copy of the busybox rootfs in Dir/rootfs.
	Rootfs string
}

// NewBundle makes a bundle running args (see New).
func NewBundle(t testing.TB, args ...string) *Bundle {
	t.Helper()
	return New(t, Options{Args: args})
}

// New makes a bundle: its rootfs (a copy of the busybox one unless
// o.Rootfs), the config `runc spec` writes with the edits every test
// container gets (Edit), written to config.json. When the test ends the
// container is deleted, and the test fails if its state directory or its
// cgroup is left.
func New(t testing.TB, o Options) *Bundle {
	t.Helper()
	b := &Bundle{T: t, Bin: o.Bin, ID: o.ID, Dir: o.Dir, Root: o.Root}
	if b.Bin == "" {
		b.Bin = Bin
	}
	if b.ID == "" {
		b.ID = NewID()
	}
	if b.Dir == "" {
		b.Dir = t.TempDir()
	} else if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if b.Root == "" {
		b.Root = filepath.Join(b.Dir, "state")
	}
	if o.Rootfs == "" {
		CopyRootfs(t, filepath.Join(b.Dir, "rootfs")) // root.path "rootfs" of the template
	}
	b.Spec = Template(t)
	Edit(b.Spec, o.Args)
	if o.Rootfs != "" {
		b.Spec.Root.Path, b.Spec.Root.Readonly = o.Rootfs, true
	}
	b.Spec.Linux.CgroupsPath = b.CgroupPath()
	b.Write()
	t.Cleanup(b.Cleanup)
	return b
}

// CopyRootfs copies the busybox rootfs to dst.
func CopyRootfs(t testing.TB, dst string) {
	t.Helper()
	if out, err := Output("cp", "-a", Rootfs, dst); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
}

var (
	templateOnce sync.Once
	template     []byte
	templateErr  error
)

// Template returns the config `runc spec` writes (run once per run, with
// the runc under test).
func Template(t testing.TB) *specs.Spec {
	t.Helper()
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runc-test-spec-")
		if err != nil {
			templateErr = err
			return
		}
		defer os.RemoveAll(dir)
		if out, err := Output(Bin, "spec", "--bundle", dir); err != nil {
			templateErr = fmt.Errorf("runc spec: %w: %s", err, out)
			return
		}
		template, templateErr = os.ReadFile(filepath.Join(dir, "config.json"))
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	var s specs.Spec
	if err := json.Unmarshal(template, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// Edit makes the changes every test config gets: no terminal, a writable
// root, and args (if any) as process.args. The cgroupsPath is the
// caller's (New sets CgroupPath, under the run's prefix).
func Edit(s *specs.Spec, args []string) {
	s.Process.Terminal = false
	s.Root.Readonly = false
	if len(args) > 0 {
		s.Process.Args = args
	}
}

// CgroupPath is the container's cgroupsPath: absolute, under the run's
// CgroupPrefix.
func (b *Bundle) CgroupPath() string { return CgroupPrefix + "/" + b.ID }

// Write writes b.Spec to config.json.
func (b *Bundle) Write() {
	b.T.Helper()
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		b.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		b.T.Fatal(err)
	}
}

// Cleanup deletes the container (delete --force) and fails the test if its
// state directory or a cgroup of its cgroupsPath is left (removing them).
// New registers it with t.Cleanup.
func (b *Bundle) Cleanup() {
	b.Run("delete", "--force", b.ID)
	if b.Root != "" {
		if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
			b.T.Errorf("state directory of %s left behind", b.ID)
		}
	}
	if left := RemoveCgroups(b.CgroupPath()); len(left) > 0 {
		b.T.Errorf("cgroups left behind: %s", strings.Join(left, ", "))
	}
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
			b.T.Errorf("cgroup %s left behind", filepath.Join(h, b.CgroupPath()))
			os.Remove(filepath.Join(h, b.CgroupPath()))
		}
	}
}

// Cmd returns the command that runs runc with args for this bundle.
func (b *Bundle) Cmd(args ...string) *exec.Cmd {
	if b.Command != nil {
		return b.Command(args...)
	}
	argv := args
	if b.Root != "" {
		argv = append([]string{"--root", b.Root}, args...)
	}
	cmd := exec.Command(b.Bin, argv...)
	if _, err := os.Stat(b.Dir); err == nil {
		cmd.Dir = b.Dir
	}
	return cmd
}

// Start starts runc with args in the background, as c says.
func (b *Bundle) Start(c Call, args ...string) *Proc {
	b.T.Helper()
	cmd := b.Cmd(args...)
	if c.Bin != "" {
		if b.Command != nil {
			b.T.Fatal("harness: Call.Bin with a bundle's own Command")
		}
		cmd.Path, cmd.Args[0] = c.Bin, c.Bin
	}
	if len(c.Wrap) > 0 {
		wrapped := exec.Command(c.Wrap[0], append(append(c.Wrap[1:len(c.Wrap):len(c.Wrap)], cmd.Path), cmd.Args[1:]...)...)
		wrapped.Dir, wrapped.Env = cmd.Dir, cmd.Env
		cmd = wrapped
	}
	cmd.Stdin = c.Stdin
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	}
	if c.Env != nil {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, c.Env...)
	}
	cmd.ExtraFiles = c.Files
	cmd.SysProcAttr = c.Attr
	return StartCmd(b.T, cmd)
}

// Run runs runc with args and waits (up to RunTimeout) for what it gives.
func (b *Bundle) Run(args ...string) Result {
	b.T.Helper()
	return b.RunWith(Call{}, args...)
}

// RunWith is Run as c says.
func (b *Bundle) RunWith(c Call, args ...string) Result {
	b.T.Helper()
	p := b.Start(c, args...)
	defer p.Close()
	return p.Wait(RunTimeout)
}

// MustRun runs runc and fails the test unless it exits 0.
func (b *Bundle) MustRun(args ...string) Result {
	b.T.Helper()
	r := b.Run(args...)
	if r.Code != 0 {
		b.T.Fatalf("runc %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// State returns `runc state` of the container decoded, or nil and what
// runc gave when it failed.
func (b *Bundle) State() (map[string]any, Result) {
	b.T.Helper()
	r := b.Run("state", b.ID)
	if r.Code != 0 {
		return nil, r
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		b.T.Fatalf("state JSON: %v: %q", err, r.Stdout)
	}
	return st, r
}

// MustState is State, failing the test when runc state fails.
func (b *Bundle) MustState() map[string]any {
	b.T.Helper()
	st, r := b.State()
	if st == nil {
		b.T.Fatalf("runc state %s: %s", b.ID, r)
	}
	return st
}

// Status is the container's status from runc state.
func (b *Bundle) Status() string {
	b.T.Helper()
	s, _ := b.MustState()["status"].(string)
	return s
}

// InitPid is the container's init pid from runc state.
func (b *Bundle) InitPid() int {
	b.T.Helper()
	pid, _ := b.MustState()["pid"].(float64)
	return int(pid)
}

// WaitStatus waits (up to 10s) until runc state shows want (a failing
// runc state counts as no status yet).
func (b *Bundle) WaitStatus(want string) {
	b.T.Helper()
	EventuallyErr(b.T, 10*time.Second, func() error {
		var got string
		if st, _ := b.State(); st != nil {
			got, _ = st["status"].(string)
		}
		if got != want {
			return fmt.Errorf("status %q", got)
		}
		return nil
	}, fmt.Sprintf("%s: status %q", b.ID, want))
}

// RemoveCgroups removes the cgroup path from every hierarchy, deepest
// first, and returns the directories below it that were still there.
func RemoveCgroups(path string) []string {
	var left []string
	for _, h := range testhost.CgroupHierarchies() {
		root := filepath.Join(h, path)
		if _, err := os.Stat(root); err != nil {
			continue
		}
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if dirs[i] != root {
				left = append(left, dirs[i])
			}
			os.Remove(dirs[i])
		}
	}
	return left
}
