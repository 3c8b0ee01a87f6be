/* vfork with Linux's shared-memory semantics.
 *
 * A vfork child (vfork, or clone/clone3 with CLONE_VM|CLONE_VFORK as
 * glibc's posix_spawn makes) shares the parent's memory until it execs or
 * exits, and the parent waits.  picos makes it a host
 * clone(CLONE_VM|CLONE_VFORK): the child really runs in the parent's
 * address space, so what it writes to guest memory (posix_spawn's error
 * word, vfork's variables) is the parent's.
 *
 * The provider lives in that address space too, so the child is made as
 * a CLONE_VM child process is (sys_vmclone.c): one more task of this
 * provider, with its own thread area and provider stack, and its own
 * guest process state (`struct gproc`: pid, table entry, copies of the fd
 * table, cwd and signal actions).  Nothing of the parent's is written
 * through it, so nothing has to be copied aside and back.  The parent's
 * only task waits in the host clone without the provider lock, which the
 * child takes for its calls.
 *
 * What stays shared is the memory's (`struct proc`: its mappings and
 * break are the child's to change, as on Linux) and the few per-process
 * values kept beside it: the identity, the limits, the name and the
 * other fields of `struct proc` that Linux gives each process.  Those
 * (a few KiB) are kept before the clone and put back after it.  So is
 * how far the mount table came: the host fds the child opens for the
 * world's new mounts are in its own host fd table, so the parent applies
 * those mounts again itself (fs/mount.c).  The directory cache's fds
 * are closed before the clone, and the cache stays unused while the
 * child borrows the memory (fs/dcache.c).  The rest of the provider
 * keeps no host fd outside the fd table (which the child has a copy of)
 * and struct proc.
 *
 * At exec the child moves into an address space of its own: a host fork
 * that takes over its table entry (thread_exec_detach, as for any process
 * sharing its memory), and the borrowing host task ends, which lets the
 * parent go on.  The parent then frees what the child left in the
 * shared heap (its copies of the fd table, cwd and signal actions). */
#include "proc.h"
#include "caps.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include <linux/sched.h>

/* What the child may change that is not the memory's, and the mount
 * table it may extend with host fds of its own. */
struct vfork_keep {
	struct proc proc;
	struct identity ident;
	struct mount_mark mounts;
};

static void keep_save(struct vfork_keep *k)
{
	k->proc = proc;
	k->ident = ident;
	k->mounts = mount_mark();
}

/* The memory's own fields stay as the child left them: who lives in it,
 * its break (the child's brk moved the parent's too) and whether the
 * guest marked any of it MADV_DONTFORK. */
static void keep_restore(const struct vfork_keep *k)
{
	int users = proc.vm_users;
	uint64_t bs = proc.brk_start, bc = proc.brk_cur, bm = proc.brk_mapped;
	bool dontfork = proc.guest_dontfork;
	proc = k->proc;
	proc.vm_users = users;
	proc.brk_start = bs;
	proc.brk_cur = bc;
	proc.brk_mapped = bm;
	proc.guest_dontfork = dontfork;
	ident = k->ident;
	mount_back_to(k->mounts);
}

/* Back from the host clone: the child has moved out or ended.  A child
 * killed inside the provider (SIGKILL while it served a call) did not
 * count itself out and may have died holding the lock; the caller is the
 * only task left in this memory then, so the lock is simply its own. */
static void vfork_back(struct gproc *gp, struct pico_thread *area)
{
	if (__atomic_load_n(&gp->left_vm, __ATOMIC_ACQUIRE)) {
		provider_lock_retake();
		return;
	}
	provider_lock_reset_after_fork();
	__atomic_fetch_sub(&proc.vm_users, 1, __ATOMIC_ACQ_REL);
	if (area)
		thread_area_abandoned(area);
}

long vfork_share(struct picos_task *c, uint64_t flags, uint64_t stack,
		 uint64_t tls, int *ctid)
{
	struct vfork_keep *keep = kmalloc(sizeof *keep);
	struct gproc *gp = keep ? vm_gproc_new(c, flags) : NULL;
	if (!gp) {
		kfree(keep);
		return -ENOMEM;
	}
	caps_publish_task(c, &current()->caps); /* before it can change them */
	keep_save(keep);
	proc.vfork_child = true; /* the fast path leaves its code alone */
	struct pico_thread *area = NULL;
	long r = vm_task_start(gp, flags, stack, tls, ctid, &area);
	if (r >= 0) /* the lock was dropped for the clone */
		vfork_back(gp, area);
	keep_restore(keep);
	kfree(keep);
	vm_gproc_drop(gp, flags);
	return r;
}
