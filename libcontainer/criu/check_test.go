package criu

import (
	"regexp"
	"strings"
	"testing"
)

// logLinePrefixRE is what cleanLogLine strips, as a regexp: the reference
// it is checked against.
var logLinePrefixRE = regexp.MustCompile(`^(?:\(\s*[0-9.]+\)\s*)?(?:(?:Error|Warn) \([^)]*\):\s*)?`)

var logLines = []string{
	"(00.056450) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds",
	"Error (criu/crtools.c:260): Could not initialize kernel features detection.",
	"(00.100000) Warn  (criu/x.c:1): not an error",
	"(00.100000) Warn (criu/x.c:1): a warning",
	"(  0.5) msg", "( 0.5 ) msg", "() msg", "(x) msg", "(00.1)Error (a):b", "(00.1) Error (a) b",
	"Error (a): Warn (b): twice", "(1) (2) twice", "  Error (a):\tmsg \n", "Error (a:1):", "Error (", "(",
	"Error (criu/cr-dump.c:1618): A session leader of 266(1) is outside of its pid namespace\n",
	"plain message", "", "\f(1)\r\nError (x):\v y",
}

func checkCleanLogLine(t *testing.T, line string) {
	want := strings.TrimSpace(logLinePrefixRE.ReplaceAllString(strings.TrimSpace(line), ""))
	if got := cleanLogLine(line); got != want {
		t.Errorf("cleanLogLine(%q) = %q, want %q", line, got, want)
	}
}

func TestCleanLogLine(t *testing.T) {
	for _, l := range logLines {
		checkCleanLogLine(t, l)
	}
}

func FuzzCleanLogLine(f *testing.F) {
	for _, l := range logLines {
		f.Add(l)
	}
	f.Fuzz(checkCleanLogLine)
}
