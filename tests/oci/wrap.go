package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// The wrapper is what the validation programs run as RUNTIME. They call the
// runtime without --root and often with an empty or relative
// linux.cgroupsPath, which a runc-like runtime roots in the caller's own
// cgroup. The wrapper adds --root (a state directory of this run) and, for a
// runtime that does not honour RUNC_CGROUP_ROOT (Debian's runc), rewrites an
// empty or relative linux.cgroupsPath in the bundle's config.json to an
// absolute path under this run's cgroup prefix before "create" or "run".
// Absolute paths are left alone: the programs read them back from the
// hierarchy root, and the harness removes them after each program.

// wrapMain is "oci-validate wrap -runtime PATH -root DIR [-cgroup-env P]
// [-cgroup-rewrite P] -- ARGS...".
func wrapMain(args []string) error {
	fs := flag.NewFlagSet("wrap", flag.ContinueOnError)
	runtime := fs.String("runtime", "", "the runtime binary")
	root := fs.String("root", "", "--root for the runtime")
	cgEnv := fs.String("cgroup-env", "", "set RUNC_CGROUP_ROOT to this absolute cgroup path")
	cgRewrite := fs.String("cgroup-rewrite", "", "root empty and relative linux.cgroupsPath here by rewriting config.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runtime == "" || *root == "" {
		return errors.New("wrap: -runtime and -root are required")
	}
	rargs := fs.Args()
	if *cgRewrite != "" {
		if cmd, bundle, id := createArgs(rargs); cmd != "" {
			if err := rewriteCgroupsPath(filepath.Join(bundle, "config.json"), *cgRewrite, id); err != nil {
				return fmt.Errorf("wrap: %w", err)
			}
		}
	}
	env := os.Environ()
	if *cgEnv != "" {
		env = append(env, "RUNC_CGROUP_ROOT="+*cgEnv)
	}
	argv := append([]string{*runtime, "--root", *root}, rargs...)
	return syscall.Exec(*runtime, argv, env)
}

// createArgs finds a "create" or "run" command in a runc command line and
// returns it with its bundle directory (--bundle/-b, default ".") and the
// container id (the last argument). cmd is "" for other commands.
func createArgs(args []string) (cmd, bundle, id string) {
	i := 0
	// global flags before the command; the programs pass none, but be safe
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if !strings.Contains(args[i], "=") && globalTakesValue(args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) || (args[i] != "create" && args[i] != "run") {
		return "", "", ""
	}
	cmd, bundle = args[i], "."
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--bundle" || a == "-bundle" || a == "-b":
			if j+1 < len(rest) {
				bundle = rest[j+1]
				j++
			}
		case strings.HasPrefix(a, "--bundle=") || strings.HasPrefix(a, "-b="):
			_, bundle, _ = strings.Cut(a, "=")
		case !strings.HasPrefix(a, "-"):
			id = a
		case !strings.Contains(a, "=") && createTakesValue(a):
			j++
		}
	}
	return cmd, bundle, id
}

func globalTakesValue(flag string) bool {
	switch strings.TrimLeft(flag, "-") {
	case "root", "log", "log-format", "criu":
		return true
	}
	return false
}

func createTakesValue(flag string) bool {
	switch strings.TrimLeft(flag, "-") {
	case "console-socket", "pid-file", "preserve-fds", "pidfd-socket":
		return true
	}
	return false
}

// rewriteCgroupsPath roots an empty or relative linux.cgroupsPath of the
// config file at parent (an empty one becomes parent/id, as runc names the
// cgroup after the container). The rest of the file is kept, numbers
// included, though key order and spacing change.
func rewriteCgroupsPath(file, parent, id string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	out, changed, err := rewriteConfig(data, parent, id)
	if err != nil || !changed {
		return err
	}
	return os.WriteFile(file, out, 0o644)
}

// rewriteConfig is rewriteCgroupsPath on the file's content.
func rewriteConfig(data []byte, parent, id string) ([]byte, bool, error) {
	if !path.IsAbs(parent) {
		return nil, false, fmt.Errorf("cgroup parent %q is not absolute", parent)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, false, fmt.Errorf("config.json: %w", err)
	}
	linux, _ := cfg["linux"].(map[string]any)
	if linux == nil {
		// no linux section: the runtime would take the empty path
		linux = map[string]any{}
		cfg["linux"] = linux
	}
	p, _ := linux["cgroupsPath"].(string)
	switch {
	case path.IsAbs(p):
		return nil, false, nil
	case p == "" && id == "":
		return nil, false, errors.New("empty linux.cgroupsPath and no container id")
	case p == "":
		p = id
	}
	newPath := path.Join(parent, p)
	if !strings.HasPrefix(newPath, parent+"/") {
		return nil, false, fmt.Errorf("linux.cgroupsPath %q climbs out of %s", p, parent)
	}
	linux["cgroupsPath"] = newPath
	out, err := json.Marshal(cfg)
	return out, true, err
}
