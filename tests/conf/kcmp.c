/* kcmp: KCMP_FILE on the caller's fds (dup shares the description, a
 * second open does not, EBADF for a closed fd), KCMP_VM/FILES/FS/SIGHAND
 * between threads (all shared), a fork child (none shared) and a
 * clone(CLONE_VM|CLONE_FS|CLONE_FILES) child (shared but the handlers,
 * shared too with CLONE_SIGHAND), ESRCH for no such pid, EINVAL for an
 * unknown type; the ordering answers 1 and 2 are each other's mirror. */
#include "tap.h"
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
	return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static atomic_int thread_tid, stop;

static void *thread_fn(void *arg)
{
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&stop))
		usleep(1000);
	return arg;
}

static atomic_int child_go;
static int child_fn(void *arg)
{
	(void)arg;
	while (!atomic_load(&child_go))
		usleep(1000);
	return 0;
}

static pid_t vm_child_flags(int flags)
{
	size_t sz = 256 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return clone(child_fn, stack + sz, CLONE_VM | flags | SIGCHLD, NULL);
}

static pid_t vm_child(int extra)
{
	return vm_child_flags(CLONE_FS | CLONE_FILES | extra);
}

static int mirror(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
	long x = kcmp(a, b, type, i1, i2), y = kcmp(b, a, type, i2, i1);
	return (x == 1 && y == 2) || (x == 2 && y == 1);
}

int main(void)
{
	pid_t me = getpid();
	int fd = open("/proc/self/exe", O_RDONLY);
	int d = dup(fd);
	int other = open("/proc/self/exe", O_RDONLY);
	ok(kcmp(me, me, KCMP_FILE, fd, d) == 0, "KCMP_FILE: a dup is the same file");
	ok(mirror(me, me, KCMP_FILE, fd, other),
	   "KCMP_FILE: a second open differs, ordered both ways");
	close(d);
	fails_with(kcmp(me, me, KCMP_FILE, fd, d), EBADF, "KCMP_FILE on a closed fd");
	ok(kcmp(me, me, KCMP_FILE, fd, (1UL << 40) | (unsigned)fd) == 0,
	   "KCMP_FILE reads the index as an unsigned int");
	fails_with(kcmp(me, 0x3ffffff0, KCMP_VM, 0, 0), ESRCH, "kcmp of no such pid");
	fails_with(kcmp(me, me, 99, 0, 0), EINVAL, "kcmp of an unknown type");

	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	while (!atomic_load(&thread_tid))
		sched_yield();
	pid_t tid = atomic_load(&thread_tid);
	ok(kcmp(me, tid, KCMP_VM, 0, 0) == 0 && kcmp(me, tid, KCMP_FILES, 0, 0) == 0 &&
		   kcmp(me, tid, KCMP_FS, 0, 0) == 0 &&
		   kcmp(me, tid, KCMP_SIGHAND, 0, 0) == 0,
	   "a thread shares VM, FILES, FS and SIGHAND");
	ok(kcmp(me, tid, KCMP_FILE, fd, fd) == 0, "KCMP_FILE across threads");
	atomic_store(&stop, 1);
	pthread_join(th, NULL);

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	ok(mirror(me, child, KCMP_VM, 0, 0) && mirror(me, child, KCMP_FILES, 0, 0) &&
		   mirror(me, child, KCMP_FS, 0, 0) &&
		   mirror(me, child, KCMP_SIGHAND, 0, 0),
	   "a fork child shares none of VM, FILES, FS, SIGHAND");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	pid_t c = vm_child(0);
	ok(c > 0 && kcmp(me, c, KCMP_VM, 0, 0) == 0 &&
		   kcmp(me, c, KCMP_FILES, 0, 0) == 0 && kcmp(me, c, KCMP_FS, 0, 0) == 0,
	   "a CLONE_VM|CLONE_FS|CLONE_FILES child shares VM, FILES and FS");
	ok(mirror(me, c, KCMP_SIGHAND, 0, 0), "but not SIGHAND without CLONE_SIGHAND");
	ok(kcmp(me, c, KCMP_FILE, fd, fd) == 0, "KCMP_FILE with the CLONE_FILES child");
	pid_t c2 = vm_child(CLONE_SIGHAND);
	ok(c2 > 0 && kcmp(me, c2, KCMP_SIGHAND, 0, 0) == 0,
	   "a CLONE_SIGHAND child shares SIGHAND");
	pid_t c3 = vm_child_flags(0);
	ok(c3 > 0 && kcmp(me, c3, KCMP_VM, 0, 0) == 0 &&
		   mirror(me, c3, KCMP_FILES, 0, 0) && mirror(me, c3, KCMP_FS, 0, 0),
	   "a CLONE_VM child without CLONE_FILES|CLONE_FS shares only VM");
	ok(kcmp(me, c3, KCMP_FILE, fd, fd) == 0,
	   "its copy of an fd is the same open file");
	atomic_store(&child_go, 1);
	waitpid(c, NULL, 0);
	waitpid(c2, NULL, 0);
	waitpid(c3, NULL, 0);
	close(fd);
	close(other);
	return tap_done();
}
