// Command runc-init is `runc init` on its own: the C stage (nsenter) and
// the Go init (initproc), without the CLI. `make` builds it first and
// embeds it in runc (package initbin); the runtime runs it, sealed, as
// the init of every container and exec (package exeseal).
package main

import (
	"github.com/seed4bdd2c93/runc/libcontainer/initproc"
	_ "github.com/seed4bdd2c93/runc/libcontainer/nsenter"
)

func main() {
	initproc.Init()
}
