/* inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch: flags,
 * the argument checks in Linux's order, events (create, modify, attrib,
 * delete, moves with their cookie, IN_IGNORED) with relative names, from
 * this process and a forked one, IN_DONT_FOLLOW, IN_ONLYDIR, IN_MASK_ADD,
 * IN_MASK_CREATE, IN_ONESHOT, FIONREAD, poll and epoll readiness,
 * nonblocking and short reads, blocking reads interrupted by signals, the
 * fd checks every object gets; and dnotify (fcntl F_NOTIFY with SIGIO). */
#include "tap.h"
#include "fdobj.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

#define BAD ((void *)0xffff800000000000UL)

static char dir[256];

static const char *in(const char *name) { return tap_join(dir, name); }

/* Reads the pending events into buf; returns the byte count (or -errno). */
static long drain(int fd, char *buf, size_t size)
{
	long n = read(fd, buf, size);
	return n < 0 ? -errno : n;
}

/* Finds the event with `mask` bits (and `name`, if given) in buf. */
static const struct inotify_event *find(const char *buf, long n, uint32_t mask,
					const char *name)
{
	for (long off = 0; off < n;) {
		const struct inotify_event *e = (const void *)(buf + off);
		if ((e->mask & mask) && (!name || (e->len && strcmp(e->name, name) == 0)))
			return e;
		off += sizeof *e + e->len;
	}
	return NULL;
}

static void test_errors(void)
{
	fails_with(inotify_init1(0x10), EINVAL, "inotify_init1 with an unknown flag");
	int fd = syscall(SYS_inotify_init);
	ok(fd >= 0 && fcntl(fd, F_GETFL) == O_RDONLY, "inotify_init: O_RDONLY");
	fails_with(inotify_add_watch(fd, dir, 0), EINVAL, "an empty mask");
	int w = inotify_add_watch(fd, dir, IN_DONT_FOLLOW);
	ok(w >= 1 && inotify_rm_watch(fd, w) == 0, "a mask of flags only is a watch without events");
	fails_with(inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL,
		   "IN_MASK_ADD with IN_MASK_CREATE");
	fails_with(inotify_add_watch(1000, dir, 0), EINVAL, "the mask is checked before the fd");
	fails_with(inotify_add_watch(1000, dir, IN_CREATE), EBADF, "a closed fd");
	int ev = eventfd(0, 0);
	fails_with(inotify_add_watch(ev, dir, IN_CREATE), EINVAL, "an eventfd");
	fails_with(inotify_add_watch(ev, BAD, IN_CREATE), EINVAL, "the fd's kind is checked before the path");
	close(ev);
	int op = open(dir, O_PATH);
	fails_with(inotify_add_watch(op, dir, IN_CREATE), EBADF, "an O_PATH fd");
	close(op);
	fails_with(inotify_add_watch(fd, BAD, IN_CREATE), EFAULT, "a bad path pointer");
	fails_with(inotify_add_watch(fd, "", IN_CREATE), ENOENT, "an empty path");
	fails_with(inotify_add_watch(fd, in("none"), IN_CREATE), ENOENT, "a missing file");
	tap_put(in("file"), "x");
	fails_with(inotify_add_watch(fd, in("file"), IN_CREATE | IN_ONLYDIR), ENOTDIR,
		   "IN_ONLYDIR on a file");
	fails_with(inotify_add_watch(fd, in("file/"), IN_CREATE), ENOTDIR, "a file with a trailing slash");
	fails_with(inotify_rm_watch(fd, 12345), EINVAL, "inotify_rm_watch of an unknown wd");
	fails_with(inotify_rm_watch(1000, 1), EBADF, "inotify_rm_watch on a closed fd");
	char small[8];
	int nb = inotify_init1(IN_NONBLOCK);
	ok(fcntl(nb, F_GETFL) == (O_RDONLY | O_NONBLOCK), "IN_NONBLOCK shows in F_GETFL");
	ok(drain(nb, small, sizeof small) == -EAGAIN, "nonblocking read with no events: EAGAIN");
	inotify_add_watch(nb, dir, IN_CREATE);
	tap_put(in("new"), "");
	ok(drain(nb, small, sizeof small) == -EINVAL, "a buffer smaller than the event: EINVAL");
	unlink(in("new"));
	close(nb);
	unlink(in("file"));
	close(fd);
}

static void test_events(void)
{
	char buf[4096];
	int fd = inotify_init1(IN_NONBLOCK);
	int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_MODIFY | IN_DELETE | IN_ATTRIB | IN_MOVE);
	ok(wd >= 1, "watch the test directory");
	ok(inotify_add_watch(fd, dir, IN_CREATE) == wd, "a second watch of the same inode: same wd");
	ok(inotify_add_watch(fd, dir, IN_DELETE | IN_MASK_ADD) == wd, "IN_MASK_ADD");
	fails_with(inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_CREATE), EEXIST,
		   "IN_MASK_CREATE on a watched inode");
	/* The mask is now IN_CREATE | IN_DELETE. */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ok(poll(&p, 1, 0) == 0, "poll: nothing pending");
	tap_put(in("a"), "1");
	ok(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "poll: readable after a create");
	int pending = 0;
	ok(ioctl(fd, FIONREAD, &pending) == 0 && pending == (int)(sizeof(struct inotify_event) + 16),
	   "FIONREAD: one event with its padded name (%d)", pending);
	long n = drain(fd, buf, sizeof buf);
	const struct inotify_event *e = find(buf, n, IN_CREATE, "a");
	ok(e && e->wd == wd && !find(buf, n, IN_MODIFY, NULL), "IN_CREATE with the relative name; no IN_MODIFY (replaced mask)");
	ok(inotify_add_watch(fd, dir, IN_CREATE | IN_MODIFY | IN_DELETE | IN_ATTRIB | IN_MOVE) == wd,
	   "replace the mask");
	pid_t pid = fork();
	if (pid == 0) {
		int f = open(in("a"), O_WRONLY | O_APPEND);
		_exit(f >= 0 && write(f, "2", 1) == 1 && chmod(in("a"), 0600) == 0 &&
		      rename(in("a"), in("b")) == 0 && unlink(in("b")) == 0 ? 0 : 1);
	}
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child changes the directory");
	n = drain(fd, buf, sizeof buf);
	ok(find(buf, n, IN_MODIFY, "a") != NULL, "IN_MODIFY from the child");
	ok(find(buf, n, IN_ATTRIB, "a") != NULL, "IN_ATTRIB");
	const struct inotify_event *from = find(buf, n, IN_MOVED_FROM, "a");
	const struct inotify_event *to = find(buf, n, IN_MOVED_TO, "b");
	ok(from && to && from->cookie == to->cookie && from->cookie != 0, "IN_MOVED_FROM/TO with one cookie");
	ok(find(buf, n, IN_DELETE, "b") != NULL, "IN_DELETE");

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ok(epoll_wait(ep, &out, 1, 0) == 0, "epoll: nothing pending");
	mkdir(in("sub"), 0755);
	ok(epoll_wait(ep, &out, 1, 0) == 1 && out.data.u32 == 5, "epoll: readable after mkdir");
	n = drain(fd, buf, sizeof buf);
	e = find(buf, n, IN_CREATE, "sub");
	ok(e && (e->mask & IN_ISDIR), "IN_CREATE|IN_ISDIR for a directory");
	close(ep);

	ok(inotify_rm_watch(fd, wd) == 0, "inotify_rm_watch");
	n = drain(fd, buf, sizeof buf);
	ok(n > 0 && find(buf, n, IN_IGNORED, NULL) && ((struct inotify_event *)buf)->wd == wd, "IN_IGNORED after rm_watch");
	int w2 = inotify_add_watch(fd, in("sub"), IN_CREATE | IN_ONESHOT | IN_ONLYDIR);
	ok(w2 >= 1, "IN_ONESHOT | IN_ONLYDIR watch on a directory");
	tap_put(in("sub/x"), "");
	tap_put(in("sub/y"), "");
	n = drain(fd, buf, sizeof buf);
	ok(find(buf, n, IN_CREATE, "x") && !find(buf, n, IN_CREATE, "y") && find(buf, n, IN_IGNORED, NULL),
	   "IN_ONESHOT: one event, then IN_IGNORED");
	unlink(in("sub/x"));
	unlink(in("sub/y"));
	rmdir(in("sub"));
	close(fd);
}

static void test_symlinks(void)
{
	char buf[4096];
	tap_put(in("target"), "");
	symlink("target", in("link"));
	int fd = inotify_init1(IN_NONBLOCK);
	int wt = inotify_add_watch(fd, in("target"), IN_MODIFY | IN_ATTRIB);
	ok(inotify_add_watch(fd, in("link"), IN_MODIFY | IN_ATTRIB) == wt, "a symlink is followed: the target's wd");
	int wl = inotify_add_watch(fd, in("link"), IN_ATTRIB | IN_DONT_FOLLOW);
	ok(wl >= 1 && wl != wt, "IN_DONT_FOLLOW watches the link itself");
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	utimensat(AT_FDCWD, in("link"), ts, AT_SYMLINK_NOFOLLOW);
	long n = drain(fd, buf, sizeof buf);
	const struct inotify_event *e = find(buf, n, IN_ATTRIB, NULL);
	ok(e && e->wd == wl && e->len == 0, "IN_ATTRIB of the link on the link's watch");
	tap_put(in("target"), "data");
	n = drain(fd, buf, sizeof buf);
	e = find(buf, n, IN_MODIFY, NULL);
	ok(e && e->wd == wt, "IN_MODIFY of the target on the target's watch");
	/* A relative path from the cwd. */
	char old[512];
	if (getcwd(old, sizeof old) && chdir(dir) == 0) {
		ok(inotify_add_watch(fd, "target", IN_MODIFY) == wt, "a path relative to the cwd");
		fails_with(inotify_add_watch(fd, "link", IN_MODIFY | IN_DONT_FOLLOW | IN_ONLYDIR), ENOTDIR,
			   "IN_ONLYDIR | IN_DONT_FOLLOW on a symlink");
		if (chdir(old) < 0)
			perror("chdir");
	}
	unlink(in("link"));
	unlink(in("target"));
	close(fd);
}

static int sig_dir_fd = -1;
static void on_alarm(int sig)
{
	(void)sig;
	if (sig_dir_fd >= 0)
		close(openat(sig_dir_fd, "from-handler", O_CREAT | O_WRONLY, 0644));
}

static void arm_alarm(int flags)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = flags };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_share_and_signals(void)
{
	char buf[4096];
	int fd = inotify_init1(0);
	int cl = inotify_init1(IN_CLOEXEC);
	check_exec(fd, cl, "inotify");
	ok(strcmp(fd_link(fd), "anon_inode:inotify") == 0, "/proc/self/fd link is anon_inode:inotify (%s)", fd_link(fd));
	close(cl);
	inotify_add_watch(fd, dir, IN_CREATE);
	int got = pass_fd(fd);
	ok(got >= 0, "SCM_RIGHTS carries an inotify fd");
	tap_put(in("c"), "");
	long n = drain(got, buf, sizeof buf);
	ok(find(buf, n, IN_CREATE, "c") != NULL, "the received fd reads the events");
	close(got);
	unlink(in("c"));

	arm_alarm(0);
	ok(drain(fd, buf, sizeof buf) == -EINTR, "blocking read interrupted by a handler without SA_RESTART");
	sig_dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	arm_alarm(SA_RESTART);
	n = drain(fd, buf, sizeof buf);
	ok(n > 0 && find(buf, n, IN_CREATE, "from-handler"), "with SA_RESTART the read restarts and sees the handler's create");
	close(sig_dir_fd);
	sig_dir_fd = -1;
	signal(SIGALRM, SIG_IGN);
	unlink(in("from-handler"));
	close(fd);
}

/* dnotify: F_NOTIFY sends SIGIO to the caller. */
static int wait_sigio(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	struct timespec t = { 1, 0 };
	siginfo_t si;
	/* Without F_SETSIG the kernel sends a plain SIGIO (SI_KERNEL, no
	 * si_fd to translate). */
	return sigtimedwait(&s, &si, &t) == SIGIO && si.si_code == SI_KERNEL;
}

static int no_sigio(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	struct timespec t = { 0, 50000000 };
	return sigtimedwait(&s, NULL, &t) < 0 && errno == EAGAIN;
}

static void test_dnotify(void)
{
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	sigprocmask(SIG_BLOCK, &s, &old);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fcntl(d, F_NOTIFY, DN_CREATE) == 0, "F_NOTIFY DN_CREATE");
	tap_put(in("d1"), "");
	ok(wait_sigio(), "SIGIO after a create");
	tap_put(in("d2"), "");
	ok(no_sigio(), "without DN_MULTISHOT only once");
	ok(fcntl(d, F_NOTIFY, DN_DELETE | DN_RENAME | DN_MULTISHOT) == 0, "F_NOTIFY DN_DELETE|DN_RENAME|DN_MULTISHOT");
	unlink(in("d1"));
	ok(wait_sigio(), "SIGIO after a delete");
	rename(in("d2"), in("d3"));
	ok(wait_sigio(), "SIGIO after a rename (multishot)");
	tap_put(in("d4"), "");
	ok(no_sigio(), "no SIGIO for a create outside the mask");
	ok(fcntl(d, F_NOTIFY, DN_MODIFY | DN_ATTRIB | DN_MULTISHOT) == 0, "F_NOTIFY DN_MODIFY|DN_ATTRIB");
	chmod(in("d4"), 0600);
	ok(wait_sigio(), "SIGIO after chmod");
	int dd = dup(d);
	close(dd);
	chmod(in("d4"), 0644);
	ok(no_sigio(), "a close of a dup drops the registration, as every close does");
	int f = open(in("d4"), O_RDONLY);
	fails_with(fcntl(f, F_NOTIFY, DN_CREATE), ENOTDIR, "F_NOTIFY on a file");
	close(f);
	int op = open(dir, O_PATH);
	fails_with(fcntl(op, F_NOTIFY, DN_CREATE), EBADF, "F_NOTIFY on an O_PATH fd");
	close(op);
	unlink(in("d3"));
	unlink(in("d4"));
	close(d);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* dnotify with F_SETSIG: a queued real-time signal whose si_fd names the
 * directory's fd (the guest's number, never the host's). */
static void test_dnotify_setsig(void)
{
	int sig = SIGRTMIN + 2;
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, &old);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	int d2 = fcntl(d, F_DUPFD, 40);
	ok(fcntl(d2, F_SETSIG, sig) == 0 && fcntl(d2, F_GETSIG) == sig, "F_SETSIG on a directory fd");
	ok(fcntl(d2, F_NOTIFY, DN_CREATE) == 0, "F_NOTIFY DN_CREATE with F_SETSIG");
	tap_put(in("s1"), "");
	struct timespec t = { 1, 0 };
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int got = sigtimedwait(&s, &si, &t);
	ok(got == sig, "the F_SETSIG signal arrives");
	ok(si.si_fd == d2, "si_fd names the fd the notification was set on (%d, want %d)", si.si_fd, d2);
	ok(si.si_code == POLL_MSG, "si_code is POLL_MSG (%d)", si.si_code);
	unlink(in("s1"));
	close(d2);
	close(d);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char **argv)
{
	fdobj_probe_main(argc, argv);
	snprintf(dir, sizeof dir, "%s", tap_scratch("inotify"));
	if (mkdir(dir, 0755) < 0) {
		perror("mkdir");
		return 1;
	}
	test_errors();
	test_events();
	test_symlinks();
	test_share_and_signals();
	test_dnotify();
	test_dnotify_setsig();
	rmdir(dir);
	return tap_done();
}
