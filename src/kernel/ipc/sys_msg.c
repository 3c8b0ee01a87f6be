/* System V message queues: the host's queues, in the world's IPC
 * namespace.  Waits are interruptible by guest signals; the pids of
 * msgctl's answers are the guest's. */
#include "ipc.h"
#include "../syscalls.h"
#include <linux/msg.h>

#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

long sys_msgget(long key, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return host_syscall2(__NR_msgget, key, flags);
}

/* The namespace's largest message (msgmax). */
static size_t msgmax(void)
{
	struct msginfo mi;
	long r = host_syscall3(__NR_msgctl, 0, IPC_INFO, &mi);
	return r < 0 ? 0 : (size_t)mi.msgmax;
}

/* A message buffer: its mtype word and `size` bytes of text.  No message
 * is longer than msgmax: msgsnd refuses a larger size (EINVAL, after
 * reading mtype) and msgrcv copies out at most the message, so a buffer
 * the guest may not name to its full size is checked up to msgmax. */
static long msgbuf(const void *umsg, size_t size)
{
	size_t n = sizeof(long) + size;
	if ((long)size < 0 || !guest_range_ok((uint64_t)umsg, n))
		n = sizeof(long) + RT_MIN(size, msgmax());
	return (long)user_ptr_for_host(umsg, n);
}

/* Linux's msgsnd and msgrcv return -ERESTARTNOHAND when a signal
 * interrupts the wait: EINTR after a handler, whatever SA_RESTART. */
long sys_msgsnd(int id, const void *umsg, size_t size, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return ipc_wait_call(-ERESTARTNOHAND, __NR_msgsnd, id,
			     msgbuf(umsg, size), (long)size, flags, 0);
}

long sys_msgrcv(int id, void *umsg, size_t size, long type, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return ipc_wait_call(-ERESTARTNOHAND, __NR_msgrcv, id,
			     msgbuf(umsg, size), (long)size, type, flags);
}

_Static_assert(sizeof(struct msqid64_ds) <= IPC_DS_MAX, "ipc_ctl's buffer");
static const struct ipc_ctl_kind msg_kind = {
	__NR_msgctl,
	sizeof(struct msqid64_ds),
	{ offsetof(struct msqid64_ds, msg_lspid),
	  offsetof(struct msqid64_ds, msg_lrpid) },
	MSG_STAT, MSG_STAT_ANY, MSG_INFO,
	sizeof(struct msginfo), sizeof(struct msginfo),
};

long sys_msgctl(int id, int cmd, void *ubuf)
{
	return ipc_world_ns ? ipc_ctl(&msg_kind, id, cmd, ubuf) : -ENOSYS;
}
