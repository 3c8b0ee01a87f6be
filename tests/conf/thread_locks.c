/* The provider's per-subsystem locks under contention: threads open,
 * write, read back, stat, seek, dup2, close, map, protect and unmap their
 * own files and memory at once, while a thread queues real-time signals
 * to them, others read /proc (a call the provider serves exclusive), and
 * threads fork (the child works on files and exits), exec (a forked
 * child's thread execs while its siblings are busy in calls) and
 * posix_spawn (a vfork from a thread).  Every check is about results:
 * data read back right, no EBADF on a thread's own fds, the counts
 * adding up, no fd leaked.  Bounded in size. */
#include "tap.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <spawn.h>

#define NT 6
#define ITER 150
#define NSIG_SENT 600
#define PAGE 4096

static const char *dir;
static char self_exe[512];
static atomic_int errors;
static atomic_long bytes_ok;
static atomic_int forks_ok, execs_ok, spawns_ok;
static atomic_int sent[NT], received[NT];
static atomic_int signaller_done;
static pthread_t tids[NT];

#define FAIL(...)                                                  \
	do {                                                       \
		if (atomic_fetch_add(&errors, 1) < 10)             \
			printf("# " __VA_ARGS__);                  \
	} while (0)

/* The thread by its pthread_t: a signal may come before the thread set
 * anything of its own (the signaller starts once every tids[] is set). */
static void on_rt(int sig)
{
	(void)sig;
	for (int i = 0; i < NT; i++)
		if (pthread_equal(tids[i], pthread_self()))
			atomic_fetch_add(&received[i], 1);
}

static void fill(char *b, size_t n, int id, int round)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + (int)((i * 7 + (size_t)id * 13 + (size_t)round) % 26));
}

/* One file's life: create, write, read back (read, pread, readv), stat
 * by fd and by path, seek, dup2 to a number of the thread's own, map it,
 * close.  Any surprise is counted. */
static void file_round(int id, int round)
{
	char path[512], want[3000], got[3000];
	/* (tap_join's buffers are shared by the threads) */
	snprintf(path, sizeof path, "%s/t%d-%d", dir, id, round % 4);
	fill(want, sizeof want, id, round);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0) {
		FAIL("thread %d: open %s: %s\n", id, path, strerror(errno));
		return;
	}
	if (write(fd, want, sizeof want) != (ssize_t)sizeof want)
		FAIL("thread %d: write: %s\n", id, strerror(errno));
	memset(got, 0, sizeof got);
	if (pread(fd, got, sizeof got, 0) != (ssize_t)sizeof got ||
	    memcmp(got, want, sizeof got))
		FAIL("thread %d: pread gave other data (%s)\n", id, strerror(errno));
	else
		atomic_fetch_add(&bytes_ok, (long)sizeof got);
	struct stat st, st2;
	if (fstat(fd, &st) < 0 || st.st_size != (off_t)sizeof want)
		FAIL("thread %d: fstat: %s size %ld\n", id, strerror(errno), (long)st.st_size);
	if (stat(path, &st2) < 0 || st2.st_ino != st.st_ino)
		FAIL("thread %d: stat: %s\n", id, strerror(errno));
	if (lseek(fd, 100, SEEK_SET) != 100)
		FAIL("thread %d: lseek: %s\n", id, strerror(errno));
	char half[2][50];
	struct iovec v[2] = { { half[0], 50 }, { half[1], 50 } };
	if (readv(fd, v, 2) != 100 || memcmp(half[0], want + 100, 50) ||
	    memcmp(half[1], want + 150, 50))
		FAIL("thread %d: readv: %s\n", id, strerror(errno));
	int mine = 200 + id;
	if (dup2(fd, mine) != mine)
		FAIL("thread %d: dup2: %s\n", id, strerror(errno));
	else if (pread(mine, got, 10, 500) != 10 || memcmp(got, want + 500, 10))
		FAIL("thread %d: pread on the dup: %s\n", id, strerror(errno));
	char *m = mmap(NULL, sizeof want, PROT_READ, MAP_SHARED, mine, 0);
	if (m == MAP_FAILED)
		FAIL("thread %d: mmap of the file: %s\n", id, strerror(errno));
	else {
		if (memcmp(m, want, sizeof want))
			FAIL("thread %d: the file's map differs\n", id);
		munmap(m, sizeof want);
	}
	if (close(mine) < 0)
		FAIL("thread %d: close of the dup: %s\n", id, strerror(errno));
	if (close(fd) < 0)
		FAIL("thread %d: close: %s\n", id, strerror(errno));
}

/* Anonymous memory: map, fill, protect read-only, check, unmap. */
static void mem_round(int id, int round)
{
	size_t len = (size_t)(1 + (id + round) % 8) * PAGE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		FAIL("thread %d: mmap: %s\n", id, strerror(errno));
		return;
	}
	memset(p, id + 1, len);
	if (mprotect(p, len, PROT_READ) < 0)
		FAIL("thread %d: mprotect: %s\n", id, strerror(errno));
	for (size_t i = 0; i < len; i += PAGE)
		if (p[i] != (char)(id + 1))
			FAIL("thread %d: memory changed under us\n", id);
	if (munmap(p, len) < 0)
		FAIL("thread %d: munmap: %s\n", id, strerror(errno));
}

/* /proc is served under the exclusive lock: mixing it in makes shared
 * calls wait for an exclusive one and the other way round. */
static void proc_round(int id)
{
	char buf[256];
	int fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0) {
		FAIL("thread %d: open /proc/self/status: %s\n", id, strerror(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 5 || strncmp(buf, "Name:", 5))
		FAIL("thread %d: /proc/self/status reads wrong\n", id);
	close(fd);
}

/* fork from a busy thread: the child works on a file and exits. */
static void fork_round(int id, int round)
{
	pid_t c = fork();
	if (c == 0) {
		char path[512], want[512], got[512];
		snprintf(path, sizeof path, "%s/f%d-%d", dir, id, round);
		fill(want, sizeof want, id, round);
		int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
		int good = fd >= 0 && write(fd, want, sizeof want) == sizeof want &&
			   pread(fd, got, sizeof got, 0) == sizeof got &&
			   memcmp(got, want, sizeof got) == 0 && close(fd) == 0 &&
			   unlink(path) == 0;
		_exit(good ? 0 : 1);
	}
	int st = -1;
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("thread %d: forked child failed (status %#x)\n", id, st);
	else
		atomic_fetch_add(&forks_ok, 1);
}

/* fork, then in the child threads busy in calls while one execs. */
static void *exec_sibling(void *a)
{
	for (;;)
		file_round(NT + (int)(long)a, 0);
	return NULL;
}

static void *exec_caller(void *a)
{
	(void)a;
	char *argv[] = { self_exe, "exec-child", NULL };
	execv(self_exe, argv);
	_exit(3);
}

static void exec_round(int id)
{
	pid_t c = fork();
	if (c == 0) {
		pthread_t s[2], e;
		for (int i = 0; i < 2; i++)
			pthread_create(&s[i], NULL, exec_sibling, (void *)(long)i);
		pthread_create(&e, NULL, exec_caller, NULL);
		pthread_join(e, NULL);
		_exit(4);
	}
	int st = -1;
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("thread %d: exec from a thread failed (status %#x)\n", id, st);
	else
		atomic_fetch_add(&execs_ok, 1);
}

/* posix_spawn (glibc: a vfork-style clone) from a busy thread. */
static void spawn_round(int id)
{
	char *argv[] = { self_exe, "exec-child", NULL };
	pid_t c;
	int st = -1;
	if (posix_spawn(&c, self_exe, NULL, NULL, argv, NULL) != 0 ||
	    waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("thread %d: posix_spawn child failed (status %#x)\n", id, st);
	else
		atomic_fetch_add(&spawns_ok, 1);
}

static void *worker(void *a)
{
	int id = (int)(long)a;
	for (int r = 0; r < ITER; r++) {
		file_round(id, r);
		mem_round(id, r);
		if (r % 10 == id % 10)
			proc_round(id);
		if (id == 0 && r % 30 == 5)
			fork_round(id, r);
		if (id == 1 && r % 50 == 7)
			exec_round(id);
		if (id == 2 && r % 50 == 11)
			spawn_round(id);
	}
	/* The signaller always ends (a bounded loop): until then this
	 * thread lives, so that every signal queued for it finds it; then
	 * the queued ones arrive at its next calls (a bounded wait: one
	 * lost is reported, not waited for forever). */
	while (!atomic_load(&signaller_done))
		sched_yield();
	for (long spin = 0; spin < 2000000 &&
			    atomic_load(&received[id]) < atomic_load(&sent[id]);
	     spin++)
		syscall(SYS_getpid);
	return NULL;
}

static void *signaller(void *a)
{
	(void)a;
	union sigval v = { 0 };
	for (int i = 0; i < NSIG_SENT; i++) {
		int to = i % NT;
		if (pthread_sigqueue(tids[to], SIGRTMIN, v) == 0)
			atomic_fetch_add(&sent[to], 1);
		else if (errno != EAGAIN)
			FAIL("sigqueue: %s\n", strerror(errno));
		if (i % 16 == 0)
			sched_yield();
	}
	atomic_store(&signaller_done, 1);
	return NULL;
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		/* the new image: alone, with working calls */
		int fd = open("/proc/self/status", O_RDONLY);
		char b[8];
		return fd >= 0 && read(fd, b, 5) == 5 && memcmp(b, "Name:", 5) == 0 ? 0 : 5;
	}
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = 0;
	dir = tap_scratch("thread_locks");
	mkdir(dir, 0700);
	struct sigaction sa = { .sa_handler = on_rt, .sa_flags = SA_RESTART };
	sigaction(SIGRTMIN, &sa, NULL);
	int fds_before = open_fds();

	pthread_t sig;
	for (int i = 0; i < NT; i++)
		pthread_create(&tids[i], NULL, worker, (void *)(long)i);
	pthread_create(&sig, NULL, signaller, NULL);
	pthread_join(sig, NULL);
	for (int i = 0; i < NT; i++)
		pthread_join(tids[i], NULL);

	ok(atomic_load(&errors) == 0, "%d threads x %d rounds of open/write/pread/stat/dup2/mmap/close: no surprise (%d)",
	   NT, ITER, atomic_load(&errors));
	ok(atomic_load(&bytes_ok) == (long)NT * ITER * 3000,
	   "every pread gave back what was written (%ld bytes)", atomic_load(&bytes_ok));
	int sum_sent = 0, sum_recv = 0;
	for (int i = 0; i < NT; i++) {
		sum_sent += atomic_load(&sent[i]);
		sum_recv += atomic_load(&received[i]);
	}
	if (sum_recv != sum_sent)
		for (int i = 0; i < NT; i++)
			printf("# thread %d: %d signals queued, %d received\n", i,
			       atomic_load(&sent[i]), atomic_load(&received[i]));
	ok(sum_sent > 0 && sum_recv == sum_sent,
	   "every queued signal reached its thread (%d of %d)", sum_recv, sum_sent);
	ok(atomic_load(&forks_ok) == (ITER + 24) / 30,
	   "forks from a busy thread: %d children did their file work", atomic_load(&forks_ok));
	ok(atomic_load(&execs_ok) == (ITER + 42) / 50,
	   "execs from a thread beside busy threads: %d", atomic_load(&execs_ok));
	ok(atomic_load(&spawns_ok) == (ITER + 38) / 50,
	   "posix_spawn from a busy thread: %d", atomic_load(&spawns_ok));
	ok(open_fds() == fds_before, "no fd leaked (%d open)", open_fds());

	for (int i = 0; i < NT; i++)
		for (int r = 0; r < 4; r++) {
			char name[64];
			snprintf(name, sizeof name, "t%d-%d", i, r);
			unlink(tap_join(dir, name));
		}
	unlink(tap_join(dir, "t6-0"));
	unlink(tap_join(dir, "t7-0"));
	rmdir(dir);
	return tap_done();
}
