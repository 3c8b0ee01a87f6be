/*
 * picos micro-benchmarks: the cost of one system call, natively or under
 * a sandbox.  Usage: micro [-u] NAME ITERATIONS [FILE]
 *
 *   getpid  raw syscall(SYS_getpid) (no libc caching)
 *   open    openat(AT_FDCWD, FILE, O_RDONLY) + close
 *   stat    stat(FILE)
 *   pread   pread 4 KiB from FILE at offset 0
 *   write   write 4 KiB to /dev/null
 *   forkwait, forkexec, pipe: fork+exit+wait, fork+exec true+wait, and a
 *           byte's round trip through two pipes and a child
 *   thread  pthread_create + pthread_join of a thread that returns
 *   futex   a round trip between two threads waking each other through
 *           FUTEX_WAKE/FUTEX_WAIT on two words
 *   mutex   one lock+unlock of a mutex 8 threads contend for (each op is
 *           8 threads x 1000 lock/unlock pairs, divided by 8000)
 *   splice  64 KiB from FILE into a pipe and on to /dev/null, with two
 *           splice calls (no copy through user memory)
 *   tcp     a byte's round trip over a TCP connection on 127.0.0.1 to an
 *           echoing child (TCP_NODELAY)
 *   eventfd write 1 to an eventfd and read the counter back (8 bytes each)
 *   timerfd arm a one-shot CLOCK_MONOTONIC timerfd 1 ns ahead and block in
 *           read until its expiration arrives (timer fire and wake-up)
 *   procstatus open /proc/self/status, read it to its end, close it
 *   prstat1, prstat2, prstat4: 1, 2 or 4 threads, each doing pread 4 KiB
 *           and stat on a file of its own (FILE.tN, made from FILE) at
 *           once; each op is THREADS x PRSTAT_PAIRS pread+stat pairs,
 *           divided by their count: the ns per pair of the whole process,
 *           so a provider that lets the threads run at once shows a
 *           figure that falls with the thread count as native's does
 *   rss     not a time: the process's resident memory (VmRSS, KiB) with
 *           one thread, on one line, and then the extra resident memory
 *           per thread (KiB) with RSS_THREADS more threads parked in a
 *           futex wait (ITERATIONS is ignored; the bench subtracts
 *           native's figures from picos's)
 *
 * FILE defaults to "bench-data" in the current directory and must hold at
 * least 4 KiB (64 KiB for splice).  After a warm-up of ITERATIONS/10 operations, the loop runs
 * ITERATIONS operations in ROUNDS equal rounds, each timed with
 * clock_gettime(CLOCK_MONOTONIC); it prints the median ns per operation of
 * the rounds on one line (the median shrugs off a round hit by a host
 * hiccup).  Exits 1 with a message on stderr if any call fails, so a broken
 * sandbox never reports a fast-but-wrong number.
 *
 * micro -u NAME ITERATIONS [FILE] runs the same operations untimed and
 * prints nothing: the caller times the whole process from outside (minus
 * an empty run) when the sandbox under test has no clock_gettime.  Exit
 * status 3 means clock_gettime itself failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 4096
#define ROUNDS 5

static const char *file = "bench-data";
static char buf[CHUNK];
static int data_fd = -1, null_fd = -1;

static void die(const char *what)
{
	fprintf(stderr, "micro: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* getpid through libc's wrapper, as programs call it (glibc caches no
 * pid since 2.25: every call is a system call). */
static void op_getpid(void)
{
	if (getpid() <= 0)
		die("getpid");
}

static void op_clock(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime");
}

static void op_open(void)
{
	int fd = openat(AT_FDCWD, file, O_RDONLY);

	if (fd < 0)
		die("openat");
	if (close(fd) < 0)
		die("close");
}

static void op_stat(void)
{
	struct stat st;

	if (stat(file, &st) < 0)
		die("stat");
}

static void op_pread(void)
{
	if (pread(data_fd, buf, CHUNK, 0) != CHUNK)
		die("pread");
}

static void op_write(void)
{
	if (write(null_fd, buf, CHUNK) != CHUNK)
		die("write");
}

/* fork + _exit + waitpid. */
static void op_forkwait(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (p == 0)
		_exit(0);
	if (waitpid(p, &st, 0) != p || st != 0)
		die("waitpid");
}

/* fork + execve of /bin/true + waitpid. */
static void op_forkexec(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (p == 0) {
		char *argv[] = { "true", NULL }, *envp[] = { NULL };
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (waitpid(p, &st, 0) != p || st != 0)
		die("waitpid");
}

/* One round trip of a byte through two pipes and an echoing child. */
static int ping_w = -1, pong_r = -1;

static void pingpong_start(void)
{
	int a[2], b[2];

	if (pipe(a) < 0 || pipe(b) < 0)
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		char c;
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	ping_w = a[1];
	pong_r = b[0];
}

static void op_pipe(void)
{
	char c = 'x';

	if (ping_w < 0)
		pingpong_start();
	if (write(ping_w, &c, 1) != 1 || read(pong_r, &c, 1) != 1)
		die("ping-pong");
}

/* 64 KiB (a default pipe's capacity) from the file into a pipe, then out
 * of it into /dev/null. */
#define SPLICE_CHUNK 65536
static int splice_p[2] = { -1, -1 };

static void splice_all(int in, loff_t *off, int out)
{
	long left = SPLICE_CHUNK;

	while (left > 0) {
		ssize_t n = splice(in, off, out, NULL, (size_t)left, 0);
		if (n <= 0)
			die("splice");
		left -= n;
	}
}

static void op_splice(void)
{
	loff_t off = 0;

	if (splice_p[0] < 0 && pipe(splice_p) < 0)
		die("pipe");
	splice_all(data_fd, &off, splice_p[1]);
	splice_all(splice_p[0], NULL, null_fd);
}

/* The same round trip over TCP on loopback. */
static int tcp_fd = -1;

static void tcp_start(void)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (void *)&a, sizeof a) < 0 || listen(ls, 1) < 0 ||
	    getsockname(ls, (void *)&a, &l) < 0)
		die("tcp listen");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		int s = accept(ls, NULL, NULL);
		char c;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		while (read(s, &c, 1) == 1)
			if (write(s, &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ls);
	tcp_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (tcp_fd < 0 || connect(tcp_fd, (void *)&a, sizeof a) < 0)
		die("tcp connect");
	setsockopt(tcp_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void op_tcp(void)
{
	char c = 'x';

	if (tcp_fd < 0)
		tcp_start();
	if (write(tcp_fd, &c, 1) != 1 || read(tcp_fd, &c, 1) != 1)
		die("tcp ping-pong");
}

static void *thread_nothing(void *arg) { return arg; }

static void op_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, thread_nothing, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		die("pthread_create");
}

/* Futex ping-pong: `turn` says whose move it is (0 main, 1 partner). */
static atomic_uint turn;
static int partner_up;

static void futex_wait(atomic_uint *w, unsigned v)
{
	while (atomic_load(w) == v)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void *partner(void *arg)
{
	(void)arg;
	for (;;) {
		futex_wait(&turn, 0);
		atomic_store(&turn, 0);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void op_futex(void)
{
	if (!partner_up) {
		pthread_t t;
		if (pthread_create(&t, NULL, partner, NULL) != 0)
			die("pthread_create");
		partner_up = 1;
	}
	atomic_store(&turn, 1);
	syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	futex_wait(&turn, 1);
}

#define MUTEX_THREADS 8
#define MUTEX_PAIRS 1000
static pthread_mutex_t contended = PTHREAD_MUTEX_INITIALIZER;
static long shared_count;

static void *locker(void *arg)
{
	(void)arg;
	for (int i = 0; i < MUTEX_PAIRS; i++) {
		pthread_mutex_lock(&contended);
		shared_count++;
		pthread_mutex_unlock(&contended);
	}
	return NULL;
}

/* Counted as MUTEX_THREADS * MUTEX_PAIRS operations by the caller. */
static void op_mutex(void)
{
	pthread_t t[MUTEX_THREADS];
	long before = shared_count;
	for (int i = 0; i < MUTEX_THREADS; i++)
		if (pthread_create(&t[i], NULL, locker, NULL) != 0)
			die("pthread_create");
	for (int i = 0; i < MUTEX_THREADS; i++)
		pthread_join(t[i], NULL);
	if (shared_count != before + MUTEX_THREADS * MUTEX_PAIRS)
		die("mutex count");
}

/* prstatN: threads doing pread and stat on files of their own. */
#define PRSTAT_PAIRS 500
#define PRSTAT_MAX 4
static int prstat_n, prstat_fd[PRSTAT_MAX];
static char prstat_path[PRSTAT_MAX][512];

static void *prstat_worker(void *arg)
{
	int k = (int)(long)arg;
	struct stat st;
	for (int i = 0; i < PRSTAT_PAIRS; i++) {
		if (pread(prstat_fd[k], buf, CHUNK, 0) != CHUNK)
			die("pread");
		if (stat(prstat_path[k], &st) < 0)
			die("stat");
	}
	return NULL;
}

/* Each thread's file: FILE's first 4 KiB copied to FILE.tN. */
static void prstat_setup(int n)
{
	prstat_n = n;
	if (pread(data_fd, buf, CHUNK, 0) != CHUNK)
		die("pread");
	for (int k = 0; k < n; k++) {
		snprintf(prstat_path[k], sizeof prstat_path[k], "%s.t%d", file, k);
		int fd = open(prstat_path[k], O_CREAT | O_TRUNC | O_RDWR, 0600);
		if (fd < 0 || write(fd, buf, CHUNK) != CHUNK)
			die(prstat_path[k]);
		prstat_fd[k] = fd;
	}
}

/* Counted as prstat_n * PRSTAT_PAIRS operations by the caller. */
static void op_prstat(void)
{
	pthread_t t[PRSTAT_MAX];
	for (int k = 0; k < prstat_n; k++)
		if (pthread_create(&t[k], NULL, prstat_worker, (void *)(long)k) != 0)
			die("pthread_create");
	for (int k = 0; k < prstat_n; k++)
		pthread_join(t[k], NULL);
}

/* rss: VmRSS of this process in KiB. */
#define RSS_THREADS 16
static long vm_rss(void)
{
	char text[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		die("/proc/self/status");
	text[n] = 0;
	const char *p = strstr(text, "VmRSS:");
	if (!p)
		die("VmRSS");
	return atol(p + 6);
}

static atomic_uint rss_release;

static void *rss_parked(void *arg)
{
	while (!atomic_load(&rss_release))
		syscall(SYS_futex, &rss_release, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return arg;
}

/* Prints the process's RSS and then the RSS each extra thread adds. */
static int rss_report(void)
{
	pthread_t t[RSS_THREADS];
	long one = vm_rss();
	for (int k = 0; k < RSS_THREADS; k++)
		if (pthread_create(&t[k], NULL, rss_parked, NULL) != 0)
			die("pthread_create");
	/* every thread has run up to its wait once RSS stops growing */
	usleep(200000);
	long many = vm_rss();
	atomic_store(&rss_release, 1);
	syscall(SYS_futex, &rss_release, FUTEX_WAKE_PRIVATE, RSS_THREADS, NULL, NULL, 0);
	for (int k = 0; k < RSS_THREADS; k++)
		pthread_join(t[k], NULL);
	printf("%ld\n%.1f\n", one, (double)(many - one) / RSS_THREADS);
	return 0;
}

static int obj_fd = -1;

static void op_eventfd(void)
{
	uint64_t v = 1;

	if (write(obj_fd, &v, 8) != 8 || read(obj_fd, &v, 8) != 8 || v != 1)
		die("eventfd write+read");
}

static void op_timerfd(void)
{
	struct itimerspec its = { .it_value = { 0, 1 } };
	uint64_t n;

	if (timerfd_settime(obj_fd, 0, &its, NULL) < 0 ||
	    read(obj_fd, &n, 8) != 8 || n != 1)
		die("timerfd arm+read");
}

/* One round trip through a System V semaphore set and a child process:
 * the parent raises semaphore 0 and waits on 1, the child the other way
 * round.  The set is removed at exit, which ends the child (EIDRM). */
static int sem_id = -1;

static void sem_op(int num, int delta)
{
	struct sembuf b = { (unsigned short)num, (short)delta, 0 };
	if (semop(sem_id, &b, 1) < 0) {
		if (errno == EIDRM || errno == EINVAL)
			_exit(0);
		die("semop");
	}
}

static void sem_remove(void)
{
	semctl(sem_id, 0, IPC_RMID);
}

static void op_semop(void)
{
	if (sem_id < 0) {
		if ((sem_id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600)) < 0)
			die("semget");
		atexit(sem_remove);
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0)
			for (;;) {
				sem_op(0, -1);
				sem_op(1, 1);
			}
	}
	sem_op(0, 1);
	sem_op(1, -1);
}

static void op_procstatus(void)
{
	char text[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		die("open /proc/self/status");
	ssize_t n, total = 0;
	while ((n = read(fd, text, sizeof text)) > 0)
		total += n;
	if (n < 0 || total < 100)
		die("read /proc/self/status");
	close(fd);
}

static const struct bench {
	const char *name;
	void (*op)(void);
} benches[] = {
	{ "getpid", op_getpid },
	{ "clock", op_clock },
	{ "open", op_open },
	{ "stat", op_stat },
	{ "pread", op_pread },
	{ "write", op_write },
	{ "forkwait", op_forkwait },
	{ "forkexec", op_forkexec },
	{ "pipe", op_pipe },
	{ "thread", op_thread },
	{ "futex", op_futex },
	{ "mutex", op_mutex },
	{ "tcp", op_tcp },
	{ "splice", op_splice },
	{ "eventfd", op_eventfd },
	{ "timerfd", op_timerfd },
	{ "procstatus", op_procstatus },
	{ "semop", op_semop },
	{ "prstat1", op_prstat },
	{ "prstat2", op_prstat },
	{ "prstat4", op_prstat },
};

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		fprintf(stderr, "micro: clock_gettime: %s\n", strerror(errno));
		exit(3);
	}
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: micro [-u] getpid|clock|open|stat|pread|write|forkwait|forkexec|pipe|thread|futex|mutex|tcp|splice|eventfd|timerfd|procstatus|semop|prstat1|prstat2|prstat4|rss ITERATIONS [FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct bench *b = NULL;
	double ns[ROUNDS], t0;
	long iters, per, i, r;
	int untimed = 0;

	if (argc > 1 && strcmp(argv[1], "-u") == 0) {
		untimed = 1;
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 4)
		usage();
	for (i = 0; i < (long)(sizeof(benches) / sizeof(benches[0])); i++)
		if (strcmp(argv[1], benches[i].name) == 0)
			b = &benches[i];
	iters = atol(argv[2]);
	if (strcmp(argv[1], "rss") == 0)
		return rss_report();
	if (!b || iters < (untimed ? 0 : ROUNDS))
		usage();
	if (argc == 4)
		file = argv[3];

	/* Open only what the benchmark uses, so one failing open does not
	 * take the other benchmarks down with it. */
	if ((b->op == op_pread || b->op == op_splice || b->op == op_prstat) &&
	    (data_fd = open(file, O_RDONLY)) < 0)
		die(file);
	if ((b->op == op_write || b->op == op_splice) && (null_fd = open("/dev/null", O_WRONLY)) < 0)
		die("/dev/null");
	if (b->op == op_eventfd && (obj_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		die("eventfd");
	if (b->op == op_timerfd &&
	    (obj_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0)
		die("timerfd_create");

	if (b->op == op_prstat)
		prstat_setup(b->name[6] - '0');

	for (i = 0; i < iters / 10; i++)
		b->op();
	if (untimed) {
		for (i = 0; i < iters; i++)
			b->op();
		return 0;
	}
	per = iters / ROUNDS;
	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < per; i++)
			b->op();
		ns[r] = (now_ns() - t0) / per;
		if (b->op == op_mutex)
			ns[r] /= MUTEX_THREADS * MUTEX_PAIRS;
		if (b->op == op_prstat)
			ns[r] /= prstat_n * PRSTAT_PAIRS;
	}
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp_double);
	printf("%.1f\n", ns[ROUNDS / 2]);
	return 0;
}
