/* Errors in Linux's order for socketpair (the first socket's creation
 * errors before the family's EOPNOTSUPP), futex_waitv (NULL waiters, a
 * bad clock with a timeout), and get_robust_list of other tasks (another
 * thread's real list, a CLONE_VM child's empty one, ESRCH for no such
 * task, EFAULT for a bad pointer). */
#include "tap.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static void test_socketpair(void)
{
	int sv[2];
	fails_with(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP,
		   "socketpair(AF_INET, SOCK_STREAM)");
	fails_with(socketpair(AF_INET, SOCK_STREAM, 99, sv), EPROTONOSUPPORT,
		   "socketpair(AF_INET) with an unsupported protocol");
	fails_with(socketpair(AF_INET6, SOCK_DGRAM, IPPROTO_TCP, sv),
		   EPROTONOSUPPORT, "socketpair(AF_INET6, SOCK_DGRAM, IPPROTO_TCP)");
	fails_with(socketpair(AF_INET, 99, 0, sv), EINVAL,
		   "socketpair(AF_INET) with an unknown type");
	fails_with(socketpair(AF_UNIX, SOCK_STREAM, 5, sv), EPROTONOSUPPORT,
		   "socketpair(AF_UNIX) with protocol 5");
	fails_with(socketpair(200, SOCK_STREAM, 0, sv), EAFNOSUPPORT,
		   "socketpair of family 200");
	fails_with(socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv), EINVAL,
		   "socketpair with an unknown type flag");
}

static void test_futex_waitv(void)
{
	struct timespec ts = { 0, 0 };
	fails_with(syscall(SYS_futex_waitv, NULL, 1, 0, NULL, 0), EINVAL,
		   "futex_waitv with NULL waiters");
	fails_with(syscall(SYS_futex_waitv, NULL, 1, 0, &ts, CLOCK_MONOTONIC),
		   EINVAL, "futex_waitv with NULL waiters and a timeout");
	uint32_t word = 0;
	struct futex_waitv w = { .val = 1, .uaddr = (uintptr_t)&word,
				 .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG };
	fails_with(syscall(SYS_futex_waitv, &w, 1, 0, &ts, 5), EINVAL,
		   "futex_waitv with a timeout on clock 5");
	fails_with(syscall(SYS_futex_waitv, &w, 1, 0, (void *)8, CLOCK_MONOTONIC),
		   EFAULT, "futex_waitv with a bad timeout pointer");
	fails_with(syscall(SYS_futex_waitv, &w, 1, 0, NULL, 5), EAGAIN,
		   "futex_waitv without timeout ignores the clock (value differs)");
}

static atomic_int tid_of_thread, stop;
static void *volatile thread_head;

static void *thread_fn(void *arg)
{
	size_t len;
	void *head;
	syscall(SYS_get_robust_list, 0, &head, &len);
	thread_head = head;
	atomic_store(&tid_of_thread, (int)syscall(SYS_gettid));
	while (!atomic_load(&stop))
		usleep(1000);
	return arg;
}

static atomic_int vm_go;
static int vm_fn(void *arg)
{
	(void)arg;
	while (!atomic_load(&vm_go))
		usleep(1000);
	return 0;
}

static void test_robust_list(void)
{
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	while (!atomic_load(&tid_of_thread))
		sched_yield();
	void *head = NULL;
	size_t len = 0;
	ok(syscall(SYS_get_robust_list, atomic_load(&tid_of_thread), &head, &len) == 0 &&
		   head == thread_head && head != NULL && len == 24,
	   "get_robust_list of another thread gives its list");
	fails_with(syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len), ESRCH,
		   "get_robust_list of no such task");
	fails_with(syscall(SYS_get_robust_list, -1, &head, &len), ESRCH,
		   "get_robust_list of pid -1");
	fails_with(syscall(SYS_get_robust_list, atomic_load(&tid_of_thread), &head,
			   (void *)8),
		   EFAULT, "get_robust_list with a bad length pointer");
	atomic_store(&stop, 1);
	pthread_join(th, NULL);

	size_t sz = 256 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t c = clone(vm_fn, stack + sz, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD,
			NULL);
	head = (void *)1;
	ok(c > 0 && syscall(SYS_get_robust_list, c, &head, &len) == 0 && head == NULL,
	   "a CLONE_VM child starts without a robust list");
	atomic_store(&vm_go, 1);
	waitpid(c, NULL, 0);
}

int main(void)
{
	test_socketpair();
	test_futex_waitv();
	test_robust_list();
	return tap_done();
}
