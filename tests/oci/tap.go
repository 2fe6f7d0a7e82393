package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Outcome is the verdict on one assertion.
type Outcome int

const (
	Pass Outcome = iota
	Fail
	Skip
)

func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	default:
		return "skip"
	}
}

// Assertion is one counted check of a validation program: a TAP test point,
// or the single verdict of a program that reports by its exit status or by a
// bare YAML block.
type Assertion struct {
	Num    int    // TAP test number; 1 for synthesized verdicts
	Desc   string // the test point's description, first line only
	Result Outcome
	Detail string // the YAML block or diagnostic that followed, if any
}

// Key names the assertion in known-failures.txt: "program #N description".
func (a Assertion) Key(program string) string {
	return fmt.Sprintf("%s #%d %s", program, a.Num, a.Desc)
}

// Run is what one validation program did against one runtime.
type Run struct {
	Exit     int  // exit status, -1 if killed
	TimedOut bool // killed by the harness's timeout
	Stdout   string
	Stderr   string
}

// testPoint is one parsed "ok"/"not ok" line.
type testPoint struct {
	num       int
	ok        bool
	directive string // "SKIP" or "TODO", upper case, or ""
	desc      string
	detail    []string
}

// tapDoc is the parsed TAP stream of a program.
type tapDoc struct {
	points []testPoint
	plan   int // -1 when there is no plan line
	yaml   []string
}

// parseTAP reads a TAP 13 stream as mndrix/tap-go writes it: test points at
// column 0, YAML blocks between "  ---" and "  ...", "# " diagnostics, and a
// "1..N" plan. Lines it does not recognise (runtimetest's multi-line
// descriptions, a runtime's stray output) are ignored.
func parseTAP(out string) tapDoc {
	doc := tapDoc{plan: -1}
	inYAML := false
	var block []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if inYAML {
			if strings.TrimSpace(line) == "..." {
				inYAML = false
				text := strings.Join(block, "\n")
				doc.yaml = append(doc.yaml, text)
				if n := len(doc.points); n > 0 {
					doc.points[n-1].detail = append(doc.points[n-1].detail, text)
				}
				block = nil
				continue
			}
			block = append(block, strings.TrimPrefix(line, "  "))
			continue
		}
		switch {
		case strings.HasPrefix(line, "  ---"):
			inYAML = true
			// tap-go writes the first line of the block on the same line
			if rest := strings.TrimPrefix(line, "  ---"); strings.TrimSpace(rest) != "" {
				block = append(block, strings.TrimSpace(rest))
			}
		case strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "not ok "):
			doc.points = append(doc.points, parsePoint(line))
		case strings.HasPrefix(line, "1.."):
			if n, err := strconv.Atoi(strings.Fields(line[3:] + " ")[0]); err == nil {
				doc.plan = n
			}
		case strings.HasPrefix(line, "# "):
			if n := len(doc.points); n > 0 {
				doc.points[n-1].detail = append(doc.points[n-1].detail, line)
			}
		}
	}
	if inYAML && len(block) > 0 {
		doc.yaml = append(doc.yaml, strings.Join(block, "\n"))
	}
	return doc
}

// parsePoint parses "ok 3 - desc", "not ok 4 - desc", "ok 5 # SKIP why" or
// "not ok 6 # TODO desc".
func parsePoint(line string) testPoint {
	p := testPoint{ok: strings.HasPrefix(line, "ok ")}
	rest := strings.TrimPrefix(strings.TrimPrefix(line, "not "), "ok ")
	numStr, rest, _ := strings.Cut(rest, " ")
	p.num, _ = strconv.Atoi(numStr)
	rest = strings.TrimSpace(rest)
	switch {
	case strings.HasPrefix(rest, "- "):
		p.desc = rest[2:]
	case strings.HasPrefix(rest, "# "):
		d, desc, _ := strings.Cut(rest[2:], " ")
		p.directive = strings.ToUpper(d)
		p.desc = desc
	default:
		p.desc = rest
	}
	return p
}

// Assess counts a program's assertions by their meaning:
//   - a TAP test point is one assertion; "# SKIP" and "# TODO" points are
//     skipped;
//   - a *_fail program is one assertion, whatever it prints: it passes when
//     the program exits 0 without a YAML block. process_*_fail print nothing
//     when the runtime rejects the config, and runtimetest's TAP then a
//     Fatal error when it does not; the hook *_fail programs print "1..0"
//     and a YAML error block when the runtime got it wrong;
//   - so is a program that writes no test point at all;
//   - a program that dies, times out, or plans more points than it writes
//     also fails one assertion for that, since the checks it did not reach
//     were not done.
func Assess(program string, r Run) []Assertion {
	doc := parseTAP(r.Stdout)
	if strings.HasSuffix(program, "_fail") || len(doc.points) == 0 {
		a := Assertion{Num: 1, Desc: "runtime behaves as the program expects", Result: Pass}
		switch {
		case r.TimedOut:
			a.Result, a.Detail = Fail, "timed out"
		case r.Exit != 0:
			a.Result, a.Detail = Fail, fmt.Sprintf("exit status %d: %s", r.Exit, lastLines(r.Stderr, 6))
		case len(doc.yaml) > 0:
			a.Result, a.Detail = Fail, strings.Join(doc.yaml, "\n")
		}
		return []Assertion{a}
	}
	var as []Assertion
	for _, p := range doc.points {
		a := Assertion{Num: p.num, Desc: firstLine(p.desc), Result: Pass, Detail: strings.Join(p.detail, "\n")}
		switch {
		case p.directive == "SKIP" || p.directive == "TODO":
			a.Result = Skip
		case !p.ok:
			a.Result = Fail
		}
		as = append(as, a)
	}
	next := doc.points[len(doc.points)-1].num + 1
	switch {
	case r.TimedOut:
		as = append(as, Assertion{Num: next, Desc: "program finishes", Result: Fail, Detail: "timed out"})
	case r.Exit != 0:
		as = append(as, Assertion{
			Num: next, Desc: "program finishes", Result: Fail,
			Detail: fmt.Sprintf("exit status %d: %s", r.Exit, lastLines(r.Stderr, 6)),
		})
	case doc.plan > len(doc.points):
		as = append(as, Assertion{
			Num: next, Desc: "program finishes", Result: Fail,
			Detail: fmt.Sprintf("planned %d test points, wrote %d", doc.plan, len(doc.points)),
		})
	}
	return as
}

// Count returns the number of passed, failed and skipped assertions.
func Count(as []Assertion) (pass, fail, skip int) {
	for _, a := range as {
		switch a.Result {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
