/* Constants shared with bootstrap.go; keep the two in step. */
#ifndef RUNC_NSENTER_H
#define RUNC_NSENTER_H

#define BOOTSTRAP_MAGIC 0x434e5552u /* "RUNC" little-endian */
#define BOOTSTRAP_MAX (64 * 1024)

/* bootstrap attributes */
#define ATTR_CLONE_FLAGS 1
#define ATTR_NS_PATH 2
#define ATTR_TIMENS_OFFSETS 3
#define ATTR_ROOTLESS 4
#define ATTR_CGROUP_TASKS 5

/* sync frame types used by the C stage (see libcontainer/protocol/sync.go
 * for the Go ones) */
#define SYNC_ERROR 1
#define SYNC_USERMAP_PLS 2
#define SYNC_USERMAP_ACK 3
#define SYNC_CHILD_PID 4
#define SYNC_ABORT 5
#define SYNC_TIMEOFFSETS_PLS 6
#define SYNC_TIMEOFFSETS_ACK 7

/* segments.c: the binary's read-only segments out of the page tables. */
int drop_binary_pages(void); /* returns 1 (cgo wants a result) */

#define NS_MAX 8
#define CGROUP_TASKS_MAX 32
#define NS_ALL (0x10000000 | 0x00020000 | 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x02000000 | 0x00000080)

#endif
