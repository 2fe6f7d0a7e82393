package main

import (
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"
)

var pauseCommand = cli.Command{
	Name:  "pause",
	Usage: "pause suspends all processes inside the container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
paused. `,
	Description: `The pause command suspends all processes in the instance of the container.

Use runc list to identify instances of containers and their current status.`,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		warnRootlessFreezer(ctx, "pause")
		c, err := getContainer(ctx, true)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Pause()
	},
}

var resumeCommand = cli.Command{
	Name:  "resume",
	Usage: "resumes all processes that have been previously paused",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
resumed.`,
	Description: `The resume command resumes all processes in the instance of the container.

Use runc list to identify instances of containers and their current status.`,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		warnRootlessFreezer(ctx, "resume")
		c, err := getContainer(ctx, true)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Resume()
	},
}

// warnRootlessFreezer warns, as runc does, that a rootless runtime without
// the systemd driver may not be allowed to use the freezer.
func warnRootlessFreezer(ctx *cli.Context, cmd string) {
	if rootless, _ := isRootless(ctx); rootless && !ctx.GlobalBool("systemd-cgroup") {
		logrus.Warnf("runc %s may fail if you don't have the full access to cgroups", cmd)
	}
}
