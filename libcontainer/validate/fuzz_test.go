package validate

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// FuzzSpec feeds arbitrary bytes through json.Unmarshal into a spec and
// then Spec, which must never panic. The seed corpus is in
// testdata/fuzz/FuzzSpec.
func FuzzSpec(f *testing.F) {
	logrus.SetOutput(io.Discard)
	good, err := json.Marshal(exampleSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	bundle := newBundle(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		for _, rootless := range []bool{false, true} {
			err := Spec(&s, bundle, rootless)
			// Without a backslash the input cannot hold a newline in a
			// string, so neither may the one-line error.
			if err != nil && strings.Contains(err.Error(), "\n") && !strings.Contains(string(data), `\`) {
				t.Errorf("error spans lines: %q", err)
			}
		}
		if s.Process != nil {
			_ = Process(s.Process)
		}
	})
}

// FuzzID checks that every ID that ID accepts is a single, clean path
// component made of runc's characters, and never panics.
func FuzzID(f *testing.F) {
	for _, seed := range []string{"", "a", ".", "..", "...", "a/b", "abc-DEF_1+2.3", "ä", "a\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ID(id) != nil {
			return
		}
		if id == "" || id == "." || id == ".." {
			t.Fatalf("ID(%q) accepted", id)
		}
		if filepath.Clean("/"+id) != "/"+id || filepath.Base(id) != id {
			t.Fatalf("ID(%q) accepted a non-clean path component", id)
		}
		for _, c := range id {
			if !validIDRune(c) {
				t.Fatalf("ID(%q) accepted %q", id, c)
			}
		}
	})
}

// validIDRune reports whether c is one of the characters runc allows in an
// ID.
func validIDRune(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+-.", c)
}
