/* fork, vfork, clone and clone3 without CLONE_THREAD.
 *
 * A new guest process is a host fork of the whole pico process (guest
 * memory and provider state copied on write), made with CLONE_PARENT so
 * the launcher is its host parent and sees its exit.  CLONE_PARENT_SETTID
 * makes the host write the child's host pid into its table entry before
 * the child can run or die.  The child re-arms Syscall User Dispatch
 * (the host clears it in a new task) before returning to guest code.
 *
 * vfork and CLONE_VM|CLONE_VFORK (posix_spawn) share memory for real
 * (vfork.c).  CLONE_VFORK without CLONE_VM is a copy whose parent waits
 * on a futex word until the child execs or ends. */
#include "proc.h"
#include "remote.h"
#include "caps.h"
#include "keys.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../misc/clock.h"
#include "../mm/mm.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <picos/world.h>

#ifndef CSIGNAL
#define CSIGNAL 0xff
#endif
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL /* clone3 only */
#ifndef CLONE_DETACHED
#define CLONE_DETACHED 0x00400000
#endif
/* CLONE_UNTRACED only keeps a tracer from following the child, and
 * legacy clone ignores CLONE_DETACHED. */
#define CLONE_SUPPORTED                                                    \
	(CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID |      \
	 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_FS | CLONE_SYSVSEM | \
	 CLONE_PARENT | CLONE_IO | CLONE_FILES | CLONE_SIGHAND |            \
	 CLONE_UNTRACED | CLONE_DETACHED | CLONE_PIDFD | CSIGNAL |          \
	 CLONE_CLEAR_SIGHAND_)
#define CLONE_NAMESPACES                                                   \
	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |        \
	 CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)

struct fork_req {
	uint64_t flags;
	uint64_t stack;	  /* the child's %rsp, 0 to keep the parent's */
	uint64_t tls;	  /* CLONE_SETTLS: the child's FS base */
	int *parent_tid;  /* CLONE_PARENT_SETTID */
	int *child_tid;	  /* CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID */
	int *pidfd;	  /* CLONE_PIDFD: where the parent's pidfd goes */
};

/* In the new host process, before its first guest instruction. */
static void child_start(struct picos_task *task, const struct fork_req *rq)
{
	struct pico_thread *t = current();
	const struct picos_remote *forker = remote_published_self();
	gproc()->task = task;
	gproc()->pid = task->vpid;
	gproc()->host_pid = (int)host_syscall0(__NR_getpid);
	t->tid = gproc()->pid;
	t->host_tid = gproc()->host_pid;
	proc.vfork_child = false; /* a fork of a vfork child is a copy */
	thread_forget_others(); /* only the forking thread came along */
	timers_forget_all();	/* the host child has no timers */
	mlock_forget_future();	/* nor memory locks */
	provider_lock_reset_after_fork();
	t->tid_slot = NULL;
	t->host_alive = 0;
	t->ncaught = 0; /* pending signals are not inherited */
	t->deferred = 0;
	caps_publish();	     /* the forking thread's sets are the child's */
	remote_publish_inherited(forker); /* and its nice, I/O priority and
					   * policy, as the host gave them */
	view_publish();
	/* If the launcher goes, so does the world. */
	host_syscall2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (host_syscall0(__NR_getppid) != popts.world->launcher_pid ||
	    __atomic_load_n(&popts.world->ending, __ATOMIC_SEQ_CST))
		host_exit_group(137);
	if (rq->stack)
		t->frame->rsp = rq->stack;
	if (rq->flags & CLONE_SETTLS)
		host_syscall2(__NR_arch_prctl, ARCH_SET_FS, rq->tls);
	if (rq->flags & CLONE_CLEAR_SIGHAND_)
		signal_exec_reset(); /* handled ones to SIG_DFL, ignored stay */
	if (rq->flags & CLONE_CHILD_SETTID)
		copy_to_user(rq->child_tid, &gproc()->pid, sizeof(int));
	t->clear_child_tid = (rq->flags & CLONE_CHILD_CLEARTID)
				     ? (uint64_t)rq->child_tid
				     : 0;
	if (rq->flags & CLONE_PARENT_SETTID)
		copy_to_user(rq->parent_tid, &gproc()->pid, sizeof(int));
	entry_arm_sud();
}

/* The parent of a vfork sleeps until the child execs or ends (the
 * launcher clears the word when the child dies). */
static void vfork_wait(struct picos_task *c, int vpid)
{
	while (__atomic_load_n(&c->vfork_wait, __ATOMIC_ACQUIRE) == 1 &&
	       c->vpid == vpid) {
		struct { long s, ns; } ts = { 0, 100 * 1000 * 1000 };
		host_call_unlocked(__NR_futex, (long)&c->vfork_wait, FUTEX_WAIT,
				   1, (long)&ts, 0, 0);
	}
}

/* The flag rules of Linux's copy_process, in its order: -EINVAL for
 * combinations Linux refuses, -EPERM for namespaces (the world gives no
 * privilege to make them), -ENOSYS for what picos does not provide
 * (CLONE_PTRACE). */
static long clone_flags_check(uint64_t fl)
{
	if ((fl & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
	    (fl & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((fl & CLONE_THREAD) && !(fl & CLONE_SIGHAND))
		return -EINVAL;
	if ((fl & CLONE_SIGHAND) && !(fl & CLONE_VM))
		return -EINVAL;
	/* The world's init may not give its children its own parent. */
	if ((fl & CLONE_PARENT) && gproc()->pid == 1)
		return -EINVAL;
	if ((fl & CLONE_THREAD) && (fl & (CLONE_NEWUSER | CLONE_NEWPID)))
		return -EINVAL;
	if (fl & CLONE_NAMESPACES)
		return -EPERM;
	if (fl & ~(uint64_t)(CLONE_SUPPORTED | CLONE_THREAD))
		return -ENOSYS;
	return 0;
}

/* Sharing the provider does not give yet: a vfork child's changes to
 * the fd table or signal actions (the parent puts its provider state
 * back), a copied process sharing the fd table. */
static bool clone_sharing_unsupported(uint64_t fl)
{
	if (!(fl & CLONE_VM))
		return fl & CLONE_FILES;
	if (fl & CLONE_VFORK)
		return fl & (CLONE_FILES | CLONE_SIGHAND);
	return false;
}

/* CLONE_PIDFD: the parent gets a close-on-exec pidfd of the child.  (Made
 * after the clone: a child that has already ended gets an ended pidfd.)
 * Linux writes the number even when the child is gone; a failure to make
 * it leaves -1 there, since the child exists either way. */
static void put_pidfd(int *upidfd, int vpid)
{
	long fd = pidfd_install(vpid, false);
	int v = fd < 0 ? -1 : (int)fd;
	copy_to_user(upidfd, &v, sizeof v);
}

static long do_fork(const struct fork_req *rq)
{
	uint64_t fl = rq->flags;
	long err = clone_flags_check(fl);
	if (err)
		return err;
	if (fl & CLONE_THREAD)
		return thread_new(fl, rq->stack, rq->tls, rq->parent_tid,
				  rq->child_tid);
	if (clone_sharing_unsupported(fl))
		return -ENOSYS;
	bool vm_child = (fl & CLONE_VM) && !(fl & CLONE_VFORK);

	task_lock();
	struct picos_task *c = task_alloc();
	if (!c) {
		task_unlock();
		return -EAGAIN;
	}
	struct picos_task *me = gproc()->task;
	c->ppid = (fl & CLONE_PARENT) ? me->ppid : gproc()->pid;
	c->pgid = me->pgid;
	c->sid = me->sid;
	/* the host child starts in the caller's host group and session */
	c->host_pgid = me->host_pgid;
	c->host_sid = me->host_sid;
	ident_publish(c);
	keys_fork(c);
	c->exit_signal = (int)(fl & CSIGNAL);
	for (int i = 0; i < 2; i++) { /* the child runs the same files */
		c->text_dev[i] = me->text_dev[i];
		c->text_ino[i] = me->text_ino[i];
	}
	c->flags = me->flags & (TF_NOCLDWAIT | TF_NOCLDSTOP);
	/* A vfork child shares the parent's memory, provider included; with
	 * other threads running provider code that cannot be made safe by a
	 * snapshot, so a multi-threaded parent's vfork child gets a copy
	 * (the parent still waits for its exec or exit). */
	bool shared = (fl & CLONE_VM) && (fl & CLONE_VFORK) &&
		      __atomic_load_n(&gproc()->nthreads, __ATOMIC_ACQUIRE) == 1 &&
		      __atomic_load_n(&proc.vm_users, __ATOMIC_ACQUIRE) == 1;
	c->vfork_wait = (fl & CLONE_VFORK) && !shared ? 1 : 0;
	int vpid = c->vpid;
	task_unlock();
	if (!vm_child && !shared)
		fast_fork_catch_up(); /* a copy inherits the parent's patches */
	/* The host writes the child's host pid into its entry before the
	 * child runs (CLONE_PARENT_SETTID), so the launcher can always find
	 * it; a child born while the world ends sees `ending` and goes.  A
	 * CLONE_VM child is a new task of this provider (sys_vmclone.c):
	 * its host pid comes back, never 0. */
	long r = vm_child ? vm_child_new(c, fl, rq->stack, rq->tls, rq->child_tid)
		 : shared ? vfork_share(c, fl, rq->stack, rq->tls, rq->child_tid)
			  : host_syscall5(__NR_clone,
					  CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD,
					  0, &c->host_pid, 0, 0);
	if (r == 0) { /* a copy: a CLONE_VM child starts in thread_start */
		struct fork_req crq = *rq;
		crq.flags &= ~(uint64_t)CLONE_VM;
		child_start(c, &crq);
		return 0;
	}
	if (r < 0) {
		task_lock();
		task_free(c);
		task_unlock();
		return r == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	if (fl & CLONE_PARENT_SETTID)
		copy_to_user(rq->parent_tid, &vpid, sizeof(int));
	if (fl & CLONE_PIDFD)
		put_pidfd(rq->pidfd, vpid);
	if ((fl & CLONE_VFORK) && !shared)
		vfork_wait(c, vpid);
	return vpid;
}

/* do_fork gives a new process its pidfd; a new thread's (a thread pidfd,
 * as Linux 6.9 gives) is made here, once the thread exists. */
static long fork_with_pidfd(const struct fork_req *rq)
{
	long r = do_fork(rq);
	if (r > 0 && (rq->flags & CLONE_PIDFD) && (rq->flags & CLONE_THREAD)) {
		long fd = thread_pidfd_install((int)r, false);
		int v = fd < 0 ? -1 : (int)fd;
		copy_to_user(rq->pidfd, &v, sizeof v);
	}
	return r;
}

/* A vfork child that execs or exits lets its parent go on. */
void fork_release_vfork_parent(void)
{
	struct picos_task *me = gproc()->task;
	if (__atomic_exchange_n(&me->vfork_wait, 0, __ATOMIC_ACQ_REL))
		host_syscall3(__NR_futex, &me->vfork_wait, FUTEX_WAKE, 1);
}

long sys_fork(void)
{
	struct fork_req rq = { .flags = SIGCHLD };
	return do_fork(&rq);
}

long sys_vfork(void)
{
	struct fork_req rq = { .flags = CLONE_VM | CLONE_VFORK | SIGCHLD };
	return do_fork(&rq);
}

/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
long sys_clone(unsigned long flags, unsigned long stack, int *parent_tid,
	       int *child_tid, unsigned long tls)
{
	/* Linux reads only the low 32 bits of clone's flags. */
	flags &= 0xffffffffUL;
	/* CLONE_PIDFD puts the pidfd where parent_tid points, so the two
	 * cannot go together. */
	if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID))
		return -EINVAL;
	struct fork_req rq = { flags, stack, tls, parent_tid, child_tid,
			       parent_tid };
	return fork_with_pidfd(&rq);
}

/* struct clone_args up to CLONE_ARGS_SIZE_VER2. */
struct clone_args_k {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER2 88
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define SET_TID_MAX 32	      /* MAX_PID_NS_LEVEL */
#define PID_MAX 4194304	      /* the world's pid_max */
#define USER_TOP 0x7ffffffff000UL

/* Linux's copy_struct_from_user: a larger struct's tail must be zero
 * (E2BIG), a smaller one is zero-extended. */
static long clone3_copy(struct clone_args_k *ca, const void *uargs,
			size_t size)
{
	if (size > 4096)
		return -E2BIG;
	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	rt_memset(ca, 0, sizeof *ca);
	for (size_t off = sizeof *ca; off < size; off++) {
		unsigned char b;
		if (copy_from_user(&b, (const char *)uargs + off, 1) < 0)
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	size_t n = size < sizeof *ca ? size : sizeof *ca;
	return copy_from_user(ca, uargs, n) < 0 ? -EFAULT : 0;
}

/* copy_clone_args_from_user's and clone3_args_valid's checks, in their
 * order (namespaces and set_tid's privilege come after). */
static long clone3_check(const struct clone_args_k *ca, size_t size,
			 int *set_tid)
{
	if (ca->set_tid_size > SET_TID_MAX ||
	    (!ca->set_tid && ca->set_tid_size) ||
	    (ca->set_tid && !ca->set_tid_size))
		return -EINVAL;
	if ((ca->exit_signal & ~(uint64_t)CSIGNAL) || ca->exit_signal > 64)
		return -EINVAL;
	if ((ca->flags & CLONE_INTO_CGROUP) &&
	    (ca->cgroup > 0x7fffffff || size < CLONE_ARGS_SIZE_VER2))
		return -EINVAL;
	if (ca->set_tid &&
	    copy_from_user(set_tid, (const void *)ca->set_tid,
			   ca->set_tid_size * sizeof(int)) < 0)
		return -EFAULT;
	uint64_t known = 0xffffffffULL | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP;
	if ((ca->flags & ~known) ||
	    (ca->flags & (CLONE_DETACHED | (CSIGNAL & ~(uint64_t)CLONE_NEWTIME))))
		return -EINVAL;
	if ((ca->flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) ==
	    (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((ca->flags & (CLONE_THREAD | CLONE_PARENT)) && ca->exit_signal)
		return -EINVAL;
	if ((ca->stack == 0) != (ca->stack_size == 0) ||
	    ca->stack + ca->stack_size < ca->stack ||
	    ca->stack + ca->stack_size > USER_TOP)
		return -EINVAL;
	return 0;
}

/* The pids set_tid asks for, after the flag checks (Linux's alloc_pid):
 * the world is one pid namespace, each must be a valid pid, and choosing
 * them takes CAP_CHECKPOINT_RESTORE, which only root may have here. */
static long set_tid_check(const struct clone_args_k *ca, const int *set_tid)
{
	if (!ca->set_tid_size)
		return 0;
	if (ca->set_tid_size > 1)
		return -EINVAL;
	if (set_tid[0] < 1 || set_tid[0] >= PID_MAX)
		return -EINVAL;
	return ident.euid == 0 ? -ENOSYS /* not provided */ : -EPERM;
}

long sys_clone3(const void *uargs, size_t size)
{
	struct clone_args_k ca;
	int set_tid[SET_TID_MAX];
	long err = clone3_copy(&ca, uargs, size);
	if (!err)
		err = clone3_check(&ca, size, set_tid);
	if (err)
		return err;
	err = clone_flags_check(ca.flags);
	if (!err && (ca.flags & CLONE_NEWTIME))
		err = -EPERM; /* a namespace, as in clone_flags_check */
	if (!err)
		err = set_tid_check(&ca, set_tid);
	if (err)
		return err;
	if (ca.flags & CLONE_INTO_CGROUP)
		return -ENOSYS; /* cgroups: not provided */
	struct fork_req rq = {
		.flags = ca.flags | ca.exit_signal,
		.stack = ca.stack ? ca.stack + ca.stack_size : 0,
		.tls = ca.tls,
		.parent_tid = (int *)ca.parent_tid,
		.child_tid = (int *)ca.child_tid,
		.pidfd = (int *)ca.pidfd,
	};
	return fork_with_pidfd(&rq);
}
