//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// The Go runtime's cgroup-aware GOMAXPROCS keeps the caller's
// cpu.cfs_quota_us and cpu.cfs_period_us open for the life of the
// process. runc passes its fds 3.. on to the container (--preserve-fds,
// LISTEN_FDS), and runc init runs in the container: no host file may sit
// among them (CVE-2024-21626). runc is short-lived and needs neither.

package main
