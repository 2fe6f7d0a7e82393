package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"
)

var logPath string

// configureLogging applies --debug, --log and --log-format. Errors go to the
// log (which containerd's shim reads as JSON) and, when that is a file, to
// stderr as well.
func configureLogging(ctx *cli.Context) error {
	if ctx.GlobalBool("debug") {
		// As runc 1.5: logrus's own text format (RFC 3339 time stamps),
		// with the function and file:line of each entry, shortened by
		// the module's path.
		logrus.SetLevel(logrus.DebugLevel)
		logrus.SetReportCaller(true)
		logrus.SetFormatter(&logrus.TextFormatter{CallerPrettyfier: shortCaller})
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

// modulePrefix is the directory of this file as the binary knows it (the
// module path, built with -trimpath), followed by a slash. It is looked up
// on the first entry that names its caller, not by the package's
// initialiser: runtime.Caller reads the binary's line tables, pages that
// a start without --debug never needs.
var (
	modulePrefix     string
	modulePrefixOnce sync.Once
)

// shortCaller names an entry's function and file:line without the
// module's prefix, as runc does.
func shortCaller(f *runtime.Frame) (function, file string) {
	modulePrefixOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		modulePrefix = filepath.Dir(file) + "/"
	})
	return strings.TrimPrefix(f.Function, modulePrefix) + "()",
		strings.TrimPrefix(f.File, modulePrefix) + ":" + strconv.Itoa(f.Line)
}
