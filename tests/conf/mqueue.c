/* POSIX message queues: mq_open (O_CREAT|O_EXCL, attributes, names,
 * umask), mq_send/mq_receive with priorities, O_NONBLOCK and
 * mq_setattr/mq_getattr, timeouts, signals interrupting a wait (EINTR
 * without SA_RESTART, restarted with it), mq_notify (SIGEV_SIGNAL with the
 * sender's guest pid, EBUSY for a second process, SIGEV_THREAD), the queue
 * fd across fork, read() of it, mq_unlink and the errors (EEXIST, ENOENT,
 * EINVAL, EMSGSIZE, EAGAIN, ETIMEDOUT, EBADF, EBUSY, EACCES). */
#include "tap.h"
#include "ipcobj.h"
#include <mqueue.h>
#include <pthread.h>
#include <sys/stat.h>

static char name[64], name2[64];

static void remove_all(void)
{
	mq_unlink(name);
	mq_unlink(name2);
}

static mqd_t open_new(const char *n, int flags, long maxmsg, long msgsize)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
	return mq_open(n, O_CREAT | O_EXCL | flags, 0600, &a);
}

static void opening(void)
{
	mqd_t q = open_new(name, O_RDWR, 4, 64);
	ok(q >= 0, "mq_open O_CREAT|O_EXCL");
	fails_with(open_new(name, O_RDWR, 4, 64), EEXIST, "O_CREAT|O_EXCL again");
	mqd_t q2 = mq_open(name, O_RDONLY);
	ok(q2 >= 0, "mq_open of the existing queue");
	mq_close(q2);
	fails_with(mq_open(name2, O_RDWR), ENOENT, "mq_open of a missing queue");
	fails_with(open_new(name2, O_RDWR, 0, 64), EINVAL, "mq_maxmsg 0");
	fails_with(open_new(name2, O_RDWR, 4, 0), EINVAL, "mq_msgsize 0");
	fails_with(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES,
		   "a name with a slash");
	struct mq_attr a;
	ok(mq_getattr(q, &a) == 0 && a.mq_maxmsg == 4 && a.mq_msgsize == 64 &&
		   a.mq_curmsgs == 0 && a.mq_flags == 0, "mq_getattr");
	ok(fcntl(q, F_GETFD) == FD_CLOEXEC, "a queue fd is close-on-exec (always, in Linux)");
	mq_close(q);

	mode_t old = umask(077);
	struct mq_attr at = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	q = mq_open(name2, O_CREAT | O_RDWR, 0666, &at);
	umask(old);
	struct stat st;
	ok(q >= 0 && fstat(q, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "the umask applies to a new queue's mode");
	mq_close(q);
	ok(mq_unlink(name2) == 0, "mq_unlink");
	fails_with(mq_unlink(name2), ENOENT, "mq_unlink again");
}

static void priorities(mqd_t q)
{
	ok(mq_send(q, "low", 4, 1) == 0 && mq_send(q, "high", 5, 9) == 0 &&
		   mq_send(q, "mid", 4, 5) == 0 && mq_send(q, "mid2", 5, 5) == 0,
	   "four messages sent");
	char buf[64];
	unsigned prio = 0;
	int okay = mq_receive(q, buf, 64, &prio) == 5 && prio == 9 &&
		   !strcmp(buf, "high");
	okay = okay && mq_receive(q, buf, 64, &prio) == 4 && prio == 5 &&
	       !strcmp(buf, "mid");
	okay = okay && mq_receive(q, buf, 64, &prio) == 5 && !strcmp(buf, "mid2");
	okay = okay && mq_receive(q, buf, 64, &prio) == 4 && prio == 1;
	ok(okay, "received by priority, in order within one");
	fails_with(mq_receive(q, buf, 10, NULL), EMSGSIZE, "a buffer below mq_msgsize");
	char big[100] = { 0 };
	fails_with(mq_send(q, big, 65, 0), EMSGSIZE, "a message above mq_msgsize");
	fails_with(mq_send(q, "x", 1, 40000), EINVAL, "a priority above MQ_PRIO_MAX");
	fails_with(mq_send(0, "x", 1, 0), EBADF, "mq_send on a non-queue fd");
	fails_with(mq_send(q, (void *)8, 4, 0), EFAULT, "a message at a bad address");
	int rd = open("/dev/null", O_RDONLY);
	fails_with(mq_receive(rd, buf, 64, NULL), EBADF, "mq_receive on /dev/null");
	close(rd);
	mq_send(q, "big", 4, 0);
	ok(mq_receive(q, buf, (size_t)1 << 40, NULL) == 4 && !strcmp(buf, "big"),
	   "a buffer length far beyond the buffer: only the message is written");
	/* where a system mounts the queues (not every host does) */
	char path[128];
	snprintf(path, sizeof path, "/dev/mqueue%s", name);
	struct stat st;
	if (access("/dev/mqueue", F_OK) == 0)
		ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			   (st.st_mode & 0777) == 0600,
		   "/dev/mqueue shows the queue");
	mq_send(q, "abc", 3, 2);
	char info[256] = { 0 };
	ok(read(q, info, sizeof info - 1) > 0 && !strncmp(info, "QSIZE:3", 7),
	   "read() of the queue fd: its status line");
	mq_receive(q, buf, 64, NULL);
}

static void nonblocking(mqd_t q)
{
	char buf[64];
	struct mq_attr a = { .mq_flags = O_NONBLOCK }, old;
	ok(mq_setattr(q, &a, &old) == 0 && old.mq_flags == 0, "mq_setattr O_NONBLOCK");
	fails_with(mq_receive(q, buf, 64, NULL), EAGAIN, "an empty queue, O_NONBLOCK");
	for (int i = 0; i < 4; i++)
		mq_send(q, "f", 1, 0);
	fails_with(mq_send(q, "f", 1, 0), EAGAIN, "a full queue, O_NONBLOCK");
	ok(mq_getattr(q, &a) == 0 && a.mq_curmsgs == 4 && a.mq_flags == O_NONBLOCK,
	   "mq_getattr: 4 messages, O_NONBLOCK");
	a.mq_flags = 0;
	mq_setattr(q, &a, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	fails_with(mq_timedsend(q, "f", 1, 0, &ts), ETIMEDOUT, "mq_timedsend times out");
	for (int i = 0; i < 4; i++)
		mq_receive(q, buf, 64, NULL);
	fails_with(mq_timedreceive(q, buf, 64, NULL, &ts), ETIMEDOUT,
		   "mq_timedreceive times out");
	ts.tv_nsec = 2000000000;
	fails_with(mq_timedreceive(q, buf, 64, NULL, &ts), EINVAL, "a bad timeout");
}

static void signals(mqd_t q)
{
	char buf[64];
	ipc_alarm_ms(50, 0);
	fails_with(mq_receive(q, buf, 64, NULL), EINTR,
		   "a signal without SA_RESTART interrupts mq_receive");
	ipc_alarm_ms(30, SA_RESTART);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(150000);
		_exit(mq_send(q, "late", 5, 0) == 0 ? 0 : 1);
	}
	ok(mq_receive(q, buf, 64, NULL) == 5 && !strcmp(buf, "late"),
	   "with SA_RESTART it is restarted and gets a later message (a fork child shares the queue)");
	ipc_wait_exit(pid);
}

static volatile sig_atomic_t got_code, got_pid, got_value;
static void on_usr1(int s, siginfo_t *si, void *uc)
{
	(void)s, (void)uc;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_value = si->si_value.sival_int;
}

static void notify_signal(mqd_t q)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
			       .sigev_value.sival_int = 77 };
	ok(mq_notify(q, &ev) == 0, "mq_notify SIGEV_SIGNAL");
	pid_t pid = fork();
	if (pid == 0) {
		int busy = mq_notify(q, &ev) == -1 && errno == EBUSY;
		int sent = mq_send(q, "n", 2, 0) == 0;
		_exit(busy ? sent ? 0 : 2 : 1);
	}
	ok(ipc_wait_exit(pid) == 0, "another process: EBUSY; it sends");
	for (int i = 0; i < 100 && !got_code; i++)
		usleep(5000);
	ok(got_code == SI_MESGQ && got_pid == pid && got_value == 77,
	   "the notification: SI_MESGQ, the sender's pid, the value");
	char buf[64];
	mq_receive(q, buf, 64, NULL);
	ok(mq_notify(q, NULL) == 0, "mq_notify(NULL) with no registration");
	fails_with(mq_notify(q, &(struct sigevent){ .sigev_notify = 99 }), EINVAL,
		   "an unknown sigev_notify");
	fails_with(mq_notify(99, &ev), EBADF, "mq_notify of fd 99");
}

static int pipe_fds[2];
static void on_thread(union sigval v)
{
	if (write(pipe_fds[1], &v.sival_int, sizeof v.sival_int) < 0)
		_exit(3);
}

static void notify_thread(mqd_t q)
{
	if (pipe(pipe_fds) < 0)
		return;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = on_thread,
			       .sigev_value.sival_int = 55 };
	ok(mq_notify(q, &ev) == 0, "mq_notify SIGEV_THREAD");
	mq_send(q, "t", 2, 0);
	int v = 0;
	ipc_alarm_ms(2000, 0);
	ok(read(pipe_fds[0], &v, sizeof v) == sizeof v && v == 55,
	   "the notification function ran with the value");
	ipc_alarm_ms(0, 0);
	char buf[64];
	mq_receive(q, buf, 64, NULL);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

int main(void)
{
	snprintf(name, sizeof name, "/picos-conf-mq-%d", (int)getpid());
	snprintf(name2, sizeof name2, "/picos-conf-mq2-%d", (int)getpid());
	mqd_t q = open_new(name, O_RDWR, 4, 64);
	ipc_skip_if_absent(q, "mq_open");
	atexit(remove_all);
	mq_close(q);
	mq_unlink(name);
	opening();
	q = mq_open(name, O_RDWR);
	priorities(q);
	nonblocking(q);
	signals(q);
	notify_signal(q);
	notify_thread(q);
	mq_close(q);
	ok(mq_unlink(name) == 0, "mq_unlink of the test's queue");
	return tap_done();
}
