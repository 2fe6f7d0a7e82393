package main

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzParseSignal checks `runc kill`'s signal parsing: no panic, and an
// accepted input is a number that fits the kernel's int, given as that
// number, or a signal 1-64 given as a (case-insensitive, SIG-optional) name
// of that signal.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"KILL", "SIGKILL", "9", "sigterm", "Hup", "0", "64", "65", "-1", "+9", "09", "SIG", "", "SIGRTMIN", "SIGKILL ", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		sig, err := parseSignal(raw)
		if err != nil {
			if sig != 0 {
				t.Fatalf("parseSignal(%q) = %d with error %v", raw, sig, err)
			}
			if err.Error() == "" || (strings.Contains(err.Error(), "\n") && !strings.Contains(raw, "\n")) {
				t.Fatalf("parseSignal(%q): error %q is not one line", raw, err)
			}
			return
		}
		if n, err := strconv.Atoi(raw); err == nil {
			if int(sig) != n || int(int32(n)) != n {
				t.Fatalf("parseSignal(%q) = %d", raw, sig)
			}
			return
		}
		if sig < 1 || sig > 64 {
			t.Fatalf("parseSignal(%q) accepted signal %d", raw, sig)
		}
		name := strings.ToUpper(raw)
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		if unix.SignalNum(name) != sig {
			t.Fatalf("parseSignal(%q) = %d, but %s is %d", raw, sig, name, unix.SignalNum(name))
		}
	})
}

// FuzzParseUser checks `runc exec --user UID[:GID]` parsing: no panic, and
// an accepted input is decimal numbers that fit a uid_t/gid_t (not -1).
func FuzzParseUser(f *testing.F) {
	for _, s := range []string{"0", "1000:1000", "1000:", ":1000", "a:b", "-1", "4294967295", "4294967294:4294967294", "1:2:3", "", "+5", "007:08", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uid, gid, hasGID, err := parseUser(s)
		if err != nil {
			// The error quotes the input, so only an input without a
			// newline must give a one-line error.
			if err.Error() == "" || (strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n")) {
				t.Fatalf("parseUser(%q): error %q is not one line", s, err)
			}
			return
		}
		u, g, colon := strings.Cut(s, ":")
		if colon != hasGID {
			t.Fatalf("parseUser(%q): hasGID %v", s, hasGID)
		}
		n, err := strconv.ParseInt(u, 10, 64)
		if err != nil || n < 0 || n >= 1<<32-1 || uint32(n) != uid {
			t.Fatalf("parseUser(%q) accepted uid %d", s, uid)
		}
		if hasGID {
			n, err := strconv.ParseInt(g, 10, 64)
			if err != nil || n < 0 || n >= 1<<32-1 || uint32(n) != gid {
				t.Fatalf("parseUser(%q) accepted gid %d", s, gid)
			}
		} else if gid != 0 {
			t.Fatalf("parseUser(%q): gid %d without a gid", s, gid)
		}
	})
}
