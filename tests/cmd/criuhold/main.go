// Command criuhold is the subject of the checkpoint/restore tests for open
// files and unix sockets: it opens a file, a listening unix socket (abstract
// address) with a client connected to it, and a socketpair, then every
// 100 ms appends the next number to the file (at the offset of its open
// fd, no O_APPEND) and sends it through both connections, checking that it
// comes back. Each round prints "n=N pid=P ok" on stdout; any failure
// prints "error: ..." and exits 1. A restored criuhold goes on from the
// number it was at, on the same fds and sockets. It is built statically
// for the busybox rootfs.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func fail(format string, a ...any) {
	fmt.Printf("error: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	path := "/tmp/criuhold.out"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		fail("%v", err)
	}
	addr := &net.UnixAddr{Name: "@criuhold-" + strconv.Itoa(os.Getpid()), Net: "unix"}
	l, err := net.ListenUnix("unix", addr)
	if err != nil {
		fail("listen: %v", err)
	}
	client, err := net.DialUnix("unix", nil, addr)
	if err != nil {
		fail("dial: %v", err)
	}
	server, err := l.AcceptUnix()
	if err != nil {
		fail("accept: %v", err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fail("socketpair: %v", err)
	}
	buf := make([]byte, 64)
	for n := 1; ; n++ {
		msg := []byte(strconv.Itoa(n))
		if _, err := f.Write(append(msg, '\n')); err != nil {
			fail("write file: %v", err)
		}
		if _, err := client.Write(append(msg, '\n')); err != nil {
			fail("send: %v", err)
		}
		k, err := server.Read(buf)
		if err != nil || string(buf[:k]) != string(msg)+"\n" {
			fail("stream socket: got %q, %v; want %s", buf[:k], err, msg)
		}
		if _, err := unix.Write(pair[0], msg); err != nil {
			fail("socketpair send: %v", err)
		}
		k, err = unix.Read(pair[1], buf)
		if err != nil || string(buf[:k]) != string(msg) {
			fail("socketpair: got %q, %v; want %s", buf[:k], err, msg)
		}
		fmt.Printf("n=%d pid=%d ok\n", n, os.Getpid())
		time.Sleep(100 * time.Millisecond)
	}
}
