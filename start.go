package main

import (
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

var startCommand = cli.Command{
	Name:  "start",
	Usage: "executes the user defined process in a created container",
	ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
	Description: `The start command executes the user defined process in a created container.`,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		c, err := getContainer(ctx, true)
		if err != nil {
			return err
		}
		defer c.Close()
		var notify *notifySocket
		if c.Status() == libcontainer.Created {
			if notify, err = startNotifySocket(c); err != nil {
				return err
			}
			defer notify.close()
		}
		if err := c.Start(); err != nil {
			return err
		}
		c.Close()
		return notify.relay(c.State().InitPid, pidAlive(c.State().InitPid))
	},
}
