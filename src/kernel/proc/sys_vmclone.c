/* clone(CLONE_VM) without CLONE_THREAD and CLONE_VFORK: a new guest
 * process that shares its parent's memory (AddressSanitizer's leak
 * checker, some language runtimes).
 *
 * The provider's state lives in that memory too, so the child is not a
 * provider of its own: it is one more host task of this provider, made
 * like a thread (its own %gs area and alternate stack, entered through a
 * copy of the creating call's frame) but in a host thread group of its
 * own (clone(CLONE_VM|CLONE_FS|CLONE_PARENT), CLONE_FILES as the guest
 * asked, no CLONE_THREAD): it has its own host pid, so host signals, the
 * launcher's wait4 and the exit status are its own, and it serves its
 * calls under the same provider lock as the parent's threads.  What
 * makes it another guest process is its `struct gproc` (pid, table
 * entry, host pid, thread count, signal actions): threads find theirs
 * through their area, and so are its fd table and cwd when it has its
 * own (no CLONE_FILES, CLONE_FS: copies, and the host clone copies the
 * host fd table so the copied files' host fds are its own).  Everything
 * else in `struct proc` is the memory's. */
#include "proc.h"
#include "caps.h"
#include "../fs/vfs.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <linux/sched.h>
#include <picos/world.h>

/* A private copy of the caller's signal actions (no CLONE_SIGHAND);
 * clone3's CLONE_CLEAR_SIGHAND resets the handled ones, as exec does. */
static struct sig_actions *sigactions_copy(bool clear)
{
	struct sig_actions *sa = kzalloc(sizeof *sa);
	if (!sa)
		return NULL;
	for (int sig = 1; sig <= PICO_NSIG; sig++) {
		struct guest_sigaction *a = &sa->act[sig - 1];
		sigaction_get(sig, a);
		if (clear && a->handler != 1 /* SIG_IGN */)
			rt_memset(a, 0, sizeof *a);
	}
	return sa;
}

/* The copies a child owned that it did not free itself: one that never
 * ran, or a vfork child that moved out or ended (vfork.c). */
void vm_gproc_drop(struct gproc *gp, uint64_t flags)
{
	if (!(flags & CLONE_SIGHAND))
		kfree(gp->sigact);
	if (!(flags & CLONE_FILES) && gp->files)
		fdtable_drop_copy(gp->files);
	if (!(flags & CLONE_FS) && gp->fs) {
		kfree(gp->fs->cwd);
		kfree(gp->fs->root);
		kfree(gp->fs);
	}
	kfree(gp);
}

struct gproc *vm_gproc_new(struct picos_task *c, uint64_t flags)
{
	/* The new task shares this memory with a host fd table of its
	 * own (vfork, CLONE_VM): the cached directory fds go first, so
	 * neither table holds numbers the other's cache names. */
	dcache_flush();
	struct gproc *gp = kzalloc(sizeof *gp);
	if (!gp)
		return NULL;
	gp->pid = c->vpid;
	gp->task = c;
	gp->nthreads = 1;
	/* flags bit 32: clone3's CLONE_CLEAR_SIGHAND */
	gp->sigact = (flags & CLONE_SIGHAND) ? gproc()->sigact
					     : sigactions_copy(flags >> 32 & 1);
	if (!gp->sigact) {
		kfree(gp);
		return NULL;
	}
	/* Without CLONE_FILES or CLONE_FS: copies of the caller's, as a
	 * fork would make (the host copies its fd table with the clone). */
	gp->files = gproc()->files;
	gp->fs = gproc()->fs;
	if ((!(flags & CLONE_FILES) && !(gp->files = fdtable_copy())) ||
	    (!(flags & CLONE_FS) && !(gp->fs = fs_copy()))) {
		vm_gproc_drop(gp, flags);
		return NULL;
	}
	gp->own_files = !(flags & CLONE_FILES);
	gp->own_fs = !(flags & CLONE_FS);
	return gp;
}

long vm_task_start(struct gproc *gp, uint64_t flags, uint64_t stack,
		   uint64_t tls, int *ctid, struct pico_thread **area)
{
	__atomic_fetch_add(&proc.vm_users, 1, __ATOMIC_ACQ_REL);
	struct task_spawn sp = {
		.gp = gp,
		.vtid = gp->pid,
		.flags = flags,
		.stack = stack,
		.tls = tls,
		.ctid = ctid,
		/* Never the host's CLONE_SIGHAND: the host handlers are the
		 * provider's and the same everywhere, and a fatal signal's
		 * default action must be set for the dying process only.
		 * CLONE_VFORK: the host holds this task until the child
		 * moves out or ends. */
		.host_flags = CLONE_VM | CLONE_FS | (flags & CLONE_FILES) |
			      (flags & CLONE_VFORK) | CLONE_PARENT | SIGCHLD,
		.host_id = &gp->task->host_pid,
		.vm_child = true,
		.area = area,
	};
	long r = task_spawn(&sp);
	if (r < 0)
		__atomic_fetch_sub(&proc.vm_users, 1, __ATOMIC_ACQ_REL);
	return r;
}

long vm_child_new(struct picos_task *c, uint64_t flags, uint64_t stack,
		  uint64_t tls, int *ctid)
{
	struct gproc *gp = vm_gproc_new(c, flags);
	if (!gp)
		return -ENOMEM;
	long r = vm_task_start(gp, flags, stack, tls, ctid, NULL);
	if (r >= 0) {
		caps_publish_of(gp); /* the creator's sets, as a fork's */
		return r;
	}
	vm_gproc_drop(gp, flags);
	return r;
}

void thread_release_vm(void)
{
	gproc()->left_vm = true; /* what a vfork parent looks for */
	thread_release();
	__atomic_fetch_sub(&proc.vm_users, 1, __ATOMIC_ACQ_REL);
}

void vm_leave(void)
{
	if (__atomic_load_n(&proc.vm_users, __ATOMIC_ACQUIRE) <= 1)
		return;
	ptrace_release_tracees();
	aio_leave(); /* before its fd table goes: host fds in it */
	thread_release_vm();
	/* Its own fd table goes with it: the host closes the fds. */
	struct gproc *gp = gproc();
	if (gp->own_files) {
		struct fdtable *t = gp->files;
		gp->files = NULL;
		gp->own_files = false;
		fdtable_drop_copy(t);
	}
	/* The memory, and the lock in it, lives on with the others. */
	provider_lock_drop();
}
