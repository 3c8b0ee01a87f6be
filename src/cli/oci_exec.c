/* The world's exec door: how `picos exec` adds a process to a running
 * container's world (docs/oci.md, "exec"; docs/architecture.md).
 *
 * The container's process listens on `exec.sock` in the state directory
 * before it starts the world (oci.c); the guest's pid 1 forks this door
 * (a child of the init, in the world's Landlock domain, before any
 * seccomp filter: world.c, start_exec_door), and the door serves that
 * socket:
 *
 *   picos exec --(request + 3 stdio fds, SCM_RIGHTS)--> door
 *   door --clone(CLONE_PARENT)--> a provider that joins the world
 *   door --"p<host pid>"--> picos exec        (it started)
 *   the new provider --(its pid in the world, a pipe)--> door
 *   init (reaper) --(host pid, pid in the world, wait status)--> door
 *   door --"s<status>"--> picos exec
 *   picos exec --"k<signal>"--> door --pidfd_send_signal--> the process
 *
 * CLONE_PARENT makes the new provider the init's child like every pico
 * process, so the init's reaper sees its exits and stops; the provider
 * takes a table entry of its own at boot (PCFG_F_JOIN, proc/boot.c).
 * The door never maps the world region (hostile input) and is not
 * dumpable (the world cannot trace it; it can signal it: docs/security.md,
 * "The exec door").  It takes requests only from processes outside the
 * world (peer_outside_world): with namespaces the socket is not even in
 * the world's tree, but in the flat mode a guest could connect to it.
 *
 * Messages are SOCK_SEQPACKET records: a request is "PX1" then fields,
 * each a type byte and a NUL-terminated string (parse_request); the answers
 * are one type byte and text. */
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#define DOOR_MAX_CONNS 256

/* One client: waiting for its request (pid 0), or attached to the
 * process it started: its host pid, a pidfd for signals, and its pid in
 * the world (0 until its provider wrote it to vpid_fd). */
struct door_conn {
	int fd;
	pid_t pid;
	int pidfd;
	int32_t vpid;
	int vpid_fd;
};

static struct door_conn conns[DOOR_MAX_CONNS];
static int nconns;

static void say(int fd, char type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(int fd, char type, const char *fmt, ...)
{
	char buf[512];
	buf[0] = type;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + 1, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof buf - 2)
		n = (int)sizeof buf - 2;
	send(fd, buf, (size_t)n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The parent pid of `pid` in /proc (-1: unknown). */
static pid_t ppid_of(pid_t pid)
{
	char buf[512];
	char *p = proc_stat_fields(pid, buf, sizeof buf);
	int pp;
	if (!p || sscanf(p + 1, " %*c %d", &pp) != 1)
		return -1;
	return pp;
}

/* Only a process outside the world may add one to it: a guest that
 * could would choose the new process's identity (root, in a world of
 * user 1000).  The peer is the same user as the door, and either outside
 * the world's pid namespace (the kernel then says pid 0) or, flat, a
 * host process whose ancestors do not include the world's init. */
static bool peer_outside_world(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    cr.uid != geteuid())
		return false;
	pid_t init = getppid(), pid = cr.pid;
	for (int depth = 0; depth < 4096; depth++) {
		if (pid == 0)
			return true;
		if (pid == init || pid == getpid())
			return false;
		if (pid == 1)
			return true;
		pid = ppid_of(pid);
		if (pid < 0)
			return false;
	}
	return false;
}

/* A request's fields over a copy of the world's options. */
struct exec_req {
	struct run_opts o;
	const char *cwd; /* guest path: eo.cwd when given, else pid 1's */
	bool tty;
	char **argv, **env;
	struct {
		int resource;
		struct rlimit lim;
	} rlimits[OCI_MAX_RLIMITS];
	int nrlimits;
	int umask; /* -1: the container's */
	uint32_t *groups; /* 'G': the process's supplementary groups */
};

/* "eff:prm:inh:amb" in hex: the sets of process.capabilities (PCFG_CAPS). */
static int parse_caps(const char *v, struct run_opts *o)
{
	unsigned long long set[4];
	int used = 0;
	if (sscanf(v, "%llx:%llx:%llx:%llx%n", &set[0], &set[1], &set[2],
		   &set[3], &used) != 4 || v[used])
		return -1;
	o->cap_eff = set[0];
	o->cap_prm = set[1];
	o->cap_inh = set[2];
	o->cap_amb = set[3];
	o->caps_given = true;
	return 0;
}

/* Comma-separated guest gids (empty: none): the process's supplementary
 * groups instead of the container's. */
static int parse_groups(char *v, struct exec_req *r)
{
	size_t n = 1;
	for (const char *p = v; *p; p++)
		n += *p == ',';
	r->groups = calloc(n, sizeof *r->groups);
	if (!r->groups)
		return -1;
	int k = 0;
	for (char *p = v, *end; *p; p = *end ? end + 1 : end) {
		unsigned long g = strtoul(p, &end, 10);
		if (end == p || (*end && *end != ',') || g > 0xfffffffeUL)
			return -1;
		r->groups[k++] = (uint32_t)g;
	}
	r->o.groups = r->groups;
	r->o.ngroups = k;
	r->o.groups_given = true;
	return 0;
}

static int parse_request(char *buf, size_t n, const struct run_opts *world,
			 const char *world_cwd, struct exec_req *r)
{
	memset(r, 0, sizeof *r); /* (start_request frees its vectors) */
	if (n < 4 || memcmp(buf, "PX1", 4) != 0 || buf[n - 1] != 0)
		return -1;
	r->o = *world;
	r->o.exec_sock = 0;
	r->o.cwd = NULL;
	r->cwd = world_cwd;
	r->umask = -1;
	r->argv = calloc(n, sizeof *r->argv);
	r->env = calloc(n, sizeof *r->env);
	if (!r->argv || !r->env)
		return -1;
	int na = 0, ne = 0;
	for (char *p = buf + 4; p < buf + n; p += strlen(p) + 1) {
		char *v = p + 1, *end;
		switch (p[0]) {
		case 'a':
			r->argv[na++] = v;
			break;
		case 'e':
			r->env[ne++] = v;
			break;
		case 'c':
			if (v[0] != '/')
				return -1;
			r->o.cwd = r->cwd = v;
			break;
		case 'u':
			r->o.uid = strtol(v, &end, 10);
			if (*end || r->o.uid < 0)
				return -1;
			break;
		case 'g':
			r->o.gid = strtol(v, &end, 10);
			if (*end || r->o.gid < 0)
				return -1;
			break;
		case 'b': {
			unsigned long long b = strtoull(v, &end, 16);
			if (*end)
				return -1;
			r->o.cap_bset = world->cap_bset_given ? world->cap_bset & b : b;
			r->o.cap_bset_given = true;
			break;
		}
		case 'C':
			if (parse_caps(v, &r->o) < 0)
				return -1;
			break;
		case 'G':
			if (parse_groups(v, r) < 0)
				return -1;
			break;
		case 't':
			r->tty = true;
			break;
		case 'r': {
			int res;
			unsigned long long cur, max;
			if (r->nrlimits == OCI_MAX_RLIMITS ||
			    sscanf(v, "%d:%llu:%llu", &res, &cur, &max) != 3)
				return -1;
			r->rlimits[r->nrlimits].resource = res;
			r->rlimits[r->nrlimits].lim.rlim_cur = (rlim_t)cur;
			r->rlimits[r->nrlimits++].lim.rlim_max = (rlim_t)max;
			break;
		}
		case 'm':
			r->umask = (int)strtol(v, &end, 8);
			if (*end || r->umask < 0 || r->umask > 0777)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (na == 0)
		return -1;
	r->o.argv = r->argv;
	r->o.argc = na;
	r->o.env_set = r->env;
	r->o.nenv_set = ne;
	r->o.clear_env = true;
	return 0;
}

/* In the new process: the client's stdio, a session of its own (with
 * the pty as its controlling terminal for --tty), then the provider. */
__attribute__((noreturn)) static void joiner(struct exec_req *r, const int *fds,
					    int vpid_fd)
{
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(125);
	setsid();
	if (r->tty && ioctl(0, TIOCSCTTY, 0) < 0) {
		fprintf(stderr, "picos: exec: cannot take the terminal: %s\n",
			strerror(errno));
		_exit(125);
	}
	/* the process's limits and umask (the provider's start from them,
	 * as the container's do from its process's: oci.c).  A limit the
	 * host refuses (a hard limit above the container's, say: the door
	 * has the world's capabilities, not the engine's) stays as it is,
	 * as create leaves one; nothing is printed on the process's stderr. */
	for (int i = 0; i < r->nrlimits; i++)
		setrlimit((__rlimit_resource_t)r->rlimits[i].resource,
			  &r->rlimits[i].lim);
	if (r->umask >= 0)
		umask((mode_t)r->umask);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	world_start_joiner(&r->o, r->cwd, vpid_fd);
}

/* Starts the process a request asks for; it answers "p<pid>" or "e...". */
static void start_request(struct door_conn *c, const struct run_opts *world,
			  const char *world_cwd, char *buf, size_t n,
			  const int *fds)
{
	struct exec_req r;
	if (parse_request(buf, n, world, world_cwd, &r) < 0) {
		say(c->fd, 'e', "exec: a malformed request");
		goto out;
	}
	int vp[2];
	if (pipe2(vp, O_CLOEXEC | O_NONBLOCK) < 0) {
		say(c->fd, 'e', "exec: cannot start a process: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	/* The init's child, as every pico process (the reaper's). */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		say(c->fd, 'e', "exec: cannot start a process: %s", strerror(errno));
		close(vp[0]);
		close(vp[1]);
		goto out;
	}
	if (pid == 0)
		joiner(&r, fds, vp[1]);
	close(vp[1]);
	c->vpid_fd = vp[0];
	c->pid = (pid_t)pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (c->pidfd >= 0)
		fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	say(c->fd, 'p', "%ld", pid);
out:
	free(r.argv);
	free(r.env);
	free(r.groups);
}

static void drop_conn(int i)
{
	close(conns[i].fd);
	if (conns[i].pidfd >= 0)
		close(conns[i].pidfd);
	if (conns[i].vpid_fd >= 0)
		close(conns[i].vpid_fd);
	conns[i] = conns[--nconns];
}

/* A client's message: its request (with its three stdio fds), or a
 * signal to relay; EOF drops it (its process runs on, as runc's). */
static void serve_conn(int i, const struct run_opts *world, const char *world_cwd)
{
	static char buf[128 * 1024];
	struct door_conn *c = &conns[i];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	ssize_t n = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	int fds[3] = { -1, -1, -1 }, nfds = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
			int k = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int j = 0; j < k; j++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + j * sizeof(int), sizeof fd);
				if (nfds < 3)
					fds[nfds++] = fd;
				else
					close(fd);
			}
		}
	if (n <= 0) {
		drop_conn(i);
	} else if (c->pid == 0 && nfds == 3 && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		start_request(c, world, world_cwd, buf, (size_t)n, fds);
		if (c->pid == 0)
			drop_conn(i);
	} else if (c->pid > 0 && buf[0] == 'k' && n < 16) {
		buf[n] = 0;
		int sig = atoi(buf + 1);
		if (sig > 0 && sig < 65 && c->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
	} else {
		say(c->fd, 'e', "exec: a malformed request");
		drop_conn(i);
	}
	for (int j = 0; j < nfds; j++)
		close(fds[j]);
}

/* Does the init's report (host pid, pid in the world or 0, status)
 * end the process of conns[i]?  Its own host pid's end does, unless the
 * table then named another host process for its pid in the world: the
 * process moved (an exec from several threads, proc/task.c) and its new
 * host process's end, reported with that pid, is the one. */
static bool ends_conn(struct door_conn *c, const int32_t *msg)
{
	if (c->pid <= 0)
		return false;
	if (c->vpid == 0 && c->vpid_fd >= 0 &&
	    read(c->vpid_fd, &c->vpid, sizeof c->vpid) != (ssize_t)sizeof c->vpid)
		c->vpid = 0;
	if (msg[0] == c->pid)
		return msg[1] != 0 || c->vpid == 0;
	return c->vpid != 0 && msg[1] == c->vpid;
}

/* The init's reports of processes that ended (reaper.c). */
static void serve_status(int fd)
{
	int32_t msg[3];
	while (recv(fd, msg, sizeof msg, MSG_DONTWAIT) == (ssize_t)sizeof msg)
		for (int i = 0; i < nconns; i++)
			if (ends_conn(&conns[i], msg)) {
				say(conns[i].fd, 's', "%d", msg[2]);
				drop_conn(i);
				break;
			}
}

static void accept_conn(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (nconns == DOOR_MAX_CONNS || !peer_outside_world(fd)) {
		say(fd, 'e', "exec: refused");
		close(fd);
		return;
	}
	conns[nconns++] = (struct door_conn){ .fd = fd, .pidfd = -1, .vpid_fd = -1 };
}

void exec_door_run(struct run_opts *o, const char *cwd, int status_fd)
{
	pid_t init = getppid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != init)
		_exit(0);
	prctl(PR_SET_NAME, "picos-exec-door");
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	int lfd = o->exec_sock;
	for (;;) {
		struct pollfd p[DOOR_MAX_CONNS + 2];
		p[0] = (struct pollfd){ lfd, POLLIN, 0 };
		p[1] = (struct pollfd){ status_fd, POLLIN, 0 };
		for (int i = 0; i < nconns; i++)
			p[i + 2] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		int n = nconns;
		if (poll(p, (nfds_t)n + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (p[1].revents & (POLLHUP | POLLERR))
			_exit(0); /* the init is gone: so is the world */
		/* statuses first: a process's end before its pid is reused */
		if (p[1].revents & POLLIN)
			serve_status(status_fd);
		/* from the last: drop_conn moves the last one into i */
		for (int i = n - 1; i >= 0; i--)
			if (i < nconns && conns[i].fd == p[i + 2].fd &&
			    (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
				serve_conn(i, o, cwd);
		if (p[0].revents & POLLIN)
			accept_conn(lfd);
	}
}
