//go:build seccomp

package seccomp

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/fnv"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/runcache"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// The programs Compile made, kept in the seccomp/ directory of runc's
// cache on /run (package runcache: root-only, emptied at boot), one file
// per profile. An entry's key is all that its program depends on: the
// profile, the compiler (compilerID: libseccomp's version and API level,
// or the digest of runc's embedded compiler, which links libseccomp), the
// kernel's release (should /run outlive a boot), the native architecture,
// and cacheFormat. The file is named after the key's FNV-1a digest and
// holds the key itself: an entry is taken only if its key is the one
// looked for, so two keys of one name (which anyone can make with FNV)
// only miss. A cryptographic digest would have done without the stored
// key, at the price of crypto/*'s package initialisers in every runc
// command (2-4% of a `runc --version` on the development VM).

// cacheFormat changes with what buildProgram makes of a profile (the
// ENOSYS prologue, how rules are added) or with what an entry holds: a
// program of another format is never taken.
const cacheFormat = 2

// cacheRoot holds the cache's directory, seccomp/ (a variable for
// tests).
var cacheRoot = runcache.Dir

// maxCacheEntries bounds the cache: once a new program makes it hold more
// files, the oldest go.
const maxCacheEntries = 64

// maxEntrySize bounds what is read and written: a program of
// bpf.MaxInsns, in base64, its warnings, and the key (containerd's
// default profile makes a key of about 6 kB).
const maxEntrySize = 1 << 20

// cacheKey is what a program depends on, and the name of its entry.
type cacheKey struct {
	key  string // JSON
	name string // the key's FNV-1a digest, in hex
}

// cacheEntry is a cache file's content.
type cacheEntry struct {
	Key string `json:"key"`
	Compiled
}

// openCache returns the cache key of c's program and the cache directory,
// or a nil directory when there is no cache to use (not root, or /run not
// writable): the program is then compiled every time.
func openCache(c *specs.LinuxSeccomp) (cacheKey, *os.File) {
	if os.Geteuid() != 0 {
		return cacheKey{}, nil
	}
	key, err := newCacheKey(c)
	if err != nil {
		logrus.Debugf("seccomp: no program cache: %v", err)
		return cacheKey{}, nil
	}
	dir, err := runcache.OpenSub(cacheRoot, "seccomp")
	if err != nil {
		logrus.Debugf("seccomp: no program cache: %v", err)
		return cacheKey{}, nil
	}
	return key, dir
}

// newCacheKey is the key of c's program.
func newCacheKey(c *specs.LinuxSeccomp) (cacheKey, error) {
	native, err := nativeArch()
	if err != nil {
		return cacheKey{}, err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return cacheKey{}, err
	}
	b, err := json.Marshal(struct {
		Format   int                 `json:"format"`
		Compiler string              `json:"compiler"`
		Kernel   string              `json:"kernel"`
		Native   specs.Arch          `json:"native"`
		Profile  *specs.LinuxSeccomp `json:"profile"`
	}{cacheFormat, compilerID(), unix.ByteSliceToString(uts.Release[:]), native, c})
	if err != nil {
		return cacheKey{}, err
	}
	h := fnv.New128a()
	h.Write(b)
	return cacheKey{key: string(b), name: hex.EncodeToString(h.Sum(nil))}, nil
}

// cachedProgram returns the cache's entry for key, if dir holds a sound
// one.
func cachedProgram(dir *os.File, key cacheKey) (*Compiled, bool) {
	if dir == nil {
		return nil, false
	}
	raw, err := runcache.ReadFile(dir, key.name, maxEntrySize)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) {
			logrus.Debugf("seccomp: cached program %s not taken: %v", key.name, err)
		}
		return nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		logrus.Debugf("seccomp: cached program %s not taken: %v", key.name, err)
		return nil, false
	}
	if e.Key != key.key {
		logrus.Debugf("seccomp: cached program %s not taken: another key", key.name)
		return nil, false
	}
	if _, err := (&bpf.Filter{Program: e.Program}).Insns(); err != nil {
		logrus.Debugf("seccomp: cached program %s not taken: %v", key.name, err)
		return nil, false
	}
	logrus.Debugf("seccomp: program from the cache (%s)", key.name)
	return &e.Compiled, true
}

// storeProgram keeps e in dir under key (best effort), and trims the
// cache.
func storeProgram(dir *os.File, key cacheKey, e *Compiled) {
	if dir == nil {
		return
	}
	raw, err := json.Marshal(cacheEntry{Key: key.key, Compiled: *e})
	if err == nil && len(raw) > maxEntrySize {
		err = errors.New("too large")
	}
	if err == nil {
		err = runcache.WriteFile(dir, key.name, raw, 0o400, nil)
	}
	if err != nil {
		logrus.Debugf("seccomp: program not cached: %v", err)
		return
	}
	trimCache(dir, maxCacheEntries)
}

// trimCache removes the oldest files of dir beyond limit.
func trimCache(dir *os.File, limit int) {
	names, err := dir.Readdirnames(-1)
	if err != nil || len(names) <= limit {
		return
	}
	type file struct {
		name  string
		mtime int64
	}
	files := make([]file, 0, len(names))
	for _, n := range names {
		var st unix.Stat_t
		if unix.Fstatat(int(dir.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			files = append(files, file{n, st.Mtim.Nano()})
		}
	}
	slices.SortFunc(files, func(a, b file) int { return cmp.Compare(a.mtime, b.mtime) })
	for _, f := range files[:max(0, len(files)-limit)] {
		_ = unix.Unlinkat(int(dir.Fd()), f.name, 0)
	}
}
