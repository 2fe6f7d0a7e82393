package exeseal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// The program is written once, root-only and read-only, kept while it is
// whole, and replaced (never followed, never written in place) when what
// holds its name is not it.
func TestEnsureProgram(t *testing.T) {
	requireRoot(t)
	d := filepath.Join(t.TempDir(), "cache")
	dir, err := openCacheDir(d)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if st, _ := os.Stat(d); st.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode %v, want 0700", st.Mode().Perm())
	}
	prog := bytes.Repeat([]byte("runc init\n"), 1000)
	p := filepath.Join(d, "runc-init-x")
	check := func(what string) {
		t.Helper()
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, prog) {
			t.Fatalf("%s: program content wrong (%d bytes, %v)", what, len(got), err)
		}
		st, _ := os.Lstat(p)
		if st.Mode() != 0o500 {
			t.Errorf("%s: program mode %v, want -r-x------", what, st.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(d, ".*")); len(left) != 0 {
			t.Errorf("%s: temporary files left: %v", what, left)
		}
	}
	if err := ensureProgram(dir, "runc-init-x", prog); err != nil {
		t.Fatal(err)
	}
	check("written")
	ino := inode(t, p)
	if err := ensureProgram(dir, "runc-init-x", prog); err != nil {
		t.Fatal(err)
	}
	if inode(t, p) != ino {
		t.Error("a whole program was written again")
	}
	check("kept")

	// Cut short, group-writable, a symlink: replaced.
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func() error{
		"short":    func() error { return os.Truncate(p, 10) },
		"writable": func() error { return os.Chmod(p, 0o777) },
		"symlink": func() error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink(outside, p)
		},
	} {
		if err := spoil(); err != nil {
			t.Fatal(err)
		}
		if err := ensureProgram(dir, "runc-init-x", prog); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name)
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep me" {
		t.Errorf("a symlink's target was written: %q", got)
	}
}

// A cache directory anyone but root could write to, or a symlink, is
// refused.
func TestOpenCacheDirRefuses(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	owned := filepath.Join(base, "owned")
	if err := os.Mkdir(owned, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(owned, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(base, "good")
	if err := os.Mkdir(good, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{open, owned, link} {
		if dir, err := openCacheDir(d); err == nil {
			dir.Close()
			t.Errorf("%s: accepted as the cache directory", d)
		} else {
			t.Logf("%s: %v", d, err)
		}
	}
}

// sealFile's overlay (the layers given with "lowerdir", which kernels
// before 6.8 take) shows the file read-only.
func TestSealFile(t *testing.T) {
	requireRoot(t)
	d := t.TempDir()
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "prog"), self, 0o500); err != nil {
		t.Fatal(err)
	}
	dir, err := openCacheDir(d)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	f, err := sealFile(dir, "prog")
	if err != nil {
		t.Fatal(err)
	}
	f, err = dupHigh(f)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkSealed(t, f)
}
