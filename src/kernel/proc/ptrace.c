/* ptrace, for a tracer that shares its tracee's memory.
 *
 * The tracees a picos tracer can reach are the tasks served by its own
 * provider: the threads of a process whose memory it shares (a CLONE_VM
 * child tracing its parent, as AddressSanitizer's leak checker does).
 * Their provider areas are in this memory, so the tracer asks for a stop
 * in the tracee's area and rings it with a host SIGSYS carrying the
 * provider's own si_code (never blocked on the host, so it arrives even
 * where the guest blocks every signal).  The tracee stops where stopping
 * holds nothing others need: in guest code, or in an interruptible host
 * call (the provider lock is released there); in other provider code it
 * stops at the end of the call it serves.  Stopped, it has saved its
 * guest registers in its area and sleeps on a futex word; the tracer
 * reads them (GETREGS, GETREGSET), waits for the stop with waitpid, and
 * lets it go with DETACH or CONT.  Data is read and written directly:
 * the memory is the tracer's own.
 *
 * Processes with a provider of their own (any other process of the
 * world) cannot be traced: PTRACE_ATTACH answers EPERM.  Not provided:
 * syscall and single-step tracing, setting registers, event options. */
#include "proc.h"
#include "../entry/entry.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/prctl.h>
#include <asm/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/futex.h>
#include <linux/ptrace.h>
#include <linux/elf.h>
#include <linux/wait.h>
#include <picos/world.h>

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#define PTRACE_INTERRUPT 0x4207
#endif
#ifndef PTRACE_GETREGSET
#define PTRACE_GETREGSET 0x4204
#endif
#define PTRACE_EVENT_STOP_ 128

static struct pico_thread *areas; /* this memory's live tasks */

void ptrace_area_add(struct pico_thread *t)
{
	t->all_next = areas;
	areas = t;
}

void ptrace_area_remove(struct pico_thread *t)
{
	for (struct pico_thread **p = &areas; *p; p = &(*p)->all_next)
		if (*p == t) {
			*p = t->all_next;
			return;
		}
}

void ptrace_forget_others(void)
{
	struct pico_thread *t = current();
	areas = NULL;
	t->pt_tracer = 0;
	t->pt_req = t->pt_pending = false;
	ptrace_area_add(t);
}

/* The area of guest task `tid` in this memory, or NULL. */
struct pico_thread *task_area_of(int tid)
{
	long host = task_host_of_id(tid);
	if (host <= 0)
		return NULL;
	for (struct pico_thread *t = areas; t; t = t->all_next)
		if (t->tid == tid && t->host_tid == host)
			return t;
	return NULL;
}

bool memory_has_process(int host_pid)
{
	for (struct pico_thread *t = areas; t; t = t->all_next)
		if (t->gp->host_pid == host_pid)
			return true;
	return false;
}

struct pico_thread *gproc_next_thread(const struct gproc *gp,
				      const struct pico_thread *t)
{
	for (t = t ? t->all_next : areas; t && t->gp != gp; t = t->all_next)
		;
	return (struct pico_thread *)t;
}

/* ---- the tracee's side ---- */

static bool tracer_gone(const struct pico_thread *t)
{
	return host_syscall2(__NR_kill, t->pt_tracer_host, 0) == -ESRCH;
}

/* Stops the calling task with `regs` as its guest registers until its
 * tracer lets it go (or dies: Linux detaches then). */
static void stop_here(const struct pico_frame *regs, const void *fpstate)
{
	struct pico_thread *t = current();
	t->pt_regs = *regs;
	t->pt_fpstate = fpstate;
	host_syscall2(__NR_arch_prctl, ARCH_GET_FS, &t->pt_fs_base);
	t->pt_req = t->pt_pending = false;
	t->pt_reported = false;
	__atomic_store_n(&t->pt_stopped, 1, __ATOMIC_RELEASE);
	host_syscall3(__NR_futex, &t->pt_stopped, FUTEX_WAKE_PRIVATE, 0x7fffffff);
	while (__atomic_load_n(&t->pt_stopped, __ATOMIC_ACQUIRE)) {
		struct { long s, ns; } ts = { 0, 100 * 1000 * 1000 };
		host_syscall4(__NR_futex, &t->pt_stopped, FUTEX_WAIT_PRIVATE, 1,
			      &ts);
		if (__atomic_load_n(&t->pt_stopped, __ATOMIC_ACQUIRE) &&
		    tracer_gone(t)) {
			t->pt_tracer = 0;
			view_publish_thread_of(t->gp);
			__atomic_store_n(&t->pt_stopped, 0, __ATOMIC_RELEASE);
		}
	}
}

extern char intr_begin[], intr_end[];

void ptrace_stop_request(struct ucontext *uc, const struct pico_frame *guest)
{
	struct pico_thread *t = current();
	if (!t->pt_req || !t->pt_tracer)
		return;
	uint64_t ip = uc->uc_mcontext.rip;
	if (guest) {
		stop_here(guest, uc->uc_mcontext.fpstate);
		return;
	}
	if (ip >= (uint64_t)intr_begin && ip <= (uint64_t)intr_end &&
	    t->cur_nr >= 0) {
		/* A waiting call (intr_end: the host call was interrupted):
		 * the lock is released, the guest registers are the call's.
		 * The wait ends with EINTR, which io_call and the waits that
		 * find no guest signal caught take up again. */
		stop_here(t->frame, uc->uc_mcontext.fpstate);
		return;
	}
	t->pt_pending = true; /* at the end of the call being served */
}

void ptrace_stop_pending(struct ucontext *uc, const struct pico_frame *f)
{
	struct pico_thread *t = current();
	if (t->pt_pending && t->pt_req && t->pt_tracer)
		stop_here(f, uc->uc_mcontext.fpstate);
	t->pt_pending = false;
}

/* ---- the tracer's side ---- */

static void ring(struct pico_thread *t)
{
	siginfo_t si;
	rt_memset(&si, 0, sizeof si);
	si.si_signo = SIGSYS;
	si.si_code = SI_PICOS_STOP;
	host_syscall4(__NR_rt_tgsigqueueinfo, t->gp->host_pid, t->host_tid,
		      SIGSYS, &si);
}

static void request_stop(struct pico_thread *t)
{
	__atomic_store_n(&t->pt_req, true, __ATOMIC_RELEASE);
	ring(t);
}

static void resume(struct pico_thread *t)
{
	t->pt_req = false;
	__atomic_store_n(&t->pt_stopped, 0, __ATOMIC_RELEASE);
	host_syscall3(__NR_futex, &t->pt_stopped, FUTEX_WAKE_PRIVATE, 0x7fffffff);
}

/* A tracer that ends lets its tracees go (Linux's exit_ptrace). */
void ptrace_release_tracees(void)
{
	int me = gproc()->pid;
	for (struct pico_thread *t = areas; t; t = t->all_next)
		if (t->pt_tracer == me) {
			t->pt_tracer = 0;
			view_publish_thread_of(t->gp);
			resume(t);
		}
}

/* The tracee `pid` of the caller, stopped (Linux's ptrace_check_attach). */
static struct pico_thread *stopped_tracee(int pid)
{
	struct pico_thread *t = task_area_of(pid);
	if (!t || t->pt_tracer != gproc()->pid ||
	    !__atomic_load_n(&t->pt_stopped, __ATOMIC_ACQUIRE))
		return NULL;
	return t;
}

static long attach(int pid, bool seize, unsigned long addr,
		   unsigned long data)
{
	if (seize && (addr || (data & ~(unsigned long)PTRACE_O_TRACESYSGOOD)))
		return addr ? -EIO : -EINVAL;
	struct pico_thread *t = task_area_of(pid);
	if (!t)
		/* Another provider's task: its state is not in this memory. */
		return task_host_of_id(pid) < 0 ? -ESRCH : -EPERM;
	if (t->gp == gproc() || t->pt_tracer)
		return -EPERM;
	t->pt_tracer = gproc()->pid;
	t->pt_tracer_host = gproc()->host_pid;
	view_publish_thread_of(t->gp);
	t->pt_seized = seize;
	t->pt_reported = false;
	if (!seize)
		request_stop(t);
	return 0;
}

/* Linux's struct user_regs_struct. */
struct kuser_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

static void user_regs(const struct pico_thread *t, struct kuser_regs *r)
{
	const struct pico_frame *f = &t->pt_regs;
	rt_memset(r, 0, sizeof *r);
	r->r15 = f->r15, r->r14 = f->r14, r->r13 = f->r13, r->r12 = f->r12;
	r->rbp = f->rbp, r->rbx = f->rbx, r->r11 = f->r11, r->r10 = f->r10;
	r->r9 = f->r9, r->r8 = f->r8, r->rax = f->rax, r->rcx = f->rcx;
	r->rdx = f->rdx, r->rsi = f->rsi, r->rdi = f->rdi;
	r->orig_rax = f->orig_rax, r->rip = f->rip, r->eflags = f->eflags;
	r->rsp = f->rsp;
	r->cs = 0x33, r->ss = 0x2b;
	r->fs_base = t->pt_fs_base;
	r->gs_base = proc.gs_base;
}

#define FXSAVE_SIZE 512

static long get_regset(struct pico_thread *t, unsigned long type, void *uiov)
{
	struct { uint64_t base, len; } iov;
	if (copy_from_user(&iov, uiov, sizeof iov) < 0)
		return -EFAULT;
	struct kuser_regs r;
	const void *src;
	size_t n;
	if (type == NT_PRSTATUS) {
		user_regs(t, &r);
		src = &r, n = sizeof r;
	} else if (type == NT_PRFPREG && t->pt_fpstate) {
		src = t->pt_fpstate, n = FXSAVE_SIZE;
	} else {
		return -EINVAL; /* not provided: the xstate regset */
	}
	if (n > iov.len)
		n = iov.len;
	if (copy_to_user((void *)iov.base, src, n) < 0)
		return -EFAULT;
	iov.len = n;
	return copy_to_user(uiov, &iov, sizeof iov) < 0 ? -EFAULT : 0;
}

/* A signal handed on at CONT or DETACH goes to the tracee's thread. */
static long resume_with(struct pico_thread *t, unsigned long sig, bool detach)
{
	if (sig > 64)
		return -EIO;
	if (detach) {
		t->pt_tracer = 0;
		view_publish_thread_of(t->gp);
	}
	int host_pid = t->gp->host_pid, host_tid = t->host_tid;
	resume(t);
	if (sig)
		host_syscall3(__NR_tgkill, host_pid, host_tid, (long)sig);
	return 0;
}

long sys_ptrace(long req, long pid, unsigned long addr, unsigned long data)
{
	if (req == PTRACE_TRACEME)
		return -ENOSYS; /* a tracer with a provider of its own */
	if (pid <= 0 || pid > 0x7fffffff)
		return -ESRCH;
	if (req == PTRACE_ATTACH || req == PTRACE_SEIZE)
		return attach((int)pid, req == PTRACE_SEIZE, addr, data);
	if (req == PTRACE_INTERRUPT) {
		struct pico_thread *t = task_area_of((int)pid);
		if (!t || t->pt_tracer != gproc()->pid)
			return -ESRCH;
		if (!t->pt_seized)
			return -EIO;
		if (!__atomic_load_n(&t->pt_stopped, __ATOMIC_ACQUIRE))
			request_stop(t);
		return 0;
	}
	struct pico_thread *t = stopped_tracee((int)pid);
	if (!t)
		return -ESRCH;
	uint64_t word;
	switch (req) {
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA:
		if (copy_from_user(&word, (void *)addr, 8) < 0)
			return -EIO;
		return copy_to_user((void *)data, &word, 8) < 0 ? -EFAULT : 0;
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
		word = data;
		return copy_to_user((void *)addr, &word, 8) < 0 ? -EIO : 0;
	case PTRACE_GETREGS: {
		struct kuser_regs r;
		user_regs(t, &r);
		return copy_to_user((void *)data, &r, sizeof r) < 0 ? -EFAULT : 0;
	}
	case PTRACE_GETFPREGS:
		if (!t->pt_fpstate)
			return -EIO;
		return copy_to_user((void *)data, t->pt_fpstate, FXSAVE_SIZE) < 0
			       ? -EFAULT
			       : 0;
	case PTRACE_GETREGSET:
		return get_regset(t, addr, (void *)data);
	case PTRACE_CONT:
		return resume_with(t, data, false);
	case PTRACE_DETACH:
		return resume_with(t, data, true);
	default:
		return -ENOSYS;
	}
}

/* wait4 on a tracee: its stop, once (SIGSTOP for ATTACH, the event stop
 * for INTERRUPT).  Returns false when `pid` is not (or no longer) a
 * tracee of the caller: the ordinary wait then answers (ECHILD, or the
 * exit of a tracee that is also a child). */
bool ptrace_wait(int pid, int options, int *status, long *ret)
{
	struct pico_thread *t = task_area_of(pid);
	if (!t || t->pt_tracer != gproc()->pid)
		return false;
	for (int tries = 0;; tries++) {
		if (task_area_of(pid) != t)
			return false; /* it ended: an ordinary wait's business */
		if (__atomic_load_n(&t->pt_stopped, __ATOMIC_ACQUIRE) &&
		    !t->pt_reported) {
			t->pt_reported = true;
			*status = t->pt_seized
					  ? ((SIGTRAP | (PTRACE_EVENT_STOP_ << 8)) << 8) | 0x7f
					  : (SIGSTOP << 8) | 0x7f;
			*ret = pid;
			return true;
		}
		if (options & WNOHANG) {
			*ret = 0;
			return true;
		}
		/* A stop asked for while the tracee was between a call's end
		 * and the guest is served at its next call: ask again. */
		if (tries && t->pt_req)
			ring(t);
		struct { long s, ns; } ts = { 0, 20 * 1000 * 1000 };
		long r = intr_call(__NR_futex, (long)&t->pt_stopped,
				   FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0);
		if (r == -EINTR) {
			*ret = -ERESTARTSYS;
			return true;
		}
	}
}
