package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
)

// version and gitCommit are set by the Makefile (-ldflags -X).
var (
	version   = ""
	gitCommit = ""
)

const usage = `Open Container Initiative runtime

runc is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format and is a compliant implementation of the
Open Container Initiative specification.

runc integrates well with existing process supervisors to provide a production
container runtime environment for applications. It can be used with your
existing process monitoring tools and the container will be spawned as a
direct child of the process supervisor.

Containers are configured using bundles. A bundle for a container is a directory
that includes a specification file named "` + specConfig + `" and a root filesystem.
The root filesystem contains the contents of the container.

To start a new instance of a container:

    # runc run [ -b bundle ] <container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host. Providing the bundle directory using "-b" is optional. The default
value for "bundle" is the current directory.`

func versionString() string {
	v := []string{version}
	if v[0] == "" {
		v[0] = "unknown"
	}
	if gitCommit != "" {
		v = append(v, "commit: "+gitCommit)
	}
	v = append(v, "spec: "+specs.Version, "go: "+runtime.Version())
	if s := seccomp.Version(); s != "" {
		v = append(v, "libseccomp: "+s)
	}
	return strings.Join(v, "\n")
}

func main() {
	app := cli.NewApp()
	app.Name = "runc"
	app.Usage = usage
	app.Version = versionString()

	root := "/run/runc"
	xdgDirUsed := false
	if shouldHonorXDGRuntimeDir() {
		if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
			root = dir + "/runc"
			xdgDirUsed = true
		}
	}
	app.Flags = []cli.Flag{
		cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
		cli.StringFlag{Name: "log", Value: "", Usage: "set the log file to write runc logs to (default is '/dev/stderr')"},
		cli.StringFlag{Name: "log-format", Value: "text", Usage: "set the log format ('text' (default), or 'json')"},
		cli.StringFlag{Name: "root", Value: root, Usage: "root directory for storage of container state (this should be located in tmpfs)"},
		cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary used for checkpoint and restore"},
		cli.BoolFlag{Name: "systemd-cgroup", Usage: "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" for e.g. \"system.slice:runc:434234\""},
		cli.StringFlag{Name: "rootless", Value: "auto", Usage: "ignore cgroup permission errors ('true', 'false', or 'auto')"},
	}
	app.Commands = []cli.Command{
		checkpointCommand,
		createCommand,
		deleteCommand,
		eventsCommand,
		execCommand,
		killCommand,
		listCommand,
		pauseCommand,
		psCommand,
		restoreCommand,
		resumeCommand,
		runCommand,
		specCommand,
		startCommand,
		stateCommand,
		updateCommand,
		featuresCommand,
		initCommand,
	}
	app.Before = func(ctx *cli.Context) error {
		// xdgDirUsed first: urfave/cli's first IsSet on a context walks
		// every flag by reflection and stats each one's FilePath (ten
		// failed stat calls at every start).
		if xdgDirUsed && !ctx.IsSet("root") {
			// The XDG runtime dir may not exist yet; a 0700 dir under it is
			// what rootless runc uses.
			if err := os.MkdirAll(root, 0o700); err != nil {
				return fmt.Errorf("create state root %s: %w", root, err)
			}
		}
		if err := configureLogging(ctx); err != nil {
			return err
		}
		logrus.Debugf("runc %s", ctx.Args().First())
		return nil
	}
	// Usage errors go through logrus too, as runc's do.
	cli.ErrWriter = &fatalWriter{cli.ErrWriter}
	if err := app.Run(os.Args); err != nil {
		fatal(err)
	}
}

type fatalWriter struct{ w io.Writer }

func (f *fatalWriter) Write(p []byte) (int, error) {
	logrus.Error(strings.TrimRight(string(p), "\n"))
	if !logToStderr() {
		return f.w.Write(p)
	}
	return len(p), nil
}

// exitError carries an exit code out of a command's action.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func fatal(err error) {
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	fatalWithCode(err, 1)
}

func fatalWithCode(err error, code int) {
	logrus.Error(err)
	if !logToStderr() {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}
