//go:build !runc_initbin

package main

import (
	"os"

	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer/initproc"
	_ "github.com/seed4bdd2c93/runc/libcontainer/nsenter"
)

// A runc without an embedded init (plain `go build`: package initbin)
// re-executes itself as `runc init`, with the C stage linked in (package
// nsenter). By the time this runs, the nsenter constructor has put `runc
// init` into the container's namespaces. Go straight to the init, before
// any command line parsing.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		initproc.Init()
	}
}

var initCommand = cli.Command{
	Name:   "init",
	Usage:  `initialize the namespaces and launch the process (do not call it outside of runc)`,
	Hidden: true,
	Action: func(*cli.Context) error {
		initproc.Init()
		return nil
	},
}
