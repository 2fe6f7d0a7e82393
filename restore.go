package main

import (
	"os"

	"github.com/moby/sys/userns"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

var restoreCommand = cli.Command{
	Name:  "restore",
	Usage: "restore a container from a previous checkpoint",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
restored.`,
	Description: `Restores the saved state of the container instance that was previously saved
using the runc checkpoint command.`,
	Flags: []cli.Flag{
		cli.StringFlag{Name: "console-socket", Value: "", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		cli.StringFlag{Name: "image-path", Value: "", Usage: "path to criu image files for restoring"},
		criuWorkPathFlag,
		criuTCPEstablishedFlag,
		criuExtUnixSkFlag,
		criuShellJobFlag,
		criuFileLocksFlag,
		criuManageCgroupsModeFlag,
		cli.StringFlag{Name: "bundle, b", Value: "", Usage: "path to the root of the bundle directory"},
		cli.BoolFlag{Name: "detach, d", Usage: "detach from the container's process"},
		cli.StringFlag{Name: "pid-file", Value: "", Usage: "specify the file to write the process id to"},
		cli.BoolFlag{Name: "no-subreaper", Usage: "disable the use of the subreaper used to reap reparented processes"},
		// Accepted as runc accepts it: CRIU rebuilds the mount namespace itself.
		cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk"},
		criuEmptyNsFlag,
		criuAutoDedupFlag,
		criuLazyPagesFlag,
		cli.StringFlag{Name: "lsm-profile", Value: "", Usage: "Specify an LSM profile to be used during restore in the form of TYPE:NAME."},
		cli.StringFlag{Name: "lsm-mount-context", Value: "", Usage: "Specify an LSM mount context to be used during restore."},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		if os.Geteuid() != 0 || userns.RunningInUserNS() {
			logrus.Warn("runc restore is untested with rootless containers")
		}
		status, err := restoreContainer(ctx)
		if err != nil {
			return err
		}
		if status != 0 {
			return &exitError{status}
		}
		return nil
	},
}

// restoreContainer is restore's body, shaped like startContainer: it
// returns the exit code runc should exit with (in the foreground, the
// restored process's).
func restoreContainer(ctx *cli.Context) (int, error) {
	id := ctx.Args().First()
	if id == "" {
		return -1, errEmptyID
	}
	// Paths given relative to where runc was started, not to the bundle
	// loadSpec changes into.
	opts, err := criuOptions(ctx)
	if err != nil {
		return -1, err
	}
	a, err := loadNewContainer(ctx)
	if err != nil {
		return -1, err
	}
	spec, bundle, root, rootless, pidFile := a.spec, a.bundle, a.root, a.rootless, a.pidFile
	detach := ctx.Bool("detach")
	var p libcontainer.Process
	var uid, gid int
	if spec.Linux != nil {
		uid, gid = libcontainer.RootIDs(spec.Linux)
	}
	t, err := setupIO(&p, spec.Process.Terminal, detach, ctx.String("console-socket"), uid, gid)
	if err != nil {
		return -1, err
	}
	defer t.close()
	var handler *signalHandler
	if !detach {
		handler = newSignalHandler(!ctx.Bool("no-subreaper"))
	}
	c, err := libcontainer.Restore(root, &libcontainer.RestoreOptions{
		ID:       id,
		Bundle:   bundle,
		Spec:     spec,
		Systemd:  ctx.GlobalBool("systemd-cgroup"),
		Rootless: rootless,
		IO:       p,
		Criu:     ctx.GlobalString("criu"),
		Opts:     opts,
	})
	if err != nil {
		return -1, err
	}
	pid, err := started(c, t, pidFile, nil)
	if err != nil {
		return -1, err
	}
	if detach {
		return 0, nil
	}
	return waitAndDelete(root, id, pid, handler, t, false), nil
}
