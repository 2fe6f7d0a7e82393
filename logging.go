package main

import (
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"
)

var logPath string

// configureLogging applies --debug, --log and --log-format. Errors go to the
// log (which containerd's shim reads as JSON) and, when that is a file, to
// stderr as well.
func configureLogging(ctx *cli.Context) error {
	if ctx.GlobalBool("debug") {
		logrus.SetLevel(logrus.DebugLevel)
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
	}
	if p := ctx.GlobalString("log"); p != "" && p != "/dev/stderr" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log file: %w", err)
		}
		logrus.SetOutput(f)
		logPath = p
	}
	switch f := ctx.GlobalString("log-format"); f {
	case "", "text":
	case "json":
		logrus.SetFormatter(new(logrus.JSONFormatter))
	default:
		return fmt.Errorf("invalid log-format: %s", f)
	}
	return nil
}

func logToStderr() bool { return logPath == "" }
