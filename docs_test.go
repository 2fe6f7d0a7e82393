package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/security.md names, for each security rule, the files and functions
// that enforce it and the tests that guard it. TestSecurityDocNames keeps
// it true: every path it names exists, every function it names next to a
// path is in that path, every test it names is a test of the tree, and
// every CVE regression test of tests/integration is named.

var (
	// `path` optionally followed by (`name`, `name`: ..., ...)
	docPathRe = regexp.MustCompile("`((?:libcontainer|tests)/[^`]+|[a-z_]+\\.go)`(?:[^(`\\n]{0,20}\\(([^)]*)\\))?")
	docNameRe = regexp.MustCompile("`([A-Za-z_][A-Za-z0-9_]*)`")
	docTestRe = regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`")
	cveTestRe = regexp.MustCompile(`(?m)^func (TestCVE_[0-9_]+)\(`)
)

func TestSecurityDocNames(t *testing.T) {
	doc, err := os.ReadFile("docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range docPathRe.FindAllStringSubmatch(string(doc), -1) {
		p := m[1]
		src := sourceOf(t, p)
		for _, n := range docNameRe.FindAllStringSubmatch(m[2], -1) {
			if !strings.Contains(src, n[1]) {
				t.Errorf("docs/security.md: %s is not in %s", n[1], p)
			}
		}
	}
	tests := testFuncs(t)
	for _, m := range docTestRe.FindAllStringSubmatch(string(doc), -1) {
		if !tests[m[1]] {
			t.Errorf("docs/security.md: no test %s in the tree", m[1])
		}
	}
	for _, f := range []string{"tests/integration/cve_test.go", "tests/integration/cve_recent_test.go"} {
		cve, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cveTestRe.FindAllStringSubmatch(string(cve), -1) {
			if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("docs/security.md does not name %s (%s)", m[1], f)
			}
		}
	}
}

// sourceOf returns the text of file p, or of the .go, .c and .h files of
// directory p, failing the test if p does not exist.
func sourceOf(t *testing.T, p string) string {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Errorf("docs/security.md: %v", err)
		return ""
	}
	files := []string{p}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(p, "*.[ch]"))
		gofiles, _ := filepath.Glob(filepath.Join(p, "*.go"))
		files = append(files, gofiles...)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// testFuncs returns the names of the Test and Fuzz functions of every
// _test.go file of the tree.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]+)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != "." || p == "tests/rootfs") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
