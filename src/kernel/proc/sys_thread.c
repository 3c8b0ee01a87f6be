/* Threads: clone with CLONE_THREAD, and exit of one thread.
 *
 * A guest thread is a host thread of the same pico process.  It starts in
 * the provider, on its own alternate stack, and enters the guest through
 * rt_sigreturn on a copy of the creating call's signal frame: every guest
 * register as the parent had it, %rax 0, the new stack and the guest's
 * mask, restored by the host in one step.  From then on it is like the
 * first thread: Syscall User Dispatch (armed per thread) brings its calls
 * to the provider on its own %gs area and stack.
 *
 * Virtual tids come from the world's pid space (the thread-id table).  A
 * thread's end clears and wakes its clear_child_tid word as Linux does,
 * then exits on the host; its provider area is freed by a later clone,
 * once the host has cleared the word it watches (CLONE_CHILD_CLEARTID on
 * a provider word). */
#include "proc.h"
#include "remote.h"
#include "keys.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/prctl.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <picos/world.h>

#ifndef SS_DISABLE
#define SS_DISABLE 2
#endif

long thread_clone(unsigned long flags, void *stack, int *ptid, int *ctid,
		  unsigned long tls);
void thread_sigreturn(void *uc) __attribute__((noreturn));

/* The top of a new thread's alternate stack holds its first signal
 * frame (a ucontext and the xsave area); its boot code runs below. */
#define FRAME_AREA (32 * 1024UL)

struct thread_boot {
	struct pico_thread *t;
	void *uc;	   /* the frame to enter the guest with */
	int vtid;
	int *child_tid;	   /* CLONE_CHILD_SETTID, or NULL */
	bool vm_child;	   /* a CLONE_VM process, not a thread */
	/* the creator's published nice, policy and affinity (remote.c),
	 * which the host task inherits */
	const struct picos_remote *creator;
};

/* Threads of this process that ended: their areas go once the host has
 * cleared host_alive (the host thread is gone). */
struct dead_thread {
	struct dead_thread *next;
	struct pico_thread *t;
};
static struct dead_thread *dead;

/* Areas of ended threads kept for the next ones (creating a thread's
 * area, 300 KiB of fresh pages, costs more than the clone). */
#define SPARE_MAX 16
static struct pico_thread *spare[SPARE_MAX];
static int nspare;

static void reap_dead(void)
{
	struct dead_thread **p = &dead;
	while (*p) {
		struct dead_thread *d = *p;
		if (__atomic_load_n(&d->t->host_alive, __ATOMIC_ACQUIRE)) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		if (nspare < SPARE_MAX) {
			spare[nspare++] = d->t;
		} else {
			kunmap_pages(d->t->altstack, PICO_ALTSTACK_SIZE);
			kfree(d->t);
		}
		kfree(d);
	}
}

/* Everything but the path scratch buffers, which need no clearing,
 * starts at zero; left untouched, those 28 KiB (most of the area) become
 * resident only when a call uses them. */
static void area_clear(struct pico_thread *t)
{
	size_t head = __builtin_offsetof(struct pico_thread, kpath);
	size_t tail = __builtin_offsetof(struct pico_thread, fast_frame);
	rt_memset(t, 0, head);
	rt_memset((char *)t + tail, 0, sizeof *t - tail);
}

/* A thread area: a spare one reset, or a new one. */
static struct pico_thread *area_get(void)
{
	if (nspare) {
		struct pico_thread *t = spare[--nspare];
		void *stack = t->altstack;
		area_clear(t);
		t->altstack = stack;
		return t;
	}
	struct pico_thread *t = kmalloc(sizeof *t);
	if (t) {
		area_clear(t);
		t->altstack = kmap_pages(PICO_ALTSTACK_SIZE);
	}
	return t;
}

static void area_put(struct pico_thread *t)
{
	if (nspare < SPARE_MAX) {
		spare[nspare++] = t;
		return;
	}
	kunmap_pages(t->altstack, PICO_ALTSTACK_SIZE);
	kfree(t);
}

/* In the new host task: its %gs area, Syscall User Dispatch, then the
 * guest.  A CLONE_VM child is a host process of its own: it learns its
 * host pid and, like a forked child, dies with the launcher. */
static void thread_start(void *arg)
{
	struct thread_boot *b = arg;
	struct pico_thread *t = b->t;
	host_syscall2(__NR_arch_prctl, ARCH_SET_GS, t);
	t->host_tid = (int)host_syscall0(__NR_gettid);
	if (b->vm_child) {
		t->gp->host_pid = (int)host_syscall0(__NR_getpid);
		host_syscall2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
		if (host_syscall0(__NR_getppid) != popts.world->launcher_pid ||
		    __atomic_load_n(&popts.world->ending, __ATOMIC_SEQ_CST))
			host_exit_group(137);
	}
	entry_arm_sud();
	remote_publish_inherited(b->creator); /* what it inherited */
	if (b->child_tid)
		copy_to_user(b->child_tid, &b->vtid, sizeof(int));
	thread_sigreturn(b->uc);
}

/* Builds the new thread's first frame at the top of its alternate stack
 * from the creating call's: the same registers and FPU state, %rax 0,
 * `stack` as %rsp when given, the guest's mask, the thread's own
 * alternate stack for its provider entries. */
static void *build_frame(struct pico_thread *nt, uint64_t stack)
{
	struct pico_thread *t = current();
	char *top = (char *)nt->altstack + PICO_ALTSTACK_SIZE;
	char *area = top - FRAME_AREA;
	struct ucontext *uc = (struct ucontext *)(area + 64);
	rt_memcpy(uc, t->uc, sizeof *uc);
	struct pico_frame f = *t->frame;
	f.rax = 0;
	if (stack)
		f.rsp = stack;
	frame_to_sigcontext(&f, &uc->uc_mcontext);
	uc->uc_mcontext.r11 &= ~R11_SERVED_MARK;
	const void *fp = (const void *)t->uc->uc_mcontext.fpstate;
	size_t fpsize = signal_fpstate_size(fp);
	if (fp && fpsize) {
		char *nfp = (char *)RT_ALIGN_UP((uint64_t)(uc + 1) + sizeof(siginfo_t),
						64);
		if (nfp + fpsize <= top) {
			rt_memcpy(nfp, fp, fpsize);
			uc->uc_mcontext.fpstate = (void *)nfp;
		} else {
			uc->uc_mcontext.fpstate = 0; /* the host's init state */
		}
	}
	uc->uc_sigmask = host_mask_of(t->sigmask);
	uc->uc_stack.ss_sp = nt->altstack;
	uc->uc_stack.ss_size = PICO_ALTSTACK_SIZE;
	uc->uc_stack.ss_flags = 0;
	return uc;
}

#define THREAD_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND)

long task_spawn(const struct task_spawn *sp)
{
	reap_dead();
	struct pico_thread *nt = area_get();
	if (!nt)
		return -EAGAIN;
	struct pico_thread *t = current();
	nt->self = nt;
	nt->gp = sp->gp;
	nt->tid = sp->vtid;
	nt->tid_slot = sp->tid_slot;
	nt->cur_nr = -1;
	nt->sigmask = t->sigmask;
	nt->ss_flags = SS_DISABLE; /* Linux: a CLONE_VM child has none */
	nt->clear_child_tid =
		(sp->flags & CLONE_CHILD_CLEARTID) ? (uint64_t)sp->ctid : 0;
	nt->host_alive = 1;
	/* Linux: a new task has its creator's credentials and filters. */
	nt->caps = t->caps;
	nt->no_new_privs = t->no_new_privs;
	nt->seccomp = t->seccomp;
	nt->seccomp_mode = t->seccomp_mode;

	char *area = (char *)nt->altstack + PICO_ALTSTACK_SIZE - FRAME_AREA;
	struct thread_boot *b = (struct thread_boot *)(area - 256);
	b->t = nt;
	b->uc = build_frame(nt, sp->stack);
	b->vtid = sp->vtid;
	b->child_tid = (sp->flags & CLONE_CHILD_SETTID) ? sp->ctid : NULL;
	b->vm_child = sp->vm_child;
	b->creator = remote_published_self();
	uint64_t *sp_top = (uint64_t *)((uint64_t)b & ~15UL);
	*--sp_top = (uint64_t)b;
	*--sp_top = (uint64_t)thread_start;

	unsigned long hflags = sp->host_flags | CLONE_PARENT_SETTID |
			       CLONE_CHILD_CLEARTID |
			       ((sp->flags & CLONE_SETTLS) ? CLONE_SETTLS : 0);
	ptrace_area_add(nt);
	uint64_t mask = doorbells_hold(); /* the thread starts with them held */
	/* A vfork child (CLONE_VFORK) serves its calls while the host holds
	 * this task in the clone: the lock goes first, and comes back here
	 * if the clone fails, else in vfork.c, which knows whether the child
	 * ended holding it. */
	if (hflags & CLONE_VFORK)
		provider_lock_drop();
	long r = thread_clone(hflags, sp_top, sp->host_id, (int *)&nt->host_alive,
			      sp->tls);
	doorbells_release(mask);
	if (r < 0) {
		if (hflags & CLONE_VFORK)
			provider_lock_retake();
		ptrace_area_remove(nt);
		area_put(nt);
	} else {
		nt->host_tid = (int)r; /* known before the task runs */
		if (sp->area)
			*sp->area = nt;
	}
	return r;
}

void thread_area_abandoned(struct pico_thread *t)
{
	ptrace_area_remove(t);
	struct dead_thread *d = kmalloc(sizeof *d);
	if (d) {
		d->t = t;
		d->next = dead;
		dead = d;
	}
}

long thread_new(uint64_t flags, uint64_t stack, uint64_t tls, int *ptid,
		int *ctid)
{
	if (!(flags & CLONE_SIGHAND))
		return -EINVAL; /* Linux: a thread shares the handlers */
	/* A thread with its own fd table or cwd: not supported (yet). */
	if ((flags & THREAD_NEEDS) != THREAD_NEEDS)
		return -ENOSYS;
	task_lock();
	struct picos_thread_id *slot = tid_alloc(0);
	if (slot) {
		keys_thread(slot);
		slot->view_blocked = current()->sigmask; /* a thread's starts as
							  * its creator's */
	}
	task_unlock();
	if (!slot)
		return -EAGAIN;
	struct task_spawn sp = {
		.gp = gproc(),
		.vtid = slot->vtid,
		.tid_slot = slot,
		.flags = flags,
		.stack = stack,
		.tls = tls,
		.ctid = ctid,
		.host_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			      CLONE_THREAD | CLONE_SYSVSEM,
		.host_id = &slot->host_tid,
	};
	__atomic_fetch_add(&gproc()->nthreads, 1, __ATOMIC_ACQ_REL);
	/* before the thread runs: an area it may reuse is no key of the
	 * directory cache's any more */
	dcache_thread_new();
	long r = task_spawn(&sp);
	if (r < 0) {
		__atomic_fetch_sub(&gproc()->nthreads, 1, __ATOMIC_ACQ_REL);
		task_lock();
		tid_free(slot);
		task_unlock();
		return r == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	int vtid = slot->vtid;
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(ptid, &vtid, sizeof(int));
	return vtid;
}

/* The robust futexes a dying thread holds (Linux's exit_robust_list): each
 * word whose owner is this tid gets FUTEX_OWNER_DIED, and a waiter is
 * woken to take it over. */
#define ROBUST_LIST_LIMIT 2048

static void robust_futex_death(uint64_t uaddr, int tid)
{
	uint32_t *w = (uint32_t *)uaddr;
	uint32_t val;
	for (int tries = 0; tries < 16; tries++) {
		if (copy_from_user(&val, w, 4) < 0 ||
		    (val & FUTEX_TID_MASK) != (uint32_t)tid)
			return;
		uint32_t nv = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		long r = cmpxchg_user32(w, val, nv);
		if (r < 0)
			return;
		if ((uint32_t)r != val)
			continue; /* changed under us: look again */
		if (val & FUTEX_WAITERS)
			host_syscall6l(__NR_futex, uaddr, FUTEX_WAKE, 1, 0, 0, 0);
		return;
	}
}

static void exit_robust_list(struct pico_thread *t)
{
	struct {
		uint64_t next;
		int64_t futex_offset;
		uint64_t pending;
	} head;
	if (!t->robust_list || copy_from_user(&head, (void *)t->robust_list,
					      sizeof head) < 0)
		return;
	/* The low bit of an entry pointer marks a PI futex. */
	uint64_t entry = head.next;
	for (int n = 0; entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next;
		if (copy_from_user(&next, (void *)(entry & ~1UL), 8) < 0)
			return;
		if ((entry & ~1UL) != (head.pending & ~1UL))
			robust_futex_death((entry & ~1UL) + (uint64_t)head.futex_offset,
					   t->tid);
		entry = next;
	}
	if (head.pending)
		robust_futex_death((head.pending & ~1UL) + (uint64_t)head.futex_offset,
				   t->tid);
}

/* What Linux does for every ending task: its robust futexes, its
 * clear_child_tid word, its tid, and (not the first thread) its area,
 * freed once the host task is gone. */
void thread_release(void)
{
	struct pico_thread *t = current();
	ptrace_area_remove(t);
	exit_robust_list(t);
	if (t->clear_child_tid) {
		uint32_t zero = 0;
		if (copy_to_user((void *)t->clear_child_tid, &zero, 4) == 0)
			host_syscall6l(__NR_futex, t->clear_child_tid, FUTEX_WAKE,
				       1, 0, 0, 0);
		t->clear_child_tid = 0;
	}
	if (t->tid_slot) {
		task_lock();
		tid_free(t->tid_slot);
		task_unlock();
		t->tid_slot = NULL;
	}
	if (t->host_alive) { /* not the first thread: freed later */
		struct dead_thread *d = kmalloc(sizeof *d);
		if (d) {
			d->t = t;
			d->next = dead;
			dead = d;
		}
	}
}

/* exit(2) of one thread while others go on. */
__attribute__((noreturn)) void thread_exit(int code)
{
	(void)code; /* a thread's own status is seen by nobody */
	thread_release();
	__atomic_fetch_sub(&gproc()->nthreads, 1, __ATOMIC_ACQ_REL);
	provider_lock_drop();
	for (;;)
		host_syscall1(__NR_exit, 0);
}

void thread_forget_others(void)
{
	gproc()->nthreads = 1;
	proc.vm_users = 1; /* a copy of the memory: this process's alone */
	ptrace_forget_others();
	dead = NULL; /* the parent's; this process never frees them */
}

/* execve in a multi-threaded process: the other threads must die and the
 * caller goes on as the process, with its pid as tid.  The host cannot
 * kill some threads of a process, so the caller moves into a host fork of
 * itself that takes over the table entry (as a vfork child does at exec),
 * and the old host process ends with all its other threads.  Interval
 * timers and host-pending signals do not come along (a host fork drops
 * them). */
long thread_exec_detach(void)
{
	/* Other guest processes in this memory (CLONE_VM) keep running in
	 * it, as they keep the old mm on Linux: the exec moves out too. */
	bool shared = __atomic_load_n(&proc.vm_users, __ATOMIC_ACQUIRE) > 1;
	if (__atomic_load_n(&gproc()->nthreads, __ATOMIC_ACQUIRE) <= 1 &&
	    !shared)
		return 0;
	int old = gproc()->host_pid;
	if (shared)
		thread_release_vm();
	task_lock();
	for (int i = 0; i < world_tid_slots(popts.world); i++) {
		struct picos_thread_id *th = &popts.world->tids[i];
		if (th->vtid && th->host_pid == old)
			tid_free(th);
	}
	task_unlock();
	long r = task_rehost();
	if (r < 0) {
		if (shared) { /* still in the shared memory */
			gproc()->left_vm = false;
			__atomic_fetch_add(&proc.vm_users, 1, __ATOMIC_ACQ_REL);
			ptrace_area_add(current());
		}
		return r;
	}
	thread_forget_others();
	provider_lock_reset_after_fork();
	proc.vfork_child = false; /* its own memory now */
	struct pico_thread *t = current();
	t->tid = gproc()->pid;
	t->tid_slot = NULL;
	t->host_alive = 0;
	return 0;
}
