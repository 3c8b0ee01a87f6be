/* timerfd_create, timerfd_settime, timerfd_gettime: clocks and flags
 * (EINVAL for bad ones, EPERM for the alarm clocks without
 * CAP_WAKE_ALARM), relative and absolute timers, intervals and the
 * expiration count, the old value, disarming, TFD_TIMER_CANCEL_ON_SET
 * accepted (triggering ECANCELED needs setting the host clock: not done),
 * nonblocking and short reads, blocking reads interrupted by signals,
 * readiness, bad fds and pointers, and the fd checks every object gets. */
#include "tap.h"
#include "fdobj.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#define BAD ((void *)0xffff800000000000UL)
#define MS 1000000L

static struct itimerspec spec(long value_ns, long interval_ns)
{
	struct itimerspec s = {
		.it_value = { value_ns / 1000000000L, value_ns % 1000000000L },
		.it_interval = { interval_ns / 1000000000L, interval_ns % 1000000000L },
	};
	return s;
}

static long ns_of(struct timespec t) { return t.tv_sec * 1000000000L + t.tv_nsec; }

static long expirations(int fd)
{
	uint64_t n = 0;
	return read(fd, &n, 8) == 8 ? (long)n : -errno;
}

static void on_alarm(int sig) { (void)sig; }

static void arm_alarm(int flags)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = flags };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_create(void)
{
	fails_with(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL, "CLOCK_PROCESS_CPUTIME_ID");
	fails_with(timerfd_create(99, 0), EINVAL, "clock 99");
	fails_with(timerfd_create(-1, 0), EINVAL, "clock -1");
	fails_with(timerfd_create(CLOCK_MONOTONIC, 0x10), EINVAL, "unknown flags");
	int clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };
	for (int i = 0; i < 3; i++) {
		int fd = timerfd_create(clocks[i], 0);
		ok(fd >= 0, "timerfd_create clock %d", clocks[i]);
		close(fd);
	}
	int alarms[] = { CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM };
	for (int i = 0; i < 2; i++) {
		errno = 0;
		int fd = timerfd_create(alarms[i], 0);
		if (geteuid() == 0)
			ok(fd >= 0, "alarm clock %d as root", alarms[i]);
		else
			ok(fd == -1 && errno == EPERM, "alarm clock %d unprivileged: EPERM", alarms[i]);
		if (fd >= 0)
			close(fd);
	}
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	ok(fcntl(fd, F_GETFL) == (O_RDWR | O_NONBLOCK), "TFD_NONBLOCK shows in F_GETFL");
	int cl = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int plain = timerfd_create(CLOCK_MONOTONIC, 0);
	ok(fcntl(plain, F_GETFL) == O_RDWR, "F_GETFL: O_RDWR");
	check_exec(plain, cl, "timerfd");
	ok(strcmp(fd_link(plain), "anon_inode:[timerfd]") == 0, "/proc/self/fd link is anon_inode:[timerfd] (%s)", fd_link(plain));
	close(fd);
	close(cl);
	close(plain);
}

static void test_settime_errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec s = spec(10 * MS, 0), old;
	fails_with(timerfd_settime(fd, 0x100, &s, NULL), EINVAL, "settime with unknown flags");
	struct itimerspec bad = s;
	bad.it_value.tv_nsec = 1000000000L;
	fails_with(timerfd_settime(fd, 0, &bad, NULL), EINVAL, "it_value.tv_nsec of 1e9");
	bad = s;
	bad.it_interval.tv_nsec = -1;
	fails_with(timerfd_settime(fd, 0, &bad, NULL), EINVAL, "negative interval nsec");
	bad = s;
	bad.it_value.tv_sec = -1;
	fails_with(timerfd_settime(fd, 0, &bad, NULL), EINVAL, "negative tv_sec");
	fails_with(timerfd_settime(fd, 0, BAD, NULL), EFAULT, "settime with a bad new value");
	fails_with(timerfd_settime(fd, 0x100, BAD, NULL), EFAULT, "bad new value comes before bad flags");
	fails_with(timerfd_settime(1000, 0, &s, NULL), EBADF, "settime on a closed fd");
	int ev = eventfd(0, 0);
	fails_with(timerfd_settime(ev, 0, &s, NULL), EINVAL, "settime on an eventfd");
	fails_with(timerfd_gettime(ev, &old), EINVAL, "gettime on an eventfd");
	fails_with(timerfd_gettime(1000, &old), EBADF, "gettime on a closed fd");
	fails_with(timerfd_gettime(fd, BAD), EFAULT, "gettime to a bad pointer");
	s = spec(5000 * MS, 0);
	fails_with(timerfd_settime(fd, 0, &s, BAD), EFAULT, "settime with a bad old-value pointer");
	ok(timerfd_gettime(fd, &old) == 0 && ns_of(old.it_value) > 4000 * MS,
	   "the timer was set all the same");
	close(ev);
	close(fd);
}

static void test_expiry(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec s = spec(20 * MS, 0), old, cur;
	ok(timerfd_settime(fd, 0, &s, &old) == 0 && ns_of(old.it_value) == 0 &&
	   ns_of(old.it_interval) == 0, "settime: the old value of a new timer is zero");
	ok(timerfd_gettime(fd, &cur) == 0 && ns_of(cur.it_value) > 0 &&
	   ns_of(cur.it_value) <= 20 * MS, "gettime: time left is at most the value set");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ok(poll(&p, 1, 0) == 0, "poll: not readable before expiry");
	ok(expirations(fd) == 1, "blocking read returns 1 expiration");
	ok(timerfd_gettime(fd, &cur) == 0 && ns_of(cur.it_value) == 0, "a one-shot timer is disarmed after expiry");

	s = spec(1 * MS, 1 * MS);
	timerfd_settime(fd, 0, &s, NULL);
	usleep(30000);
	ok(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "poll: readable after expiry");
	long n = expirations(fd);
	ok(n >= 10, "interval 1 ms, 30 ms later: %ld >= 10 expirations", n);
	s = spec(500 * MS, 7 * MS);
	ok(timerfd_settime(fd, 0, &s, &old) == 0 && ns_of(old.it_interval) == 1 * MS &&
	   ns_of(old.it_value) > 0 && ns_of(old.it_value) <= 1 * MS, "old value: interval and time left");
	ok(timerfd_gettime(fd, &cur) == 0 && ns_of(cur.it_interval) == 7 * MS, "gettime: interval");
	s = spec(0, 0);
	ok(timerfd_settime(fd, 0, &s, NULL) == 0 && timerfd_gettime(fd, &cur) == 0 &&
	   ns_of(cur.it_value) == 0, "a zero value disarms");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ok(expirations(fd) == -EAGAIN, "nonblocking read of a disarmed timer: EAGAIN");
	char small[4];
	fails_with(read(fd, small, 4), EINVAL, "read of 4 bytes");
	fails_with(write(fd, small, 4), EINVAL, "write to a timerfd");
	close(fd);

	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long at = ns_of(now) + 20 * MS;
	s = spec(at, 0);
	ok(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0, "TFD_TIMER_ABSTIME in 20 ms");
	ok(expirations(fd) == 1, "absolute timer expires");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(ns_of(now) >= at, "not before its time");
	s = spec(1, 0);
	ok(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0 && expirations(fd) == 1,
	   "an absolute time in the past expires at once");
	close(fd);

	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	clock_gettime(CLOCK_REALTIME, &now);
	s = spec(ns_of(now) + 30 * MS, 0);
	ok(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL) == 0,
	   "TFD_TIMER_CANCEL_ON_SET with an absolute CLOCK_REALTIME timer");
	ok(expirations(fd) == -EAGAIN, "nonblocking read before expiry: EAGAIN");
	usleep(50000);
	ok(expirations(fd) == 1, "without a clock change it expires normally");
	close(fd);
}

/* TFD_IOC_SET_TICKS (checkpoint/restore kernels): sets the count a read
 * returns. */
static void test_set_ticks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	uint64_t ticks = 5;
	errno = 0;
	long r = ioctl(fd, TFD_IOC_SET_TICKS, &ticks);
	if (r < 0 && errno == ENOTTY) {
		ok(1, "TFD_IOC_SET_TICKS: not in this kernel (ENOTTY)");
	} else {
		ok(r == 0 && expirations(fd) == 5, "TFD_IOC_SET_TICKS 5: a read returns 5");
		ticks = 0;
		fails_with(ioctl(fd, TFD_IOC_SET_TICKS, &ticks), EINVAL, "TFD_IOC_SET_TICKS 0");
		fails_with(ioctl(fd, TFD_IOC_SET_TICKS, BAD), EFAULT, "TFD_IOC_SET_TICKS from a bad pointer");
	}
	int ev = eventfd(0, 0);
	ticks = 1;
	fails_with(ioctl(ev, TFD_IOC_SET_TICKS, &ticks), ENOTTY, "TFD_IOC_SET_TICKS on an eventfd");
	close(ev);
	close(fd);
}

static void test_share_and_signals(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec s = spec(20 * MS, 0);
	timerfd_settime(fd, 0, &s, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(expirations(fd) == 1 ? 0 : 1);
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child reads the shared timer's expiration");
	int got = pass_fd(fd);
	ok(got >= 0, "SCM_RIGHTS carries a timerfd");
	s = spec(10 * MS, 0);
	ok(timerfd_settime(got, 0, &s, NULL) == 0 && expirations(fd) == 1,
	   "set through the received fd, read through the original");
	int d = dup(fd);
	struct itimerspec cur;
	timerfd_settime(d, 0, &s, NULL);
	ok(timerfd_gettime(fd, &cur) == 0 && ns_of(cur.it_value) > 0, "a dup shares the timer");
	expirations(fd);
	close(d);
	close(got);

	s = spec(10000 * MS, 0);
	timerfd_settime(fd, 0, &s, NULL);
	arm_alarm(0);
	ok(expirations(fd) == -EINTR, "blocking read interrupted by a handler without SA_RESTART");
	s = spec(150 * MS, 0);
	timerfd_settime(fd, 0, &s, NULL);
	arm_alarm(SA_RESTART);
	ok(expirations(fd) == 1, "with SA_RESTART the read restarts and sees the expiration");
	signal(SIGALRM, SIG_IGN);
	close(fd);
}

int main(int argc, char **argv)
{
	fdobj_probe_main(argc, argv);
	test_create();
	test_settime_errors();
	test_expiry();
	test_set_ticks();
	test_share_and_signals();
	return tap_done();
}
