package criu

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// CheckError says that CRIU cannot work on this system at all (`criu
// check` fails: an unsupported kernel, a missing kernel feature), as
// opposed to failing on one particular container.
type CheckError struct {
	// Errors are the error lines of CRIU's check log, without their
	// timestamps and source locations.
	Errors []string
	Err    error // the failed CHECK request
}

func (e *CheckError) Error() string {
	s := "criu cannot work on this system: `criu check` fails"
	if len(e.Errors) > 0 {
		s += ": " + strings.Join(e.Errors, "; ")
	} else if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CheckError) Unwrap() error { return e.Err }

// Check runs CRIU's own system check (`criu check`) through a CHECK
// request, logging to a temporary directory it removes again. It returns
// a *CheckError if CRIU finds it cannot work here.
func (c *Criu) Check() error {
	dir, err := os.MkdirTemp("", "criu-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	const logFile = "check.log"
	req := &rpc.CriuReq{
		Type: rpc.ReqCheck,
		Opts: &rpc.CriuOpts{
			// CRIU opens the images directory as /proc/<our pid>/fd/N.
			ImagesDirFd: int32(d.Fd()),
			LogFile:     new(logFile),
			LogLevel:    new(int32(2)),
		},
	}
	s := &Session{Criu: c}
	if _, err := s.Run(req); err != nil {
		var re *RPCError
		if !errors.As(err, &re) {
			return fmt.Errorf("criu check: %w", err)
		}
		lines, _ := ErrorLines(filepath.Join(dir, logFile), 3)
		return &CheckError{Errors: lines, Err: err}
	}
	return nil
}

// ErrorLines returns the last max "Error" lines of a CRIU log, stripped of
// their time and source location, oldest first.
func ErrorLines(path string, max int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "Error (") {
			continue
		}
		msg := cleanLogLine(line)
		if msg == "" || strings.HasPrefix(msg, "exited, status=") {
			continue // a helper's exit: says nothing by itself
		}
		lines = append(lines, msg)
		if len(lines) > max {
			lines = lines[1:]
		}
	}
	return lines, sc.Err()
}

// cleanLogLine strips a CRIU log line (or error message) of what CRIU
// puts before the message: the time, "(  0.123456) ", and for errors and
// warnings the level and source location, "Error (criu/file.c:123): ".
func cleanLogLine(line string) string {
	s := strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(s, "("); ok {
		if t, rest, ok := strings.Cut(rest, ")"); ok {
			t = strings.TrimLeft(t, logSpace)
			if t != "" && strings.Trim(t, "0123456789.") == "" {
				s = strings.TrimLeft(rest, logSpace)
			}
		}
	}
	rest, ok := strings.CutPrefix(s, "Error (")
	if !ok {
		rest, ok = strings.CutPrefix(s, "Warn (")
	}
	if ok {
		if _, rest, ok := strings.Cut(rest, ")"); ok {
			if rest, ok := strings.CutPrefix(rest, ":"); ok {
				s = rest
			}
		}
	}
	return strings.TrimSpace(s)
}

// logSpace is what CRIU may pad with (a regexp's \s).
const logSpace = " \t\n\f\r"

// LogError adds to err (a failed request) the last errors of CRIU's log
// that it does not say already, and where the log is.
func LogError(err error, logPath string) error {
	lines, _ := ErrorLines(logPath, 3)
	var add []string
	for _, l := range lines {
		if !strings.Contains(err.Error(), l) {
			add = append(add, l)
		}
	}
	if len(add) == 0 {
		return fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return fmt.Errorf("%w: %s (log: %s)", err, strings.Join(add, "; "), logPath)
}
