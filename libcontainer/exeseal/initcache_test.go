package exeseal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	base := filepath.Join(t.TempDir(), "cache")
	c, err := openCache(base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, d := range []string{base, base + "/bin", base + "/empty"} {
		if st, _ := os.Lstat(d); st.Mode() != os.ModeDir|0o700 {
			t.Errorf("%s: mode %v, want drwx------", d, st.Mode())
		}
	}
	dir, d := c.bin, base+"/bin"
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

// Writing a program removes the other builds' programs and the temporary
// files not changed for pruneAge, and nothing else.
func TestEnsureProgramPrunes(t *testing.T) {
	requireRoot(t)
	c, err := openCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	d := c.bin.Name()
	old := time.Now().Add(-pruneAge - time.Minute)
	files := map[string]bool{ // name: kept
		"runc-init-old": false, ".runc-init-old.123": false,
		"runc-init-recent": true, "other-old": true,
	}
	for name := range files {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte("x"), 0o500); err != nil {
			t.Fatal(err)
		}
		if name != "runc-init-recent" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := ensureProgram(c.bin, "runc-init-new", []byte("new")); err != nil {
		t.Fatal(err)
	}
	files["runc-init-new"] = true
	for name, kept := range files {
		if _, err := os.Lstat(filepath.Join(d, name)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", name, err == nil, kept)
		}
	}
}

// A cache directory anyone but root could write to, or a symlink, is
// refused, and so are such bin/ and empty/ in it.
func TestOpenCacheRefuses(t *testing.T) {
	requireRoot(t)
	for name, spoil := range map[string]func(base string) error{
		"open":        func(base string) error { return os.Chmod(base, 0o777) },
		"owned":       func(base string) error { return os.Chown(base, 1000, 1000) },
		"open bin":    func(base string) error { return os.Chmod(base+"/bin", 0o770) },
		"owned empty": func(base string) error { return os.Chown(base+"/empty", 1000, 1000) },
		"symlink": func(base string) error {
			if err := os.RemoveAll(base + "/empty"); err != nil {
				return err
			}
			return os.Symlink(t.TempDir(), base+"/empty")
		},
	} {
		base := filepath.Join(t.TempDir(), "cache")
		c, err := openCache(base)
		if err != nil {
			t.Fatal(err)
		}
		c.close()
		if err := spoil(base); err != nil {
			t.Fatal(err)
		}
		if c, err := openCache(base); err == nil {
			c.close()
			t.Errorf("%s: accepted as the cache", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// The overlay of bin/ and empty/ (its layers given with "lowerdir", which
// kernels before 6.8 take, both attached, which older ones need) shows a
// program read-only.
func TestCacheSeal(t *testing.T) {
	requireRoot(t)
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	c, err := openCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := ensureProgram(c.bin, "prog", self); err != nil {
		t.Fatal(err)
	}
	f, err := c.seal("prog")
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
