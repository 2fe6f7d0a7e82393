package initproc

import (
	"os"
	"strconv"

	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// The init logs through a pipe to the runtime (never to the container's
// stderr): JSON lines, which the runtime re-logs at their level (see
// libcontainer/logs.go).

// logPipe is the init's end of the log pipe.
var logPipe *os.File

// initLogging points the init's logrus at the log pipe named in its
// environment.
func initLogging() {
	fd, err := strconv.Atoi(os.Getenv(protocol.EnvLogPipe))
	if err != nil || fd < 3 {
		logrus.SetOutput(discard{})
		return
	}
	logPipe = os.NewFile(uintptr(fd), "log pipe")
	logrus.SetOutput(logPipe)
	logrus.SetFormatter(&logrus.JSONFormatter{})
	if lvl, err := logrus.ParseLevel(os.Getenv(protocol.EnvLogLevel)); err == nil {
		logrus.SetLevel(lvl)
	}
}

// closeLogPipe ends the init's logging: the runtime that reads the pipe
// sees its end at once, rather than waiting for an init that lives on
// (for runc start) with the pipe open.
func closeLogPipe() {
	logrus.SetOutput(discard{})
	if logPipe != nil {
		logPipe.Close()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
