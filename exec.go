package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
	"github.com/seed4bdd2c93/runc/libcontainer/specjson"
	"github.com/seed4bdd2c93/runc/libcontainer/validate"
)

var execCommand = cli.Command{
	Name:  "exec",
	Usage: "execute new process inside the container",
	ArgsUsage: `<container-id> <command> [command options]  || -p process.json <container-id>

Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # runc exec <container-id> ps`,
	Flags: []cli.Flag{
		cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		cli.StringFlag{Name: "pidfd-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the exec process"},
		cli.StringFlag{Name: "cwd", Usage: "current working directory in the container"},
		cli.StringSliceFlag{Name: "env, e", Usage: "set environment variables"},
		cli.BoolFlag{Name: "tty, t", Usage: "allocate a pseudo-TTY"},
		cli.StringFlag{Name: "user, u", Usage: "UID (format: <uid>[:<gid>])"},
		cli.Int64SliceFlag{Name: "additional-gids, g", Usage: "additional gids"},
		cli.StringFlag{Name: "process, p", Usage: "path to the process.json"},
		cli.BoolFlag{Name: "detach,d", Usage: "detach from the container's process"},
		cli.StringFlag{Name: "pid-file", Value: "", Usage: "specify the file to write the process id to"},
		cli.StringFlag{Name: "process-label", Usage: "set the asm process label for the process commonly used with selinux"},
		cli.StringFlag{Name: "apparmor", Usage: "set the apparmor profile for the process"},
		givenBoolFlag{cli.BoolFlag{Name: "no-new-privs", Usage: "set the no new privileges value for the process"}, &noNewPrivs},
		cli.StringSliceFlag{Name: "cap, c", Value: &cli.StringSlice{}, Usage: "add a capability to the bounding set for the process"},
		cli.IntFlag{Name: "preserve-fds", Usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
		cli.StringSliceFlag{Name: "cgroup", Usage: "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>."},
		cli.BoolFlag{Name: "ignore-paused", Usage: "allow exec in a paused container"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, minArgs); err != nil {
			return err
		}
		status, err := execProcess(ctx)
		if err != nil {
			fatalWithCode(fmt.Errorf("exec failed: %w", err), 255)
		}
		os.Exit(status)
		return nil
	},
	// Everything after the container id belongs to the command.
	SkipArgReorder: true,
}

// execProcess runs `runc exec` and returns the exit code of the process
// (0 when detached).
func execProcess(ctx *cli.Context) (int, error) {
	// Check the fds to preserve before runc opens any of its own.
	files, err := preservedFds(3, ctx.Int("preserve-fds"))
	if err != nil {
		return -1, err
	}
	libcontainer.Prepare()
	pidFile, err := absPidFile(ctx)
	if err != nil {
		return -1, err
	}
	// Not locked: `runc resume` must be able to thaw a paused container
	// that an exec --ignore-paused is waiting on.
	c, err := getContainer(ctx, false)
	if err != nil {
		return -1, err
	}
	switch c.Status() {
	case libcontainer.Stopped:
		return -1, libcontainer.ErrExecStopped
	case libcontainer.Paused:
		if !ctx.Bool("ignore-paused") {
			return -1, libcontainer.ErrExecPaused
		}
	}
	if ctx.String("process") == "" && ctx.NArg() == 1 {
		return -1, errors.New("process args cannot be empty")
	}
	p, err := getProcess(ctx, c.State().Config)
	if err != nil {
		return -1, err
	}
	sub, err := libcontainer.ParseSubCgroups(ctx.StringSlice("cgroup"))
	if err != nil {
		return -1, err
	}
	detach := ctx.Bool("detach")

	io := libcontainer.Process{ExtraFiles: files}

	var uid, gid int
	if l := c.State().Config.Linux; l != nil {
		uid, gid = libcontainer.RootIDs(l)
	}
	t, err := setupIO(&io, p.Terminal, detach, ctx.String("console-socket"), uid, gid)
	if err != nil {
		return -1, err
	}
	defer t.close()
	pidfdSock, err := setupPidfdSocket(&io, ctx.String("pidfd-socket"))
	if err != nil {
		return -1, err
	}
	if pidfdSock != nil {
		defer pidfdSock.Close()
	}

	var handler *signalHandler
	if !detach {
		// The process is our grandchild (the C stage forks it): as a
		// subreaper we get it back to wait for.
		handler = newSignalHandler(true)
	}
	pid, err := c.Exec(p, &io, &libcontainer.ExecOptions{
		SubCgroupPaths: sub,
		IgnorePaused:   ctx.Bool("ignore-paused"),
	})
	if err != nil {
		return -1, err
	}
	if err := t.started(); err != nil {
		killProcess(pid)
		return -1, err
	}
	if pidFile != "" {
		if err := createPidFile(pidFile, pid); err != nil {
			killProcess(pid)
			return -1, err
		}
	}
	if detach {
		return 0, nil
	}
	status := handler.forward(pid, t)
	logrus.Debugf("exec'd process exited: %d", status)
	t.wait()
	return status, nil
}

// getProcess builds the process to exec: the --process JSON as it is, or
// the container's own process with the command line's arguments and
// flags, as runc does.
func getProcess(ctx *cli.Context, config *specs.Spec) (*specs.Process, error) {
	if path := ctx.String("process"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := validate.Process(&p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &p, nil
	}
	p, err := copyProcess(config)
	if err != nil {
		return nil, err
	}
	p.Args = ctx.Args()[1:]
	if cwd := ctx.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	if ap := ctx.String("apparmor"); ap != "" {
		p.ApparmorProfile = ap
	}
	if l := ctx.String("process-label"); l != "" {
		p.SelinuxLabel = l
	}
	if caps := ctx.StringSlice("cap"); len(caps) > 0 {
		addCaps(p, caps)
	}
	p.Env = append(p.Env, ctx.StringSlice("env")...)
	p.Terminal = ctx.Bool("tty")
	if noNewPrivs.given {
		p.NoNewPrivileges = noNewPrivs.val
	}
	if u := ctx.String("user"); u != "" {
		uid, gid, hasGID, err := parseUser(u)
		if err != nil {
			return nil, err
		}
		p.User.UID = uid
		if hasGID {
			p.User.GID = gid
		}
	}
	for _, g := range ctx.Int64Slice("additional-gids") {
		if g < 0 || g > int64(^uint32(0)-1) {
			return nil, fmt.Errorf("additional-gids must be a positive number %d", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if err := validate.Process(p); err != nil {
		return nil, err
	}
	return p, nil
}

// copyProcess returns a deep copy of the container's process, which the
// flags then change.
func copyProcess(config *specs.Spec) (*specs.Process, error) {
	if config == nil || config.Process == nil {
		return nil, errors.New("the container's config has no process")
	}
	data, err := specjson.Marshal(config.Process)
	if err != nil {
		return nil, err
	}
	var p specs.Process
	if err := specjson.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// addCaps adds each --cap to the bounding, effective and permitted sets
// (and ambient, see below), never to the inheritable set (CVE-2022-29162: an
// inheritable capability would reach programs the user execs later). As
// in runc, a name that is not a capability is ignored with a warning by
// the init (see capabilities.New).
func addCaps(p *specs.Process, caps []string) {
	if p.Capabilities == nil {
		p.Capabilities = &specs.LinuxCapabilities{}
	}
	pc := p.Capabilities
	pc.Bounding = append(pc.Bounding, caps...)
	pc.Effective = append(pc.Effective, caps...)
	pc.Permitted = append(pc.Permitted, caps...)
	// The kernel raises an ambient capability only if it is inheritable
	// too: as runc does, ambient only when the process has inheritable
	// capabilities at all (then each one not inheritable is a warning).
	if pc.Inheritable != nil {
		pc.Ambient = append(pc.Ambient, caps...)
	}
}

// parseUser parses --user UID[:GID], with runc's error texts.
func parseUser(s string) (uid, gid uint32, hasGID bool, err error) {
	u, g, hasGID := strings.Cut(s, ":")
	if hasGID {
		n, err := strconv.Atoi(g)
		if err != nil {
			return 0, 0, false, fmt.Errorf("parsing %s as int for gid failed: %w", g, err)
		}
		if n < 0 || int64(n) >= int64(^uint32(0)) {
			return 0, 0, false, fmt.Errorf("gid %d is out of range", n)
		}
		gid = uint32(n)
	}
	n, err := strconv.Atoi(u)
	if err != nil {
		return 0, 0, false, fmt.Errorf("parsing %s as int for uid failed: %w", u, err)
	}
	if n < 0 || int64(n) >= int64(^uint32(0)) {
		return 0, 0, false, fmt.Errorf("uid %d is out of range", n)
	}
	return uint32(n), gid, hasGID, nil
}
