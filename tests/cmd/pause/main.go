// Command pause is the sandbox ("pause") container's process of the CRI
// tests' pod image, a stand-in for Kubernetes' pause: it holds the pod's
// namespaces, reaps the zombies of a shared PID namespace (where it is PID
// 1), and exits 0 on SIGINT or SIGTERM. Built statically by tests/cri.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if os.Getpid() != 1 {
		os.Stderr.WriteString("pause: warning: not PID 1\n")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
