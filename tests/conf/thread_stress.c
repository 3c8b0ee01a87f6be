/* Threads under load, bounded in time: mutex, condition variable and
 * rwlock contention across 8 threads, thread-local storage (__thread and
 * pthread keys with destructors), C11 threads, many threads faulting at
 * once (each fault reaches its own thread's handler), and exit_group
 * while other threads block in read, futex wait and sleep. */
#include "tap.h"
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>

#define NT 8
#define ROUNDS 5000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long counter, produced, consumed, rw_value;
static int queue_len;

static void *mutex_worker(void *a)
{
	(void)a;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&m);
		counter++;
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

/* Half the threads produce, half consume, through a condition variable. */
static void *producer(void *a)
{
	(void)a;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&m);
		while (queue_len >= 4)
			pthread_cond_wait(&cv, &m);
		queue_len++;
		produced++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void *consumer(void *a)
{
	(void)a;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&m);
		while (queue_len == 0)
			pthread_cond_wait(&cv, &m);
		queue_len--;
		consumed++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static atomic_int rw_bad;
static void *rw_worker(void *a)
{
	long id = (long)a;
	for (int i = 0; i < ROUNDS; i++) {
		if (id % 4 == 0) {
			pthread_rwlock_wrlock(&rw);
			rw_value++;
			long v = rw_value;
			sched_yield();
			if (rw_value != v)
				atomic_fetch_add(&rw_bad, 1);
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			long v = rw_value;
			if (rw_value != v)
				atomic_fetch_add(&rw_bad, 1);
			pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}

static __thread long tls_sum;
static pthread_key_t key;
static atomic_int destructed;
static void key_destructor(void *v) { if (v) atomic_fetch_add(&destructed, 1); }
static void *tls_worker(void *a)
{
	long id = (long)a;
	for (int i = 0; i < 1000; i++)
		tls_sum += id;
	pthread_setspecific(key, (void *)(id + 1));
	sched_yield();
	long ok_ = tls_sum == id * 1000 && (long)pthread_getspecific(key) == id + 1;
	return (void *)ok_;
}

static atomic_int c11_count;
static mtx_t c11_m;
static int c11_worker(void *a)
{
	for (int i = 0; i < 1000; i++) {
		mtx_lock(&c11_m);
		atomic_fetch_add(&c11_count, 1);
		mtx_unlock(&c11_m);
	}
	return (int)(long)a;
}

static __thread sigjmp_buf fault_env;
static __thread volatile int fault_tid;
static atomic_int faults_right;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_addr == (void *)0x10 && fault_tid == (int)syscall(SYS_gettid))
		atomic_fetch_add(&faults_right, 1);
	siglongjmp(fault_env, 1);
}
static atomic_int fault_go;
static void *faulter(void *a)
{
	(void)a;
	fault_tid = (int)syscall(SYS_gettid);
	while (!atomic_load(&fault_go))
		;
	for (int i = 0; i < 50; i++)
		if (sigsetjmp(fault_env, 1) == 0)
			*(volatile int *)0x10 = 1;
	return NULL;
}

static int block_pipe[2];
static uint32_t never;
static void *block_read(void *a) { (void)a; char c; (void)!read(block_pipe[0], &c, 1); return NULL; }
static void *block_futex(void *a) { (void)a; syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0); return NULL; }
static void *block_sleep(void *a) { (void)a; sleep(100); return NULL; }

/* A thread busy in system calls while the main thread forks. */
static atomic_int busy_stop;
static void *busy_calls(void *a)
{
	(void)a;
	while (!atomic_load(&busy_stop)) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			close(fd);
		(void)getppid();
	}
	return NULL;
}

/* A thread waiting in a futex leaves through a signal handler. */
static uint32_t exit_word;
static atomic_int in_wait;
static void on_usr1_exit(int s) { (void)s; pthread_exit((void *)7); }
static void *wait_then_exit(void *a)
{
	(void)a;
	atomic_store(&in_wait, 1);
	syscall(SYS_futex, &exit_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void run_all(void *(*fn)(void *), pthread_t *t)
{
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
}

static void join_all(pthread_t *t)
{
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	alarm(60);
	pthread_t t[NT];
	run_all(mutex_worker, t);
	join_all(t);
	ok(counter == NT * ROUNDS, "mutex: %d threads x %d increments = %ld", NT, ROUNDS, counter);

	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, i % 2 ? consumer : producer, NULL);
	join_all(t);
	ok(produced == NT / 2 * ROUNDS && consumed == produced && queue_len == 0,
	   "condvar: %ld produced, %ld consumed, queue empty", produced, consumed);

	run_all(rw_worker, t);
	join_all(t);
	ok(atomic_load(&rw_bad) == 0 && rw_value == 2 * ROUNDS,
	   "rwlock: readers never saw a write in progress (%ld writes)", rw_value);

	pthread_key_create(&key, key_destructor);
	int good = 0;
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, tls_worker, (void *)i);
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		good += (long)r == 1;
	}
	ok(good == NT && tls_sum == 0, "__thread and pthread keys are per thread (%d of %d)", good, NT);
	ok(atomic_load(&destructed) == NT, "the key destructor ran for each thread (%d)", atomic_load(&destructed));

	mtx_init(&c11_m, mtx_plain);
	thrd_t ct[4];
	for (long i = 0; i < 4; i++)
		thrd_create(&ct[i], c11_worker, (void *)(i + 10));
	int sum = 0;
	for (int i = 0; i < 4; i++) {
		int r;
		thrd_join(ct[i], &r);
		sum += r;
	}
	ok(atomic_load(&c11_count) == 4000 && sum == 10 + 11 + 12 + 13, "C11 threads: 4 x 1000 under mtx_t, results joined");

	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	run_all(faulter, t);
	atomic_store(&fault_go, 1);
	join_all(t);
	ok(atomic_load(&faults_right) == NT * 50, "%d threads faulting at once: each of %d faults reached the faulting thread",
	   NT, atomic_load(&faults_right));
	signal(SIGSEGV, SIG_DFL);

	/* fork while another thread keeps entering the provider: every child
	 * works (its provider state is consistent) and exits 0. */
	pthread_t busy[2];
	pthread_create(&busy[0], NULL, busy_calls, NULL);
	pthread_create(&busy[1], NULL, busy_calls, NULL);
	int children_ok = 0;
	for (int i = 0; i < 50; i++) {
		pid_t k = fork();
		if (k == 0) {
			int fd = open("/dev/null", O_WRONLY);
			char *mem = malloc(100000);
			_exit(fd >= 0 && write(fd, "x", 1) == 1 && mem && getppid() > 0 ? 0 : 1);
		}
		int kst;
		children_ok += k > 0 && waitpid(k, &kst, 0) == k && WIFEXITED(kst) && WEXITSTATUS(kst) == 0;
	}
	atomic_store(&busy_stop, 1);
	pthread_join(busy[0], NULL);
	pthread_join(busy[1], NULL);
	ok(children_ok == 50, "50 forks while 2 threads keep making calls: every child works (%d)", children_ok);

	/* A thread in a futex wait ends from a signal handler. */
	signal(SIGUSR1, on_usr1_exit);
	pthread_t w;
	pthread_create(&w, NULL, wait_then_exit, NULL);
	while (!atomic_load(&in_wait))
		usleep(1000);
	usleep(20000);
	void *wr = NULL;
	ok(pthread_kill(w, SIGUSR1) == 0 && pthread_join(w, &wr) == 0 && wr == (void *)7,
	   "a thread waiting in futex leaves through pthread_exit in a handler");
	signal(SIGUSR1, SIG_DFL);

	/* exit_group while threads wait in read, futex and sleep. */
	pid_t c = fork();
	if (c == 0) {
		if (pipe(block_pipe) < 0)
			_exit(1);
		pthread_t b[3];
		pthread_create(&b[0], NULL, block_read, NULL);
		pthread_create(&b[1], NULL, block_futex, NULL);
		pthread_create(&b[2], NULL, block_sleep, NULL);
		usleep(50000);
		exit(17);
	}
	int st;
	ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 17,
	   "exit(17) with threads blocked in read, futex and sleep ends them all");
	return tap_done();
}
