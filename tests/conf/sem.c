/* System V semaphores: semget (keys, sizes, IPC_CREAT|IPC_EXCL), semop and
 * semtimedop (IPC_NOWAIT, waits, timeouts, SEM_UNDO applied at exit, also
 * of a killed process), semctl (GETVAL/SETVAL, GETALL/SETALL, GETPID as a
 * guest pid, GETNCNT, GETZCNT, IPC_STAT, IPC_SET, IPC_INFO, SEM_INFO,
 * SEM_STAT, IPC_RMID waking waiters with EIDRM), signals interrupting a
 * wait (EINTR, never restarted), and the errors (EACCES, EEXIST, EINVAL,
 * ENOENT, E2BIG, EFBIG, ERANGE, EAGAIN, EFAULT). */
#include "tap.h"
#include "ipcobj.h"
#include <sys/sem.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

static int made(int id) { return ipc_made(IPC_K_SEM, id); }

static int op(int id, int num, int delta, int flags)
{
	struct sembuf b = { (unsigned short)num, (short)delta, (short)flags };
	return semop(id, &b, 1);
}

static void creation(void)
{
	key_t key = ipc_key(1);
	int id = made(semget(key, 3, IPC_CREAT | IPC_EXCL | 0600));
	ok(id >= 0, "semget of a new key");
	fails_with(semget(key, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		   "IPC_CREAT|IPC_EXCL of an existing key");
	ok(semget(key, 0, 0) == id && semget(key, 2, 0) == id,
	   "semget finds the set (nsems 0 or fewer)");
	fails_with(semget(key, 4, 0), EINVAL, "semget with more semaphores");
	fails_with(semget(ipc_key(2), 1, 0600), ENOENT, "semget of a missing key");
	fails_with(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL,
		   "a new set of 0 semaphores");
	fails_with(semget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600), EINVAL,
		   "a new set beyond SEMMSL");
	struct semid_ds ds;
	union semun a = { .buf = &ds };
	ok(semctl(id, 0, IPC_STAT, a) == 0 && ds.sem_nsems == 3 &&
		   ds.sem_perm.uid == getuid() && ds.sem_perm.cuid == geteuid() &&
		   (ds.sem_perm.mode & 0777) == 0600 && ds.sem_otime == 0,
	   "IPC_STAT: nsems, ids, mode, no semop yet");
	ds.sem_perm.mode = 0660;
	ok(semctl(id, 0, IPC_SET, a) == 0, "IPC_SET");
	ok(semctl(id, 0, IPC_STAT, a) == 0 && (ds.sem_perm.mode & 0777) == 0660,
	   "IPC_SET changed the mode");
	fails_with(semctl(id, 0, IPC_STAT, (union semun){ .buf = (void *)8 }),
		   EFAULT, "IPC_STAT to a bad address");
	struct seminfo si;
	ok(semctl(0, 0, IPC_INFO, (union semun){ .info = &si }) >= 0 &&
		   si.semmsl > 0 && si.semopm > 0, "IPC_INFO");
	ok(semctl(0, 0, SEM_INFO, (union semun){ .info = &si }) >= 0 &&
		   si.semusz >= 1, "SEM_INFO counts the set");
	ok(semctl(id & 0x7fff, 0, SEM_STAT, a) == id, "SEM_STAT of its index");
	ok(semctl(id, 0, IPC_RMID) == 0, "IPC_RMID");
	fails_with(semctl(id, 0, GETVAL), EINVAL, "GETVAL after IPC_RMID");
}

static void values(int id)
{
	ok(semctl(id, 1, SETVAL, (union semun){ .val = 7 }) == 0 &&
		   semctl(id, 1, GETVAL) == 7, "SETVAL and GETVAL");
	fails_with(semctl(id, 1, SETVAL, (union semun){ .val = 32768 }), ERANGE,
		   "SETVAL above SEMVMX");
	fails_with(semctl(id, 1, SETVAL, (union semun){ .val = -1 }), ERANGE,
		   "SETVAL below 0");
	fails_with(semctl(id, 3, GETVAL), EINVAL, "GETVAL of semaphore 3 of 3");
	unsigned short all[3] = { 1, 2, 3 }, got[3] = { 0 };
	ok(semctl(id, 0, SETALL, (union semun){ .array = all }) == 0 &&
		   semctl(id, 0, GETALL, (union semun){ .array = got }) == 0 &&
		   got[0] == 1 && got[1] == 2 && got[2] == 3,
	   "SETALL and GETALL");
	fails_with(semctl(id, 0, GETALL, (union semun){ .array = (void *)8 }),
		   EFAULT, "GETALL to a bad address");
	unsigned short big[3] = { 1, 40000, 1 };
	fails_with(semctl(id, 0, SETALL, (union semun){ .array = big }), ERANGE,
		   "SETALL above SEMVMX");
	semctl(id, 0, SETALL, (union semun){ .array = (unsigned short[3]){ 0 } });
}

static void operations(int id)
{
	ok(op(id, 0, 2, 0) == 0 && semctl(id, 0, GETVAL) == 2, "semop +2");
	ok(semctl(id, 0, GETPID) == getpid(), "GETPID is the caller");
	fails_with(op(id, 0, -3, IPC_NOWAIT), EAGAIN,
		   "a decrement below 0 with IPC_NOWAIT");
	fails_with(op(id, 0, 0, IPC_NOWAIT), EAGAIN,
		   "wait-for-zero of a non-zero semaphore with IPC_NOWAIT");
	fails_with(op(id, 5, 1, 0), EFBIG, "semop on semaphore 5 of 3");
	struct sembuf many[600];
	for (int i = 0; i < 600; i++)
		many[i] = (struct sembuf){ 0, 0, IPC_NOWAIT };
	fails_with(semop(id, many, 600), E2BIG, "600 operations (SEMOPM 500)");
	fails_with(semop(id, many, 0), EINVAL, "no operation");
	fails_with(semop(id, (void *)8, 1), EFAULT, "operations at a bad address");
	fails_with(op(-1, 0, 1, 0), EINVAL, "semop of id -1");
	struct sembuf two[2] = { { 0, -2, 0 }, { 1, 1, 0 } };
	ok(semop(id, two, 2) == 0 && semctl(id, 0, GETVAL) == 0 &&
		   semctl(id, 1, GETVAL) == 1, "two operations at once");
	semctl(id, 1, SETVAL, (union semun){ .val = 0 });

	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 2, 1, 0) == 0 ? 0 : 1);
	ok(ipc_wait_exit(pid) == 0 && semctl(id, 2, GETPID) == pid,
	   "GETPID after a child's semop is the child's pid");
	semctl(id, 2, SETVAL, (union semun){ .val = 0 });
}

/* Waits until GETNCNT (or GETZCNT) of semaphore `num` is `want`. */
static int wait_cnt(int id, int num, int cmd, int want)
{
	for (int i = 0; i < 400; i++) {
		if (semctl(id, num, cmd) == want)
			return 1;
		usleep(5000);
	}
	return 0;
}

static void waiting(int id)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -1, 0) == 0 ? 0 : 1);
	ok(wait_cnt(id, 0, GETNCNT, 1), "GETNCNT counts a waiting decrement");
	op(id, 0, 1, 0);
	ok(ipc_wait_exit(pid) == 0, "the increment woke it");

	op(id, 1, 1, 0);
	pid = fork();
	if (pid == 0)
		_exit(op(id, 1, 0, 0) == 0 ? 0 : 1);
	ok(wait_cnt(id, 1, GETZCNT, 1), "GETZCNT counts a wait for zero");
	op(id, 1, -1, 0);
	ok(ipc_wait_exit(pid) == 0, "reaching zero woke it");

	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct sembuf b = { 0, -1, 0 };
	double t0 = ipc_now();
	fails_with(semtimedop(id, &b, 1, &ts), EAGAIN, "semtimedop times out");
	ok(ipc_now() - t0 >= 0.045, "after its timeout");
	ts.tv_nsec = 1000 * 1000 * 1000;
	fails_with(semtimedop(id, &b, 1, &ts), EINVAL, "a timeout of 1e9 ns");
	fails_with(semtimedop(id, &b, 1, (void *)8), EFAULT, "a timeout at a bad address");

	/* an ignored signal does not shorten or lengthen the timeout */
	signal(SIGUSR1, SIG_IGN);
	pid_t sender = fork();
	if (sender == 0) {
		usleep(250000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	ts = (struct timespec){ 0, 300 * 1000 * 1000 };
	t0 = ipc_now();
	fails_with(semtimedop(id, &b, 1, &ts), EAGAIN,
		   "semtimedop with an ignored signal during its wait");
	double el = ipc_now() - t0;
	ok(el >= 0.29 && el < 0.5, "it times out after its timeout, not later (%.3f s)", el);
	ipc_wait_exit(sender);
	signal(SIGUSR1, SIG_DFL);

	ipc_alarm_ms(50, SA_RESTART);
	fails_with(op(id, 0, -1, 0), EINTR,
		   "a signal with SA_RESTART interrupts semop (never restarted)");
	ok(semctl(id, 0, GETNCNT) == 0, "the waiter is gone from GETNCNT");
}

static void undo(int id)
{
	pid_t pid = fork();
	if (pid == 0) {
		op(id, 0, 3, SEM_UNDO);
		_exit(semctl(id, 0, GETVAL) == 3 ? 0 : 1);
	}
	ok(ipc_wait_exit(pid) == 0 && semctl(id, 0, GETVAL) == 0,
	   "SEM_UNDO is applied when the process exits");
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		op(id, 1, 2, SEM_UNDO);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	ok(read(pfd[0], &c, 1) == 1 && semctl(id, 1, GETVAL) == 2,
	   "a child holds +2 with SEM_UNDO");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(semctl(id, 1, GETVAL) == 0, "SEM_UNDO is applied when it is killed");
	close(pfd[0]);
	close(pfd[1]);
}

static void removal(void)
{
	int id = made(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	wait_cnt(id, 0, GETNCNT, 1);
	semctl(id, 0, IPC_RMID);
	ok(ipc_wait_exit(pid) == 0, "IPC_RMID wakes a waiter with EIDRM");
}

static void permissions(void)
{
	int id = made(semget(IPC_PRIVATE, 1, IPC_CREAT | 0400));
	if (geteuid() == 0) {
		ok(op(id, 0, 1, 0) == 0, "root alters a 0400 set");
		return;
	}
	fails_with(op(id, 0, 1, 0), EACCES, "semop on a 0400 set");
	ok(semctl(id, 0, GETVAL) == 0, "GETVAL of it is allowed");
	fails_with(semctl(id, 0, SETVAL, (union semun){ .val = 1 }), EACCES,
		   "SETVAL of it");
	/* write-only: SETALL needs no read permission, GETALL does */
	int wo = made(semget(IPC_PRIVATE, 3, IPC_CREAT | 0200));
	unsigned short all[3] = { 4, 5, 6 };
	ok(semctl(wo, 0, SETALL, (union semun){ .array = all }) == 0,
	   "SETALL of a 0200 set");
	fails_with(semctl(wo, 0, GETALL, (union semun){ .array = all }), EACCES,
		   "GETALL of it");
}

int main(void)
{
	int r = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	ipc_skip_if_absent(r, "semget");
	made(r);
	creation();
	int id = made(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
	ok(id >= 0, "a private set of 3");
	values(id);
	operations(id);
	waiting(id);
	undo(id);
	removal();
	permissions();
	return tap_done();
}
