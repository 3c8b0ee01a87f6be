/* Synchronous faults: SIGSEGV (MAPERR, ACCERR), SIGBUS past the end of a
 * mapped file, SIGFPE, SIGILL and SIGTRAP with their si_code, si_addr and
 * RIP; recovering with siglongjmp or by fixing the cause; and how faults
 * kill when blocked, ignored, unhandled or nested. */
#include "tap.h"
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>

static sigjmp_buf env;
static volatile sig_atomic_t faults;
static siginfo_t got;
static volatile uintptr_t got_rip;
static volatile int sink;

/* Records the fault and jumps back to the sigsetjmp in faulted(). */
static void catcher(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	faults++;
	got = *si;
	got_rip = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	siglongjmp(env, 1);
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static volatile sig_atomic_t nsent, sent_code, sent_pid;
static void count_sent(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	nsent++;
	sent_code = si->si_code;
	sent_pid = si->si_pid;
}

/* Runs fn(arg); 1 if it faulted into catcher and came back. */
static int faulted(void (*fn)(void *), void *arg)
{
	memset(&got, 0, sizeof got);
	faults = 0;
	if (sigsetjmp(env, 1) == 0) {
		fn(arg);
		return 0;
	}
	return 1;
}

/* The faulting operations (noinline, so each is one known instruction). */
__attribute__((noinline)) static void poke(void *a) { *(volatile int *)a = 1; }
__attribute__((noinline)) static void peek(void *a) { sink = *(volatile int *)a; }
__attribute__((noinline)) static void divide(void *a)
{
	volatile int x = a ? INT_MIN : 1, y = a ? -1 : 0;
	sink = x / y;
}
__attribute__((noinline)) static void trap(void *a) { (void)a; __builtin_trap(); }
extern char picos_ud2[], picos_after_int3[];
__attribute__((noinline)) static void ud2(void *a)
{
	(void)a;
	__asm__ volatile(".globl picos_ud2\npicos_ud2: ud2");
}
__attribute__((noinline)) static void int3(void *a)
{
	(void)a;
	__asm__ volatile("int3\n.globl picos_after_int3\npicos_after_int3:");
}

/* A handler that makes the page writable and returns, so the faulting
 * store is retried (bounded: it jumps out after 3 faults). */
static char *fixpage;
static long pg;
static void fixer(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got = *si;
	if (++faults > 3)
		siglongjmp(env, 1);
	mprotect(fixpage, pg, PROT_READ | PROT_WRITE);
}

/* SIGTRAP's handler returns: int3 is a trap, execution goes on after it. */
static void trapper(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	faults++;
	got = *si;
	got_rip = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

static int blocked(int sig)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig);
}

/* Reaps `pid`, killing it after 5 s; its wait status, or -1. */
static int reap(pid_t pid)
{
	int st;
	if (pid <= 0) /* fork failed: never kill(-1) */
		return -1;
	for (int i = 0; i < 5000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* A handler that faults again (its own signal is blocked while it runs). */
static void refault(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	poke((void *)0x10);
}

/* Stack overflow caught on an alternate stack. */
static char altstk[1 << 16];
static void overflowed(int sig, siginfo_t *si, void *uc)
{
	volatile char here = 0;
	(void)sig, (void)si, (void)uc;
	int on_alt = (uintptr_t)&here >= (uintptr_t)altstk && (uintptr_t)&here < (uintptr_t)altstk + sizeof altstk;
	_exit(on_alt ? 42 : 43);
}
static volatile int depth_limit = INT_MAX;
__attribute__((noinline)) static int recurse(int n)
{
	volatile char buf[1024];
	buf[0] = (char)n;
	if (n >= depth_limit)
		return 0;
	return recurse(n + 1) + buf[0];
}

enum { DFL, BLOCK, IGN, NESTED, ALTSTACK, NOALTSTACK };

/* The wait status of a child that runs fn(arg) with `sig` set up per
 * `how`; no core files. */
static int child(void (*fn)(void *), void *arg, int sig, int how)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		setrlimit(RLIMIT_CORE, &rl);
		signal(sig, how == IGN ? SIG_IGN : SIG_DFL);
		sigset_t s;
		sigemptyset(&s);
		if (how == BLOCK)
			sigaddset(&s, sig);
		sigprocmask(SIG_SETMASK, &s, NULL);
		if (how == NESTED)
			on(sig, refault, 0);
		if (how == ALTSTACK || how == NOALTSTACK) {
			rl.rlim_cur = rl.rlim_max = 1 << 20;
			setrlimit(RLIMIT_STACK, &rl);
			stack_t ss = { .ss_sp = altstk, .ss_size = sizeof altstk };
			if (how == ALTSTACK)
				sigaltstack(&ss, NULL);
			on(sig, overflowed, SA_ONSTACK);
			sink = recurse(0);
			_exit(1);
		}
		fn(arg);
		_exit(0);
	}
	return reap(pid);
}
static int killed_by(int st, int sig) { return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig; }

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	int st;

	/* SIGSEGV on an unmapped address: SEGV_MAPERR at that address. */
	on(SIGSEGV, catcher, 0);
	int *volatile null = (int *)0x10;
	int f = faulted(poke, null);
	ok(f, "a store to 0x10 raises SIGSEGV");
	ok(got.si_signo == SIGSEGV && got.si_code == SEGV_MAPERR, "si_code SEGV_MAPERR (%d)", got.si_code);
	ok(got.si_addr == (void *)0x10, "si_addr is the faulting address (%p)", got.si_addr);
	ok(got_rip != 0 && got_rip != 0x10, "RIP is the faulting instruction's (%#lx)", (long)got_rip);
	ok(!blocked(SIGSEGV), "siglongjmp(env, 1) restored the mask");
	ok(faulted(peek, null) && got.si_code == SEGV_MAPERR && got.si_addr == (void *)0x10,
	   "a load from 0x10 too");

	/* SIGSEGV on a protected page: SEGV_ACCERR. */
	char *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(ro != MAP_FAILED && !faulted(peek, ro), "a read-only page can be read");
	f = faulted(poke, ro + 0x40);
	ok(f && got.si_signo == SIGSEGV && got.si_code == SEGV_ACCERR,
	   "a store to it gives SEGV_ACCERR (%d)", got.si_code);
	ok(got.si_addr == ro + 0x40, "at the address stored to");
	mprotect(ro, pg, PROT_NONE);
	ok(faulted(peek, ro + 8) && got.si_code == SEGV_ACCERR && got.si_addr == ro + 8,
	   "a load from a PROT_NONE page gives SEGV_ACCERR");
	munmap(ro, pg);
	ok(faulted(peek, ro) && got.si_code == SEGV_MAPERR && got.si_addr == ro,
	   "after munmap: SEGV_MAPERR");

	/* A handler that fixes the protection and returns: the store is
	 * retried and succeeds. */
	fixpage = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	on(SIGSEGV, fixer, 0);
	faults = 0;
	if (sigsetjmp(env, 1) == 0)
		poke(fixpage + 8);
	ok(faults == 1 && *(int *)(fixpage + 8) == 1 && got.si_code == SEGV_ACCERR,
	   "returning from the handler retries the faulting store");
	munmap(fixpage, pg);

	/* SIGBUS past the end of a mapped file: BUS_ADRERR. */
	const char *dir = tap_scratch("signal_fault"), *path = tap_join(dir, "file");
	mkdir(dir, 0700);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ok(fd >= 0 && ftruncate(fd, pg) == 0, "a one-page file");
	char *m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	on(SIGBUS, catcher, 0);
	ok(m != MAP_FAILED && !faulted(peek, m), "its two-page mapping reads in the first page");
	f = faulted(peek, m + pg + 16);
	ok(f && got.si_signo == SIGBUS && got.si_code == BUS_ADRERR,
	   "the second page gives SIGBUS with BUS_ADRERR (%d)", got.si_code);
	ok(got.si_addr == m + pg + 16, "at the address touched");
	munmap(m, 2 * pg);
	close(fd);
	unlink(path);
	rmdir(dir);

	/* SIGFPE: integer division by zero and INT_MIN / -1. */
	on(SIGFPE, catcher, 0);
	f = faulted(divide, NULL);
	ok(f && got.si_signo == SIGFPE && got.si_code == FPE_INTDIV,
	   "division by zero: SIGFPE with FPE_INTDIV (%d)", got.si_code);
	ok(got.si_addr != NULL && (uintptr_t)got.si_addr == got_rip, "si_addr is the dividing instruction");
	f = faulted(divide, "x");
	ok(f && got.si_signo == SIGFPE && got.si_code == FPE_INTDIV,
	   "INT_MIN / -1: SIGFPE with FPE_INTDIV (%d)", got.si_code);

	/* SIGILL: ud2. */
	on(SIGILL, catcher, 0);
	f = faulted(trap, NULL);
	ok(f && got.si_signo == SIGILL && got.si_code == ILL_ILLOPN,
	   "__builtin_trap: SIGILL with ILL_ILLOPN (%d)", got.si_code);
	ok(faulted(ud2, NULL) && got.si_code == ILL_ILLOPN && got.si_addr == picos_ud2 &&
	   got_rip == (uintptr_t)picos_ud2, "si_addr and RIP are the ud2's address");

	/* SIGTRAP: int3 reports SI_KERNEL; the handler returns past it. */
	on(SIGTRAP, trapper, 0);
	faults = 0;
	memset(&got, 0, sizeof got);
	int3(NULL);
	ok(faults == 1 && got.si_signo == SIGTRAP && got.si_code == SI_KERNEL,
	   "int3: SIGTRAP with SI_KERNEL (%#x)", got.si_code);
	ok(got_rip == (uintptr_t)picos_after_int3, "RIP is past the int3, where execution resumed");

	/* Faults in children: default, blocked, ignored, nested in a handler. */
	st = child(poke, null, SIGSEGV, DFL);
	ok(killed_by(st, SIGSEGV), "an unhandled store to 0x10 kills with SIGSEGV (%#x)", st);
	st = child(poke, null, SIGSEGV, BLOCK);
	ok(killed_by(st, SIGSEGV), "so does one with SIGSEGV blocked (%#x)", st);
	st = child(poke, null, SIGSEGV, IGN);
	ok(killed_by(st, SIGSEGV), "and one with SIGSEGV ignored (%#x)", st);
	st = child(poke, null, SIGSEGV, NESTED);
	ok(killed_by(st, SIGSEGV), "and a fault inside the SIGSEGV handler (%#x)", st);
	st = child(divide, NULL, SIGFPE, BLOCK);
	ok(killed_by(st, SIGFPE), "a division by zero with SIGFPE blocked kills with SIGFPE (%#x)", st);
	st = child(trap, NULL, SIGILL, DFL);
	ok(killed_by(st, SIGILL), "an unhandled ud2 kills with SIGILL (%#x)", st);
	st = child(int3, NULL, SIGTRAP, DFL);
	ok(killed_by(st, SIGTRAP), "an unhandled int3 kills with SIGTRAP (%#x)", st);

	/* Stack overflow (RLIMIT_STACK 1 MiB): caught on a sigaltstack, fatal
	 * without one. */
	st = child(NULL, NULL, SIGSEGV, ALTSTACK);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 42,
	   "a stack overflow is caught by an SA_ONSTACK handler on the alternate stack (%#x)", st);
	st = child(NULL, NULL, SIGSEGV, NOALTSTACK);
	ok(killed_by(st, SIGSEGV), "without an alternate stack it kills with SIGSEGV (%#x)", st);

	/* A fault signal sent by kill while blocked stays pending like any
	 * other, and is delivered when unblocked (a sent one is no fault). */
	sigset_t both, pend;
	sigemptyset(&both);
	sigaddset(&both, SIGSEGV);
	sigaddset(&both, SIGBUS);
	sigprocmask(SIG_BLOCK, &both, NULL);
	struct sigaction sent = { .sa_sigaction = count_sent, .sa_flags = SA_SIGINFO };
	sigemptyset(&sent.sa_mask);
	sigaction(SIGSEGV, &sent, NULL);
	sigaction(SIGBUS, &sent, NULL);
	nsent = 0;
	ok(kill(getpid(), SIGSEGV) == 0 && kill(getpid(), SIGSEGV) == 0 && nsent == 0,
	   "kill(self, SIGSEGV) twice while blocked: no handler runs");
	ok(sigpending(&pend) == 0 && sigismember(&pend, SIGSEGV), "sigpending shows SIGSEGV");
	sigset_t segv;
	sigemptyset(&segv);
	sigaddset(&segv, SIGSEGV);
	sigprocmask(SIG_UNBLOCK, &segv, NULL);
	ok(nsent == 1 && sent_code == SI_USER && sent_pid == getpid(),
	   "unblocking runs the handler once, with SI_USER and our pid (%d runs)", (int)nsent);
	ok(sigpending(&pend) == 0 && !sigismember(&pend, SIGSEGV), "nothing pending after it");
	ok(kill(getpid(), SIGBUS) == 0, "kill(self, SIGBUS) while blocked");
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigset_t bus;
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	ok(sigtimedwait(&bus, &si, &zero) == SIGBUS && si.si_code == SI_USER && si.si_pid == getpid(),
	   "sigtimedwait takes the pending SIGBUS with its siginfo");
	ok(sigpending(&pend) == 0 && !sigismember(&pend, SIGBUS) && nsent == 1,
	   "and it is gone, no handler ran");
	sigprocmask(SIG_UNBLOCK, &both, NULL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return tap_done();
}
