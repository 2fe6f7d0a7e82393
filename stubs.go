package main

import (
	"errors"

	"github.com/urfave/cli"
)

// Commands still being written; each has its own issue. (None left: every
// command has its own file. notYet stays for `runc features`, which tells
// implemented commands from stubs.)
var errNotYet = errors.New("this command is not implemented yet")

func notYet(*cli.Context) error { return errNotYet }
