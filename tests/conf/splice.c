/* splice, tee, vmsplice and sync_file_range on every fd kind Linux takes
 * (pipes, regular files, sockets), with their error paths: flags, bad and
 * O_PATH fds, offsets on pipes (ESPIPE), no pipe at either end (EINVAL),
 * offset words and iovecs the caller cannot name (EFAULT),
 * SPLICE_F_NONBLOCK, and a blocking splice interrupted by a signal (EINTR
 * without SA_RESTART, restarted with it); pidfds and signalfds, which have
 * no splice (EINVAL, EBADF for vmsplice: not a pipe), also for sendfile
 * and copy_file_range.  Also copy_file_range against the fd kinds Linux
 * refuses. */
#include "tap.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
#define WINDOW hide(0x7e0000001000UL)
#define BADP hide(1)

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static int has(int fd, off_t off, const char *want)
{
	char buf[64] = { 0 };
	size_t n = strlen(want);
	return pread(fd, buf, n, off) == (ssize_t)n && !memcmp(buf, want, n);
}

static int reads(int fd, const char *want)
{
	char buf[64] = { 0 };
	size_t n = strlen(want);
	return read(fd, buf, sizeof buf) == (ssize_t)n && !memcmp(buf, want, n);
}

static void splice_files(int fd, const char *path)
{
	int p[2];
	loff_t off;
	ok(pipe(p) == 0, "pipe");
	lseek(fd, 2, SEEK_SET);
	ok(splice(fd, NULL, p[1], NULL, 3, 0) == 3 && reads(p[0], "234"),
	   "splice file -> pipe from the position");
	ok(lseek(fd, 0, SEEK_CUR) == 5, "splice advances the file position");
	off = 7;
	ok(splice(fd, &off, p[1], NULL, 10, 0) == 3 && off == 10 && reads(p[0], "789"),
	   "splice file -> pipe at an offset, short at EOF");
	ok(lseek(fd, 0, SEEK_CUR) == 5, "splice at an offset leaves the position");
	off = 10;
	ok(splice(fd, &off, p[1], NULL, 10, 0) == 0 && off == 10, "splice at EOF gives 0");

	ok(write(p[1], "abc", 3) == 3, "fill the pipe");
	off = 20;
	ok(splice(p[0], NULL, fd, &off, 3, 0) == 3 && off == 23 && has(fd, 20, "abc"),
	   "splice pipe -> file at an offset");
	ok(write(p[1], "xy", 2) == 2 && lseek(fd, 0, SEEK_END) == 23 &&
		   splice(p[0], NULL, fd, NULL, 64, 0) == 2 && has(fd, 23, "xy"),
	   "splice pipe -> file at the position (takes what is there)");

	fails_with(splice(fd, NULL, fd, NULL, 1, 0), EINVAL, "splice with no pipe at either end");
	off = 0;
	fails_with(splice(p[0], &off, fd, NULL, 1, 0), ESPIPE, "splice with an offset on the pipe in");
	fails_with(splice(fd, NULL, p[1], &off, 1, 0), ESPIPE, "splice with an offset on the pipe out");
	fails_with(splice(p[0], BADP, fd, NULL, 1, 0), ESPIPE, "ESPIPE before the offset is read");
	fails_with(splice(fd, BADP, p[1], NULL, 1, 0), EFAULT, "splice with a bad in offset");
	fails_with(splice(fd, WINDOW, p[1], NULL, 1, 0), EFAULT,
		   "splice with the in offset in the provider window");
	ok(write(p[1], "q", 1) == 1, "one byte in the pipe");
	fails_with(splice(p[0], NULL, fd, BADP, 1, 0), EFAULT, "splice with a bad out offset");
	ok(reads(p[0], "q"), "the byte stayed in the pipe");
	off = -1;
	fails_with(splice(fd, &off, p[1], NULL, 1, 0), EINVAL, "splice at a negative offset");
	fails_with(splice(fd, NULL, p[1], NULL, 1, 0x100), EINVAL, "splice with unknown flags");
	ok(splice(12345, NULL, 12346, NULL, 0, 0) == 0, "splice of 0 bytes returns 0 before the fds");
	fails_with(splice(12345, NULL, p[1], NULL, 1, 0), EBADF, "splice from a bad fd");
	fails_with(splice(p[0], NULL, 12345, NULL, 1, 0), EBADF, "splice to a bad fd");
	int po = open(path, O_PATH), wo = open(path, O_WRONLY), ro = open(path, O_RDONLY);
	int ap = open(path, O_WRONLY | O_APPEND);
	fails_with(splice(po, NULL, p[1], NULL, 1, 0), EBADF, "splice from an O_PATH fd");
	fails_with(splice(wo, NULL, p[1], NULL, 1, 0), EBADF, "splice from a write-only file");
	ok(write(p[1], "z", 1) == 1, "one byte in the pipe");
	fails_with(splice(p[0], NULL, ro, NULL, 1, 0), EBADF, "splice to a read-only file");
	fails_with(splice(p[0], NULL, ap, NULL, 1, 0), EINVAL, "splice to an O_APPEND file");
	fails_with(splice(p[1], NULL, fd, NULL, 1, 0), EBADF, "splice from a pipe's write end");
	ok(reads(p[0], "z"), "the byte stayed in the pipe");
	fails_with(splice(p[0], NULL, fd, NULL, 1, SPLICE_F_NONBLOCK), EAGAIN,
		   "SPLICE_F_NONBLOCK on an empty pipe");
	close(po);
	close(wo);
	close(ro);
	close(ap);
	close(p[1]);
	ok(splice(p[0], NULL, fd, NULL, 1, 0) == 0, "splice from a pipe with no writer gives 0");
	close(p[0]);
}

static void splice_pipes_and_sockets(void)
{
	int a[2], b[2], s[2];
	ok(pipe(a) == 0 && pipe(b) == 0, "two pipes");
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "socketpair");
	ok(write(a[1], "hello", 5) == 5 && splice(a[0], NULL, b[1], NULL, 64, 0) == 5 &&
		   reads(b[0], "hello"),
	   "splice pipe -> pipe");
	ok(write(a[1], "sock", 4) == 4 && splice(a[0], NULL, s[0], NULL, 64, 0) == 4 &&
		   reads(s[1], "sock"),
	   "splice pipe -> socket");
	ok(write(s[1], "back", 4) == 4 && splice(s[0], NULL, a[1], NULL, 64, 0) == 4 &&
		   reads(a[0], "back"),
	   "splice socket -> pipe");
	fails_with(splice(s[0], NULL, s[1], NULL, 4, 0), EINVAL, "splice socket -> socket (no pipe)");
	fails_with(splice(s[0], NULL, a[1], NULL, 4, SPLICE_F_NONBLOCK), EAGAIN,
		   "SPLICE_F_NONBLOCK from an empty socket");
	loff_t off = 0;
	fails_with(splice(s[0], &off, a[1], NULL, 4, 0), EINVAL, "splice with an offset on a socket (not seekable)");
	signal(SIGPIPE, SIG_IGN);
	close(b[0]);
	ok(write(a[1], "x", 1) == 1, "one byte in the pipe");
	fails_with(splice(a[0], NULL, b[1], NULL, 1, 0), EPIPE, "splice into a pipe with no reader");
	signal(SIGPIPE, SIG_DFL);
	close(b[1]);
	close2(a);
	close2(s);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void arm(int restart, long usec)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, usec } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A blocking splice from an empty pipe waits (releasing the provider's
 * lock: a child still runs), is interrupted by a handled signal, and is
 * restarted under SA_RESTART until the data comes. */
static void splice_blocking(int fd)
{
	int p[2];
	ok(pipe(p) == 0, "pipe");
	arm(0, 100000);
	fails_with(splice(p[0], NULL, fd, NULL, 4, 0), EINTR, "a blocking splice is interrupted");
	arm(1, 50000);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(250000);
		_exit(write(p[1], "late", 4) == 4 ? 0 : 1);
	}
	loff_t off = 40;
	ok(splice(p[0], NULL, fd, &off, 4, 0) == 4 && has(fd, 40, "late"),
	   "an SA_RESTART splice is restarted and gets the data");
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer ran");
	arm(0, 100000);
	char big[65536];
	memset(big, 'b', sizeof big);
	ok(write(p[1], big, sizeof big) == (ssize_t)sizeof big, "fill the pipe");
	int q[2];
	ok(pipe(q) == 0 && write(q[1], "more", 4) == 4, "a second pipe with data");
	fails_with(splice(q[0], NULL, p[1], NULL, 4, 0), EINTR, "a splice into a full pipe is interrupted");
	fails_with(splice(q[0], NULL, p[1], NULL, 4, SPLICE_F_NONBLOCK), EAGAIN,
		   "SPLICE_F_NONBLOCK into a full pipe");
	/* A socket with a receive timeout: an interrupted splice from it is
	 * never restarted, even under SA_RESTART (signal(7)). */
	int s[2];
	struct timeval tv = { 5, 0 };
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0 &&
		   setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0,
	   "a socket with SO_RCVTIMEO");
	ok(read(p[0], big, sizeof big) > 0, "room in the pipe");
	arm(1, 100000);
	fails_with(splice(s[0], NULL, p[1], NULL, 4, 0), EINTR,
		   "a splice from it is interrupted despite SA_RESTART");
	ok(splice(s[1], NULL, p[1], NULL, 4, SPLICE_F_NONBLOCK) == -1 && errno == EAGAIN,
	   "the other end (no timeout) has no data either");
	signal(SIGALRM, SIG_DFL);
	close2(s);
	close2(p);
	close2(q);
}

struct waiter {
	int from, to;
	long r;
};

static void *splice_waits(void *arg)
{
	struct waiter *w = arg;
	w->r = splice(w->from, NULL, w->to, NULL, 16, 0);
	return NULL;
}

/* While one thread waits in splice, another makes calls of its own (the
 * wait does not hold the process's provider lock) and feeds it. */
static void splice_thread(void)
{
	int a[2], b[2];
	ok(pipe(a) == 0 && pipe(b) == 0, "two pipes");
	struct waiter w = { a[0], b[1], -2 };
	pthread_t t;
	ok(pthread_create(&t, NULL, splice_waits, &w) == 0, "a thread splices from an empty pipe");
	usleep(100000);
	ok(getpid() > 0 && write(a[1], "thread", 6) == 6, "another thread runs and writes meanwhile");
	ok(pthread_join(t, NULL) == 0 && w.r == 6 && reads(b[0], "thread"),
	   "the waiting splice moved the data");
	close2(a);
	close2(b);
}

static void tee_pipes(int fd)
{
	int a[2], b[2];
	ok(pipe(a) == 0 && pipe(b) == 0, "two pipes");
	ok(write(a[1], "teedata", 7) == 7, "fill the first");
	ok(tee(a[0], b[1], 64, 0) == 7 && reads(b[0], "teedata"), "tee copies");
	ok(tee(a[0], b[1], 3, 0) == 3 && reads(b[0], "tee"), "tee copies at most len");
	ok(reads(a[0], "teedata"), "tee leaves the data in the source");
	fails_with(tee(a[0], b[1], 1, SPLICE_F_NONBLOCK), EAGAIN, "tee NONBLOCK from an empty pipe");
	fails_with(tee(a[0], a[1], 1, 0), EINVAL, "tee of a pipe to itself");
	fails_with(tee(fd, b[1], 1, 0), EINVAL, "tee from a file");
	fails_with(tee(a[0], fd, 1, 0), EINVAL, "tee to a file");
	fails_with(tee(a[0], b[1], 1, 0x100), EINVAL, "tee with unknown flags");
	ok(tee(12345, 12346, 0, 0) == 0, "tee of 0 bytes returns 0 before the fds");
	fails_with(tee(12345, b[1], 1, 0), EBADF, "tee from a bad fd");
	fails_with(tee(a[0], 12345, 1, 0), EBADF, "tee to a bad fd");
	fails_with(tee(a[1], b[1], 1, 0), EBADF, "tee from a write end");
	close2(a);
	close2(b);
}

static void vmsplice_pipes(int fd)
{
	int p[2];
	char one[] = "vm", two[] = "splice";
	struct iovec v[2] = { { one, 2 }, { two, 6 } };
	ok(pipe(p) == 0, "pipe");
	ok(vmsplice(p[1], v, 2, 0) == 8 && reads(p[0], "vmsplice"), "vmsplice into a pipe");
	ok(write(p[1], "outward", 7) == 7, "fill the pipe");
	char x[3] = { 0 }, y[5] = { 0 };
	struct iovec w[2] = { { x, 3 }, { y, 4 } };
	ok(vmsplice(p[0], w, 2, 0) == 7 && !memcmp(x, "out", 3) && !memcmp(y, "ward", 4),
	   "vmsplice out of a pipe into two buffers");
	ok(vmsplice(p[1], v, 0, 0) == 0, "vmsplice of no segments");
	fails_with(vmsplice(p[1], v, 2, 0x100), EINVAL, "vmsplice with unknown flags");
	fails_with(vmsplice(p[1], v, IOV_MAX + 1, 0), EINVAL, "vmsplice of too many segments");
	fails_with(vmsplice(p[1], BADP, 2, 0), EFAULT, "vmsplice with a bad iovec array");
	fails_with(vmsplice(p[1], WINDOW, 2, 0), EFAULT, "vmsplice with the array in the provider window");
	struct iovec bad[1] = { { BADP, 4 } };
	fails_with(vmsplice(p[1], bad, 1, 0), EFAULT, "vmsplice from a bad buffer");
	struct iovec win[1] = { { WINDOW, 4 } };
	fails_with(vmsplice(p[1], win, 1, 0), EFAULT, "vmsplice from the provider window");
	ok(write(p[1], "abcd", 4) == 4, "fill the pipe");
	fails_with(vmsplice(p[0], win, 1, 0), EFAULT, "vmsplice into the provider window");
	char rest[8];
	ok(read(p[0], rest, sizeof rest) >= 0, "drain");
	fails_with(vmsplice(p[0], w, 2, SPLICE_F_NONBLOCK), EAGAIN, "vmsplice NONBLOCK from an empty pipe");
	fails_with(vmsplice(12345, v, 2, 0), EBADF, "vmsplice on a bad fd");
	fails_with(vmsplice(fd, v, 2, 0), EBADF, "vmsplice on a file");
	fails_with(vmsplice(fd, BADP, 2, 0), EFAULT, "vmsplice: the iovecs before the pipe check");
	fails_with(vmsplice(12345, BADP, 2, 0), EBADF, "vmsplice: the fd before the iovecs");
	close2(p);
}

static void sync_ranges(int fd, const char *path)
{
	int p[2];
	ok(pipe(p) == 0, "pipe");
	ok(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0, "sync_file_range WRITE");
	ok(sync_file_range(fd, 0, 4096,
			   SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				   SYNC_FILE_RANGE_WAIT_AFTER) == 0,
	   "sync_file_range with both waits");
	fails_with(sync_file_range(fd, 0, 0, 0x10), EINVAL, "sync_file_range with unknown flags");
	fails_with(sync_file_range(fd, -1, 0, SYNC_FILE_RANGE_WRITE), EINVAL,
		   "sync_file_range at a negative offset");
	fails_with(sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE), EINVAL,
		   "sync_file_range of a negative length");
	fails_with(sync_file_range(p[0], 0, 0, SYNC_FILE_RANGE_WRITE), ESPIPE, "sync_file_range on a pipe");
	fails_with(sync_file_range(12345, 0, 0, SYNC_FILE_RANGE_WRITE), EBADF,
		   "sync_file_range on a bad fd");
	int po = open(path, O_PATH);
	fails_with(sync_file_range(po, 0, 0, SYNC_FILE_RANGE_WRITE), EBADF,
		   "sync_file_range on an O_PATH fd");
	close(po);
	close2(p);
}

static void copy_range_kinds(int fd, const char *dir, const char *path)
{
	int p[2], s[2];
	ok(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "pipe and socketpair");
	int d = open(dir, O_RDONLY | O_DIRECTORY), ap = open(path, O_WRONLY | O_APPEND);
	int out = open(tap_join(dir, "copy"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	ok(write(p[1], "x", 1) == 1, "one byte in the pipe");
	fails_with(copy_file_range(p[0], NULL, out, NULL, 1, 0), EINVAL, "copy_file_range from a pipe");
	fails_with(copy_file_range(fd, NULL, p[1], NULL, 1, 0), EINVAL, "copy_file_range to a pipe");
	fails_with(copy_file_range(s[0], NULL, out, NULL, 1, 0), EINVAL, "copy_file_range from a socket");
	fails_with(copy_file_range(d, NULL, out, NULL, 1, 0), EISDIR, "copy_file_range from a directory");
	fails_with(copy_file_range(fd, NULL, ap, NULL, 1, 0), EBADF, "copy_file_range to an O_APPEND file");
	ok(copy_file_range(fd, NULL, out, NULL, 0, 0) == 0, "copy_file_range of 0 bytes");
	close(d);
	close(ap);
	close(out);
	unlink(tap_join(dir, "copy"));
	close2(p);
	close2(s);
}

/* Files without splice: a pidfd of a process that ended and a signalfd
 * with a signal pending, at either end. */
static void no_splice(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	siginfo_t si;
	waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* a zombie now */
	int pidfd = (int)syscall(SYS_pidfd_open, c, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sfd = signalfd(-1, &s, SFD_NONBLOCK);
	raise(SIGUSR2);
	int p[2];
	if (pidfd < 0 || sfd < 0 || pipe(p) != 0) {
		ok(0, "a pidfd, a signalfd and a pipe");
		return;
	}
	char b[8];
	struct iovec v = { b, sizeof b };
	int fds[2] = { pidfd, sfd };
	const char *name[2] = { "a pidfd", "a signalfd" };
	for (int i = 0; i < 2; i++) {
		char what[64];
		snprintf(what, sizeof what, "splice from %s", name[i]);
		fails_with(splice(fds[i], NULL, p[1], NULL, 8, SPLICE_F_NONBLOCK), EINVAL, what);
		snprintf(what, sizeof what, "tee from %s", name[i]);
		fails_with(tee(fds[i], p[1], 8, SPLICE_F_NONBLOCK), EINVAL, what);
		snprintf(what, sizeof what, "vmsplice of %s", name[i]);
		fails_with(vmsplice(fds[i], &v, 1, SPLICE_F_NONBLOCK), EBADF, what);
		ok(write(p[1], "y", 1) == 1, "a byte in the pipe");
		snprintf(what, sizeof what, "splice into %s", name[i]);
		fails_with(splice(p[0], NULL, fds[i], NULL, 1, SPLICE_F_NONBLOCK), EINVAL, what);
		snprintf(what, sizeof what, "tee into %s", name[i]);
		fails_with(tee(p[0], fds[i], 1, SPLICE_F_NONBLOCK), EINVAL, what);
		ok(read(p[0], b, sizeof b) == 1, "the byte stays in the pipe");
	}
	int f = open(tap_scratch("splice_nosplice"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	for (int i = 0; i < 2; i++) {
		char what[64];
		snprintf(what, sizeof what, "sendfile from %s", name[i]);
		fails_with(sendfile(p[1], fds[i], NULL, 8), EINVAL, what);
		/* EXDEV for a pidfd since pidfs (Linux 6.9), EINVAL before */
		errno = 0;
		ssize_t r = copy_file_range(fds[i], NULL, f, NULL, 8, 0);
		int e = errno;
		ok(r == -1 && (e == EINVAL || (i == 0 && e == EXDEV)),
		   "copy_file_range from %s fails (%zd, errno %d)", name[i], r, e);
	}
	close(f);
	unlink(tap_scratch("splice_nosplice"));
	siginfo_t got;
	struct timespec zero = { 0, 0 };
	ok(sigtimedwait(&s, &got, &zero) == SIGUSR2, "the signal stays pending");
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	close2(p);
	close(sfd);
	close(pidfd);
	waitpid(c, NULL, 0);
}

int main(void)
{
	/* Copies of their own: tap_scratch's buffer is one (no_splice asks
	 * for another name) and tap_join's rotate; a directory of its own
	 * name (mkdtemp), not the pid's, which another user's run may have
	 * left behind. */
	char dir[64], path[80];
	snprintf(dir, sizeof dir, "/tmp/picos-conf-splice-XXXXXX");
	if (!mkdtemp(dir))
		dir[0] = 0;
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = dir[0] ? open(path, O_CREAT | O_RDWR | O_TRUNC, 0644) : -1;
	ok(fd >= 0 && write(fd, "0123456789", 10) == 10, "a file of 10 bytes");
	alarm(30);
	splice_files(fd, path);
	splice_pipes_and_sockets();
	splice_blocking(fd);
	splice_thread();
	tee_pipes(fd);
	vmsplice_pipes(fd);
	sync_ranges(fd, path);
	copy_range_kinds(fd, dir, path);
	no_splice();
	close(fd);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
