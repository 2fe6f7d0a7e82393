package main

import (
	"errors"

	"github.com/urfave/cli"
)

// Commands still being written; each has its own issue.
var errNotYet = errors.New("this command is not implemented yet")

func notYet(*cli.Context) error { return errNotYet }

var (
	checkpointCommand = cli.Command{Name: "checkpoint", Usage: "checkpoint a running container", Action: notYet}
	restoreCommand    = cli.Command{Name: "restore", Usage: "restore a container from a previous checkpoint", Action: notYet}
)
