package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/moby/sys/userns"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer/criu"
)

// The options checkpoint and restore share (each command lists them in
// runc's order).
var (
	criuWorkPathFlag          = cli.StringFlag{Name: "work-path", Value: "", Usage: "path for saving work files and logs"}
	criuTCPEstablishedFlag    = cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"}
	criuExtUnixSkFlag         = cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"}
	criuShellJobFlag          = cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"}
	criuFileLocksFlag         = cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"}
	criuManageCgroupsModeFlag = cli.StringFlag{Name: "manage-cgroups-mode", Value: "", Usage: "cgroups mode: soft|full|strict|ignore (default: soft)"}
	criuEmptyNsFlag           = cli.StringSliceFlag{Name: "empty-ns", Usage: "create a namespace, but don't restore its properties"}
	criuAutoDedupFlag         = cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"}
	criuLazyPagesFlag         = cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"}
)

var checkpointCommand = cli.Command{
	Name:  "checkpoint",
	Usage: "checkpoint a running container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
checkpointed.`,
	Description: `The checkpoint command saves the state of the container instance.`,
	Flags: []cli.Flag{
		cli.StringFlag{Name: "image-path", Value: "", Usage: "path for saving criu image files"},
		criuWorkPathFlag,
		cli.StringFlag{Name: "parent-path", Value: "", Usage: "path for previous criu image files in pre-dump"},
		cli.BoolFlag{Name: "leave-running", Usage: "leave the process running after checkpointing"},
		criuTCPEstablishedFlag,
		cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight tcp connections"},
		cli.BoolFlag{Name: "link-remap", Usage: "allow one to link unlinked files back when possible"},
		criuExtUnixSkFlag,
		criuShellJobFlag,
		criuLazyPagesFlag,
		cli.IntFlag{Name: "status-fd", Value: -1, Usage: "criu writes \\0 to this FD once lazy-pages is ready"},
		cli.StringFlag{Name: "page-server", Value: "", Usage: "ADDRESS:PORT of the page server"},
		criuFileLocksFlag,
		cli.BoolFlag{Name: "pre-dump", Usage: "dump container's memory information only, leave the container running after this"},
		criuManageCgroupsModeFlag,
		criuEmptyNsFlag,
		criuAutoDedupFlag,
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		if os.Geteuid() != 0 || userns.RunningInUserNS() {
			logrus.Warn("runc checkpoint is untested with rootless containers")
		}
		c, err := getContainer(ctx, true)
		if err != nil {
			return err
		}
		defer c.Close()
		opts, err := criuOptions(ctx)
		if err != nil {
			return err
		}
		if err := c.Checkpoint(ctx.GlobalString("criu"), opts); err != nil {
			return err
		}
		if !opts.LeaveRunning && !opts.PreDump {
			// CRIU has ended the processes: remove what is left of the
			// container (its cgroup, its state), as runc does.
			if err := c.Destroy(); err != nil {
				logrus.Warn(err)
			}
		}
		return nil
	},
}

// criuOptions reads the options checkpoint and restore share (a flag a
// command does not have reads as its zero value). It changes nothing on
// disk: the images directory is made by the checkpoint itself, once CRIU
// is known to be usable.
func criuOptions(ctx *cli.Context) (*criu.Opts, error) {
	imagePath := ctx.String("image-path")
	if imagePath == "" {
		imagePath = "checkpoint" // in the current directory, as runc
	}
	imagePath, err := filepath.Abs(imagePath)
	if err != nil {
		return nil, err
	}
	workPath := ctx.String("work-path")
	if workPath != "" {
		if workPath, err = filepath.Abs(workPath); err != nil {
			return nil, err
		}
	}
	o := &criu.Opts{
		ImagesDirectory: imagePath,
		WorkDirectory:   workPath,
		ParentImage:     ctx.String("parent-path"),
		LeaveRunning:    ctx.Bool("leave-running"),
		PreDump:         ctx.Bool("pre-dump"),
		TCPEstablished:  ctx.Bool("tcp-established"),
		TCPSkipInFlight: ctx.Bool("tcp-skip-in-flight"),
		LinkRemap:       ctx.Bool("link-remap"),
		ExtUnixSk:       ctx.Bool("ext-unix-sk"),
		ShellJob:        ctx.Bool("shell-job"),
		FileLocks:       ctx.Bool("file-locks"),
		AutoDedup:       ctx.Bool("auto-dedup"),
		LazyPages:       ctx.Bool("lazy-pages"),
		StatusFd:        -1,
		LsmProfile:      ctx.String("lsm-profile"),
		LsmMountContext: ctx.String("lsm-mount-context"),
	}
	if ctx.IsSet("status-fd") {
		o.StatusFd = ctx.Int("status-fd")
	}
	if ps := ctx.String("page-server"); ps != "" {
		if o.PageServer, err = criu.ParsePageServer(ps); err != nil {
			return nil, err
		}
	}
	if _, err := criu.ParseCgMode(ctx.String("manage-cgroups-mode")); err != nil {
		return nil, err
	}
	o.ManageCgroupsMode = ctx.String("manage-cgroups-mode")
	if o.EmptyNs, err = criu.EmptyNsMask(ctx.StringSlice("empty-ns")); err != nil {
		return nil, err
	}
	if o.ParentImage != "" && filepath.IsAbs(o.ParentImage) {
		return nil, errors.New("--parent-path must be relative")
	}
	return o, nil
}
