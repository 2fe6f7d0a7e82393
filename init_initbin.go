//go:build runc_initbin

package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// runc's own build (make) runs the init embedded in it (package initbin),
// never itself: it links neither the C stage nor the init, and `runc init`
// only says, as runc init does when not started by runc, that it is not a
// command for users.
var initCommand = cli.Command{
	Name:   "init",
	Usage:  `initialize the namespaces and launch the process (do not call it outside of runc)`,
	Hidden: true,
	Action: func(*cli.Context) error {
		fmt.Fprintln(os.Stderr, protocol.NotForUsers)
		os.Exit(1)
		return nil
	},
}
