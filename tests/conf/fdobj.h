/* Checks every fd object kind gets (eventfd, timerfd, memfd, inotify):
 * dup, fork, exec with and without close-on-exec, SCM_RIGHTS and the
 * /proc/self/fd link.  Included by those tests after tap.h. */
#ifndef PICOS_CONF_FDOBJ_H
#define PICOS_CONF_FDOBJ_H

#include <sys/socket.h>
#include <sys/wait.h>

/* A test's main starts with fdobj_probe_main(argc, argv): the exec'd
 * image of exec_sees_fd, which exits 0 when fd argv[2] is open. */
static void fdobj_probe_main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "probe") == 0)
		_exit(fcntl(atoi(argv[2]), F_GETFD) >= 0 ? 0 : 1);
}

/* 1 when fd is open after a fork and exec of this program, 0 when not,
 * -1 on error. */
static int exec_sees_fd(int fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		char num[16];
		snprintf(num, sizeof num, "%d", fd);
		execl("/proc/self/exe", "probe", "probe", num, (char *)NULL);
		_exit(99);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 0 ? 1 : WEXITSTATUS(st) == 1 ? 0 : -1;
}

/* Sends fd over a unix socketpair with SCM_RIGHTS and returns the fd
 * received (-1 on error). */
static int pass_fd(int fd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	int got = -1;
	if (sendmsg(sv[0], &m, 0) == 1) {
		memset(&u, 0, sizeof u);
		m.msg_controllen = sizeof u.buf;
		if (recvmsg(sv[1], &m, 0) == 1 && (c = CMSG_FIRSTHDR(&m)) &&
		    c->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(c), sizeof got);
	}
	close(sv[0]);
	close(sv[1]);
	return got;
}

/* The target of /proc/self/fd/<fd> ("" on error). */
static const char *fd_link(int fd)
{
	static char buf[512];
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* Close-on-exec for each way of asking: the creation flag (cloexec_fd,
 * made with it) and F_SETFD on a plain one (plain_fd). */
static void check_exec(int plain_fd, int cloexec_fd, const char *what)
{
	ok(fcntl(cloexec_fd, F_GETFD) == FD_CLOEXEC, "%s: created close-on-exec", what);
	ok(fcntl(plain_fd, F_GETFD) == 0, "%s: created without close-on-exec", what);
	ok(exec_sees_fd(plain_fd) == 1, "%s: stays open across exec", what);
	ok(exec_sees_fd(cloexec_fd) == 0, "%s: closed by exec (creation flag)", what);
	int d = dup(plain_fd);
	ok(d >= 0 && fcntl(d, F_SETFD, FD_CLOEXEC) == 0 && exec_sees_fd(d) == 0,
	   "%s: dup with F_SETFD FD_CLOEXEC closed by exec", what);
	ok(exec_sees_fd(plain_fd) == 1, "%s: the original dup stays open", what);
	close(d);
}

#endif
