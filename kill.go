package main

import (
	"errors"

	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

var killCommand = cli.Command{
	Name:  "kill",
	Usage: "kill sends the specified signal (default: SIGTERM) to the container's init process",
	ArgsUsage: `<container-id> [signal]

Where "<container-id>" is the name for the instance of the container and
"[signal]" is the signal to be sent to the init process.

EXAMPLE:
For example, if the container id is "ubuntu01" the following will send a "KILL"
signal to the init process of the "ubuntu01" container:

       # runc kill ubuntu01 KILL`,
	Flags: []cli.Flag{
		// runc 1.5: obsolete and hidden. SIGKILL reaches every process of
		// a container without its own pid namespace by itself; all that
		// is left of --all is that a stopped container is not an error.
		cli.BoolFlag{Name: "all, a", Usage: "(obsoleted, do not use)", Hidden: true},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, minArgs); err != nil {
			return err
		}
		if err := checkArgs(ctx, 2, maxArgs); err != nil {
			return err
		}
		c, err := getContainer(ctx, false)
		if err != nil {
			return err
		}
		defer c.Close()
		sig := unix.SIGTERM
		if s := ctx.Args().Get(1); s != "" {
			if sig, err = parseSignal(s); err != nil {
				return err
			}
		}
		err = c.Signal(sig)
		if errors.Is(err, libcontainer.ErrNotRunning) && ctx.Bool("all") {
			return nil
		}
		return err
	},
}
