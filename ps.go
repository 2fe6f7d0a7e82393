package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"
)

var psCommand = cli.Command{
	Name:      "ps",
	Usage:     "ps displays the processes running inside a container",
	ArgsUsage: `<container-id> [ps options]`,
	// Everything after the container id belongs to ps(1).
	SkipArgReorder: true,
	Flags: []cli.Flag{
		cli.StringFlag{Name: "format, f", Value: "table", Usage: `select one of: table or json`},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, minArgs); err != nil {
			return err
		}
		if rootless, _ := isRootless(ctx); rootless && !ctx.GlobalBool("systemd-cgroup") {
			logrus.Warn("runc ps may fail if you don't have the full access to cgroups")
		}
		c, err := getContainer(ctx, false)
		if err != nil {
			return err
		}
		defer c.Close()
		pids, err := c.Processes()
		if err != nil {
			return err
		}
		switch ctx.String("format") {
		case "table":
		case "json":
			return json.NewEncoder(os.Stdout).Encode(pids)
		default:
			return errors.New("invalid format option")
		}

		psArgs := ctx.Args().Tail()
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		out, err := exec.Command("ps", psArgs...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		lines := strings.Split(string(out), "\n")
		pidCol, err := pidColumn(lines[0])
		if err != nil {
			return err
		}
		fmt.Println(lines[0])
		for _, line := range lines[1:] {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			if pidCol >= len(fields) {
				return fmt.Errorf("unable to parse pid: no column %d in %q", pidCol+1, line)
			}
			pid, err := strconv.Atoi(fields[pidCol])
			if err != nil {
				return fmt.Errorf("unable to parse pid: %w", err)
			}
			if slices.Contains(pids, pid) {
				fmt.Println(line)
			}
		}
		return nil
	},
}

// pidColumn returns the index of the PID column in ps(1)'s header line.
func pidColumn(header string) (int, error) {
	for i, name := range strings.Fields(header) {
		if name == "PID" {
			return i, nil
		}
	}
	return -1, errors.New("couldn't find PID field in ps output")
}
