// Command sdnotify sends its arguments, one per line, as one datagram to
// $NOTIFY_SOCKET, as sd_notify(3) does: a stand-in for systemd-notify in
// a busybox container. It is built statically by the integration tests.
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" || len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: NOTIFY_SOCKET=path sdnotify VAR=VALUE...")
		os.Exit(2)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(os.Args[1:], "\n"))); err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
}
