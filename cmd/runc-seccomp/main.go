//go:build seccomp && cgo

// Command runc-seccomp is the seccomp compiler runc embeds (package
// helperbin): the only program of runc's that links libseccomp, so that
// runc itself links no C. runc runs it when a profile's program is not in
// its cache:
//
//	runc-seccomp compile    stdin: a linux.seccomp section (JSON);
//	                        stdout: {"program": ..., "warnings": [...]}
//	runc-seccomp features   stdout: {"actions": [...], "archs": [...]}
//
// An error is printed on stderr, with exit status 1.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: %s compile|features (run by runc)", os.Args[0])
	}
	var out any
	switch os.Args[1] {
	case "compile":
		in, err := io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
		if err != nil {
			return err
		}
		var c specs.LinuxSeccomp
		if err := json.Unmarshal(in, &c); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
		compiled, err := seccomp.Build(&c)
		if err != nil {
			return err
		}
		out = compiled
	case "features":
		out = seccomp.HelperFeatures{Actions: seccomp.KnownActions(), Archs: seccomp.KnownArchs()}
	default:
		return fmt.Errorf("unknown mode %q", os.Args[1])
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
