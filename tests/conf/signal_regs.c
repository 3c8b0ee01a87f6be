/* Every general register of the interrupted code comes back from a
 * signal handler exactly: the code below holds 15 known values in rax..r15
 * while signals from a timer, from another thread (tgkill, as Go's
 * preemption does) and onto an alternate stack interrupt it, and the
 * handler trashes the caller-saved registers.  (r11 and rcx are the
 * registers a system call may change: rt_sigreturn must not.) */
#include "tap.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>

#define NREGS 15
static const char *const reg_name[NREGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rbp", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "rdi",
};
uint64_t sigregs_in[NREGS], sigregs_out[NREGS];
volatile int sigregs_flag;

/* Loads sigregs_in into the registers, spins until sigregs_flag is set,
 * stores the registers into sigregs_out. */
void sigregs_spin(void);
__asm__(".text\n"
	".globl sigregs_spin\n"
	"sigregs_spin:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov sigregs_in+0(%rip), %rax\n"
	"	mov sigregs_in+8(%rip), %rbx\n"
	"	mov sigregs_in+16(%rip), %rcx\n"
	"	mov sigregs_in+24(%rip), %rdx\n"
	"	mov sigregs_in+32(%rip), %rsi\n"
	"	mov sigregs_in+40(%rip), %rbp\n"
	"	mov sigregs_in+48(%rip), %r8\n"
	"	mov sigregs_in+56(%rip), %r9\n"
	"	mov sigregs_in+64(%rip), %r10\n"
	"	mov sigregs_in+72(%rip), %r11\n"
	"	mov sigregs_in+80(%rip), %r12\n"
	"	mov sigregs_in+88(%rip), %r13\n"
	"	mov sigregs_in+96(%rip), %r14\n"
	"	mov sigregs_in+104(%rip), %r15\n"
	"	mov sigregs_in+112(%rip), %rdi\n"
	"1:	cmpl $0, sigregs_flag(%rip)\n"
	"	je 1b\n"
	"	mov %rax, sigregs_out+0(%rip)\n"
	"	mov %rbx, sigregs_out+8(%rip)\n"
	"	mov %rcx, sigregs_out+16(%rip)\n"
	"	mov %rdx, sigregs_out+24(%rip)\n"
	"	mov %rsi, sigregs_out+32(%rip)\n"
	"	mov %rbp, sigregs_out+40(%rip)\n"
	"	mov %r8, sigregs_out+48(%rip)\n"
	"	mov %r9, sigregs_out+56(%rip)\n"
	"	mov %r10, sigregs_out+64(%rip)\n"
	"	mov %r11, sigregs_out+72(%rip)\n"
	"	mov %r12, sigregs_out+80(%rip)\n"
	"	mov %r13, sigregs_out+88(%rip)\n"
	"	mov %r14, sigregs_out+96(%rip)\n"
	"	mov %r15, sigregs_out+104(%rip)\n"
	"	mov %rdi, sigregs_out+112(%rip)\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n");

static volatile int hits, want_hits;

static void trash(int sig)
{
	(void)sig;
	__asm__ volatile("mov $-1, %%rax; mov %%rax, %%rcx; mov %%rax, %%rdx;"
			 "mov %%rax, %%rsi; mov %%rax, %%rdi; mov %%rax, %%r8;"
			 "mov %%rax, %%r9; mov %%rax, %%r10; mov %%rax, %%r11"
			 ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
			 "r11", "cc");
	if (++hits >= want_hits)
		sigregs_flag = 1;
}

static void on(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = trash, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Values unlike each other; r11 looks like a flags word (bit 1 set, as
 * in every rflags) and rcx like a code address. */
static void fill(int round)
{
	for (int i = 0; i < NREGS; i++)
		sigregs_in[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1) ^
				(uint64_t)round << 56;
	sigregs_in[9] = 0x246 | (uint64_t)round << 12;   /* r11 */
	sigregs_in[2] = (uint64_t)(uintptr_t)sigregs_spin + 0x40; /* rcx */
	memset(sigregs_out, 0, sizeof sigregs_out);
}

static int check(const char *how)
{
	int bad = 0;
	for (int i = 0; i < NREGS; i++)
		if (sigregs_out[i] != sigregs_in[i]) {
			printf("#   %s: %s was %#llx, came back %#llx\n", how,
			       reg_name[i], (unsigned long long)sigregs_in[i],
			       (unsigned long long)sigregs_out[i]);
			bad++;
		}
	return bad == 0;
}

static pid_t spinner;
static void *tgkill_loop(void *arg)
{
	(void)arg;
	while (!sigregs_flag) {
		syscall(SYS_tgkill, getpid(), spinner, SIGURG);
		usleep(200);
	}
	return NULL;
}

int main(void)
{
	/* A timer's signals, several interruptions. */
	on(SIGALRM, SA_RESTART);
	for (int round = 0; round < 3; round++) {
		fill(round);
		hits = 0, want_hits = 5, sigregs_flag = 0;
		struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		sigregs_spin();
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		setitimer(ITIMER_REAL, &off, NULL);
		ok(check("SIGALRM"), "timer signals (round %d): all 15 registers come back", round);
	}

	/* Another thread's tgkill, as Go preempts goroutines. */
	on(SIGURG, SA_RESTART);
	spinner = gettid();
	for (int round = 3; round < 6; round++) {
		fill(round);
		hits = 0, want_hits = 20, sigregs_flag = 0;
		pthread_t th;
		pthread_create(&th, NULL, tgkill_loop, NULL);
		sigregs_spin();
		pthread_join(th, NULL);
		ok(check("tgkill"), "tgkill from another thread (round %d): all 15 registers come back", round);
	}

	/* The handler on an alternate stack. */
	static char alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
	sigaltstack(&ss, NULL);
	on(SIGURG, SA_RESTART | SA_ONSTACK);
	fill(6);
	hits = 0, want_hits = 20, sigregs_flag = 0;
	pthread_t th;
	pthread_create(&th, NULL, tgkill_loop, NULL);
	sigregs_spin();
	pthread_join(th, NULL);
	ok(check("altstack"), "on an alternate stack: all 15 registers come back");
	return tap_done();
}
