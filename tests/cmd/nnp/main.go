// Command nnp is the CRI tests' stand-in for Kubernetes' nonewprivs test
// image: installed setuid root, it prints the effective UID it runs with,
// which is 0 unless the no_new_privs flag kept the setuid bit from
// taking effect. Built statically by tests/cri.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("Effective uid: %d\n", os.Geteuid())
}
