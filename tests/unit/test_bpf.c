/* The provider's seccomp BPF (src/kernel/entry/seccomp_bpf.c) against the
 * host kernel: random small programs, valid and not, go to both.  The
 * checker must accept exactly what the kernel accepts, and for accepted
 * programs the interpreter's result must act as the kernel's does on the
 * same call (getppid with random arguments, seen from a child that
 * installed the program behind a guard that lets every other call run).
 * And the provider's idea of the length of the kernel's translation, which
 * Linux's limit per chain counts: programs padded to sit right at the
 * limit for 8 copies, and one instruction past it, stack 8 and 7 times. */
#include "../conf/tap.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

long seccomp_bpf_check(struct sock_filter *prog, uint32_t len);
uint32_t seccomp_bpf_kernel_len(const struct sock_filter *prog, uint32_t len);
uint32_t seccomp_bpf_run(const struct sock_filter *prog,
			 const struct seccomp_data *d);

#define ROUNDS 3000
#define MAXLEN 12
#define GUARD 4

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Instructions seccomp takes, and some it refuses. */
static const uint16_t codes[] = {
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_ABS,
	BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM,
	BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
	BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
	BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_AND | BPF_K,
	BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_LSH | BPF_K,
	BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
	BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JSET | BPF_K,
	BPF_RET | BPF_K, BPF_RET | BPF_K, BPF_RET | BPF_A,
	/* refused */
	BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_W | BPF_IND,
	BPF_ALU | BPF_MOD | BPF_K, BPF_RET | BPF_X, BPF_LDX | BPF_B | BPF_MSH, 0xffff,
};
#define NCODES (sizeof codes / sizeof codes[0])

static const uint32_t actions[] = {
	SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_ERRNO | 1,
	SECCOMP_RET_ERRNO | 5000, SECCOMP_RET_ERRNO, SECCOMP_RET_TRAP | 9,
	SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_KILL_THREAD,
	SECCOMP_RET_KILL_PROCESS, 0x00010000,
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static uint32_t some_k(void)
{
	static const uint32_t ks[] = { 0, 1, 2, 3, 4, 8, 12, 15, 16, 20, 24, 28,
				       31, 32, 60, 63, 64, 110, 0x7fff0000,
				       0x80000000, 0xffffffff };
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return actions[rnd() % NACTIONS] + (rnd() % 3);
	default: return ks[rnd() % (sizeof ks / sizeof ks[0])];
	}
}

static int gen(struct sock_filter *p)
{
	int len = 1 + (int)(rnd() % (MAXLEN - 1));
	for (int i = 0; i < len; i++) {
		p[i].code = codes[rnd() % NCODES];
		p[i].k = some_k();
		int room = len - i;
		p[i].jt = (uint8_t)(rnd() % 8 ? rnd() % room : rnd());
		p[i].jf = (uint8_t)(rnd() % 8 ? rnd() % room : rnd());
		if (p[i].code == (BPF_JMP | BPF_JA) && rnd() % 8)
			p[i].k = rnd() % (uint32_t)room;
	}
	if (rnd() % 8) /* most end with a return */
		p[len - 1] = (struct sock_filter)BPF_STMT(
			BPF_RET | (rnd() % 4 ? BPF_K : BPF_A), actions[rnd() % NACTIONS]);
	return len;
}

/* The guard: getppid goes to the program (with A = 0, as at its start),
 * everything else is allowed. */
static int wrap(const struct sock_filter *p, int len, struct sock_filter *w)
{
	const struct sock_filter g[GUARD] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_IMM, 0),
	};
	memcpy(w, g, sizeof g);
	memcpy(w + GUARD, p, sizeof *p * (size_t)len);
	return len + GUARD;
}

/* How many copies of `w` the kernel stacks before ENOMEM (-1: another
 * error or none). */
static int kernel_stacks(const struct sock_filter *w, int wlen)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		struct sock_fprog fp = { (unsigned short)wlen, (struct sock_filter *)w };
		int n = 0;
		while (n < 100 && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0)
			n++;
		if (errno != ENOMEM)
			n = -1;
		if (write(p[1], &n, sizeof n) < 0)
			syscall(SYS_exit_group, 3);
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	int n = -1;
	if (read(p[0], &n, sizeof n) != sizeof n)
		n = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return n;
}

/* The program behind the guard, padded with A = 0 loads so that the
 * kernel's translation is `target` long by the provider's count. */
static int padded(const struct sock_filter *p, int len, uint32_t target,
		  struct sock_filter *out)
{
	struct sock_filter w[MAXLEN + GUARD];
	int wlen = wrap(p, len, w);
	uint32_t pad = target - seccomp_bpf_kernel_len(w, (uint32_t)wlen);
	memcpy(out, w, sizeof *w * GUARD);
	for (uint32_t i = 0; i < pad; i++)
		out[GUARD + i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
	memcpy(out + GUARD + pad, p, sizeof *p * (size_t)len);
	return wlen + (int)pad;
}

/* What a child saw. */
enum { SAW_REJECT, SAW_RETURN, SAW_TRAP, SAW_KILLED, SAW_OTHER };
struct seen {
	int kind;
	long value;
	int err;
	uint64_t call_addr;
};

static int report_fd;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	struct seen s = { SAW_TRAP, 0, si->si_errno, (uint64_t)si->si_call_addr };
	if (write(report_fd, &s, sizeof s) < 0)
		syscall(SYS_exit_group, 3);
	syscall(SYS_exit_group, 0);
}

static struct seen in_kernel(const struct sock_filter *w, int wlen,
			     const uint64_t *args)
{
	int p[2];
	struct seen s = { SAW_OTHER, 0, 0, 0 };
	if (pipe(p) < 0)
		return s;
	pid_t pid = fork();
	if (pid == 0) {
		report_fd = p[1];
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		struct sock_fprog fp = { (unsigned short)wlen, (struct sock_filter *)w };
		struct seen r = { SAW_REJECT, 0, 0, 0 };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
			r.err = errno;
		} else {
			errno = 0;
			r.kind = SAW_RETURN;
			r.value = syscall(SYS_getppid, args[0], args[1], args[2],
					  args[3], args[4], args[5]);
			r.err = r.value == -1 ? errno : 0;
		}
		if (write(p[1], &r, sizeof r) < 0)
			syscall(SYS_exit_group, 3);
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	if (read(p[0], &s, sizeof s) != sizeof s)
		s.kind = SAW_OTHER;
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (s.kind == SAW_OTHER && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		s.kind = SAW_KILLED;
	return s;
}

/* What the interpreter's result should look like from the child. */
static struct seen expected(uint32_t r)
{
	struct seen s = { SAW_RETURN, getpid(), 0, 0 };
	uint32_t data = r & SECCOMP_RET_DATA;
	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return s;
	case SECCOMP_RET_ERRNO:
		s.value = data ? -1 : 0;
		s.err = data > 4095 ? 4095 : (int)data;
		return s;
	case SECCOMP_RET_TRAP:
		s.kind = SAW_TRAP;
		s.value = 0;
		s.err = (int)data;
		return s;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		s.value = -1;
		s.err = ENOSYS;
		return s;
	default:
		s.kind = SAW_KILLED;
		s.value = 0;
		return s;
	}
}

static void dump(const char *what, const struct sock_filter *p, int len)
{
	printf("# %s:", what);
	for (int i = 0; i < len; i++)
		printf(" {%#x,%u,%u,%#x}", p[i].code, p[i].jt, p[i].jf, p[i].k);
	printf("\n");
}

int main(void)
{
	/* Where getppid returns to: learned from a trapping filter. */
	struct sock_filter trap_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP) };
	struct sock_filter w[MAXLEN + GUARD];
	uint64_t no_args[6] = { 0 };
	struct seen t = in_kernel(w, wrap(trap_all, 1, w), no_args);
	if (!ok(t.kind == SAW_TRAP, "the kernel runs seccomp filters here"))
		return tap_done();
	uint64_t ip = t.call_addr;

	int agree = 0, accepted = 0, act_agree = 0, shown = 0;
	int sized = 0, size_agree = 0;
	static struct sock_filter big[BPF_MAXINSNS];
	for (int round = 0; round < ROUNDS; round++) {
		struct sock_filter p[MAXLEN], mine[MAXLEN];
		int len = gen(p);
		memcpy(mine, p, sizeof p);
		bool picos_ok = seccomp_bpf_check(mine, (uint32_t)len) == 0;
		uint64_t args[6];
		for (int i = 0; i < 6; i++)
			args[i] = rnd() % 2 ? some_k() : ((uint64_t)rnd() << 32 | rnd());
		struct seen k = in_kernel(w, wrap(p, len, w), args);
		bool kernel_ok = k.kind != SAW_REJECT;
		if (picos_ok == kernel_ok) {
			agree++;
		} else if (shown++ < 5) {
			printf("# checker %s, kernel %s (errno %d)\n",
			       picos_ok ? "accepts" : "refuses",
			       kernel_ok ? "accepts" : "refuses", k.err);
			dump("program", p, len);
		}
		if (!picos_ok || !kernel_ok)
			continue;
		accepted++;
		struct seccomp_data d = { .nr = SYS_getppid, .arch = AUDIT_ARCH_X86_64,
					  .instruction_pointer = ip };
		memcpy(d.args, args, sizeof args);
		uint32_t r = seccomp_bpf_run(mine, &d);
		struct seen e = expected(r);
		if (e.kind == k.kind && e.value == k.value && e.err == k.err) {
			act_agree++;
		} else if (shown++ < 5) {
			printf("# result %#x: expected kind %d value %ld errno %d, "
			       "kernel kind %d value %ld errno %d\n",
			       r, e.kind, e.value, e.err, k.kind, k.value, k.err);
			dump("program", p, len);
		}
		if (sized >= 40)
			continue;
		/* 8 copies of 4092 cost 8 * 4092 + 7 * 4 = 32764: they fit;
		 * of 4093, 32772: only 7 do. */
		sized++;
		int n8 = kernel_stacks(big, padded(p, len, 4092, big));
		int n7 = kernel_stacks(big, padded(p, len, 4093, big));
		if (n8 == 8 && n7 == 7) {
			size_agree++;
		} else if (shown++ < 5) {
			printf("# translated length: %d and %d copies (want 8 and 7)\n",
			       n8, n7);
			dump("program", p, len);
		}
	}
	ok(agree == ROUNDS, "the checker agrees with the kernel on %d of %d programs",
	   agree, ROUNDS);
	ok(accepted > ROUNDS / 10, "%d of them valid", accepted);
	ok(size_agree == sized && sized > 0,
	   "the translated length agrees with the kernel's limit for %d of %d",
	   size_agree, sized);
	ok(act_agree == accepted,
	   "the interpreter's results act as the kernel's on %d of %d", act_agree,
	   accepted);
	return tap_done();
}
