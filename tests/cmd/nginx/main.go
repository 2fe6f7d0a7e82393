// Command nginx is the CRI tests' stand-in for the nginx images critest
// runs (e2e-test-images/nginx and cri-tools' hostnet-nginx): a web server
// that looks like nginx from inside the container where it matters to
// critest. It writes its PID to /var/run/nginx.pid, shows "nginx: master
// process" in its command line (critest reads /proc/1/cmdline), runs as
// /usr/sbin/nginx (pidof nginx), and serves a welcome page on -listen.
// Built statically by tests/cri.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const title = "nginx: master process nginx -g daemon off;"

const page = `<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1></body></html>
`

func main() {
	listen := flag.String("listen", ":80", "the address to serve on")
	flag.Parse()
	if !strings.HasPrefix(os.Args[0], "nginx: ") {
		// the same process, with nginx's title as its command line
		if err := os.WriteFile("/var/run/nginx.pid", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fatal(err)
		}
		exe, err := os.Executable()
		if err != nil {
			fatal(err)
		}
		fatal(syscall.Exec(exe, append([]string{title}, os.Args[1:]...), os.Environ()))
	}
	fmt.Printf("nginx: serving on %s\n", *listen)
	err := http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("nginx: %s %s\n", r.Method, r.URL.Path)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page)
	}))
	fatal(err)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "nginx:", err)
	os.Exit(1)
}
