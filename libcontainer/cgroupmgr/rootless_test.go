package cgroupmgr

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The rootless test re-executes the test binary as an unprivileged user;
// this environment variable selects the child's job.
const rootlessChildEnv = "CGROUPS_TEST_ROOTLESS_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(rootlessChildEnv) != "" {
		os.Exit(rootlessChild())
	}
	os.Exit(m.Run())
}

// rootlessChild creates a manager from the environment and applies it to
// itself, printing "ok", "rootless" (ErrRootless) or "error: ...".
func rootlessChild() int {
	c := &Config{
		ID:       "rl",
		Path:     os.Getenv("CHILD_PATH"),
		Rootless: os.Getenv("CHILD_ROOTLESS") == "1",
	}
	m, err := New(c)
	if err == nil {
		err = m.Apply(os.Getpid())
	}
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.Is(err, ErrRootless):
		fmt.Println("rootless")
	default:
		fmt.Println("error:", err)
	}
	return 0
}

// TestRootlessPermissionErrors runs New+Apply as nobody, who cannot create
// cgroups: with Rootless and no explicit path the error is ErrRootless (to
// be tolerated), without Rootless or with an explicit path it is fatal, as
// in runc.
func TestRootlessPermissionErrors(t *testing.T) {
	requireRoot(t)
	e := newTestEnv(t)
	// A copy of the test binary that nobody may execute.
	dir, err := os.MkdirTemp("", "cgroups-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cgroups.test")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Our prefix must exist (root-owned) so that nobody's mkdir below it
	// fails with a permission error.
	m := mustNew(t, &Config{ID: "top", Path: e.prefix})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, rootless, want string
	}{
		{"rootless, no path", "", "1", "rootless"},
		{"rootless, explicit path", e.prefix + "/rl", "1", "error: "},
		{"not rootless, no path", "", "0", "error: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(),
				rootlessChildEnv+"=1",
				EnvCgroupRoot+"="+e.prefix,
				"CHILD_PATH="+tc.path,
				"CHILD_ROOTLESS="+tc.rootless,
			)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v: %s", err, out)
			}
			got := strings.TrimSpace(string(out))
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("child printed %q, want %q...", got, tc.want)
			}
			if strings.HasPrefix(got, "error: ") && !strings.Contains(got, "permission denied") {
				t.Errorf("child error %q is not the permission error", got)
			}
		})
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
