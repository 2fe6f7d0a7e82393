package libcontainer

import (
	"bufio"
	"encoding/json"
	"os"
	"time"

	"github.com/sirupsen/logrus"
)

// The init logs through a pipe to the runtime (never to the container's
// stderr): JSON lines, which the runtime re-logs at their level, so they end
// up in runc's own log (--log, --log-format) like everything else. The
// init's side is in initproc/logs.go.

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
