/* System V message queues: msgget (keys, IPC_CREAT|IPC_EXCL), msgsnd and
 * msgrcv (types: 0, positive, negative, MSG_EXCEPT; MSG_NOERROR and E2BIG;
 * MSG_COPY; IPC_NOWAIT on a full or empty queue; waits, interrupted by
 * signals: EINTR, and woken by IPC_RMID: EIDRM), msgctl (IPC_STAT with the
 * senders' and receivers' guest pids, IPC_SET of msg_qbytes, IPC_INFO,
 * MSG_INFO, MSG_STAT) and the errors (EACCES, EEXIST, EINVAL, ENOENT,
 * ENOMSG, EAGAIN, E2BIG, EFAULT). */
#include "tap.h"
#include "ipcobj.h"
#include <sys/msg.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

static int made(int id) { return ipc_made(IPC_K_MSG, id); }

struct msg {
	long type;
	char text[64];
};

static int snd(int id, long type, const char *text, int flags)
{
	struct msg m = { .type = type };
	snprintf(m.text, sizeof m.text, "%s", text);
	return msgsnd(id, &m, strlen(text) + 1, flags);
}

/* The type of the message msgrcv returns (text in *m), or -1. */
static long rcv(int id, struct msg *m, size_t size, long type, int flags)
{
	memset(m, 0, sizeof *m);
	return msgrcv(id, m, size, type, flags) < 0 ? -1 : m->type;
}

static void creation(void)
{
	key_t key = ipc_key(1);
	int id = made(msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	ok(id >= 0, "msgget of a new key");
	fails_with(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		   "IPC_CREAT|IPC_EXCL of an existing key");
	ok(msgget(key, 0) == id, "msgget finds the queue");
	fails_with(msgget(ipc_key(2), 0600), ENOENT, "msgget of a missing key");
	struct msqid_ds ds;
	ok(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0 &&
		   ds.msg_lspid == 0 && ds.msg_perm.uid == getuid() &&
		   (ds.msg_perm.mode & 0777) == 0600 && ds.msg_qbytes > 0,
	   "IPC_STAT of a new queue");
	fails_with(msgctl(id, IPC_STAT, (void *)8), EFAULT, "IPC_STAT to a bad address");
	struct msginfo mi;
	ok(msgctl(0, IPC_INFO, (void *)&mi) >= 0 && mi.msgmax > 0 && mi.msgmnb > 0,
	   "IPC_INFO");
	ok(msgctl(0, MSG_INFO, (void *)&mi) >= 0 && mi.msgpool >= 1,
	   "MSG_INFO counts the queue");
	ok(msgctl(id & 0x7fff, MSG_STAT, &ds) == id, "MSG_STAT of its index");
	ok(msgctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
	fails_with(msgctl(id, IPC_STAT, &ds), EINVAL, "IPC_STAT after IPC_RMID");
	fails_with(msgctl(id, 12345, &ds), EINVAL, "an unknown command");
}

static void types(int id)
{
	ok(snd(id, 3, "three", 0) == 0 && snd(id, 1, "one", 0) == 0 &&
		   snd(id, 2, "two", 0) == 0 && snd(id, 1, "uno", 0) == 0,
	   "four messages sent");
	struct msqid_ds ds;
	ok(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qnum == 4 &&
		   ds.msg_lspid == getpid() && ds.msg_cbytes == 6 + 4 + 4 + 4,
	   "IPC_STAT: 4 messages, their bytes, the sender's pid");
	struct msg m;
	ok(rcv(id, &m, 64, 1, MSG_COPY | IPC_NOWAIT) == -1 ? errno == ENOSYS
		   : (m.type == 1 && !strcmp(m.text, "one")),
	   "MSG_COPY of message 1, counted from 0 (ENOSYS without checkpoint/restore)");
	ok(rcv(id, &m, 64, 2, 0) == 2 && !strcmp(m.text, "two"), "type 2");
	ok(rcv(id, &m, 64, -2, 0) == 1 && !strcmp(m.text, "one"),
	   "type -2: the first of the lowest type");
	ok(rcv(id, &m, 64, 1, MSG_EXCEPT) == 3, "MSG_EXCEPT 1: the first other");
	fails_with(rcv(id, &m, 2, 0, 0), E2BIG, "a message larger than the buffer");
	ok(msgrcv(id, &m, 2, 0, MSG_NOERROR) == 2 && !memcmp(m.text, "un", 2),
	   "MSG_NOERROR truncates it");
	snd(id, 4, "four", 0);
	ok(msgrcv(id, &m, (size_t)1 << 40, 0, 0) == 5 && !strcmp(m.text, "four"),
	   "a buffer size far beyond the buffer: only the message is written");
	fails_with(rcv(id, &m, 64, 0, IPC_NOWAIT), ENOMSG, "an empty queue with IPC_NOWAIT");
	ok(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_lrpid == getpid() &&
		   ds.msg_qnum == 0, "IPC_STAT: empty, the receiver's pid");
	fails_with(snd(id, 0, "zero", 0), EINVAL, "a message of type 0");
	fails_with(msgsnd(id, &m, (size_t)1 << 30, 0), EINVAL, "a message above MSGMAX");
	fails_with(msgsnd(id, (void *)8, 4, 0), EFAULT, "a message at a bad address");
	fails_with(msgrcv(id, &m, (size_t)-1, 0, 0), EINVAL, "a negative size");
	fails_with(snd(-1, 1, "x", 0), EINVAL, "msgsnd to id -1");
}

static void pids_and_limits(int id)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(snd(id, 5, "child", 0) == 0 ? 0 : 1);
	struct msqid_ds ds;
	ok(ipc_wait_exit(pid) == 0 && msgctl(id, IPC_STAT, &ds) == 0 &&
		   ds.msg_lspid == pid, "the sender's pid is the child's");
	ok(ipc_proc_col("msg", id, 5) == pid, "/proc/sysvipc/msg shows it too");
	struct msg m;
	rcv(id, &m, 64, 0, 0);
	ds.msg_qbytes = 100;
	ok(msgctl(id, IPC_SET, &ds) == 0, "IPC_SET of msg_qbytes to 100");
	ok(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qbytes == 100, "it reads back");
	char big[64];
	memset(big, 'b', sizeof big);
	struct msg bm = { .type = 1 };
	memcpy(bm.text, big, 60);
	ok(msgsnd(id, &bm, 60, 0) == 0, "60 bytes fit");
	fails_with(msgsnd(id, &bm, 60, IPC_NOWAIT), EAGAIN,
		   "60 more with IPC_NOWAIT on a full queue");
	ipc_alarm_ms(50, SA_RESTART);
	fails_with(msgsnd(id, &bm, 60, 0), EINTR,
		   "a signal interrupts a waiting msgsnd (SA_RESTART or not)");
	rcv(id, &m, 64, 0, 0);
	ipc_alarm_ms(50, SA_RESTART);
	fails_with(rcv(id, &m, 64, 0, 0), EINTR, "... and a waiting msgrcv");
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		_exit(snd(id, 9, "late", 0) == 0 ? 0 : 1);
	}
	ok(rcv(id, &m, 64, 9, 0) == 9 && !strcmp(m.text, "late"),
	   "a waiting msgrcv gets a later message");
	ipc_wait_exit(pid);
}

static void removal(void)
{
	int id = made(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	pid_t pid = fork();
	if (pid == 0) {
		struct msg m;
		_exit(rcv(id, &m, 64, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
	}
	usleep(50000);
	msgctl(id, IPC_RMID, NULL);
	ok(ipc_wait_exit(pid) == 0, "IPC_RMID wakes a waiting msgrcv with EIDRM");
}

static void permissions(void)
{
	int id = made(msgget(IPC_PRIVATE, IPC_CREAT | 0400));
	if (geteuid() == 0) {
		ok(snd(id, 1, "x", 0) == 0, "root sends to a 0400 queue");
		return;
	}
	fails_with(snd(id, 1, "x", 0), EACCES, "msgsnd to a 0400 queue");
}

int main(void)
{
	int r = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	ipc_skip_if_absent(r, "msgget");
	made(r);
	creation();
	int id = made(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	ok(id >= 0, "a private queue");
	types(id);
	pids_and_limits(id);
	removal();
	permissions();
	return tap_done();
}
