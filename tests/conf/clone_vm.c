/* clone(CLONE_VM) without CLONE_THREAD: a new process sharing the
 * parent's memory (and, here, files and fs), with its own pid, its exit
 * signal sent to the parent, waited for with __WCLONE/__WALL; without
 * CLONE_FILES copies of the parent's files that keep what they are
 * (pidfds of a zombie and of a thread) and whose close leaves the
 * parent's signal-driven I/O alone; signal actions shared only with
 * CLONE_SIGHAND; CLONE_CHILD_CLEARTID cleared at
 * its end; a SIGKILL of the child leaves the parent alone; the flag
 * combinations Linux refuses.  AddressSanitizer's leak checker makes such
 * a child (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED). */
#include "tap.h"
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define STACK_SIZE (256 * 1024)

static volatile int shared_word;
static volatile pid_t child_pid, child_ppid;
static volatile int child_fd = -1;
static atomic_int go, spinning;
static volatile sig_atomic_t got_usr1;
static char path[256];

static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }
static void on_usr2(int sig) { (void)sig; }

static int writer(void *arg)
{
	shared_word = (int)(long)arg;
	child_pid = getpid();
	child_ppid = getppid();
	return 7;
}

static int opener(void *arg)
{
	(void)arg;
	child_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

static int set_usr2(void *arg)
{
	(void)arg;
	struct sigaction sa = { .sa_handler = on_usr2 };
	return sigaction(SIGUSR2, &sa, NULL) == 0 ? 0 : 1;
}

static int spin(void *arg)
{
	(void)arg;
	atomic_store(&spinning, 1);
	while (!atomic_load(&go))
		;
	return 0;
}

static char self[256];

static int execer(void *arg)
{
	(void)arg;
	shared_word = 9;
	char *argv[] = { self, "exit42", NULL };
	execv(self, argv);
	return 1;
}

static char *new_stack(void)
{
	char *s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return s == MAP_FAILED ? NULL : s + STACK_SIZE;
}

static pid_t start(int (*fn)(void *), void *arg, int flags)
{
	char *stack = new_stack();
	if (!stack)
		return -1;
	return clone(fn, stack, flags, arg);
}

static void test_shared_memory_and_pid(void)
{
	shared_word = 0;
	pid_t pid = start(writer, (void *)42L,
			  CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	if (!ok(pid > 0, "clone(CLONE_VM|CLONE_FS|CLONE_FILES|SIGCHLD)"))
		return;
	int st = 0;
	ok(waitpid(pid, &st, 0) == pid, "waitpid reaps the SIGCHLD child");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7,
	   "its status is its function's return value (%#x)", st);
	ok(shared_word == 42, "its write is visible to the parent");
	ok(child_pid == pid, "its getpid is clone's return value");
	ok(child_pid != getpid(), "its pid differs from the parent's");
	ok(child_ppid == getpid(), "its getppid is the parent");
}

static void test_files_shared(void)
{
	child_fd = -1;
	pid_t pid = start(opener, NULL, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	if (!ok(pid > 0, "clone with CLONE_FILES"))
		return;
	waitpid(pid, NULL, 0);
	ok(child_fd >= 0, "the child opened a file");
	struct stat a, b;
	ok(child_fd >= 0 && fstat(child_fd, &a) == 0 && stat(path, &b) == 0 &&
		   a.st_ino == b.st_ino,
	   "the fd it opened is the parent's too (CLONE_FILES)");
	if (child_fd >= 0)
		close(child_fd);
}

static volatile int inherited_ok, closed_fd = -1;
static char child_cwd[256];
static volatile mode_t child_old_umask;

/* Without CLONE_FILES: opens a file, checks an inherited fd, closes it. */
static int private_files(void *arg)
{
	int parent_fd = (int)(long)arg;
	struct stat st;
	inherited_ok = fstat(parent_fd, &st) == 0;
	child_fd = open(path, O_RDONLY);
	closed_fd = close(parent_fd);
	return 0;
}

static int close_fd(void *arg)
{
	return close((int)(long)arg) == 0 ? 0 : 1;
}

/* The parent's fd turned O_ASYNC with F_SETSIG: the child's close of its
 * copy leaves the parent's signals naming the parent's fd. */
static void test_async_private(void)
{
	int p[2];
	if (pipe(p))
		return;
	int rt = SIGRTMIN + 2;
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, rt);
	sigprocmask(SIG_BLOCK, &s, &old);
	ok(fcntl(p[0], F_SETOWN, getpid()) == 0 && fcntl(p[0], F_SETSIG, rt) == 0 &&
		   fcntl(p[0], F_SETFL, O_ASYNC) == 0,
	   "O_ASYNC with F_SETSIG on a pipe");
	pid_t pid = start(close_fd, (void *)(long)p[0], CLONE_VM | CLONE_FS | SIGCHLD);
	int st = 0;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a child without CLONE_FILES closes its copy of the fd");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	struct timespec ts = { 2, 0 };
	ok(write(p[1], "a", 1) == 1 && sigtimedwait(&s, &si, &ts) == rt &&
		   si.si_code == POLL_IN && si.si_fd == p[0],
	   "the parent's signal still names its fd (si_fd %d, fd %d)", si.si_fd, p[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	close(p[1]);
}

/* pidfd_send_signal(fd, 0): 0 while what the pidfd names may be
 * signalled (a zombie included). */
static int pidfd_alive(void *arg)
{
	return syscall(SYS_pidfd_send_signal, (int)(long)arg, 0, NULL, 0) == 0 ? 0 : 1;
}

static atomic_int thread_go, parked_tid;

static void *parked(void *arg)
{
	(void)arg;
	atomic_store(&parked_tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&thread_go))
		usleep(1000);
	return NULL;
}

/* Without CLONE_FILES the child's copies of pidfds name what the
 * parent's name: a zombie, a thread of the parent. */
static void test_pidfds_private(void)
{
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	siginfo_t info;
	waitid(P_PID, z, &info, WEXITED | WNOWAIT); /* a zombie now */
	int zfd = (int)syscall(SYS_pidfd_open, z, 0);
	int st = 0;
	pid_t pid = start(pidfd_alive, (void *)(long)zfd, CLONE_VM | CLONE_FS | SIGCHLD);
	ok(zfd >= 0 && pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0,
	   "the child's copy of a zombie's pidfd signals it (0)");
	close(zfd);
	waitpid(z, NULL, 0);

	pthread_t t;
	atomic_store(&thread_go, 0);
	atomic_store(&parked_tid, 0);
	pthread_create(&t, NULL, parked, NULL);
	while (!atomic_load(&parked_tid))
		usleep(1000);
	pid_t tid = atomic_load(&parked_tid);
	int tfd = (int)syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
	pid = start(pidfd_alive, (void *)(long)tfd, CLONE_VM | CLONE_FS | SIGCHLD);
	ok(tid > 0 && tfd >= 0 && pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0,
	   "the child's copy of a thread's pidfd signals it (0)");
	atomic_store(&thread_go, 1);
	pthread_join(t, NULL);
	close(tfd);
}

static int change_fs(void *arg)
{
	(void)arg;
	if (chdir("/") != 0)
		return 1;
	child_old_umask = umask(077);
	return getcwd(child_cwd, sizeof child_cwd) ? 0 : 1;
}

static void test_files_private(void)
{
	int pfd = open(path, O_RDONLY);
	child_fd = -1;
	pid_t pid = start(private_files, (void *)(long)pfd, CLONE_VM | CLONE_FS | SIGCHLD);
	if (!ok(pid > 0, "clone(CLONE_VM|CLONE_FS) without CLONE_FILES"))
		return;
	waitpid(pid, NULL, 0);
	ok(inherited_ok, "the child has a copy of the parent's fds");
	ok(child_fd >= 0 && fcntl(child_fd, F_GETFD) == -1 && errno == EBADF,
	   "an fd the child opened is not the parent's");
	ok(closed_fd == 0 && fcntl(pfd, F_GETFD) >= 0,
	   "the child's close leaves the parent's fd open");
	close(pfd);
}

static void test_fs(void)
{
	char before[256], after[256];
	if (!getcwd(before, sizeof before))
		return;
	mode_t mask = umask(022);
	pid_t pid = start(change_fs, NULL, CLONE_VM | CLONE_FILES | SIGCHLD);
	int st = 0;
	waitpid(pid, &st, 0);
	ok(pid > 0 && WEXITSTATUS(st) == 0 && strcmp(child_cwd, "/") == 0 &&
		   getcwd(after, sizeof after) && strcmp(after, before) == 0,
	   "without CLONE_FS the child's chdir is its own");
	ok(umask(022) == 022 && child_old_umask == 022,
	   "and so is its umask");
	pid = start(change_fs, NULL, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	waitpid(pid, &st, 0);
	ok(pid > 0 && getcwd(after, sizeof after) && strcmp(after, "/") == 0 &&
		   umask(mask) == 077,
	   "with CLONE_FS the parent follows the child's chdir and umask");
	if (chdir(before) != 0)
		ok(0, "chdir back");
}

static void test_exit_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	got_usr1 = 0;
	pid_t pid = start(writer, (void *)1L,
			  CLONE_VM | CLONE_FS | CLONE_FILES | SIGUSR1);
	if (!ok(pid > 0, "clone with exit signal SIGUSR1"))
		return;
	int st = 0;
	/* Not a SIGCHLD child: plain waits do not see it. */
	pid_t r;
	do
		r = waitpid(pid, &st, WNOHANG);
	while (r == -1 && errno == EINTR);
	ok(r == -1 && errno == ECHILD, "waitpid without __WCLONE: ECHILD");
	do
		r = waitpid(pid, &st, __WCLONE);
	while (r == -1 && errno == EINTR);
	ok(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	   "waitpid(__WCLONE) reaps it with its status");
	ok(got_usr1, "the parent got SIGUSR1 at its end");

	/* No exit signal at all: __WALL. */
	pid = start(writer, (void *)2L, CLONE_VM | CLONE_FS | CLONE_FILES);
	do
		r = waitpid(pid, &st, __WALL);
	while (r == -1 && errno == EINTR);
	ok(pid > 0 && r == pid && WEXITSTATUS(st) == 7 && shared_word == 2,
	   "a child with no exit signal is reaped with __WALL");
	signal(SIGUSR1, SIG_DFL);
}

static void test_sighand(void)
{
	struct sigaction old;
	signal(SIGUSR2, SIG_DFL);
	pid_t pid = start(set_usr2, NULL, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	int st = 0;
	waitpid(pid, &st, 0);
	sigaction(SIGUSR2, NULL, &old);
	ok(pid > 0 && WEXITSTATUS(st) == 0 && old.sa_handler == SIG_DFL,
	   "without CLONE_SIGHAND the child's sigaction is its own");
	pid = start(set_usr2, NULL,
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | SIGCHLD);
	waitpid(pid, &st, 0);
	sigaction(SIGUSR2, NULL, &old);
	ok(pid > 0 && WEXITSTATUS(st) == 0 && old.sa_handler == on_usr2,
	   "with CLONE_SIGHAND the parent sees the child's sigaction");
	signal(SIGUSR2, SIG_DFL);
}

static void test_cleartid_and_kill(void)
{
	static pid_t ctid = -1;
	atomic_store(&go, 0);
	atomic_store(&spinning, 0);
	char *stack = new_stack();
	pid_t pid = clone(spin, stack,
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED |
				  CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
				  SIGCHLD,
			  NULL, NULL, NULL, &ctid);
	if (!ok(pid > 0, "clone with CLONE_UNTRACED|CLONE_CHILD_SETTID|CLEARTID"))
		return;
	while (!atomic_load(&spinning))
		sched_yield();
	ok(ctid == pid, "CLONE_CHILD_SETTID wrote its pid");
	atomic_store(&go, 1);
	int st = 0;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st),
	   "it ends when told through shared memory");
	ok(ctid == 0, "CLONE_CHILD_CLEARTID cleared the word at its end");

	atomic_store(&go, 0);
	atomic_store(&spinning, 0);
	pid = start(spin, NULL, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	while (pid > 0 && !atomic_load(&spinning))
		sched_yield();
	ok(pid > 0 && kill(pid, SIGKILL) == 0, "kill(child, SIGKILL)");
	ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		   WTERMSIG(st) == SIGKILL,
	   "the child died of SIGKILL, the parent goes on");
	shared_word = 0;
	pid = start(writer, (void *)5L, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && shared_word == 5,
	   "a later CLONE_VM child still works");
}

static void test_exec(void)
{
	shared_word = 0;
	pid_t pid = start(execer, NULL, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
	int st = 0;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 42,
	   "the child execs a program of its own (status %#x)", st);
	ok(shared_word == 9, "the parent's memory stays as the child left it");
	shared_word = 3;
	ok(shared_word == 3, "and the parent goes on in it");
}

/* A CLONE_VM child outlives its parent's exec: it keeps the old memory
 * (and fd table), the parent's new image still has it as a child. */
static int pipe_w = -1;
static int late_writer(void *arg)
{
	(void)arg;
	usleep(200000); /* the parent has exec'd by now */
	shared_word = 11;
	return write(pipe_w, "alive", 5) == 5 ? 6 : 1;
}

static void test_parent_exec(void)
{
	int p[2];
	if (pipe(p))
		return;
	pid_t f = fork();
	if (f == 0) {
		close(p[0]);
		pipe_w = p[1];
		char *stack = new_stack();
		if (!stack || clone(late_writer, stack,
				    CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD,
				    NULL) < 0)
			_exit(2);
		char *argv[] = { self, "waitchild", NULL };
		execv(self, argv);
		_exit(3);
	}
	close(p[1]);
	char buf[8] = { 0 };
	ssize_t n = read(p[0], buf, sizeof buf);
	ok(n == 5 && memcmp(buf, "alive", 5) == 0,
	   "the child runs on after its parent's exec");
	int st = 0;
	ok(waitpid(f, &st, 0) == f && WIFEXITED(st) && WEXITSTATUS(st) == 6,
	   "the exec'd parent reaps it with its status (%#x)", st);
	close(p[0]);
}

static long raw_clone(unsigned long flags)
{
	return syscall(SYS_clone, flags, 0, NULL, NULL, 0);
}

static void test_invalid(void)
{
	fails_with(raw_clone(CLONE_SIGHAND | SIGCHLD), EINVAL,
		   "CLONE_SIGHAND without CLONE_VM");
	fails_with(raw_clone(CLONE_THREAD | CLONE_VM | SIGCHLD), EINVAL,
		   "CLONE_THREAD without CLONE_SIGHAND");
	fails_with(raw_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD), EINVAL,
		   "CLONE_NEWNS|CLONE_FS");
	fails_with(raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD), EINVAL,
		   "CLONE_NEWUSER|CLONE_FS");
	fails_with(raw_clone(CLONE_SIGHAND | CLONE_FILES | SIGCHLD), EINVAL,
		   "CLONE_SIGHAND|CLONE_FILES without CLONE_VM");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit42") == 0)
		return 42;
	if (argc > 1 && strcmp(argv[1], "waitchild") == 0) {
		int st = 0;
		pid_t c = wait(&st);
		return c > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 99;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof path, "%s", tap_scratch("clone_vm"));
	tap_put(path, "x");
	test_shared_memory_and_pid();
	test_files_shared();
	test_files_private();
	test_async_private();
	test_pidfds_private();
	test_fs();
	test_exit_signal();
	test_sighand();
	test_cleartid_and_kill();
	test_exec();
	test_parent_exec();
	test_invalid();
	unlink(path);
	return tap_done();
}
