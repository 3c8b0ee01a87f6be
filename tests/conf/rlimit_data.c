/* RLIMIT_DATA lowered below what the process already uses: Linux allows
 * it, and only later growth of its data fails (ENOMEM).  Under picos the
 * provider's own memory and its patched call sites must not depend on
 * growing the process's data: vfork, files, threads and the calls a
 * program makes go on working. */
#include "tap.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void *thread_main(void *arg)
{
	return arg;
}

int main(void)
{
	/* 20 GiB of private writable data, never touched */
	void *big = mmap(NULL, 20UL << 30, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ok(big != MAP_FAILED, "20 GiB of private writable memory mapped");
	struct rlimit rl = { 1 << 20, 1 << 20 };
	ok(setrlimit(RLIMIT_DATA, &rl) == 0, "RLIMIT_DATA lowered to 1 MiB, below its use");
	int vforks = 0, files = 0, pids = 0;
	for (int i = 0; i < 300; i++) {
		pid_t p = vfork();
		if (p == 0)
			_exit(3);
		int st;
		vforks += waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 3;
		int fd = open("/dev/null", O_RDONLY);
		files += fd >= 0 && close(fd) == 0;
		pids += getpid() > 0;
	}
	ok(vforks == 300 && files == 300 && pids == 300,
	   "300 vforks, opens and getpids after it (%d, %d, %d)", vforks, files, pids);
	pthread_t t;
	void *ret = NULL;
	int r = pthread_create(&t, NULL, thread_main, (void *)7);
	if (r == 0)
		pthread_join(t, &ret);
	ok((r == 0 && ret == (void *)7) || r == EAGAIN,
	   "a thread is made, or refused with EAGAIN (%d)", r);
	errno = 0;
	void *more = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(more == MAP_FAILED && errno == ENOMEM, "a new private writable mapping: ENOMEM");
	more = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(more != MAP_FAILED, "a read-only one is made (not data)");
	return tap_done();
}
