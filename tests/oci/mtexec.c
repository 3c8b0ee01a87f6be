/* Execs its arguments from a process with two threads: a pico process
 * then moves to a new host process (src/kernel/proc/task.c,
 * task_rehost), which `picos exec` must follow to report the status of
 * the program it runs, not the old host process's (tests/oci/run.sh). */
#include <pthread.h>
#include <unistd.h>

static void *idle(void *a)
{
	(void)a;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (argc < 2 || pthread_create(&t, NULL, idle, NULL) != 0)
		return 99;
	execv(argv[1], argv + 1);
	return 98;
}
