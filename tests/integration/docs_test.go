package integration

// The documentation against the binary: every command and option that
// `runc --help` and `runc COMMAND --help` show is in the command's man page
// (man/runc*.8.md) and in the bash completion
// (contrib/completions/bash/runc), and every option a man page documents
// exists.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// helpText runs runc with args and returns its output.
func helpText(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(runcBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("runc %v: %v: %s", args, err, out)
	}
	return string(out)
}

// helpFlagLine matches an option line of urfave/cli's help:
// "   --bundle value, -b value  path to ...".
var helpFlagLine = regexp.MustCompile(`^   (-{1,2}[A-Za-z0-9][A-Za-z0-9-]*(?: value)?(?:, -{1,2}[A-Za-z0-9][A-Za-z0-9-]*(?: value)?)*)  `)

// helpFlags returns the option names (with their dashes, aliases included)
// listed after the line header ("OPTIONS:" or "GLOBAL OPTIONS:").
func helpFlags(text, header string) []string {
	i := strings.Index(text, "\n"+header+"\n")
	if i < 0 {
		return nil
	}
	var flags []string
	for _, line := range strings.Split(text[i+len(header)+2:], "\n") {
		m := helpFlagLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, f := range strings.Split(m[1], ", ") {
			flags = append(flags, strings.TrimSuffix(f, " value"))
		}
	}
	return flags
}

// helpCommands returns the command names (aliases included) of
// `runc --help`.
func helpCommands(text string) []string {
	start := strings.Index(text, "\nCOMMANDS:\n")
	end := strings.Index(text, "\nGLOBAL OPTIONS:\n")
	if start < 0 || end < start {
		return nil
	}
	var cmds []string
	cmdLine := regexp.MustCompile(`^   ([a-z][a-z0-9-]*(?:, [a-z][a-z0-9-]*)*)  `)
	for _, line := range strings.Split(text[start:end], "\n") {
		if m := cmdLine.FindStringSubmatch(line); m != nil {
			cmds = append(cmds, strings.Split(m[1], ", ")...)
		}
	}
	return cmds
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// manTerms returns the bold words ("**--x**", "**-x**", "**name**") that
// start the lines of the man page's sections named (the terms of their
// definition lists).
func manTerms(page string, sections ...string) []string {
	var out []string
	bold := regexp.MustCompile(`\*\*([A-Za-z0-9-]+)\*\*`)
	in := false
	lines := strings.Split(page, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "# ") {
			in = slices.Contains(sections, strings.TrimPrefix(line, "# "))
			continue
		}
		// a term is the line before its definition (": ...")
		if !in || i+1 == len(lines) || !strings.HasPrefix(lines[i+1], ": ") {
			continue
		}
		for _, m := range bold.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// manOptions returns the options the man page's OPTIONS or GLOBAL OPTIONS
// section documents.
func manOptions(page string) []string {
	var out []string
	for _, w := range manTerms(page, "OPTIONS", "GLOBAL OPTIONS") {
		if strings.HasPrefix(w, "-") {
			out = append(out, w)
		}
	}
	return out
}

// mentions tells whether the completion has word as a whole word.
func mentions(doc, word string) bool {
	return regexp.MustCompile(`(^|[\s"'(|])` + regexp.QuoteMeta(word) + `($|[\s"')|])`).MatchString(doc)
}

// completionFunc returns the body of the completion's _runc_NAME function.
func completionFunc(t *testing.T, comp, name string) string {
	t.Helper()
	start := strings.Index(comp, "\n_runc_"+name+"() {\n")
	if start < 0 {
		t.Fatalf("bash completion: no _runc_%s function", name)
	}
	body := comp[start+1:]
	if end := strings.Index(body, "\n}\n"); end >= 0 {
		body = body[:end]
	}
	return body
}

func TestDocsMatchHelp(t *testing.T) {
	top := helpText(t, "--help")
	cmds := helpCommands(top)
	global := helpFlags(top, "GLOBAL OPTIONS:")
	if len(cmds) < 15 || len(global) < 8 {
		t.Fatalf("could not parse runc --help: commands %v, global options %v", cmds, global)
	}
	comp := repoFile(t, "contrib/completions/bash/runc")
	mainPage := repoFile(t, "man/runc.8.md")
	mainComp := completionFunc(t, comp, "runc")
	mainCmds, mainOpts := manTerms(mainPage, "COMMANDS"), manOptions(mainPage)
	for _, c := range cmds {
		if !slices.Contains(mainCmds, c) {
			t.Errorf("man/runc.8.md: no command %s in COMMANDS", c)
		}
		if !mentions(mainComp, c) {
			t.Errorf("bash completion: no command %s", c)
		}
	}
	for _, c := range mainCmds {
		if !slices.Contains(cmds, c) {
			t.Errorf("man/runc.8.md documents a command %s, which runc --help does not show", c)
		}
	}
	for _, f := range global {
		if !slices.Contains(mainOpts, f) {
			t.Errorf("man/runc.8.md: no global option %s in GLOBAL OPTIONS", f)
		}
		if !mentions(mainComp, f) {
			t.Errorf("bash completion: no global option %s", f)
		}
	}
	for _, f := range mainOpts {
		if !slices.Contains(global, f) {
			t.Errorf("man/runc.8.md documents %s, which runc --help does not show", f)
		}
	}

	for _, c := range cmds {
		if c == "help" || c == "h" {
			continue
		}
		t.Run(c, func(t *testing.T) {
			flags := helpFlags(helpText(t, c, "--help"), "OPTIONS:")
			page := repoFile(t, "man/runc-"+c+".8.md")
			if !strings.HasPrefix(page, `% runc-`+c+` "8"`) {
				t.Errorf("man/runc-%s.8.md: no title line", c)
			}
			fn := completionFunc(t, comp, c)
			opts := manOptions(page)
			for _, f := range flags {
				if f == "--help" || f == "-h" {
					continue
				}
				if !slices.Contains(opts, f) {
					t.Errorf("man/runc-%s.8.md: no option %s in OPTIONS", c, f)
				}
				if !mentions(fn, f) {
					t.Errorf("bash completion: _runc_%s has no option %s", c, f)
				}
			}
			for _, f := range opts {
				if !slices.Contains(flags, f) {
					t.Errorf("man/runc-%s.8.md documents %s, which runc %s --help does not show", c, f, c)
				}
			}
		})
	}
}

// Each man page converts (go-md2man, as `make man` does) when the tool is
// there.
func TestManPagesConvert(t *testing.T) {
	harness.Requires(t, harness.GoMd2man)
	md2man, err := exec.LookPath("go-md2man")
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob("../../man/*.8.md")
	if len(pages) == 0 {
		t.Fatal("no man pages")
	}
	dir := t.TempDir()
	for _, p := range pages {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".md"))
		if b, err := exec.Command(md2man, "-in", p, "-out", out).CombinedOutput(); err != nil {
			t.Errorf("%s: %v: %s", p, err, b)
			continue
		}
		data, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(data), ".SH NAME") {
			t.Errorf("%s: no NAME section in the page made: %v", p, err)
		}
	}
}
