/* System V shared memory: the host's segments, in the world's IPC
 * namespace.  The provider keeps attachments out of its window, records
 * them as guest mappings (mm), and makes the pids and ids of shmctl's
 * answers the guest's. */
#include "ipc.h"
#include "../proc/proc.h"
#include "../mm/mm.h"
#include "../syscalls.h"
#include <linux/mman.h>
#include <linux/shm.h>

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#define SHMLBA RT_PAGE_SIZE /* x86-64 */

/* The process's attachments: where each starts and how long it is, so
 * that shmdt forgets exactly what the host unmapped.  Shared by the
 * threads and CLONE_VM children of this memory, copied by fork as the
 * attachments are; an entry outliving its mapping (munmap, exec) is
 * replaced by the next attachment at its address. */
struct shm_att {
	uint64_t addr, len;
};
static struct shm_att *atts;
static int natts, catts;

static struct shm_att *att_find(uint64_t addr)
{
	for (int i = 0; i < natts; i++)
		if (atts[i].addr == addr)
			return &atts[i];
	return NULL;
}

/* Remembers an attachment; false when the provider heap is full. */
static bool att_add(uint64_t addr, uint64_t len)
{
	struct shm_att *a = att_find(addr);
	if (!a && natts == catts) {
		int nc = catts ? catts * 2 : 16;
		struct shm_att *n = kmalloc(sizeof *n * (size_t)nc);
		if (!n)
			return false;
		for (int i = 0; i < natts; i++)
			n[i] = atts[i];
		kfree(atts);
		atts = n;
		catts = nc;
	}
	if (!a)
		a = &atts[natts++];
	*a = (struct shm_att){ addr, len };
	return true;
}

static void att_del(struct shm_att *a)
{
	*a = atts[--natts];
}

long sys_shmget(long key, size_t size, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return host_syscall3(__NR_shmget, key, size, flags);
}

/* The segment's size, or 0 when the host will not tell (then shmat
 * fails too: both need read permission on an existing segment). */
static uint64_t shm_size(int id)
{
	struct shmid64_ds ds;
	if (host_syscall3(__NR_shmctl, id, IPC_STAT, &ds) < 0)
		return 0;
	return RT_ALIGN_UP(ds.shm_segsz, RT_PAGE_SIZE);
}

/* Linux's checks of an address given to shmat, for the window: an
 * attachment there would overlap memory in use (EINVAL without
 * SHM_REMAP), and SHM_REMAP may not replace the provider. */
static bool in_window(unsigned long addr, int flags, uint64_t len)
{
	if (flags & SHM_RND)
		addr &= ~(SHMLBA - 1);
	if (!addr || (addr & (SHMLBA - 1)))
		return false; /* the host chooses, or refuses the address */
	return len && !guest_range_ok(addr, len);
}

long sys_shmat(int id, const void *uaddr, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	uint64_t len = shm_size(id);
	if (in_window((unsigned long)uaddr, flags, len))
		return -EINVAL;
	long r = host_syscall3(__NR_shmat, id, uaddr, flags);
	if (r >= 0)
		proc.sysv_at_exit = true; /* (its detach: exit_self.c) */
	if (r < 0 || !len)
		return r;
	uint64_t a = (uint64_t)r;
	/* The window is reserved on the host, which never places a segment
	 * there; never hand the guest provider memory if it somehow did. */
	if (!guest_range_ok(a, len) || !att_add(a, len)) {
		host_syscall1(__NR_shmdt, a);
		return -ENOMEM;
	}
	int prot = (flags & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
	if (flags & SHM_EXEC)
		prot |= PROT_EXEC;
	mm_record(a, a + len, prot, MAP_SHARED);
	/* after mlockall(MCL_FUTURE) an attachment is locked, as a mapping */
	long lr = mlock_new_mapping(a, len);
	if (lr < 0) {
		host_syscall1(__NR_shmdt, a);
		mm_forget(a, a + len);
		att_del(att_find(a));
		return lr;
	}
	return r;
}

long sys_shmdt(const void *uaddr)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	uint64_t a = (uint64_t)uaddr;
	/* Linux finds no segment in the window: memory it does not map */
	if (!guest_range_ok(a, 1))
		return -EINVAL;
	long r = host_syscall1(__NR_shmdt, a);
	struct shm_att *at = att_find(a);
	if (r == 0 && at) {
		mm_forget(a, a + at->len);
		att_del(at);
	}
	return r;
}

_Static_assert(sizeof(struct shmid64_ds) <= IPC_DS_MAX, "ipc_ctl's buffer");
static const struct ipc_ctl_kind shm_kind = {
	__NR_shmctl,
	sizeof(struct shmid64_ds),
	{ offsetof(struct shmid64_ds, shm_cpid),
	  offsetof(struct shmid64_ds, shm_lpid) },
	SHM_STAT, SHM_STAT_ANY, SHM_INFO,
	sizeof(struct shminfo64), sizeof(struct shm_info),
};

long sys_shmctl(int id, int cmd, void *ubuf)
{
	return ipc_world_ns ? ipc_ctl(&shm_kind, id, cmd, ubuf) : -ENOSYS;
}
