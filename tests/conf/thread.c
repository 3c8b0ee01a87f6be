/* Threads: clone(CLONE_THREAD) through pthreads and raw, gettid and
 * set_tid_address, the clear_child_tid wake, thread-local storage,
 * per-thread signal masks, tgkill/tkill to a thread, a process-directed
 * signal reaching the thread that does not block it, exit of one thread
 * (also the first) versus exit_group from any thread, fork from a
 * multi-threaded process, and many threads created and joined. */
#include "tap.h"
#include <sys/time.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static __thread int tls_value = 7;
static atomic_int counter;
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;

static void *add_many(void *arg)
{
	tls_value += (int)(long)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&mtx);
		atomic_fetch_add(&counter, 1);
		pthread_mutex_unlock(&mtx);
	}
	return (void *)(long)tls_value;
}

static void *report_tid(void *arg)
{
	*(pid_t *)arg = gettid_();
	return NULL;
}

/* A raw CLONE_THREAD child: writes its tid, then exits with exit(2). */
static int raw_child(void *arg)
{
	*(volatile pid_t *)arg = gettid_();
	syscall(SYS_exit, 0);
	return 0;
}

static volatile sig_atomic_t usr1_tid, usr2_hits;
static void on_usr1(int sig) { (void)sig; usr1_tid = gettid_(); }
static void on_usr2(int sig) { (void)sig; usr2_hits++; }

struct waiter {
	pid_t tid;
	atomic_int ready, go;
};

/* Blocks SIGUSR1, says it is ready, waits for `go`. */
static void *wait_blocking(void *arg)
{
	struct waiter *w = arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	w->tid = gettid_();
	atomic_store(&w->ready, 1);
	while (!atomic_load(&w->go))
		usleep(1000);
	return NULL;
}

/* Leaves SIGUSR2 open, waits in a futex until woken by a signal or go. */
static void *wait_open(void *arg)
{
	struct waiter *w = arg;
	w->tid = gettid_();
	atomic_store(&w->ready, 1);
	while (!atomic_load(&w->go))
		usleep(1000);
	return NULL;
}

static void *exit_group_from_thread(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 23);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *outlive_main(void *arg)
{
	(void)arg;
	usleep(100000);
	_exit(counter == 0 ? 31 : 32); /* the process goes on without main */
}

static void *fork_in_thread(void *arg)
{
	(void)arg;
	pid_t p = fork();
	if (p == 0) {
		/* One thread here: the one that forked. */
		pthread_mutex_lock(&mtx); /* the parent's lock state came along, unlocked */
		pthread_mutex_unlock(&mtx);
		_exit(getpid() == gettid_() ? 9 : 10);
	}
	int st;
	return (void *)(long)(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void *nothing(void *arg) { return arg; }

static pthread_mutex_t robust;
static volatile int robust_held;
static void *die_holding(void *arg)
{
	pthread_mutex_lock(&robust);
	robust_held = 1;
	if (arg)
		usleep(50000); /* the main thread is waiting for it by then */
	return NULL; /* ends holding the lock */
}

static char self_exe[4096];
static void *exec_self(void *arg)
{
	char *v[] = { self_exe, "exec-child", arg, NULL };
	execv(self_exe, v);
	_exit(99);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
		/* After an exec from a thread: one thread, tid == pid, the pid
		 * the process had. */
		struct itimerval it;
		getitimer(ITIMER_REAL, &it);
		/* ... the alarm set before the exec still runs, and the
		 * blocked signal sent before it is still pending. */
		sigset_t pend;
		sigpending(&pend);
		return gettid_() == getpid() && atoi(argv[2]) == getpid() &&
				       it.it_value.tv_sec > 50 &&
				       sigismember(&pend, SIGUSR2)
			       ? 42
			       : 43;
	}
	if (!realpath("/proc/self/exe", self_exe))
		snprintf(self_exe, sizeof self_exe, "%s", argv[0]);
	pid_t pid = getpid();
	ok(gettid_() == pid, "the first thread's tid is the pid");

	/* Four threads contend for a mutex; TLS is per thread. */
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, add_many, (void *)i);
	long sum = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	ok(atomic_load(&counter) == 80000, "4 threads x 20000 locked increments = %d", atomic_load(&counter));
	ok(sum == 4 * 7 + 0 + 1 + 2 + 3 && tls_value == 7, "each thread had its own __thread variable");

	pid_t other = 0;
	pthread_t th;
	pthread_create(&th, NULL, report_tid, &other);
	pthread_join(th, NULL);
	ok(other > 0 && other != pid, "a thread's tid differs from the pid (%d)", (int)other);
	ok(syscall(SYS_set_tid_address, NULL) == pid, "set_tid_address returns the caller's tid");

	/* A raw clone: CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID and the
	 * futex wake at its exit. */
	size_t ssz = 256 * 1024;
	char *stk = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	static volatile pid_t ptid, ctid, seen;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	ctid = -1;
	int r = clone(raw_child, stk + ssz, flags, (void *)&seen, &ptid, NULL, &ctid);
	ok(r > 0 && ptid == r, "clone(CLONE_THREAD|CLONE_PARENT_SETTID) returns the tid and stores it");
	for (int i = 0; i < 1000 && ctid != 0; i++) {
		pid_t v = ctid;
		if (v != 0)
			syscall(SYS_futex, &ctid, FUTEX_WAIT, v, &(struct timespec){ 0, 10000000 }, NULL, 0);
	}
	ok(ctid == 0 && seen == r, "at its exit the child tid word is cleared and woken (the child saw tid %d)", (int)seen);
	munmap(stk, ssz);
	fails_with(syscall(SYS_clone, CLONE_THREAD | CLONE_VM, NULL, NULL, NULL, 0), EINVAL, "CLONE_THREAD without CLONE_SIGHAND");

	/* Signals: to a thread, and to the process past a blocking thread. */
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	struct waiter w = { 0 };
	pthread_create(&th, NULL, wait_open, &w);
	while (!atomic_load(&w.ready))
		usleep(1000);
	usr1_tid = 0;
	ok(syscall(SYS_tgkill, pid, w.tid, SIGUSR1) == 0, "tgkill(pid, thread, SIGUSR1)");
	for (int i = 0; i < 500 && !usr1_tid; i++)
		usleep(1000);
	ok(usr1_tid == w.tid, "the handler ran in that thread");
	usr1_tid = 0;
	ok(syscall(SYS_tkill, w.tid, SIGUSR1) == 0, "tkill(thread, SIGUSR1)");
	for (int i = 0; i < 500 && !usr1_tid; i++)
		usleep(1000);
	ok(usr1_tid == w.tid, "tkill: the handler ran in that thread");
	fails_with(syscall(SYS_tgkill, pid + 100000, w.tid, SIGUSR1), ESRCH, "tgkill with the wrong tgid");
	atomic_store(&w.go, 1);
	pthread_join(th, NULL);
	/* Linux wakes the joiner (the cleared tid) a moment before the
	 * thread is gone: a loaded machine sees it still there */
	for (int i = 0; i < 1000 && syscall(SYS_tgkill, pid, w.tid, 0) == 0; i++)
		usleep(1000);
	fails_with(syscall(SYS_tgkill, pid, w.tid, 0), ESRCH, "tgkill to a joined thread");

	struct waiter b = { 0 };
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	pthread_create(&th, NULL, wait_blocking, &b);
	while (!atomic_load(&b.ready))
		usleep(1000);
	/* Now the main thread blocks it too, then opens it again: a
	 * process-directed SIGUSR1 waits until some thread takes it. */
	pthread_sigmask(SIG_BLOCK, &one, NULL);
	usr1_tid = 0;
	kill(pid, SIGUSR1);
	usleep(20000);
	ok(usr1_tid == 0, "with every thread blocking it, SIGUSR1 stays pending");
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	ok(usr1_tid == pid, "unblocking in the first thread delivers it there");
	atomic_store(&b.go, 1);
	pthread_join(th, NULL);

	/* Fork from a thread of a multi-threaded process. */
	pthread_t s1;
	pthread_create(&s1, NULL, sleeper, NULL);
	void *fr;
	pthread_create(&th, NULL, fork_in_thread, NULL);
	pthread_join(th, &fr);
	ok((long)fr == 9, "fork in a thread: the child has one thread, its tid its pid (%ld)", (long)fr);

	/* exit_group from a thread ends every thread with its status. */
	pid_t c = fork();
	if (c == 0) {
		pthread_t a, z;
		pthread_create(&a, NULL, sleeper, NULL);
		pthread_create(&z, NULL, exit_group_from_thread, NULL);
		for (;;)
			pause();
	}
	int st;
	ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 23,
	   "exit_group(23) from a thread ends the process with 23");

	/* The first thread may end first: the process lives on. */
	c = fork();
	if (c == 0) {
		pthread_t a;
		counter = 0;
		pthread_create(&a, NULL, outlive_main, NULL);
		syscall(SYS_exit, 0);
	}
	ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 31,
	   "after the first thread's exit(0) another thread ends the process with 31");

	/* A process whose last thread calls exit(2) ends with that status. */
	c = fork();
	if (c == 0) {
		pthread_t a;
		pthread_create(&a, NULL, nothing, NULL);
		pthread_join(a, NULL);
		syscall(SYS_exit, 4);
	}
	ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 4,
	   "exit(4) of the last thread is the process's status");

	/* execve from a thread while others run: the others go, the caller
	 * becomes the process with its pid. */
	for (int from_main = 0; from_main < 2; from_main++) {
		c = fork();
		if (c == 0) {
			static char pidarg[16];
			snprintf(pidarg, sizeof pidarg, "%d", (int)getpid());
			pthread_t a, e;
			alarm(100);
			sigset_t u2;
			sigemptyset(&u2);
			sigaddset(&u2, SIGUSR2);
			sigprocmask(SIG_BLOCK, &u2, NULL);
			kill(getpid(), SIGUSR2);
			pthread_create(&a, NULL, sleeper, NULL);
			pthread_create(&a, NULL, sleeper, NULL);
			if (from_main)
				exec_self(pidarg);
			pthread_create(&e, NULL, exec_self, pidarg);
			for (;;)
				pause();
		}
		ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42,
		   "execve from %s of a 3-thread process: the new program runs alone as that pid, with its alarm and pending signal",
		   from_main ? "the first thread" : "another thread");
	}

	/* A robust mutex whose owner thread ends: the next locker gets
	 * EOWNERDEAD, whether it came after the death or waited for it. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	for (int round = 0; round < 4; round++) {
		int waited = round & 1;
		if (round == 0 || round == 2) { /* then with priority inheritance */
			pthread_mutexattr_setprotocol(&ma, round ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_NONE);
			pthread_mutex_init(&robust, &ma);
		}
		robust_held = 0;
		pthread_create(&th, NULL, die_holding, waited ? (void *)1 : NULL);
		if (waited) {
			/* the thread holds the lock before this one waits
			 * (a fixed sleep was too short on a loaded machine) */
			while (!robust_held)
				usleep(1000);
		} else
			pthread_join(th, NULL);
		int lr = pthread_mutex_lock(&robust);
		ok(lr == EOWNERDEAD, "%s%s: pthread_mutex_lock of a robust mutex whose owner ended: EOWNERDEAD (%d)",
		   round >= 2 ? "PI, " : "", waited ? "waiting" : "after the end", lr);
		ok(pthread_mutex_consistent(&robust) == 0 && pthread_mutex_unlock(&robust) == 0,
		   "pthread_mutex_consistent, then unlock");
		if (waited)
			pthread_join(th, NULL);
	}

	/* Many threads, created and joined in turn. */
	int made = 0;
	for (int i = 0; i < 10000; i++) {
		if (pthread_create(&th, NULL, nothing, (void *)(long)i) != 0)
			break;
		void *v;
		if (pthread_join(th, &v) == 0 && (long)v == i)
			made++;
	}
	ok(made == 10000, "10000 threads created and joined (%d)", made);
	return tap_done();
}
