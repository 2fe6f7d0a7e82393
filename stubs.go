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
	eventsCommand     = cli.Command{Name: "events", Usage: "display container events such as OOM notifications, cpu, memory, and IO usage statistics", Action: notYet}
	pauseCommand      = cli.Command{Name: "pause", Usage: "pause suspends all processes inside the container", Action: notYet}
	psCommand         = cli.Command{Name: "ps", Usage: "ps displays the processes running inside a container", Action: notYet}
	restoreCommand    = cli.Command{Name: "restore", Usage: "restore a container from a previous checkpoint", Action: notYet}
	resumeCommand     = cli.Command{Name: "resume", Usage: "resumes all processes that have been previously paused", Action: notYet}
	updateCommand     = cli.Command{Name: "update", Usage: "update container resource constraints", Action: notYet}
)
