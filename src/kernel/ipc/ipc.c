/* What the System V IPC and POSIX queue calls share (ipc.h). */
#include "ipc.h"
#include "../proc/proc.h"
#include "../signal/signal.h"

bool ipc_world_ns;

int ipc_pid_to_guest(int host_pid)
{
	return host_pid > 0 ? task_vpid_of_sender(host_pid) : 0;
}

long ipc_set_in(void *k, const void *ubuf, size_t size)
{
	if (copy_from_user(k, ubuf, size) < 0)
		return -EFAULT;
	struct ipc64_perm *p = k;
	/* -1 is no id: the host refuses it as Linux does (EINVAL) */
	if (p->uid != (__kernel_uid32_t)-1)
		p->uid = ident_uid_to_host(p->uid);
	if (p->gid != (__kernel_gid32_t)-1)
		p->gid = ident_gid_to_host(p->gid);
	return 0;
}

long ipc_stat_out(long r, void *ubuf, void *k, size_t size,
		  const size_t pid_off[2])
{
	if (r < 0)
		return r;
	struct ipc64_perm *p = k;
	p->uid = ident_uid_to_guest(p->uid);
	p->gid = ident_gid_to_guest(p->gid);
	p->cuid = ident_uid_to_guest(p->cuid);
	p->cgid = ident_gid_to_guest(p->cgid);
	for (int i = 0; i < 2; i++) {
		if (!pid_off[i])
			continue;
		int32_t *pid = (int32_t *)((char *)k + pid_off[i]);
		*pid = ipc_pid_to_guest(*pid);
	}
	return copy_to_user(ubuf, k, size) < 0 ? -EFAULT : r;
}

long ipc_ctl(const struct ipc_ctl_kind *k, int id, int cmd, void *ubuf)
{
	uint64_t buf[IPC_DS_MAX / 8];
	int c = ipc_cmd(cmd);
	if (c == IPC_STAT || c == k->stat_cmd || c == k->stat_any_cmd)
		return ipc_stat_out(host_syscall3(k->nr, id, cmd, buf), ubuf,
				    buf, k->ds_size, k->pid_off);
	if (c == IPC_SET) {
		long r = ipc_set_in(buf, ubuf, k->ds_size);
		return r < 0 ? r : host_syscall3(k->nr, id, cmd, buf);
	}
	if (c == IPC_INFO || c == k->info_cmd)
		return host_syscall3(k->nr, id, cmd,
				     user_ptr_for_host(ubuf, c == IPC_INFO
							     ? k->ipc_info_size
							     : k->info_size));
	/* no buffer (IPC_RMID, SHM_LOCK...), or EINVAL */
	return host_syscall3(k->nr, id, cmd, 0);
}

long ipc_wait_call(long intr, long nr, long a, long b, long c, long d,
		   long e)
{
	for (;;) {
		long r = intr_call(nr, a, b, c, d, e, 0);
		if (r != -EINTR)
			return r;
		if (signal_interrupts())
			return intr;
	}
}
