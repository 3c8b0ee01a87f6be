/* AddressSanitizer's leak report (built with gcc -fsanitize=address).
 * LeakSanitizer stops the world from a clone(CLONE_VM) child that
 * ptrace-attaches every thread of its parent, reads their registers and
 * scans their stacks.  Without arguments: one thread and two leaks at
 * exit.  With "threads": two more threads blocked in a pipe read and a
 * condition wait (one holding a block only its stack points to, which
 * must not be reported), and the check run from main. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __lsan_do_leak_check(void);

void *volatile keep; /* reachable: not a leak */
static int fds[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;

static void *reader(void *arg)
{
	char *volatile held = malloc(64);
	strcpy(held, "held");
	char b;
	if (read(fds[0], &b, 1) < 0)
		return NULL;
	free(held);
	return arg;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&m);
	while (!ready)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return arg;
}

__attribute__((noinline)) static void leak(size_t n, int times)
{
	for (int i = 0; i < times; i++) {
		char *volatile p = malloc(n);
		p[0] = 1;
	}
}

int main(int argc, char **argv)
{
	keep = malloc(10);
	leak(40, 1);
	leak(24, 3);
	if (argc > 1 && strcmp(argv[1], "threads") == 0) {
		pthread_t t1, t2;
		if (pipe(fds))
			return 2;
		pthread_create(&t1, NULL, reader, NULL);
		pthread_create(&t2, NULL, waiter, NULL);
		usleep(100000);
		__lsan_do_leak_check(); /* reports and exits */
	}
	return 0;
}
