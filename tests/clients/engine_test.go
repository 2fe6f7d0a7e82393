package clients

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// engine is Docker or Podman, whose command lines are alike, with one
// runtime chosen for every container it makes.
type engine struct {
	name     string // "docker" or "podman"
	rt       runtime
	base     []string // the client and its global flags
	env      []string
	runFlags []string // flags of every run/create
	// cgroupOf maps a container's full ID to its cgroup path.
	cgroupOf func(id string) string
}

var nameSeq atomic.Int64

func dockerEngine(t *testing.T, rt runtime) *engine {
	d := needDockerd(t)
	return &engine{
		name:     "docker",
		rt:       rt,
		base:     []string{"/usr/bin/docker", "--host", "unix://" + d.sock},
		runFlags: []string{"--runtime", dockerRuntimeName(rt), "--network", "none"},
		cgroupOf: func(id string) string { return cgParent + "/docker/" + id },
	}
}

func podmanEngine(t *testing.T, rt runtime) *engine {
	p := needPodman(t)
	return &engine{
		name: "podman",
		rt:   rt,
		base: append([]string{"podman", "--runtime", rt.Path}, p.globalFlags()...),
		env:  p.env,
		runFlags: []string{
			"--network", "none", "--cgroup-parent", cgParent + "/podman",
			"--log-driver", "k8s-file",
		},
		cgroupOf: func(id string) string { return cgParent + "/podman/libpod-" + id },
	}
}

// cmd runs the client with args.
func (e *engine) cmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return command(t, stdin, e.env, append(append([]string{}, e.base...), args...)...)
}

// must runs the client and fails t unless it exits 0; it returns stdout
// without the final newline.
func (e *engine) must(t *testing.T, args ...string) string {
	t.Helper()
	r := e.cmd(t, "", args...)
	if r.Code != 0 {
		t.Fatalf("%s %s: %s", e.name, strings.Join(args, " "), r)
	}
	return strings.TrimRight(r.Stdout, "\n")
}

// rm removes a container at once (podman would wait its stop timeout).
func (e *engine) rm(t *testing.T, name string) {
	t.Helper()
	if e.name == "podman" {
		e.cmd(t, "", "rm", "--force", "--time", "0", name)
		return
	}
	e.cmd(t, "", "rm", "--force", name)
}

// inspect returns a field of the container's inspect output.
func (e *engine) inspect(t *testing.T, name, format string) string {
	t.Helper()
	return e.must(t, "inspect", "--format", format, name)
}

// container is one container made by a test.
type container struct {
	e    *engine
	name string
	// cidfile gets the full ID from the client.
	cidfile string
}

// newName returns a fresh container name for the test.
func (e *engine) newContainer(t *testing.T) *container {
	t.Helper()
	c := &container{e: e, name: fmt.Sprintf("clients-%s-%d", e.rt.Name, nameSeq.Add(1))}
	c.cidfile = filepath.Join(work, c.name+".cid")
	before := snapshot()
	t.Cleanup(func() {
		e.rm(t, c.name)
		id := c.id()
		if id == "" {
			return // never created
		}
		before.check(t, e.cgroupOf(id), id)
		os.Remove(c.cidfile)
	})
	return c
}

// id is the container's full ID ("" before it was created).
func (c *container) id() string {
	data, _ := os.ReadFile(c.cidfile)
	return strings.TrimSpace(string(data))
}

// cgroup is the container's cgroup path.
func (c *container) cgroup() string { return c.e.cgroupOf(c.id()) }

// runArgs are the arguments of `run` for the container: flags, then the
// image and its command.
func (c *container) runArgs(flags []string, args ...string) []string {
	out := []string{"run", "--name", c.name, "--cidfile", c.cidfile}
	ownNet := slices.Contains(flags, "--network")
	for i := 0; i < len(c.e.runFlags); i++ {
		if ownNet && c.e.runFlags[i] == "--network" {
			i++ // a --network of the test's replaces "none"
			continue
		}
		out = append(out, c.e.runFlags[i])
	}
	out = append(out, flags...)
	out = append(out, imageName)
	return append(out, args...)
}

// run runs the container in the foreground with the given run flags and
// command, and returns what the client gave.
func (c *container) run(t *testing.T, stdin string, flags []string, args ...string) result {
	t.Helper()
	return c.e.cmd(t, stdin, c.runArgs(flags, args...)...)
}

// start runs the container detached (-d) and fails t unless that works.
func (c *container) start(t *testing.T, flags []string, args ...string) {
	t.Helper()
	r := c.run(t, "", append([]string{"--detach"}, flags...), args...)
	if r.Code != 0 {
		t.Fatalf("%s run -d: %s", c.e.name, r)
	}
}
