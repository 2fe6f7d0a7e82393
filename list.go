package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

const formatOptions = `table or json`

var listCommand = cli.Command{
	Name:  "list",
	Usage: "lists containers started by runc with the given root",
	ArgsUsage: `

Where the given root is specified via the global option "--root"
(default: "/run/runc").

EXAMPLE 1:
To list containers created via the default "--root":
       # runc list

EXAMPLE 2:
To list containers created using a non-default value for "--root":
       # runc --root value list`,
	Flags: []cli.Flag{
		cli.StringFlag{Name: "format, f", Value: "table", Usage: `select one of: ` + formatOptions},
		cli.BoolFlag{Name: "quiet, q", Usage: "display only container IDs"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, exactArgs); err != nil {
			return err
		}
		root, err := stateRoot(ctx)
		if err != nil {
			return err
		}
		ids, err := libcontainer.List(root)
		if err != nil {
			// A default root that does not exist yet holds no
			// containers; a --root given that does not exist is an
			// error (runc 1.5).
			if !errors.Is(err, os.ErrNotExist) || ctx.GlobalIsSet("root") {
				return err
			}
		}
		// nil, not empty: with no containers, json prints null, as
		// runc's does.
		var states []*libcontainer.OCIState
		for _, id := range ids {
			c, err := libcontainer.Load(root, id, false)
			if err != nil {
				// Report what cannot be loaded (a state directory without
				// state.json, a damaged one, a name that is no ID) as
				// runc does, unless it was deleted while we looked.
				if _, serr := os.Stat(filepath.Join(root, id)); serr == nil {
					fmt.Fprintf(os.Stderr, "load container %s: %v\n", id, err)
				}
				continue
			}
			states = append(states, c.OCIState())
			c.Close()
		}
		if ctx.Bool("quiet") {
			for _, s := range states {
				fmt.Println(s.ID)
			}
			return nil
		}
		switch f := ctx.String("format"); f {
		case "table":
			w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
			fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, s := range states {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
			}
			return w.Flush()
		case "json":
			return json.NewEncoder(os.Stdout).Encode(states)
		default:
			return errors.New("invalid format option")
		}
	},
}
