/* The slow path into the provider: Syscall User Dispatch raises SIGSYS for
 * every guest `syscall`; the handler copies the registers into a
 * pico_frame, dispatches, and returns to the guest through sigreturn with
 * the result in %rax.  Fault signals land here too: a fault inside a
 * uaccess routine becomes -EFAULT, any other fault inside the provider ends
 * this pico process with one clear line. */
#include "../kernel.h"
#include "entry.h"
#include "thread.h"
#include "../signal/signal.h"
#include "../proc/remote.h"
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/audit.h>
#include <linux/prctl.h>

struct provider_opts popts = { .msg_fd = 2, .trace_fd = -1 };

extern char __provider_text_start[], __provider_text_end[];
extern char uaccess_begin[], uaccess_end[], uaccess_fixup[];

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static void frame_from_sigcontext(struct pico_frame *f,
				  const struct sigcontext *sc)
{
	f->r15 = sc->r15, f->r14 = sc->r14, f->r13 = sc->r13;
	f->r12 = sc->r12, f->rbp = sc->rbp, f->rbx = sc->rbx;
	f->r11 = sc->r11, f->r10 = sc->r10, f->r9 = sc->r9, f->r8 = sc->r8;
	f->rax = sc->rax, f->rcx = sc->rcx, f->rdx = sc->rdx;
	f->rsi = sc->rsi, f->rdi = sc->rdi;
	f->orig_rax = sc->rax;
	f->rip = sc->rip, f->eflags = sc->eflags, f->rsp = sc->rsp;
}

void frame_to_sigcontext(const struct pico_frame *f, struct sigcontext *sc)
{
	sc->r15 = f->r15, sc->r14 = f->r14, sc->r13 = f->r13;
	sc->r12 = f->r12, sc->rbp = f->rbp, sc->rbx = f->rbx;
	sc->r11 = f->r11, sc->r10 = f->r10, sc->r9 = f->r9, sc->r8 = f->r8;
	sc->rax = f->rax, sc->rcx = f->rcx, sc->rdx = f->rdx;
	sc->rsi = f->rsi, sc->rdi = f->rdi;
	sc->rip = f->rip, sc->eflags = f->eflags, sc->rsp = f->rsp;
}

/* %xmm0-15 at a trapped `syscall`, copied into buf (signal delivery may
 * reset the context's FPU state before the patch reads them); NULL when
 * the context has none or nothing will be patched. */
static const unsigned char *xmm_at_call(const struct ucontext *uc,
					unsigned char *buf)
{
	const struct _fpstate_64 *fp =
		(const struct _fpstate_64 *)uc->uc_mcontext.fpstate;
	if (!fp || fast_patch_off)
		return NULL;
	rt_memcpy(buf, fp->xmm_space, 256);
	return buf;
}

static bool in_provider(uint64_t ip);

/* Whether a doorbell (a provider SIGSYS that another thread queued, for
 * ptrace or a remote request) took the place of the SIGSYS of a guest
 * system call: the host keeps one pending SIGSYS at a time and drops a
 * second, Syscall User Dispatch's included.  The guest then sits just
 * past its `syscall` instruction with the registers the host left (rcx
 * the return address, r11 the flags), as no call the provider served
 * leaves it (R11_SERVED_MARK). */
static bool displaced_syscall(const struct ucontext *uc)
{
	const struct sigcontext *sc = &uc->uc_mcontext;
	unsigned char insn[2];
	if (in_provider(sc->rip) || sc->rcx != sc->rip || sc->r11 != sc->eflags)
		return false;
	/* (the fast path's area is not guest memory to copy_from_user: its
	 * `syscall`s, the door's and the stubs', are known by address) */
	if (fast_area_syscall_end(sc->rip))
		return true;
	if (copy_from_user(insn, (const void *)(sc->rip - 2), 2) < 0)
		return false;
	return insn[0] == 0x0f && insn[1] == 0x05;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	struct ucontext *uc = ucv;
	if (si->si_code == SI_PICOS_STOP && !signal_marked(si)) {
		/* A tracer in this memory asks for a stop (ptrace.c).  A ring
		 * that comes late (the tracee already stopped, or was let go)
		 * finds no request and is dropped. */
		struct pico_frame g;
		bool guest = !in_provider(uc->uc_mcontext.rip);
		if (guest)
			frame_from_sigcontext(&g, &uc->uc_mcontext);
		ptrace_stop_request(uc, guest ? &g : NULL);
		if (!displaced_syscall(uc)) {
			fast_exit_redirect(uc);
			return;
		}
		/* then serve the guest's call the ring displaced */
	} else if (si->si_code == SI_PICOS_REMOTE && !signal_marked(si)) {
		/* Another thread of the world asks this one to act on itself
		 * (proc/remote.c).  Further rings wait for the return (which
		 * gives the mask back): a stream of them would otherwise nest
		 * here until the signal stack overflowed. */
		uint64_t mask = doorbells_hold();
		remote_ring(si->si_int);
		if (!displaced_syscall(uc)) {
			fast_exit_redirect(uc);
			return;
		}
		doorbells_release(mask);
	} else if (signal_sent(si)) {
		/* A SIGSYS sent by a process or a timer (kill, sigqueue, a
		 * POSIX timer), also one queued with a code the kernel or
		 * the provider uses (marked by signal_mark_forged), is the
		 * guest's signal. */
		signal_fault(sig, si, uc);
		return;
	} else if (si->si_code != SYS_USER_DISPATCH) {
		kfatal_signal(SIGSYS,
			      "host syscall %d refused by the world's seccomp "
			      "allowlist (at %p)",
			      si->si_syscall, si->si_call_addr);
	}
	struct pico_thread *t = current();
	struct pico_frame f;
	bool dispatch = true;
	/* A call the fast path handed over comes with its own frame, also
	 * when a doorbell displaced the door's own SIGSYS (fast_door_take
	 * knows the door by its address, the number and the thread's
	 * state). */
	bool door = fast_door_take(uc, &f, &dispatch);
	if (!door) {
		frame_from_sigcontext(&f, &uc->uc_mcontext);
		t->rewind_rip = 0;
	}
	uint64_t site_end = f.rip;
	/* the registers at the `syscall`, which a patch's checks read */
	struct pico_frame at_call = f;
	unsigned char xmm[256];
	const unsigned char *at_xmm = door ? NULL : xmm_at_call(uc, xmm);
	t->uc = uc;
	t->frame_set = false;
	/* `int $0x80` from 64-bit code traps too, with the i386 number and
	 * argument registers: served as a 64-bit call it would run another
	 * call (i386 20, getpid, is writev).  picos has no i386 table.
	 * (si_arch is only the kernel's for a dispatch SIGSYS.) */
	bool i386 = si->si_code == SYS_USER_DISPATCH &&
		    si->si_arch != AUDIT_ARCH_X86_64;
	/* (a call a patched site handed over before it ran counts too) */
	if (popts.stats && dispatch && !i386 && f.orig_rax < PICOS_NR_SYSCALLS)
		__atomic_fetch_add(&popts.world->stats[f.orig_rax].trapped, 1,
				   __ATOMIC_RELAXED);
	if (i386)
		f.rax = (uint64_t)-ENOSYS;
	else if (dispatch)
		pico_dispatch(&f);
	bool whole_frame = t->frame_set; /* rt_sigreturn, execve */
	signal_exit(&f, uc);
	/* The mark is only for a call that returns as a call (Linux leaves
	 * r11 undefined there); rt_sigreturn gives back every register of
	 * the interrupted code, r11 included. */
	if (!whole_frame)
		uc->uc_mcontext.r11 &= ~R11_SERVED_MARK;
	if (t->remote_npending)
		remote_serve_pending();
	if (t->pt_pending) {
		frame_from_sigcontext(&f, &uc->uc_mcontext);
		ptrace_stop_pending(uc, &f);
	}
	t->rewind_rip = 0;
	if (!door && !i386 && !whole_frame)
		fast_try_patch(site_end, &at_call, at_xmm);
}

static bool in_provider(uint64_t ip)
{
	return ip >= PICOS_PROVIDER_BASE && ip < PICOS_PROVIDER_END;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGTRAP: return "SIGTRAP";
	default: return "signal";
	}
}

static void set_default(int sig)
{
	struct sigaction sa;
	rt_memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	host_syscall4(__NR_rt_sigaction, sig, &sa, 0, 8);
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	struct ucontext *uc = ucv;
	uint64_t ip = uc->uc_mcontext.rip;
	if (ip >= (uint64_t)uaccess_begin && ip < (uint64_t)uaccess_end) {
		uc->uc_mcontext.rip = (uint64_t)uaccess_fixup;
		return;
	}
	if (in_provider(ip) && signal_sent(si)) {
		/* Sent by a process (kill), not raised by provider code: the
		 * host cannot hold it back while the provider runs, so it is
		 * recorded like a signal caught in an interruptible call. */
		signal_fault(sig, si, uc);
		fast_exit_redirect(uc);
		return;
	}
	if (sig == SIGILL && !in_provider(ip) && !signal_sent(si) &&
	    fast_mid_site(uc))
		return; /* a jump into a patched site: its `syscall` runs */
	if (sig == SIGTRAP && !in_provider(ip) && !signal_sent(si) &&
	    fast_int3_site(uc))
		return; /* a site being patched: its call runs */
	if (in_provider(ip)) {
		struct pico_thread *t = current();
		long nr = t ? t->cur_nr : -1;
		const char *name = nr >= 0 && nr < SC_TABLE_SIZE &&
					   sc_table[nr].name
				       ? sc_table[nr].name
				       : "(none)";
		kfatal_signal(sig,
			      "provider fault: %s at address %p, ip %p, while "
			      "serving syscall %s",
			      signame(sig), si->si_addr, (void *)ip, name);
	}
	signal_fault(sig, si, uc);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *),
		    unsigned long mask)
{
	struct sigaction sa;
	rt_memset(&sa, 0, sizeof sa);
	sa.sa_handler = (__sighandler_t)(void *)fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_NODEFER;
	sa.sa_restorer = host_sigreturn;
	sa.sa_mask = mask;
	long r = host_syscall4(__NR_rt_sigaction, sig, &sa, 0, 8);
	if (r < 0)
		kdie(125, "cannot install the handler for host signal %d (%ld)",
		     sig, r);
}

#define BIT(sig) (1UL << ((sig) - 1))

void entry_install_handlers(void)
{
	/* While the provider serves a syscall, asynchronous host signals wait
	 * (the provider is not re-entrant).  Synchronous fault signals are
	 * never blocked: a blocked fault kills the process. */
	unsigned long async = ~0UL & ~(BIT(SIGSEGV) | BIT(SIGBUS) |
				       BIT(SIGILL) | BIT(SIGFPE) |
				       BIT(SIGTRAP) | BIT(SIGSYS) |
				       BIT(SIGKILL) | BIT(SIGSTOP));
	install(SIGSYS, on_sigsys, async);
	install(SIGSEGV, on_fault, async);
	install(SIGBUS, on_fault, async);
	install(SIGILL, on_fault, async);
	install(SIGFPE, on_fault, async);
	install(SIGTRAP, on_fault, async);
	signal_install_async();
}

void entry_arm_sud(void)
{
	unsigned long start = (unsigned long)__provider_text_start;
	unsigned long len = (unsigned long)(__provider_text_end -
					    __provider_text_start);
	long r = host_syscall6l(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH,
				PR_SYS_DISPATCH_ON, start, len, 0, 0);
	if (r < 0)
		kdie(125, "cannot arm Syscall User Dispatch (error %ld): "
			  "picos needs Linux 5.11 or newer", -r);
}

static void vkprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = rt_snprintf(buf, sizeof buf, "picos: ");
	n += rt_vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	host_write(popts.msg_fd, buf, n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}

void kdie(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	host_exit_group(code);
	__builtin_unreachable();
}

void kfatal_signal(int sig, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	set_default(sig);
	unsigned long unblock = BIT(sig);
	host_syscall4(__NR_rt_sigprocmask, SIG_UNBLOCK, &unblock, 0, 8);
	long pid = host_syscall0(__NR_getpid);
	host_syscall3(__NR_tgkill, pid, host_syscall0(__NR_gettid), sig);
	host_exit_group(128 + sig);
	__builtin_unreachable();
}
