/* Pipes: pipe and pipe2 and their flags (O_CLOEXEC, O_NONBLOCK, O_DIRECT
 * packet mode), EOF and EPIPE/SIGPIPE, PIPE_BUF atomicity between two
 * writers, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD, sharing across fork, and
 * readiness through poll, ppoll and select. */
#include "tap.h"
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static void *hide(unsigned long a) { void *volatile p = (void *)a; return p; }

static void close2(int p[2]) { close(p[0]); close(p[1]); }

/* poll revents of one fd with a zero timeout (-1 on error). */
static int revents(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

/* Reads exactly n bytes unless EOF or an error comes first. */
static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return got ? (ssize_t)got : r;
		got += r;
	}
	return got;
}

/* A child writes `blocks` writes of PIPE_BUF bytes of `letter` to fd. */
static pid_t writer(int p[2], char letter, int blocks)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[PIPE_BUF];
		close(p[0]);
		memset(buf, letter, sizeof buf);
		for (int i = 0; i < blocks; i++)
			if (write(p[1], buf, sizeof buf) != sizeof buf)
				_exit(1);
		_exit(0);
	}
	return pid;
}

static int reaped_ok(pid_t pid)
{
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	alarm(20);
	int p[2], n;
	char buf[256];
	struct stat sb;

	/* pipe: two fds, read end and write end, FIFOs. */
	ok(pipe(p) == 0 && p[0] >= 0 && p[1] >= 0 && p[0] != p[1], "pipe returns two fds");
	ok((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY,
	   "fd 0 is the read end, fd 1 the write end");
	ok(fcntl(p[0], F_GETFD) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK), "no FD_CLOEXEC and blocking by default");
	ok(fstat(p[0], &sb) == 0 && S_ISFIFO(sb.st_mode), "fstat: S_ISFIFO");
	ok(write(p[1], "hello", 5) == 5 && read(p[0], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0,
	   "data written comes back out");
	fails_with(write(p[0], "x", 1), EBADF, "write to the read end");
	fails_with(read(p[1], buf, 1), EBADF, "read from the write end");
	fails_with(lseek(p[0], 0, SEEK_CUR), ESPIPE, "lseek on a pipe");
	fails_with(pread(p[0], buf, 1, 0), ESPIPE, "pread on a pipe");
	fails_with(pwrite(p[1], "x", 1, 0), ESPIPE, "pwrite on a pipe");

	/* FIONREAD counts the unread bytes. */
	ok(ioctl(p[0], FIONREAD, &n) == 0 && n == 0, "FIONREAD on an empty pipe: 0");
	ok(write(p[1], "0123456789", 10) == 10 && ioctl(p[0], FIONREAD, &n) == 0 && n == 10, "FIONREAD: 10 bytes");
	ok(read(p[0], buf, 4) == 4 && ioctl(p[0], FIONREAD, &n) == 0 && n == 6, "FIONREAD: 6 after reading 4");
	ok(read(p[0], buf, sizeof buf) == 6, "read drains the rest");

	/* poll and select: readable only with data, the write end writable. */
	ok(revents(p[0], POLLIN) == 0, "poll: an empty pipe's read end is not ready");
	ok(revents(p[1], POLLOUT) == POLLOUT, "poll: POLLOUT on the write end");
	ok(write(p[1], "x", 1) == 1 && revents(p[0], POLLIN) == POLLIN, "poll: POLLIN after a write");
	fd_set rs, ws;
	struct timeval tv = { 0, 0 };
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(p[0], &rs);
	FD_SET(p[1], &ws);
	ok(select((p[0] > p[1] ? p[0] : p[1]) + 1, &rs, &ws, NULL, &tv) == 2 && FD_ISSET(p[0], &rs) && FD_ISSET(p[1], &ws),
	   "select: the read end readable, the write end writable");
	ok(read(p[0], buf, 1) == 1, "drain it");
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	tv.tv_usec = 10000;
	ok(select(p[0] + 1, &rs, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &rs), "select on an empty pipe times out: 0");
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	struct timespec ts = { 0, 10 * 1000 * 1000 }, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = ppoll(&pfd, 1, &ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(r == 0 && pfd.revents == 0 && ms >= 9.5, "ppoll with a 10 ms timeout on an empty pipe returns 0 (%.1f ms)", ms);

	/* EOF: after the last writer closes, read returns 0 and poll says
	 * POLLHUP. */
	ok(write(p[1], "ab", 2) == 2 && close(p[1]) == 0, "write, then close the write end");
	ok(read(p[0], buf, sizeof buf) == 2, "buffered data is still read");
	ok(read(p[0], buf, sizeof buf) == 0, "then read returns 0 at EOF");
	ok((revents(p[0], POLLIN) & POLLHUP) != 0, "poll: POLLHUP after the writer closed");
	close(p[0]);

	/* No reader: EPIPE with SIGPIPE ignored, POLLERR on the write end,
	 * and death by SIGPIPE with the default action. */
	signal(SIGPIPE, SIG_IGN);
	ok(pipe(p) == 0 && close(p[0]) == 0, "a pipe whose read end is closed");
	fails_with(write(p[1], "x", 1), EPIPE, "write with no reader (SIGPIPE ignored)");
	ok((revents(p[1], POLLOUT) & POLLERR) != 0, "poll: POLLERR on the write end without a reader");
	signal(SIGPIPE, SIG_DFL);
	pid_t pid = fork();
	if (pid == 0) {
		ssize_t w = write(p[1], "x", 1);
		_exit(w == -1 ? 2 : 3);
	}
	int st = 0, reaped = pid > 0 && waitpid(pid, &st, 0) == pid;
	ok(reaped && WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
	   "with SIGPIPE default, the writer dies of SIGPIPE (status %#x)", st);
	close(p[1]);

	/* pipe2 flags. */
	ok(pipe2(p, O_CLOEXEC) == 0 && (fcntl(p[0], F_GETFD) & FD_CLOEXEC) && (fcntl(p[1], F_GETFD) & FD_CLOEXEC),
	   "pipe2(O_CLOEXEC) sets FD_CLOEXEC on both ends");
	close2(p);
	ok(pipe2(p, O_NONBLOCK) == 0 && (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK),
	   "pipe2(O_NONBLOCK) sets O_NONBLOCK on both ends");
	fails_with(read(p[0], buf, sizeof buf), EAGAIN, "read on an empty non-blocking pipe");
	static char big[1 << 17];
	ssize_t w = write(p[1], big, sizeof big);
	ok(w == 65536, "a non-blocking write of 128 KiB fills the 64 KiB pipe (%zd)", w);
	fails_with(write(p[1], "x", 1), EAGAIN, "write to a full non-blocking pipe");
	ok(revents(p[1], POLLOUT) == 0, "poll: a full pipe is not writable");
	close2(p);
	ok(pipe2(p, O_DIRECT) == 0 && (fcntl(p[1], F_GETFL) & O_DIRECT), "pipe2(O_DIRECT)");
	ok(write(p[1], "abc", 3) == 3 && write(p[1], "defgh", 5) == 5, "two writes into a packet pipe");
	ok(read(p[0], buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0, "the first read returns the first packet");
	ok(read(p[0], buf, sizeof buf) == 5 && memcmp(buf, "defgh", 5) == 0, "the second read the second packet");
	ok(write(p[1], "12345", 5) == 5 && write(p[1], "67", 2) == 2 && read(p[0], buf, 2) == 2 &&
	   memcmp(buf, "12", 2) == 0, "a short read takes part of a packet");
	ok(read(p[0], buf, sizeof buf) == 2 && memcmp(buf, "67", 2) == 0, "and the rest of that packet is discarded");
	close2(p);
	fails_with(pipe(hide(1)), EFAULT, "pipe to a bad pointer");
	fails_with(pipe2(hide(1), 0), EFAULT, "pipe2 to a bad pointer");
	fails_with(pipe2(p, O_APPEND), EINVAL, "pipe2 with O_APPEND");
	fails_with(pipe2(p, 0x7fffffff), EINVAL, "pipe2 with every flag bit");

	/* Capacity: 64 KiB by default, F_SETPIPE_SZ rounds up to a power of
	 * two of pages and refuses to shrink below the buffered data. */
	ok(pipe(p) == 0 && fcntl(p[0], F_GETPIPE_SZ) == 65536, "F_GETPIPE_SZ: 65536 by default");
	ok(fcntl(p[1], F_GETPIPE_SZ) == 65536, "the same through the write end");
	ok(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) == 1 << 20 && fcntl(p[0], F_GETPIPE_SZ) == 1 << 20,
	   "F_SETPIPE_SZ to 1 MiB, then F_GETPIPE_SZ");
	ok(fcntl(p[0], F_SETPIPE_SZ, 100000) == 131072 && fcntl(p[0], F_GETPIPE_SZ) == 131072,
	   "F_SETPIPE_SZ 100000 rounds up to 131072");
	ok(fcntl(p[0], F_SETPIPE_SZ, 1) == 4096, "F_SETPIPE_SZ 1 gives one page");
	ok(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0 && write(p[1], big, 8192) == 4096,
	   "a one-page pipe takes 4096 bytes of a non-blocking 8192-byte write");
	close2(p);
	ok(pipe(p) == 0 && write(p[1], big, 10000) == 10000, "10000 bytes buffered");
	fails_with(fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY, "F_SETPIPE_SZ below the buffered data");
	fails_with(fcntl(p[0], F_SETPIPE_SZ, (1U << 31) + 1), EINVAL, "F_SETPIPE_SZ past 2 GiB");
	close2(p);
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	fails_with(fcntl(fd, F_GETPIPE_SZ), EBADF, "F_GETPIPE_SZ on a non-pipe");
	close(fd);

	/* A pipe shared across fork: the child writes, the parent reads. */
	ok(pipe(p) == 0, "a pipe for a child");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "from child", 10) == 10 ? 0 : 1);
	}
	close(p[1]);
	memset(buf, 0, sizeof buf);
	ok(read_full(p[0], buf, 10) == 10 && strcmp(buf, "from child") == 0, "the parent reads what the child wrote");
	ok(reaped_ok(pid), "the child exited 0");
	ok(read(p[0], buf, sizeof buf) == 0, "EOF once the child's end is gone too");
	close(p[0]);

	/* PIPE_BUF atomicity: two writers of PIPE_BUF-byte blocks never
	 * interleave within a block. */
	ok(pipe(p) == 0, "a pipe for two writers");
	pid_t a = writer(p, 'a', 100), b = writer(p, 'b', 100);
	close(p[1]);
	static char chunk[PIPE_BUF];
	int blocks = 0, mixed = 0, as = 0;
	while (read_full(p[0], chunk, PIPE_BUF) == PIPE_BUF) {
		blocks++;
		as += chunk[0] == 'a';
		for (int i = 1; i < PIPE_BUF; i++)
			if (chunk[i] != chunk[0]) {
				mixed++;
				break;
			}
	}
	close(p[0]);
	ok(reaped_ok(a) && reaped_ok(b), "both writers exited 0");
	ok(blocks == 200 && as == 100, "200 blocks read, 100 of each letter (%d, %d)", blocks, as);
	ok(mixed == 0, "every PIPE_BUF block is of one letter (%d mixed)", mixed);
	fails_with(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1) at the end (every child was reaped)");
	return tap_done();
}
