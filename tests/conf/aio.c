/* Linux native AIO through raw system calls: io_setup (the ring mapped at
 * the context id, its header, the argument errors), io_submit of PREAD,
 * PWRITE, PREADV, PWRITEV, FSYNC, FDSYNC and POLL with the errors Linux
 * gives at submit time, io_getevents and io_pgetevents (min_nr, timeouts,
 * signals, reaping from the ring in user space), io_cancel, io_destroy,
 * IOCB_FLAG_RESFD, a forked child that does not inherit the context, and a
 * process sharing the memory (clone(CLONE_VM)) whose contexts leave the
 * parent's alone. */
#include "tap.h"
#include <linux/aio_abi.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)0xffff800000000000UL)

struct aio_ring {
	unsigned id, nr, head, tail, magic, compat_features, incompat_features,
		header_length;
	struct io_event io_events[];
};

static long io_setup(unsigned n, aio_context_t *c) { return syscall(SYS_io_setup, n, c); }
static long io_destroy(aio_context_t c) { return syscall(SYS_io_destroy, c); }
static long io_submit(aio_context_t c, long n, struct iocb **v) { return syscall(SYS_io_submit, c, n, v); }
static long io_getevents(aio_context_t c, long min, long n, struct io_event *e, struct timespec *t)
{
	return syscall(SYS_io_getevents, c, min, n, e, t);
}
static long io_cancel(aio_context_t c, struct iocb *cb, struct io_event *e) { return syscall(SYS_io_cancel, c, cb, e); }

static struct iocb cb_of(int op, int fd, void *buf, size_t n, long off, uint64_t data)
{
	struct iocb cb = { .aio_lio_opcode = op, .aio_fildes = fd, .aio_buf = (uint64_t)buf,
			   .aio_nbytes = n, .aio_offset = off, .aio_data = data };
	return cb;
}

static long submit1(aio_context_t c, struct iocb *cb)
{
	struct iocb *v[1] = { cb };
	return io_submit(c, 1, v);
}

static struct timespec zero_ts, second_ts = { 1, 0 };

static void test_setup(void)
{
	aio_context_t c = 0;
	ok(io_setup(8, &c) == 0 && c != 0, "io_setup(8): a context id");
	struct aio_ring *r = (struct aio_ring *)c;
	ok(r->magic == 0xa10a10a1 && r->header_length == sizeof(struct aio_ring) &&
	   r->compat_features == 1 && r->incompat_features == 0,
	   "the ring at the id: magic, header length, features");
	ok(r->nr >= 8 && r->head == 0 && r->tail == 0, "ring slots >= 8, head = tail = 0");
	aio_context_t c2 = c;
	fails_with(io_setup(8, &c2), EINVAL, "io_setup with a nonzero id in");
	c2 = 0;
	fails_with(io_setup(0, &c2), EINVAL, "io_setup(0)");
	fails_with(io_setup(1U << 30, &c2), EINVAL, "io_setup(2^30)");
	fails_with(io_setup(100000, &c2), EAGAIN, "io_setup past aio-max-nr");
	fails_with(io_setup(8, BAD), EFAULT, "io_setup with a bad id pointer");
	ok(io_destroy(c) == 0, "io_destroy");
	fails_with(io_destroy(c), EINVAL, "io_destroy twice");
	unsigned char v;
	fails_with(mincore((void *)c, 4096, &v), ENOMEM, "the ring is unmapped");
	fails_with(io_destroy(12345), EINVAL, "io_destroy of no context");
}

static void test_rw(void)
{
	char path[] = "aio.tmp.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	aio_context_t c = 0;
	io_setup(16, &c);
	struct aio_ring *ring = (struct aio_ring *)c;

	char wbuf[] = "hello aio world";
	struct iocb w = cb_of(IOCB_CMD_PWRITE, fd, wbuf, 15, 0, 111);
	w.aio_key = 77;
	ok(submit1(c, &w) == 1, "io_submit PWRITE");
	ok(w.aio_key == 0, "io_submit writes aio_key 0");
	struct io_event ev[4];
	ok(io_getevents(c, 1, 4, ev, &second_ts) == 1 && ev[0].data == 111 &&
	   ev[0].obj == (uint64_t)&w && ev[0].res == 15 && ev[0].res2 == 0,
	   "io_getevents: data, obj, res 15");
	ok(ring->head == ring->tail, "the ring's head caught up with its tail");

	char rbuf[32] = "", rb2[32] = "";
	struct iocb r1 = cb_of(IOCB_CMD_PREAD, fd, rbuf, 5, 6, 1);
	struct iocb r2 = cb_of(IOCB_CMD_PREAD, fd, rb2, 32, 100, 2); /* past EOF */
	struct iocb *v2[2] = { &r1, &r2 };
	ok(io_submit(c, 2, v2) == 2, "io_submit two PREADs");
	long n = io_getevents(c, 2, 4, ev, NULL);
	ok(n == 2 && ev[0].data == 1 && ev[0].res == 5 && ev[1].data == 2 && ev[1].res == 0 &&
	   !memcmp(rbuf, "aio w", 5), "both complete in order: 5 bytes, 0 past EOF");

	char a[4] = "AB", b[4] = "CDE";
	struct iovec iov[2] = { { a, 2 }, { b, 3 } };
	struct iocb wv = cb_of(IOCB_CMD_PWRITEV, fd, iov, 2, 20, 3);
	ok(submit1(c, &wv) == 1 && io_getevents(c, 1, 1, ev, NULL) == 1 && ev[0].res == 5,
	   "PWRITEV of 2+3 bytes");
	char x[3] = "", y[3] = "";
	struct iovec riov[2] = { { x, 3 }, { y, 2 } };
	struct iocb rv = cb_of(IOCB_CMD_PREADV, fd, riov, 2, 20, 4);
	ok(submit1(c, &rv) == 1 && io_getevents(c, 1, 1, ev, NULL) == 1 && ev[0].res == 5 &&
	   !memcmp(x, "ABC", 3) && !memcmp(y, "DE", 2), "PREADV reads them back");
	ok(lseek(fd, 0, SEEK_CUR) == 0, "the file offset did not move");

	struct iocb fs = cb_of(IOCB_CMD_FSYNC, fd, 0, 0, 0, 5);
	struct iocb fds = cb_of(IOCB_CMD_FDSYNC, fd, 0, 0, 0, 6);
	struct iocb *vs[2] = { &fs, &fds };
	ok(io_submit(c, 2, vs) == 2 && io_getevents(c, 2, 2, ev, NULL) == 2 &&
	   ev[0].res == 0 && ev[1].res == 0, "FSYNC and FDSYNC complete with 0");
	fs.aio_offset = 1;
	fails_with(submit1(c, &fs), EINVAL, "FSYNC with an offset");

	/* Errors at submit. */
	struct iocb bad = cb_of(IOCB_CMD_PREAD, 999, rbuf, 4, 0, 9);
	fails_with(submit1(c, &bad), EBADF, "PREAD of a closed fd");
	int ro = open("/dev/null", O_RDONLY);
	bad = cb_of(IOCB_CMD_PWRITE, ro, wbuf, 4, 0, 9);
	fails_with(submit1(c, &bad), EBADF, "PWRITE to a read-only fd");
	close(ro);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	bad = cb_of(IOCB_CMD_PREAD, dir, rbuf, 4, 0, 9);
	fails_with(submit1(c, &bad), EINVAL, "PREAD of a directory");
	close(dir);
	bad = cb_of(IOCB_CMD_PREAD, fd, rbuf, 4, -1, 9);
	fails_with(submit1(c, &bad), EINVAL, "PREAD at a negative offset");
	bad = cb_of(IOCB_CMD_PREAD, fd, rbuf, 4, 0, 9);
	bad.aio_reserved2 = 1;
	fails_with(submit1(c, &bad), EINVAL, "reserved field set");
	bad = cb_of(77, fd, rbuf, 4, 0, 9);
	fails_with(submit1(c, &bad), EINVAL, "an unknown opcode");
	bad = cb_of(IOCB_CMD_PREAD, fd, BAD, 4, 0, 9);
	fails_with(submit1(c, &bad), EFAULT, "PREAD into a kernel address");
	bad = cb_of(IOCB_CMD_PREADV, fd, BAD, 1, 0, 9);
	fails_with(submit1(c, &bad), EFAULT, "PREADV with a bad iovec array");
	bad = cb_of(IOCB_CMD_PREADV, fd, riov, 2000, 0, 9);
	fails_with(submit1(c, &bad), EINVAL, "PREADV with 2000 iovecs");
	bad = cb_of(IOCB_CMD_PREAD, fd, rbuf, 4, 0, 9);
	bad.aio_rw_flags = 0x40000000;
	fails_with(submit1(c, &bad), EOPNOTSUPP, "unknown rw flags");
	fails_with(submit1(c, BAD), EFAULT, "an iocb at a bad address");
	struct iocb *badv[1] = { BAD };
	fails_with(io_submit(c, 1, badv), EFAULT, "a bad iocb pointer");
	fails_with(io_submit(c, 1, BAD), EFAULT, "a bad iocb array");
	fails_with(io_submit(c, -1, v2), EINVAL, "io_submit nr < 0");
	fails_with(io_submit(c + 4096, 1, v2), EINVAL, "io_submit on no context");
	ok(io_submit(c, 0, v2) == 0, "io_submit of nothing");
	/* The first succeeds, the second fails: the count says 1. */
	bad = cb_of(IOCB_CMD_PREAD, 999, rbuf, 4, 0, 9);
	struct iocb *mix[2] = { &r1, &bad };
	ok(io_submit(c, 2, mix) == 1, "a failing second iocb: io_submit says 1");
	ok(io_getevents(c, 0, 4, ev, &zero_ts) == 1 && ev[0].data == 1, "and one event came");

	/* A PREAD into memory that faults reports -EFAULT in the event. */
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bad = cb_of(IOCB_CMD_PREAD, fd, none, 4, 0, 10);
	ok(submit1(c, &bad) == 1 && io_getevents(c, 1, 1, ev, NULL) == 1 && ev[0].res == -EFAULT,
	   "PREAD into a PROT_NONE page: the event says -EFAULT");
	munmap(none, 4096);

	/* io_getevents arguments. */
	fails_with(io_getevents(c, 2, 1, ev, NULL), EINVAL, "io_getevents min_nr > nr");
	fails_with(io_getevents(c, -1, 1, ev, NULL), EINVAL, "io_getevents min_nr < 0");
	fails_with(io_getevents(c + 4096, 1, 1, ev, NULL), EINVAL, "io_getevents on no context");
	fails_with(io_getevents(c, 1, 1, ev, BAD), EFAULT, "io_getevents with a bad timeout");
	ok(io_getevents(c, 1, 1, ev, &zero_ts) == 0, "a zero timeout with nothing: 0");
	struct timespec t0, t1, ts = { 0, 100 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long got = io_getevents(c, 1, 1, ev, &ts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(got == 0 && ms >= 90, "a 100 ms timeout with nothing: 0 after the time");
	ok(submit1(c, &r1) == 1, "one more PREAD");
	fails_with(io_getevents(c, 1, 1, BAD, NULL), EFAULT, "io_getevents into a bad buffer");

	/* Reaping from the ring in user space, as some programs do. */
	ok(submit1(c, &r1) == 1 && ring->tail != ring->head, "the ring shows the new event");
	unsigned h = ring->head;
	int seen = 0;
	while (h != ring->tail) {
		seen += ring->io_events[h].data == 1;
		h = (h + 1) % ring->nr;
	}
	ring->head = h;
	ok(seen >= 1 && io_getevents(c, 0, 4, ev, &zero_ts) == 0,
	   "events reaped from the ring are gone for io_getevents");

	/* io_pgetevents, with and without a mask. */
	ok(submit1(c, &r1) == 1, "PREAD for io_pgetevents");
	struct { const sigset_t *m; size_t n; } ss = { NULL, 0 };
	ok(syscall(SYS_io_pgetevents, c, 1, 1, ev, NULL, &ss) == 1 && ev[0].data == 1,
	   "io_pgetevents without a mask");
	sigset_t m;
	sigemptyset(&m);
	ss.m = &m;
	ss.n = 8;
	ok(submit1(c, &r1) == 1 && syscall(SYS_io_pgetevents, c, 1, 1, ev, NULL, &ss) == 1,
	   "io_pgetevents with a mask");
	ss.n = 4;
	fails_with(syscall(SYS_io_pgetevents, c, 1, 1, ev, &zero_ts, &ss), EINVAL,
		   "io_pgetevents with a wrong mask size");
	fails_with(syscall(SYS_io_pgetevents, c, 1, 1, ev, &zero_ts, BAD), EFAULT,
		   "io_pgetevents with a bad sigset");

	fails_with(io_cancel(c, &r1, ev), EINVAL, "io_cancel of a completed request");
	io_destroy(c);
	fails_with(submit1(c, &r1), EINVAL, "io_submit after io_destroy");
	close(fd);
}

static void on_alarm(int s) { (void)s; }

struct later { aio_context_t c; struct iocb *cb; };
static void *submit_later(void *arg)
{
	struct later *l = arg;
	usleep(50000);
	submit1(l->c, l->cb);
	return NULL;
}

/* One thread waits in io_getevents, another submits. */
static void test_threads(void)
{
	aio_context_t c = 0;
	io_setup(4, &c);
	int fd = open("/dev/zero", O_RDONLY);
	char buf[4] = "xxx";
	struct iocb cb = cb_of(IOCB_CMD_PREAD, fd, buf, 3, 0, 5);
	struct later l = { c, &cb };
	pthread_t t;
	pthread_create(&t, NULL, submit_later, &l);
	struct io_event ev;
	struct timespec ts = { 5, 0 };
	ok(io_getevents(c, 1, 1, &ev, &ts) == 1 && ev.data == 5 && ev.res == 3 && buf[0] == 0,
	   "a waiting io_getevents gets another thread's completion");
	pthread_join(t, NULL);
	close(fd);
	io_destroy(c);
}

static void test_poll_and_signals(void)
{
	aio_context_t c = 0;
	io_setup(8, &c);
	int p[2];
	pipe(p);
	struct io_event ev[2];
	struct iocb pl = cb_of(IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0, 42);
	ok(submit1(c, &pl) == 1, "POLL for POLLIN on an empty pipe");
	ok(io_getevents(c, 1, 1, ev, &zero_ts) == 0, "not ready: no event");
	write(p[1], "x", 1);
	ok(io_getevents(c, 1, 1, ev, &second_ts) == 1 && ev[0].data == 42 &&
	   (ev[0].res & POLLIN), "ready after a write: the event has POLLIN");
	ok(submit1(c, &pl) == 1 && io_getevents(c, 1, 1, ev, &second_ts) == 1 &&
	   (ev[0].res & POLLIN), "POLL of a ready pipe completes at once");
	char ch;
	read(p[0], &ch, 1);
	struct iocb bad = cb_of(IOCB_CMD_POLL, p[0], (void *)0x10000, 0, 0, 1);
	fails_with(submit1(c, &bad), EINVAL, "POLL events beyond 16 bits");
	bad = cb_of(IOCB_CMD_POLL, p[0], (void *)POLLIN, 1, 0, 1);
	fails_with(submit1(c, &bad), EINVAL, "POLL with nbytes");

	/* A pending poll is cancelled: EINPROGRESS and an event with 0. */
	ok(submit1(c, &pl) == 1, "POLL again on the empty pipe");
	fails_with(io_cancel(c, &pl, ev), EINPROGRESS, "io_cancel of the pending poll");
	ok(io_getevents(c, 1, 1, ev, &second_ts) == 1 && ev[0].data == 42 && ev[0].res == 0,
	   "its event says 0");

	/* A pipe read: the offset is ignored. */
	write(p[1], "pipe", 4);
	char buf[8] = "";
	struct iocb pr = cb_of(IOCB_CMD_PREAD, p[0], buf, 8, 12345, 7);
	ok(submit1(c, &pr) == 1 && io_getevents(c, 1, 1, ev, NULL) == 1 && ev[0].res == 4 &&
	   !memcmp(buf, "pipe", 4), "PREAD of a pipe: the offset is ignored");
	struct iocb pf = cb_of(IOCB_CMD_FSYNC, p[1], 0, 0, 0, 8);
	fails_with(submit1(c, &pf), EINVAL, "FSYNC of a pipe");

	/* RESFD: only an eventfd. */
	struct iocb rf = cb_of(IOCB_CMD_PREAD, p[0], buf, 1, 0, 9);
	rf.aio_flags = IOCB_FLAG_RESFD;
	rf.aio_resfd = 999;
	fails_with(submit1(c, &rf), EBADF, "RESFD naming a closed fd");
	rf.aio_resfd = p[1];
	fails_with(submit1(c, &rf), EINVAL, "RESFD naming a pipe");
	int efd = (int)syscall(SYS_eventfd2, 0, 0);
	if (efd >= 0) {
		write(p[1], "z", 1);
		rf.aio_resfd = efd;
		uint64_t cnt = 0;
		ok(submit1(c, &rf) == 1 && read(efd, &cnt, 8) == 8 && cnt == 1,
		   "RESFD: the eventfd counts the completion");
		io_getevents(c, 1, 1, ev, NULL);
		close(efd);
	} else {
		ok(errno == ENOSYS, "# SKIP no eventfd2 here (ENOSYS)");
	}

	/* A signal ends a waiting io_getevents with EINTR, even with SA_RESTART. */
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	ualarm(100000, 0);
	fails_with(io_getevents(c, 1, 1, ev, NULL), EINTR, "io_getevents interrupted by a handled signal");
	/* Another thread of work: a child cannot use the parent's context. */
	pid_t pid = fork();
	if (pid == 0) {
		struct iocb w = cb_of(IOCB_CMD_PWRITE, p[1], "c", 1, 0, 1);
		_exit(submit1(c, &w) == -1 && errno == EINVAL ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child gets EINVAL for the parent's context");
	ok(io_destroy(c) == 0, "io_destroy with nothing pending");
	close(p[0]);
	close(p[1]);
}

/* In a CLONE_VM child: a context of its own, used and destroyed. */
static int own_context(void *arg)
{
	(void)arg;
	aio_context_t c = 0;
	char buf[2];
	int fd = open("/dev/zero", O_RDONLY);
	struct iocb cb = cb_of(IOCB_CMD_PREAD, fd, buf, 2, 0, 8);
	struct io_event ev;
	int ok = io_setup(4, &c) == 0 && submit1(c, &cb) == 1 &&
		 io_getevents(c, 1, 1, &ev, &second_ts) == 1 && ev.data == 8 &&
		 io_destroy(c) == 0;
	close(fd);
	return ok ? 0 : 1;
}

static void test_vm_child(void)
{
	size_t size = 256 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	aio_context_t c = 0;
	io_setup(4, &c);
	int fd = open("/dev/zero", O_RDONLY);
	int flags[2] = { CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD, CLONE_VM | CLONE_FS | SIGCHLD };
	for (int i = 0; i < 2; i++) {
		int st = -1;
		pid_t pid = clone(own_context, stack + size, flags[i], NULL);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "a CLONE_VM child%s sets up, uses and destroys a context of its own",
		   i ? " without CLONE_FILES" : "");
		char buf[2] = "x";
		struct iocb cb = cb_of(IOCB_CMD_PREAD, fd, buf, 1, 0, 9 + i);
		struct io_event ev;
		ok(submit1(c, &cb) == 1 && io_getevents(c, 1, 1, &ev, &second_ts) == 1 &&
			   ev.data == (uint64_t)(9 + i) && ev.res == 1 && buf[0] == 0,
		   "the parent's context still works");
	}
	ok(io_destroy(c) == 0, "and is destroyed by the parent");
	close(fd);
	munmap(stack, size);
}

int main(void)
{
	test_setup();
	test_rw();
	test_poll_and_signals();
	test_threads();
	test_vm_child();
	return tap_done();
}
