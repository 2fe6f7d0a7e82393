// SPDX-License-Identifier: Apache-2.0
/*
 * The namespace stage of `runc init`, run as a constructor before the Go
 * runtime starts (setns(2) into a user or mount namespace needs a
 * single-threaded process).
 *
 * The runtime starts `runc init` with _RUNC_INITPIPE naming a socket. On it:
 *
 *   runtime -> stage 0   bootstrap message (see bootstrap.go for the format),
 *                        with the cgroup v1 tasks files it names (SCM_RIGHTS)
 *   stage 0              write "0" to each of those tasks files (it
 *                        moves itself into the container's cgroups);
 *                        open every namespace path; setns into them (all but
 *                        the user namespace first, then the user namespace,
 *                        then those that needed it); unshare(CLONE_NEWUSER)
 *   stage 0 -> runtime   SYNC_USERMAP_PLS        (only with a new user ns)
 *   runtime -> stage 0   SYNC_USERMAP_ACK        after writing uid/gid maps
 *   stage 0              unshare(CLONE_NEWTIME)  (only with a new time ns*)
 *   stage 0 -> runtime   SYNC_TIMEOFFSETS_PLS    (only with time offsets)
 *   runtime -> stage 0   SYNC_TIMEOFFSETS_ACK    after writing them
 *   stage 0              become root in the new user ns; unshare(the other
 *                        new namespaces); fork()
 *   stage 0 -> runtime   SYNC_CHILD_PID {pid}    and stage 0 exits
 *   stage 1              returns from this constructor: the Go init runs.
 *
 * (*) Without a new user namespace, after the other new namespaces.
 *
 * The fork is needed because a new (or joined) pid or time namespace only
 * applies to children. The runtime writes /proc/<pid>/timens_offsets: in a
 * user namespace, this non-dumpable process may not open its own. Any
 * failure sends SYNC_ERROR with a message and exits.
 *
 * Frames in both directions are: u32 type, u32 length, payload (host order).
 *
 * When the runtime logs at debug level, the steps are logged as JSON lines
 * on the log pipe (_RUNC_LOGPIPE), in runc's words where it has some.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "nsenter.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static int syncfd = -1;
static int logfd = -1; /* the log pipe, when the runtime logs at debug level */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int send_frame(uint32_t type, const void *payload, uint32_t len)
{
	uint32_t hdr[2] = { type, len };
	if (write_all(syncfd, hdr, sizeof(hdr)) < 0)
		return -1;
	return write_all(syncfd, payload, len);
}

/*
 * setup_log takes the log pipe the runtime reads (_RUNC_LOGPIPE) when it
 * logs at debug level (_RUNC_LOGLEVEL); the Go init logs there too.
 */
static void setup_log(void)
{
	const char *fd = getenv("_RUNC_LOGPIPE"), *level = getenv("_RUNC_LOGLEVEL");
	char *end;
	long n;

	if (!fd || !*fd || !level || (strcmp(level, "debug") && strcmp(level, "trace")))
		return;
	errno = 0;
	n = strtol(fd, &end, 10);
	if (!*end && !errno && n >= 3 && n <= 1024)
		logfd = n;
}

/*
 * debug writes "<who>[<pid>]: <message>" as one JSON line of level debug
 * on the log pipe, in a single write (atomic on a pipe). The messages are
 * our own, with numbers only: nothing in them needs escaping.
 */
static void __attribute__((format(printf, 2, 3))) debug(const char *who, const char *fmt, ...)
{
	char msg[256], line[512];
	int saved = errno, n;
	va_list ap;

	if (logfd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "{\"level\":\"debug\",\"msg\":\"%s[%d]: %s\"}\n", who, getpid(), msg);
	if (n > 0 && (size_t)n < sizeof(line))
		write_all(logfd, line, n);
	errno = saved;
}

/* log_affinity logs the CPUs (the first 64) the init starts on, as runc. */
static void log_affinity(void)
{
	unsigned long long mask = 0;
	cpu_set_t set;
	unsigned i;

	if (logfd < 0 || sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (i = 0; i < 64; i++)
		if (CPU_ISSET(i, &set))
			mask |= 1ULL << i;
	debug("nsexec", "affinity: 0x%llx", mask);
}

/* bail reports "<message>: <strerror(errno)>" to the runtime and exits. */
static void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
	char msg[1024];
	int saved = errno, n;
	va_list ap;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (saved)
		n += snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (syncfd >= 0)
		send_frame(SYNC_ERROR, msg, n);
	else
		fprintf(stderr, "runc init: %s\n", msg);
	_exit(1);
}

struct nsjoin {
	uint32_t type; /* CLONE_NEW* */
	const char *path;
	int fd;
};

struct bootstrap {
	uint32_t cloneflags;
	struct nsjoin joins[NS_MAX];
	int njoins;
	int timens_offsets;
	int rootless;
	int cgroup_tasks[CGROUP_TASKS_MAX]; /* received with the message */
	int ncgroup_tasks;
};

static const char *nsname(uint32_t type)
{
	switch (type) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mnt";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNET: return "net";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	}
	return NULL;
}

static uint32_t get_u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * read_header reads the bootstrap message's header and the files sent with
 * it (SCM_RIGHTS, on its first byte), close-on-exec, into b->cgroup_tasks.
 */
static void read_header(uint32_t hdr[2], struct bootstrap *b)
{
	char control[CMSG_SPACE(CGROUP_TASKS_MAX * sizeof(int))];
	struct iovec iov = { .iov_base = hdr, .iov_len = 2 * sizeof(uint32_t) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
	};
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(syncfd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = EPIPE;
	if (n <= 0)
		bail("read bootstrap header");
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (b->ncgroup_tasks + nfds > CGROUP_TASKS_MAX) {
			errno = 0;
			bail("too many files with the bootstrap message");
		}
		memcpy(b->cgroup_tasks + b->ncgroup_tasks, CMSG_DATA(c), nfds * sizeof(int));
		b->ncgroup_tasks += nfds;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		errno = 0;
		bail("too many files with the bootstrap message");
	}
	if ((size_t)n < 2 * sizeof(uint32_t) && read_all(syncfd, (char *)hdr + n, 2 * sizeof(uint32_t) - n) < 0)
		bail("read bootstrap header");
}

/*
 * read_bootstrap reads and validates the bootstrap message. Strings in the
 * message are NUL-terminated inside their attribute; the buffer is kept for
 * the life of the stage.
 */
static void read_bootstrap(struct bootstrap *b)
{
	uint32_t hdr[2], off = 0, ntasks = 0;
	char *buf;

	memset(b, 0, sizeof(*b));
	read_header(hdr, b);
	if (hdr[0] != BOOTSTRAP_MAGIC) {
		errno = 0;
		bail("bad bootstrap magic %#x", hdr[0]);
	}
	if (hdr[1] > BOOTSTRAP_MAX) {
		errno = 0;
		bail("bootstrap message too long (%u bytes)", hdr[1]);
	}
	buf = malloc(hdr[1] + 1);
	if (!buf)
		bail("allocate bootstrap buffer");
	if (read_all(syncfd, buf, hdr[1]) < 0)
		bail("read bootstrap message");
	buf[hdr[1]] = '\0';

	errno = 0;
	while (off < hdr[1]) {
		uint32_t type, len;
		char *val;

		if (hdr[1] - off < 8)
			bail("truncated bootstrap attribute at %u", off);
		type = get_u32(buf + off);
		len = get_u32(buf + off + 4);
		off += 8;
		if (len > hdr[1] - off)
			bail("bootstrap attribute %u overruns the message", type);
		val = buf + off;
		off += len;

		switch (type) {
		case ATTR_CLONE_FLAGS:
			if (len != 4)
				bail("bad clone flags attribute");
			b->cloneflags = get_u32(val);
			if (b->cloneflags & ~NS_ALL)
				bail("bad clone flags %#x", b->cloneflags);
			break;
		case ATTR_NS_PATH:
			/* u32 type, then a NUL-terminated path */
			if (len < 6 || val[len - 1] != '\0' || strlen(val + 4) != len - 5)
				bail("bad namespace path attribute");
			if (b->njoins >= NS_MAX)
				bail("too many namespace paths");
			b->joins[b->njoins].type = get_u32(val);
			if (!nsname(b->joins[b->njoins].type))
				bail("bad namespace type %#x", b->joins[b->njoins].type);
			b->joins[b->njoins].path = val + 4;
			b->joins[b->njoins].fd = -1;
			b->njoins++;
			break;
		case ATTR_TIMENS_OFFSETS:
			if (len != 1)
				bail("bad time offsets attribute");
			b->timens_offsets = val[0] != 0;
			break;
		case ATTR_ROOTLESS:
			if (len != 1)
				bail("bad rootless attribute");
			b->rootless = val[0] != 0;
			break;
		case ATTR_CGROUP_TASKS:
			/* u32: how many files came with the message */
			if (len != 4 || ntasks || !get_u32(val))
				bail("bad cgroup tasks attribute");
			ntasks = get_u32(val);
			break;
		default: bail("unknown bootstrap attribute %u", type);
		}
	}
	if (ntasks != (uint32_t)b->ncgroup_tasks)
		bail("bootstrap message: %d files sent, %u cgroup tasks files named", b->ncgroup_tasks, ntasks);
}

/*
 * join_cgroups moves this process into the container's cgroup v1
 * hierarchies: "0" written to a tasks file moves the writing thread, which
 * here is the whole process. Unlike a pid written by another process, it
 * does not take the kernel's global threadgroup lock, whose write side
 * waits for an RCU grace period (several ms).
 */
static void join_cgroups(struct bootstrap *b)
{
	char link[64], path[4096];
	int i;

	for (i = 0; i < b->ncgroup_tasks; i++) {
		int fd = b->cgroup_tasks[i];

		if (write_all(fd, "0", 1) < 0) {
			int saved = errno;
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			n = readlink(link, path, sizeof(path) - 1);
			path[n < 0 ? 0 : n] = '\0';
			errno = saved;
			bail("join cgroup %s", n < 0 ? link : path);
		}
		close(fd);
	}
}

static void join_namespaces(struct bootstrap *b)
{
	int i, deferred = 0;

	/* Open everything first: after a mount namespace join, paths change. */
	for (i = 0; i < b->njoins; i++) {
		b->joins[i].fd = open(b->joins[i].path, O_RDONLY | O_CLOEXEC);
		if (b->joins[i].fd < 0)
			bail("open %s namespace %s", nsname(b->joins[i].type), b->joins[i].path);
	}
	/*
	 * As root we may join everything directly. An unprivileged caller
	 * first needs the container's user namespace, so anything refused
	 * with EPERM is retried after it.
	 */
	for (i = 0; i < b->njoins; i++) {
		if (b->joins[i].type == CLONE_NEWUSER)
			continue;
		if (setns(b->joins[i].fd, b->joins[i].type) == 0) {
			close(b->joins[i].fd);
			b->joins[i].fd = -1;
		} else if (errno == EPERM) {
			deferred++;
		} else {
			bail("setns %s namespace %s", nsname(b->joins[i].type), b->joins[i].path);
		}
	}
	for (i = 0; i < b->njoins; i++) {
		if (b->joins[i].type != CLONE_NEWUSER)
			continue;
		if (setns(b->joins[i].fd, CLONE_NEWUSER) < 0)
			bail("setns user namespace %s", b->joins[i].path);
		close(b->joins[i].fd);
		b->joins[i].fd = -1;
		/* we joined as whoever we were; become the namespace's root */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			bail("become root in user namespace %s", b->joins[i].path);
	}
	for (i = 0; deferred && i < b->njoins; i++) {
		if (b->joins[i].fd < 0)
			continue;
		if (setns(b->joins[i].fd, b->joins[i].type) < 0)
			bail("setns %s namespace %s", nsname(b->joins[i].type), b->joins[i].path);
		close(b->joins[i].fd);
		b->joins[i].fd = -1;
	}
}

/*
 * ask_runtime sends pls and waits for ack: the runtime writes /proc files
 * of ours meanwhile. An unprivileged runtime can only open those of a
 * dumpable process (they are otherwise owned by root).
 */
static void ask_runtime(struct bootstrap *b, uint32_t pls, uint32_t ack, const char *what)
{
	uint32_t hdr[2];

	if (b->rootless && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		bail("set dumpable");
	if (send_frame(pls, NULL, 0) < 0)
		bail("ask for %s", what);
	if (read_all(syncfd, hdr, sizeof(hdr)) < 0)
		bail("wait for %s", what);
	errno = 0;
	if (hdr[0] == SYNC_ABORT)
		_exit(1);
	if (hdr[0] != ack || hdr[1] != 0)
		bail("unexpected message %u while waiting for %s", hdr[0], what);
	if (b->rootless && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		bail("set non-dumpable");
}

static void new_timens(struct bootstrap *b)
{
	if (unshare(CLONE_NEWTIME) < 0)
		bail("unshare time namespace");
	/* the offsets apply to the new namespace, which has no process yet */
	if (b->timens_offsets)
		ask_runtime(b, SYNC_TIMEOFFSETS_PLS, SYNC_TIMEOFFSETS_ACK, "time namespace offsets");
}

static void new_userns(struct bootstrap *b)
{
	if (unshare(CLONE_NEWUSER) < 0)
		bail("unshare user namespace");
	ask_runtime(b, SYNC_USERMAP_PLS, SYNC_USERMAP_ACK, "user namespace maps");
	/*
	 * A new time namespace before we become root in the user namespace:
	 * our timens_offsets then belongs to our euid still, the runtime's
	 * own, whatever root maps to.
	 */
	if (b->cloneflags & CLONE_NEWTIME)
		new_timens(b);
	if (setresgid(0, 0, 0) < 0)
		bail("setgid to root in the new user namespace");
	if (setresuid(0, 0, 0) < 0)
		bail("setuid to root in the new user namespace");
	/* Drop supplementary groups of the host (setgroups may be denied rootless). */
	if (!b->rootless && setgroups(0, NULL) < 0)
		bail("setgroups in the new user namespace");
}

void nsexec(void)
{
	struct bootstrap b;
	const char *env;
	char *end;
	long fd;
	uint32_t others;
	pid_t child;
	int32_t pid32;

	env = getenv("_RUNC_INITPIPE");
	if (!env || !*env) {
		/* not runc init's stage 0: the Go runtime starts next */
		return;
	}
	errno = 0;
	fd = strtol(env, &end, 10);
	if (*end || fd < 3 || fd > 1024) {
		fprintf(stderr, "runc init: bad _RUNC_INITPIPE %s\n", env);
		_exit(1);
	}
	syncfd = fd;
	if (fcntl(syncfd, F_SETFD, FD_CLOEXEC) < 0)
		bail("set close-on-exec on the init socket");

	/*
	 * Not dumpable until the container process is exec'd, so nothing in
	 * the container can ptrace us or open our /proc files (CVE-2016-9962).
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		bail("set non-dumpable");

	/* Names as runc's, for ps and for people reading it. */
	prctl(PR_SET_NAME, (unsigned long)"runc:[0:PARENT]", 0, 0, 0);

	/* The debug log's milestones are runc's words, which tests grep. */
	setup_log();
	debug("nsexec", "=> nsexec container setup");
	log_affinity();

	read_bootstrap(&b);
	join_cgroups(&b);
	if (b.ncgroup_tasks)
		debug("nsexec-0", "joined %d cgroup hierarchies", b.ncgroup_tasks);
	join_namespaces(&b);
	if (b.njoins)
		debug("nsexec-0", "joined %d namespaces", b.njoins);
	if (b.cloneflags & CLONE_NEWUSER) {
		debug("nsexec-0", "unshare user namespace");
		new_userns(&b);
	}
	others = b.cloneflags & ~(CLONE_NEWUSER | CLONE_NEWTIME);
	if (others) {
		debug("nsexec-0", "unshare remaining namespaces (%#x)", others);
		if (unshare(others) < 0)
			bail("unshare namespaces %#x", others);
	}
	if ((b.cloneflags & CLONE_NEWTIME) && !(b.cloneflags & CLONE_NEWUSER))
		new_timens(&b);

	debug("nsexec-0", "spawn stage-1");
	child = fork();
	if (child < 0)
		bail("fork container init");
	if (child == 0) {
		prctl(PR_SET_NAME, (unsigned long)"runc:[2:INIT]", 0, 0, 0);
		/*
		 * A session of its own, as runc's init and exec'd processes
		 * have: not the caller's (whose leader is outside a new pid
		 * namespace, which CRIU refuses to dump).
		 */
		if (setsid() < 0)
			bail("setsid");
		debug("nsexec-1", "<= nsexec container setup");
		debug("nsexec-1", "booting up go runtime ...");
		return; /* stage 1: on to the Go runtime */
	}

	pid32 = child;
	debug("nsexec-0", "forward stage-1 pid (%d) to runc", child);
	if (send_frame(SYNC_CHILD_PID, &pid32, sizeof(pid32)) < 0)
		bail("report container init pid");
	debug("nsexec-0", "<~ nsexec stage-0");
	_exit(0);
}
