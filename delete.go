package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

var deleteCommand = cli.Command{
	Name:  "delete",
	Usage: "delete any resources held by the container often used with detached container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.

EXAMPLE:
For example, if the container id is "ubuntu01" and runc list currently shows the
status of "ubuntu01" as "stopped" the following will delete resources held for
"ubuntu01" removing "ubuntu01" from the runc list of containers:

       # runc delete ubuntu01`,
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "force, f", Usage: "Forcibly deletes the container if it is still running (uses SIGKILL)"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		force := ctx.Bool("force")
		c, err := getContainer(ctx, true)
		if err != nil {
			if errors.Is(err, libcontainer.ErrNotExist) {
				// A create killed before it wrote anything may have
				// left a state directory without state.json: remove
				// it, as runc does.
				if root, rerr := stateRoot(ctx); rerr == nil {
					if _, rerr := libcontainer.RemoveStale(root, ctx.Args().First()); rerr != nil {
						fmt.Fprintln(os.Stderr, rerr)
					}
				}
				// Deleting what is not there is fine with --force.
				if force {
					return nil
				}
			}
			return err
		}
		defer c.Close()
		switch s := c.Status(); s {
		case libcontainer.Stopped, libcontainer.Created:
			// A created container's init only waits for start: runc
			// deletes it without --force.
		default:
			if !force {
				return fmt.Errorf("cannot delete container %s that is not stopped: %s", c.ID(), s)
			}
		}
		return c.Destroy()
	},
}
