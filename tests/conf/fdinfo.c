/* /proc/<pid>/fdinfo/<fd>: pos and flags (the close-on-exec bit is the
 * fd's own), the per-object lines of an epoll (its registrations by fd
 * number), eventfd, signalfd, timerfd and inotify, another process's
 * fdinfo, the files' modes by stat and fstat, and the error paths. */
#include "tap.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

static char text[8192];

/* fdinfo of fd in process pid (0: self) into text: its length or -1. */
static long fdinfo(pid_t pid, int fd)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, fd);
	else
		snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	return tap_read_file(path, text, sizeof text);
}

/* The number after "key" at a line's start in text (octal for flags). */
static long line_num(const char *key, int base)
{
	return (long)tap_line_num(text, key, base);
}

static void check_file(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY);
	char c;
	ok(fd >= 0 && read(fd, &c, 1) == 1, "open and read a byte of a file");
	ok(fdinfo(0, fd) > 0 && line_num("pos:", 10) == 1, "fdinfo pos: 1");
	long fl = line_num("flags:", 8);
	ok(fl >= 0 && !(fl & O_CLOEXEC) && (fl & O_ACCMODE) == O_RDONLY,
	   "flags: read-only, without O_CLOEXEC (0%lo)", fl);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fdinfo(0, fd);
	fl = line_num("flags:", 8);
	ok(fl >= 0 && (fl & O_CLOEXEC), "after F_SETFD FD_CLOEXEC: flags has O_CLOEXEC (0%lo)", fl);
	int nb = open("/proc/self/cmdline", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fdinfo(0, nb);
	fl = line_num("flags:", 8);
	ok(fl >= 0 && (fl & O_NONBLOCK) && (fl & O_CLOEXEC),
	   "O_NONBLOCK|O_CLOEXEC open: both in flags (0%lo)", fl);
	close(nb);
	close(fd);
	fails_with(fdinfo(0, fd), ENOENT, "fdinfo of a closed fd");
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", 0);
	struct stat st;
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
	   (st.st_mode & 0222) == 0,
	   "stat of fdinfo/0: a regular file, size 0, not writable (0%o)", st.st_mode & 07777);
	/* Linux checks the mode (r--r--r--): even root gets EACCES only
	 * without CAP_DAC_OVERRIDE, so only the mode is checked here. */
	fd = open("/proc/self/status", O_RDONLY);
	ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	   (st.st_mode & 07777) == 0444, "fstat of an open /proc/self/status: mode 0444 (0%o)",
	   st.st_mode & 07777);
	close(fd);
	ok(stat("/proc/self/status", &st) == 0 && (st.st_mode & 07777) == 0444 &&
	   st.st_size == 0 && st.st_nlink == 1,
	   "stat of /proc/self/status: mode 0444, size 0, one link");
}

static void check_objects(void)
{
	int efd = eventfd(5, 0);
	ok(fdinfo(0, efd) > 0 && line_num("eventfd-count:", 16) == 5,
	   "eventfd: eventfd-count: 5");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* registered under a number of its own: the fd the line shows */
	int reg = eventfd(0, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	ok(reg >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev) == 0, "epoll_ctl ADD");
	fdinfo(0, ep);
	ok(line_num("tfd:", 10) == reg, "epoll: tfd: %d (%ld)", reg, line_num("tfd:", 10));
	ok(strstr(text, "data:             1234") != NULL, "epoll: the registration's data");
	long fl = line_num("flags:", 8);
	ok(fl >= 0 && (fl & O_CLOEXEC), "epoll_create1(EPOLL_CLOEXEC): flags has O_CLOEXEC");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	int sfd = signalfd(-1, &set, 0);
	fdinfo(0, sfd);
	ok(line_num("sigmask:", 16) == ((1L << (SIGUSR1 - 1)) | (1L << (SIGTERM - 1))),
	   "signalfd: sigmask: USR1 and TERM (%lx)", line_num("sigmask:", 16));
	fl = line_num("flags:", 8);
	ok(fl >= 0 && !(fl & O_CLOEXEC), "signalfd without SFD_CLOEXEC: no O_CLOEXEC (0%lo)", fl);
	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec it = { { 7, 0 }, { 100, 0 } };
	ok(timerfd_settime(tfd, 0, &it, NULL) == 0, "timerfd armed");
	fdinfo(0, tfd);
	ok(line_num("clockid:", 10) == CLOCK_MONOTONIC && strstr(text, "it_interval: (7, 0)"),
	   "timerfd: clockid and it_interval");
	int in = inotify_init1(0);
	int wd = inotify_add_watch(in, "/proc/self", IN_OPEN);
	fdinfo(0, in);
	ok(wd > 0 && line_num("inotify wd:", 10) == wd, "inotify: wd:%d line", wd);
	close(efd), close(reg), close(ep), close(sfd), close(tfd), close(in);
}

/* Another process's fdinfo: a child holds fd 40 at offset 3, without
 * close-on-exec, and fd 41 with it. */
static void check_other(void)
{
	int go[2], ready[2];
	if (pipe(go) < 0 || pipe(ready) < 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		int fd = open("/proc/self/cmdline", O_RDONLY);
		char b[3];
		if (fd < 0 || read(fd, b, 3) != 3 || dup2(fd, 40) != 40 ||
		    fcntl(40, F_SETFD, 0) < 0 || dup3(fd, 41, O_CLOEXEC) != 41)
			_exit(1);
		close(fd);
		write(ready[1], "x", 1);
		read(go[0], b, 1);
		_exit(0);
	}
	char b;
	read(ready[0], &b, 1);
	ok(fdinfo(c, 40) > 0 && line_num("pos:", 10) == 3, "child's fdinfo/40: pos: 3");
	long fl = line_num("flags:", 8);
	ok(fl >= 0 && !(fl & O_CLOEXEC), "child's fd 40: no O_CLOEXEC (0%lo)", fl);
	fdinfo(c, 41);
	fl = line_num("flags:", 8);
	ok(fl >= 0 && (fl & O_CLOEXEC), "child's fd 41: O_CLOEXEC (0%lo)", fl);
	fails_with(fdinfo(c, 42), ENOENT, "child's fdinfo of a closed fd");
	write(go[1], "x", 1);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended");
	close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
}

int main(void)
{
	check_file();
	check_objects();
	check_other();
	return tap_done();
}
