package libcontainer

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// The init logs through a pipe to the runtime (never to the container's
// stderr): JSON lines, which the runtime re-logs at their level, so they end
// up in runc's own log (--log, --log-format) like everything else.

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

// forwardLogs re-logs what the init writes on r until EOF or until stop is
// called; stop drains what is already in the pipe first.
func forwardLogs(r *os.File) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			var entry struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
			}
			if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
				logrus.Errorf("runc init: %s", sc.Text())
				continue
			}
			lvl, err := logrus.ParseLevel(entry.Level)
			if err != nil {
				lvl = logrus.InfoLevel
			}
			logrus.StandardLogger().Log(lvl, entry.Msg)
		}
	}()
	return func() {
		// The init closes the pipe once set up (closeLogPipe); should
		// it hang on to it, read what is there, then give up.
		_ = r.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		<-done
		r.Close()
	}
}
