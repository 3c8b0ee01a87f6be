/* What the System V IPC and POSIX queue tests share (shm, sem, msg,
 * mqueue).  They run natively on the host's IPC namespace too: objects
 * are IPC_PRIVATE or use keys made from the test's pid, and every object
 * a test makes is removed at exit, also when a check fails.  Included
 * after tap.h. */
#ifndef PICOS_CONF_IPCOBJ_H
#define PICOS_CONF_IPCOBJ_H

#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

/* A key no other run uses at the same time: the pid and a tag. */
__attribute__((unused)) static key_t ipc_key(int tag)
{
	return (key_t)(0x5c000000 | ((getpid() & 0x3fffff) << 4) | (tag & 15));
}

/* The objects a test made, removed at exit (atexit: only the test's own
 * process, never its children, which end with _exit). */
enum ipc_kind { IPC_K_SHM, IPC_K_SEM, IPC_K_MSG };
static int ipc_ids[3][16], ipc_nids[3];

static void ipc_remove_all(void)
{
	for (int i = 0; i < ipc_nids[IPC_K_SHM]; i++)
		shmctl(ipc_ids[IPC_K_SHM][i], IPC_RMID, NULL);
	for (int i = 0; i < ipc_nids[IPC_K_SEM]; i++)
		semctl(ipc_ids[IPC_K_SEM][i], 0, IPC_RMID);
	for (int i = 0; i < ipc_nids[IPC_K_MSG]; i++)
		msgctl(ipc_ids[IPC_K_MSG][i], IPC_RMID, NULL);
}

/* Records a new object's id (or a failure's -1) and returns it. */
__attribute__((unused)) static int ipc_made(enum ipc_kind k, int id)
{
	static int registered;
	if (!registered++)
		atexit(ipc_remove_all);
	if (id >= 0 && ipc_nids[k] < 16)
		ipc_ids[k][ipc_nids[k]++] = id;
	return id;
}

/* Column `col` (from 0) of the line of /proc/sysvipc/NAME whose column
 * 1 (the id) is `id`; -1 when there is none. */
__attribute__((unused)) static long ipc_proc_col(const char *name, int id,
						 int col)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && v < 0 && fgets(line, sizeof line, f)) {
		long c[8];
		int n = sscanf(line, "%ld %ld %ld %ld %ld %ld %ld %ld", &c[0],
			       &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]);
		if (n > col && c[1] == id)
			v = c[col];
	}
	if (f)
		fclose(f);
	return v;
}

/* Without IPC (ENOSYS: picos's flat mode, or a kernel without
 * CONFIG_SYSVIPC) the test has one check and ends. */
static void ipc_skip_if_absent(int r, const char *what)
{
	if (r != -1 || errno != ENOSYS)
		return;
	ok(1, "%s: ENOSYS, no IPC here (flat mode): nothing more to check", what);
	exit(tap_done());
}

/* A one-shot timer firing SIGALRM after `ms` ms, with a handler that does
 * nothing (sa_flags: SA_RESTART or 0). */
__attribute__((unused)) static void ipc_on_alarm(int s) { (void)s; }
__attribute__((unused)) static void ipc_alarm_ms(int ms, int sa_flags)
{
	struct sigaction sa = { .sa_handler = ipc_on_alarm, .sa_flags = sa_flags };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

__attribute__((unused)) static double ipc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The child's exit status, or -1 when it did not exit normally. */
__attribute__((unused)) static int ipc_wait_exit(pid_t pid)
{
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (r != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#endif
