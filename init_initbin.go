//go:build runc_initbin

package main

import (
	"errors"

	"github.com/urfave/cli"
)

// runc's own build (make) runs the init embedded in it (package initbin),
// never itself: it links neither the C stage nor the init, and `runc init`
// is only the error runc init gives when not started by runc.
var initCommand = cli.Command{
	Name:   "init",
	Usage:  `initialize the namespaces and launch the process (do not call it outside of runc)`,
	Hidden: true,
	Action: func(*cli.Context) error {
		return errors.New("runc init: this command is run by runc itself, not by users")
	},
}
