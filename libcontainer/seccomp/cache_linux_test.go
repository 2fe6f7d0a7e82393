//go:build seccomp

package seccomp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// withCache points the program cache at a directory of the test's, and
// returns its seccomp/.
func withCache(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the program cache is root's")
	}
	old := cacheRoot
	cacheRoot = t.TempDir()
	t.Cleanup(func() { cacheRoot = old })
	return filepath.Join(cacheRoot, "seccomp")
}

// logged returns what f logs at level warn and above.
func logged(t *testing.T, f func()) string {
	t.Helper()
	var buf bytes.Buffer
	out, level := logrus.StandardLogger().Out, logrus.GetLevel()
	logrus.SetOutput(&buf)
	logrus.SetLevel(logrus.WarnLevel)
	defer func() {
		logrus.SetOutput(out)
		logrus.SetLevel(level)
	}()
	f()
	return buf.String()
}

// TestCompileCache: a program is compiled once per profile, then taken
// from the cache, warnings and all; a cache file that is not root-only,
// or not a program, is never taken and is replaced.
func TestCompileCache(t *testing.T) {
	dir := withCache(t)
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"read", "write", "no_such_syscall_xyz"}, Action: specs.ActAllow}},
	}
	compile := func() (*bpf.Filter, string) {
		var f *bpf.Filter
		log := logged(t, func() {
			var err error
			if f, err = Compile(c); err != nil {
				t.Fatal(err)
			}
		})
		return f, log
	}
	first, log := compile()
	if !strings.Contains(log, `syscall \"no_such_syscall_xyz\" is unknown`) {
		t.Errorf("first compile: no warning for the unknown syscall: %q", log)
	}
	key, err := newCacheKey(c)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, key.name)
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil || st.Mode&0o777 != 0o400 {
		t.Fatalf("cache file %s: %v, mode %#o", file, err, st.Mode&0o777)
	}

	// Taken from the cache: a program planted under the key is what
	// Compile returns, with the warnings it was stored with.
	planted := &bpf.Filter{Program: []byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}} // ret ALLOW
	plant := func(mode uint32, program []byte, k string) {
		raw, _ := json.Marshal(cacheEntry{Key: k, Compiled: Compiled{Program: program, Warnings: []string{"planted warning"}}})
		_ = os.Remove(file)
		if err := os.WriteFile(file, raw, os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
	}
	plant(0o400, planted.Program, key.key)
	got, log := compile()
	if !bytes.Equal(got.Program, planted.Program) || !strings.Contains(log, "planted warning") {
		t.Fatalf("the cache was not used: program of %d bytes, log %q", len(got.Program), log)
	}

	// Not taken: writable by others, not a whole program, or another
	// key's (the name is a digest anyone can collide with).
	other, err := newCacheKey(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		what    string
		mode    uint32
		program []byte
		key     string
	}{
		{"group-writable", 0o420, planted.Program, key.key},
		{"world-writable", 0o402, planted.Program, key.key},
		{"a partial instruction", 0o400, planted.Program[:5], key.key},
		{"empty", 0o400, nil, key.key},
		{"another key's", 0o400, planted.Program, other.key},
		{"a keyless (format 1)", 0o400, planted.Program, ""},
	} {
		plant(bad.mode, bad.program, bad.key)
		got, _ := compile()
		if !bytes.Equal(got.Program, first.Program) {
			t.Errorf("%s cache file: taken (program of %d bytes)", bad.what, len(got.Program))
		}
		if err := unix.Stat(file, &st); err != nil || st.Mode&0o777 != 0o400 {
			t.Errorf("%s cache file: not replaced: %v, mode %#o", bad.what, err, st.Mode&0o777)
		}
	}

	// Another profile, another key.
	c.DefaultAction = specs.ActKillProcess
	if key2, _ := newCacheKey(c); key2.name == key.name || key2.key == key.key {
		t.Error("two profiles share a cache key")
	}
}

// TestTrimCache: past the limit, the oldest files go.
func TestTrimCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for i := 0; i < 10; i++ {
		name := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(name, nil, 0o400); err != nil {
			t.Fatal(err)
		}
		mtime := now.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	trimCache(d, 4)
	names, _ := os.ReadDir(dir)
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if strings.Join(got, "") != "ghij" {
		t.Errorf("kept %v, want the four newest (g h i j)", got)
	}
}

// TestTablesUnique: no table holds a key twice (a map literal with one
// would not have compiled). (Here, in a file of the seccomp build: goArchs
// is only in that one.)
func TestTablesUnique(t *testing.T) {
	for i, tb := range []interface{ Duplicate() (any, bool) }{
		knownArchs, goArchs,
	} {
		if k, dup := tb.Duplicate(); dup {
			t.Errorf("table %d holds %v twice", i, k)
		}
	}
}
