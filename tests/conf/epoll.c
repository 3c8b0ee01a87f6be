/* epoll: create/create1, ctl ADD/MOD/DEL with the data word coming back,
 * level and edge triggering and EPOLLONESHOT on pipes, timeouts,
 * epoll_pwait with a mask, epoll_pwait2, a signal interrupting a wait
 * (EINTR even with SA_RESTART), a wake from another thread, and the
 * errors. */
#include "tap.h"
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>

static int pw;
static void *write_later(void *a)
{
	(void)a;
	usleep(50000);
	if (write(pw, "t", 1) != 1)
		perror("write");
	return NULL;
}

static volatile sig_atomic_t got_alarm;
static void on_alarm(int s) { (void)s; got_alarm = 1; }

int main(void)
{
	int p[2];
	ok(pipe(p) == 0, "pipe");
	pw = p[1];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	ok(ep >= 0 && fcntl(ep, F_GETFD) == FD_CLOEXEC, "epoll_create1(EPOLL_CLOEXEC)");
	fails_with(epoll_create1(1), EINVAL, "epoll_create1 with an unknown flag");
	fails_with(epoll_create(0), EINVAL, "epoll_create(0)");
	int ep2 = epoll_create(1);
	ok(ep2 >= 0, "epoll_create(1)");

	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ULL }, out[4];
	ok(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "EPOLL_CTL_ADD the read end");
	fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST, "adding it twice");
	fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL, "adding the epoll fd to itself");
	fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, 9999, &ev), EBADF, "adding a closed fd");
	fails_with(epoll_ctl(9999, EPOLL_CTL_ADD, p[0], &ev), EBADF, "on a closed epoll fd");
	fails_with(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL, "on a pipe as the epoll fd");
	fails_with(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT, "EPOLL_CTL_MOD of an fd not added");
	fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (void *)1), EFAULT, "with a bad event pointer");
	int fd = open("/proc/self/exe", O_RDONLY);
	fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM, "adding a regular file");
	close(fd);

	ok(epoll_wait(ep, out, 4, 0) == 0, "nothing ready: epoll_wait(0) returns 0");
	ok(epoll_wait(ep, out, 4, 20) == 0, "epoll_wait(20 ms) times out with 0");
	fails_with(epoll_wait(ep, out, 0, 0), EINVAL, "epoll_wait with maxevents 0");
	fails_with(epoll_wait(ep, (void *)0xffff800000000000UL, 4, 0), EFAULT, "epoll_wait into a kernel address");
	ok(write(p[1], "ab", 2) == 2, "write 2 bytes");
	int n = epoll_wait(ep, out, 4, 1000);
	ok(n == 1 && out[0].events == EPOLLIN && out[0].data.u64 == 0x1122334455667788ULL,
	   "ready: EPOLLIN with the data word back");
	ok(epoll_wait(ep, out, 4, 0) == 1, "level-triggered: still ready");

	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = 42;
	ok(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "EPOLL_CTL_MOD to edge-triggered");
	ok(epoll_wait(ep, out, 4, 0) == 1 && out[0].data.fd == 42, "one edge after MOD");
	ok(epoll_wait(ep, out, 4, 0) == 0, "no second report without new data");
	ok(write(p[1], "c", 1) == 1 && epoll_wait(ep, out, 4, 0) == 1, "new data: a new edge");
	char buf[8];
	ok(read(p[0], buf, sizeof buf) == 3, "drain");
	ev.events = EPOLLIN | EPOLLONESHOT;
	ok(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0 && write(p[1], "d", 1) == 1 &&
		   epoll_wait(ep, out, 4, 0) == 1 && epoll_wait(ep, out, 4, 0) == 0,
	   "EPOLLONESHOT: reported once");
	ok(read(p[0], buf, sizeof buf) == 1, "drain");
	ev.events = EPOLLIN;
	ok(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "re-arm");

	/* A write end: EPOLLOUT; the reader gone: EPOLLERR. */
	struct epoll_event wev = { .events = EPOLLOUT, .data.u32 = 7 };
	ok(epoll_ctl(ep2, EPOLL_CTL_ADD, p[1], &wev) == 0 && epoll_wait(ep2, out, 4, 0) == 1 &&
		   out[0].events == EPOLLOUT && out[0].data.u32 == 7,
	   "a pipe's write end is EPOLLOUT");
	ok(epoll_ctl(ep2, EPOLL_CTL_DEL, p[1], NULL) == 0 && epoll_wait(ep2, out, 4, 0) == 0,
	   "EPOLL_CTL_DEL (NULL event): no more reports");
	fails_with(epoll_ctl(ep2, EPOLL_CTL_DEL, p[1], NULL), ENOENT, "deleting it again");

	/* Woken by another thread. */
	pthread_t t;
	pthread_create(&t, NULL, write_later, NULL);
	n = epoll_wait(ep, out, 4, 5000);
	ok(n == 1 && out[0].events == EPOLLIN, "a write from another thread wakes the wait");
	pthread_join(t, NULL);
	ok(read(p[0], buf, sizeof buf) == 1, "drain");

	/* A signal ends the wait with EINTR, SA_RESTART or not. */
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	fails_with(epoll_wait(ep, out, 4, 5000), EINTR, "a SIGALRM (SA_RESTART) during epoll_wait");
	ok(got_alarm, "the handler ran");

	/* epoll_pwait's mask blocks the signal for the wait only. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	got_alarm = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	ok(epoll_pwait(ep, out, 4, 100, &block) == 0, "epoll_pwait with SIGALRM blocked times out (no EINTR)");
	ok(got_alarm, "the pending SIGALRM ran as it returned");
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	ok(syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8) == 0, "epoll_pwait2 with a 20 ms timespec");
	ts.tv_nsec = 2000000000L;
	fails_with(syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8), EINVAL, "epoll_pwait2 with a bad timespec");

	/* Closing the fd drops its registration. */
	close(p[1]);
	close(p[0]);
	ok(epoll_wait(ep, out, 4, 0) == 0, "a closed fd reports nothing");
	close(ep);
	close(ep2);
	return tap_done();
}
