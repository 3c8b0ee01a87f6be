/* System V IPC and POSIX queues (docs/security/30-namespaces.md): a world
 * never reaches the host's objects, and two worlds never see each
 * other's.  Run through ipc.sh, which makes host objects with the key
 * HOSTILE_IPC_KEY and the queue HOSTILE_IPC_MQ natively first.
 *   ipc                  raw host calls on the host's objects (attacks)
 *   ipc world TAG OTHER  one of two worlds started at once (ns mode)
 *   ipc host-make | host-remove | host-count   native helpers */
#include "hostile.h"
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

/* What only a world's objects look like, to find them if they leaked
 * into the host's namespace: a segment of this size, a set of this many
 * semaphores. */
#define MARK_SHM_SIZE 1234567
#define MARK_NSEMS 77

static key_t key;
static char mq[128]; /* "/name": glibc's form */

static int raw_shmget(void *a)
{
	(void)a;
	return held_if_failed("shmget(host key)", HSC3(__NR_shmget, key, 0, 0));
}

static int raw_semget(void *a)
{
	(void)a;
	return held_if_failed("semget(host key)", HSC3(__NR_semget, key, 0, 0));
}

static int raw_msgget(void *a)
{
	(void)a;
	return held_if_failed("msgget(host key)", HSC2(__NR_msgget, key, 0));
}

static int raw_mq_open(void *a)
{
	(void)a;
	return held_if_failed("mq_open(host queue)",
			      HSC4(__NR_mq_open, mq + 1, O_RDWR, 0, 0));
}

/* The host segment's id, named directly: not one of the world's. */
static int raw_shm_rmid(void *a)
{
	(void)a;
	int id = atoi(env_or("HOSTILE_IPC_SHMID", "0"));
	return held_if_failed("shmctl(host id, IPC_RMID)",
			      HSC3(__NR_shmctl, id, IPC_RMID, 0));
}

static int attacks(void)
{
	hostile_init();
	ATTEMPT("ipc.host", "shmget of the host's key", raw_shmget, 0);
	ATTEMPT("ipc.host", "semget of the host's key", raw_semget, 0);
	ATTEMPT("ipc.host", "msgget of the host's key", raw_msgget, 0);
	ATTEMPT("ipc.host", "mq_open of the host's queue", raw_mq_open, 0);
	ATTEMPT("ipc.host", "IPC_RMID of the host's segment id", raw_shm_rmid, 0);
	return hostile_done();
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
}

/* One of two worlds started at once: both create the same key and
 * queue name exclusively, wait for each other, then check that what
 * they wrote is still theirs.  TAG "A" then holds its objects until the
 * driver kills its world. */
static int world(const char *tag, const char *other)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	int shm = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	int sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	int msg = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	struct mq_attr at = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	mqd_t q = mq_open(mq, O_CREAT | O_EXCL | O_RDWR, 0600, &at);
	ok(shm >= 0 && sem >= 0 && msg >= 0 && q >= 0,
	   "world %s: the host's key and queue name are free here", tag);
	int mshm = shmget(IPC_PRIVATE, MARK_SHM_SIZE, IPC_CREAT | 0600);
	int msem = semget(IPC_PRIVATE, MARK_NSEMS, IPC_CREAT | 0600);
	ok(mshm >= 0 && msem >= 0, "world %s: marked private objects", tag);
	char *p = shmat(shm, NULL, 0);
	if (p == (void *)-1)
		return 1;
	strcpy(p, tag);
	semctl(sem, 0, SETVAL, (int)tag[0]);
	struct { long type; char text[8]; } m = { 1, { tag[0] } };
	msgsnd(msg, &m, 1, 0);
	mq_send(q, tag, 1, 0);
	char ready[64], other_ready[64];
	snprintf(ready, sizeof ready, "%s.ready", tag);
	snprintf(other_ready, sizeof other_ready, "%s.ready", other);
	touch(ready);
	int both = 0;
	for (int i = 0; i < 200 && !(both = exists(other_ready)); i++)
		usleep(50000);
	ok(both, "world %s: world %s is up at the same time", tag, other);
	usleep(200000); /* both hold their objects now */
	char got[16] = { 0 };
	memset(&m, 0, sizeof m);
	ok(!strcmp(p, tag) && semctl(sem, 0, GETVAL) == tag[0] &&
		   msgrcv(msg, &m, 8, 0, IPC_NOWAIT) == 1 && m.text[0] == tag[0] &&
		   mq_receive(q, got, 16, NULL) == 1 && got[0] == tag[0],
	   "world %s: its segment, semaphore, queue and POSIX queue hold only its own data",
	   tag);
	if (strcmp(tag, "A") == 0) {
		char held[64];
		snprintf(held, sizeof held, "%s.held", tag);
		touch(held);
		for (;;)
			pause(); /* until the world is killed */
	}
	/* B ends normally, leaving its objects for the namespace to take */
	return hostile_done();
}

/* ---- native helpers ---- */

static int host_make(void)
{
	int shm = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	int sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	int msg = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	mqd_t q = mq_open(mq, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	if (shm < 0 || sem < 0 || msg < 0 || q < 0) {
		perror("host objects");
		return 1;
	}
	printf("%d\n", shm);
	return 0;
}

static int host_remove(void)
{
	shmctl(shmget(key, 0, 0), IPC_RMID, NULL);
	semctl(semget(key, 0, 0), 0, IPC_RMID);
	msgctl(msgget(key, 0), IPC_RMID, NULL);
	mq_unlink(mq);
	return 0;
}

/* Lines of /proc/sysvipc/NAME whose column `col` (from 1) is `v`. */
static int count(const char *name, int col, long v)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
	FILE *f = fopen(path, "r");
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *s = line, *tok = NULL;
		for (int c = 0; c < col && (tok = strtok(s, " \t")); c++)
			s = NULL;
		if (tok && strtol(tok, NULL, 10) == v)
			n++;
	}
	fclose(f);
	return n;
}

/* "KEY shm sem msg MARKS shm sem QUEUE 0|1": the host's view. */
static int host_count(void)
{
	mqd_t q = mq_open(mq, O_RDONLY);
	printf("key %d %d %d marks %d %d queue %d\n", count("shm", 1, key),
	       count("sem", 1, key), count("msg", 1, key),
	       count("shm", 4, MARK_SHM_SIZE), count("sem", 4, MARK_NSEMS),
	       q >= 0);
	return 0;
}

int main(int argc, char **argv)
{
	key = (key_t)strtol(env_or("HOSTILE_IPC_KEY", "1362100000"), NULL, 0);
	snprintf(mq, sizeof mq, "/%s", env_or("HOSTILE_IPC_MQ", "picos-hostile-ipc"));
	if (argc == 4 && !strcmp(argv[1], "world"))
		return world(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "host-make"))
		return host_make();
	if (argc == 2 && !strcmp(argv[1], "host-remove"))
		return host_remove();
	if (argc == 2 && !strcmp(argv[1], "host-count"))
		return host_count();
	return attacks();
}
