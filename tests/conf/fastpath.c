/* System calls from call sites of the common shape `mov $nr,%eax;
 * syscall` (which picos patches after their first call, the fast path),
 * and of the other shapes it patches (glibc's, Go's: a register loaded
 * before the `syscall`, xor %eax,%eax after a long nop; ld.so's stores
 * before its arch_prctl and set_robust_list, checked by the memory they
 * wrote), each also
 * entered by a jump to every instruction inside it:
 * results, the registers the instruction leaves, a signal handler that
 * interrupts a blocked call with and without SA_RESTART, a jump straight
 * to the `syscall` instruction of such a site, threads running the same
 * site and one they all run first, the code's protections staying as the
 * program set them, a site the program rewrites or unmaps and maps again
 * (a JIT's way), a site across two pages, fork and vfork. */
#include "tap.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

typedef long (*fn0)(void);
typedef long (*fn3)(long, long, long);

static unsigned char *code;

/* The test's own call sites, each `mov $nr,%eax; syscall` then:
 *   getpid_site:  ret
 *   rcx_site:     mov %rcx,%rax; ret   (what `syscall` left in %rcx)
 *   read_site:    ret                  (read(rdi, rsi, rdx))
 *   middle:       mov $39,%eax; jmp getpid_site+5 (its `syscall`) */
enum { GETPID = 0, RCX = 16, READ = 32, MIDDLE = 48, FRESH = 64 };

static const unsigned char rcx_site_bytes[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05,
					      0x48, 0x89, 0xc8, 0xc3 };

static void build(void)
{
	static const unsigned char getpid_site[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	const unsigned char *rcx_site = rcx_site_bytes;
	static const unsigned char read_site[] = { 0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(code, 0xcc, 4096);
	memcpy(code + GETPID, getpid_site, sizeof getpid_site);
	memcpy(code + RCX, rcx_site, sizeof rcx_site_bytes);
	memcpy(code + READ, read_site, sizeof read_site);
	/* a site no call ran before the threads start */
	memcpy(code + FRESH, getpid_site, sizeof getpid_site);
	/* mov $39,%eax; jmp rel32 to GETPID+5 */
	unsigned char *m = code + MIDDLE;
	m[0] = 0xb8, m[1] = 39, m[2] = m[3] = m[4] = 0;
	m[5] = 0xe9;
	int32_t rel = (int32_t)((GETPID + 5) - (MIDDLE + 10));
	memcpy(m + 6, &rel, 4);
	mprotect(code, 4096, PROT_READ | PROT_EXEC);
}

static long call0(int off)
{
	return ((fn0)(void *)(code + off))();
}

static long site_read(int fd, void *buf, size_t n)
{
	return ((fn3)(void *)(code + READ))(fd, (long)buf, (long)n);
}

static volatile int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A read from a patched site blocks on an empty pipe; SIGALRM arrives
 * at 50 ms, the writer at 300 ms. */
static long blocked_read(bool restart, char *got)
{
	int p[2];
	if (pipe(p) < 0)
		return -1000;
	/* first call through the site (patched after it, under picos) */
	write(p[1], "a", 1);
	site_read(p[0], got, 1);
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	pid_t w = fork();
	if (w == 0) {
		usleep(300000);
		write(p[1], "z", 1);
		_exit(0);
	}
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	long r = site_read(p[0], got, 1);
	waitpid(w, NULL, 0);
	close(p[0]), close(p[1]);
	return r;
}

static void *thread_main(void *arg)
{
	long bad = 0;
	for (int i = 0; i < 20000; i++)
		bad += call0(GETPID) != (long)(intptr_t)arg;
	/* all four on a site first run now (patched under running threads) */
	for (int i = 0; i < 20000; i++)
		bad += call0(FRESH) != (long)(intptr_t)arg;
	return (void *)bad;
}

/* Sites of the other shapes, each a function: the bytes before
 * `site` set up the call as a program's code would, `ends` are the
 * offsets of the instructions inside the site a jump may land on. */
struct shape {
	const char *name;
	unsigned char bytes[40];
	int n, site, ends[4];
	bool read; /* read(rdi, rsi, rdx), else getpid */
};

static const struct shape shapes[] = {
	{ "mov $imm,%edi; syscall (glibc's openat)",
	  { 0xb8, 39, 0, 0, 0, 0xbf, 7, 0, 0, 0, 0x0f, 0x05, 0xc3 }, 13, 5, { 10, 0 }, false },
	{ "mov $imm,%rax; syscall (Go)",
	  { 0x48, 0xc7, 0xc0, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 }, 10, 0, { 7, 0 }, false },
	{ "mov $nr,%eax; xor %edi,%edi; syscall (glibc)",
	  { 0xb8, 39, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05, 0xc3 }, 10, 0, { 5, 7 }, false },
	{ "nopl (8 bytes); xor %eax,%eax; syscall (glibc's read)",
	  { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0x31, 0xc0, 0x0f, 0x05, 0xc3 }, 13, 0, { 8, 10 }, true },
	{ "nopl (5 bytes); xor %eax,%eax; syscall",
	  { 0x0f, 0x1f, 0x44, 0, 0, 0x31, 0xc0, 0x0f, 0x05, 0xc3 }, 10, 0, { 5, 7 }, true },
	/* then the result check: cmp $-4096,%rax; ja to `mov $99,%eax` */
	{ "xor %eax,%eax; syscall; cmp; ja (glibc's read)",
	  { 0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0, 0xf0, 0xff, 0xff, 0x77, 0x01,
	    0xc3, 0xb8, 99, 0, 0, 0, 0xc3 }, 19, 0, { 2, 4, 10 }, true },
	/* mov $39,%eax; then cmp $-4095,%rax; jbe over `mov $99,%eax` */
	{ "mov %rbx,%rdi; syscall; cmp; jbe (Go's Syscall6)",
	  { 0xb8, 39, 0, 0, 0, 0x48, 0x89, 0xdf, 0x0f, 0x05, 0x48, 0x3d, 1, 0xf0,
	    0xff, 0xff, 0x76, 0x05, 0xb8, 99, 0, 0, 0, 0xc3 }, 24, 5, { 8, 10, 16 }, false },
	/* sub $0x28,%rsp; mov %edi,8(%rsp); then the site: mov 8(%rsp),%edi;
	 * xor %eax,%eax; syscall; cmp; ja to `mov $99,%eax` */
	{ "mov 8(%rsp),%edi; xor; syscall; cmp; ja (glibc's threaded read)",
	  { 0x48, 0x83, 0xec, 0x28, 0x89, 0x7c, 0x24, 0x08, 0x8b, 0x7c, 0x24, 0x08,
	    0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0, 0xf0, 0xff, 0xff, 0x77, 0x05,
	    0x48, 0x83, 0xc4, 0x28, 0xc3, 0xb8, 99, 0, 0, 0, 0x48, 0x83, 0xc4, 0x28,
	    0xc3 }, 39, 8, { 12, 14, 16, 22 }, true },
	{ "mov 8(%rsp),%r9; mov %rcx,%rdx; syscall (musl's __syscall_cp_c)",
	  { 0xb8, 39, 0, 0, 0, 0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x48, 0x89, 0xca, 0x0f,
	    0x05, 0xc3 }, 16, 5, { 10, 13, 0 }, false },
	{ "mov 8(%rsp),%r9; syscall (glibc's syscall())",
	  { 0xb8, 39, 0, 0, 0, 0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x0f, 0x05, 0xc3 },
	  13, 5, { 10, 0 }, false },
	/* push %rbx; sub $0x40,%rsp; mov %rsp,%rbx; then the site: mov
	 * $39,%eax; mov %rbx,(%rbx); mov %rbx,16(%rbx); syscall; then add
	 * $0x40,%rsp; pop %rbx; ret */
	{ "mov $nr,%eax; mov %rbx,(%rbx); mov %rbx,16(%rbx); syscall (ld.so's arch_prctl)",
	  { 0x53, 0x48, 0x83, 0xec, 0x40, 0x48, 0x89, 0xe3, 0xb8, 39, 0, 0, 0,
	    0x48, 0x89, 0x1b, 0x48, 0x89, 0x5b, 0x10, 0x0f, 0x05, 0x48, 0x83, 0xc4,
	    0x40, 0x5b, 0xc3 }, 28, 8, { 13, 16, 20, 0 }, false },
	/* the same frame; mov $39,%eax; then the site: movups
	 * %xmm0,16(%rbx) (a disp32); syscall */
	{ "movups %xmm0,disp32(%rbx); syscall (ld.so's set_robust_list)",
	  { 0x53, 0x48, 0x83, 0xec, 0x40, 0x48, 0x89, 0xe3, 0xb8, 39, 0, 0, 0,
	    0x0f, 0x11, 0x83, 0x10, 0, 0, 0, 0x0f, 0x05, 0x48, 0x83, 0xc4, 0x40,
	    0x5b, 0xc3 }, 28, 13, { 20, 0 }, false },
};

/* Calls shape s's function `fn` from its start, or when `at` is not 0
 * through a trampoline that runs the function's bytes before `at` (as
 * the program wrote them, not as patched) and jumps to fn + at. */
static long shape_call(const struct shape *s, unsigned char *fn, int at,
		       unsigned char *tramp, int fd, char *buf)
{
	unsigned char *entry = fn;
	if (at) {
		mprotect(tramp, 4096, PROT_READ | PROT_WRITE);
		memcpy(tramp, s->bytes, (size_t)at);
		tramp[at] = 0xe9; /* jmp rel32 */
		int32_t rel = (int32_t)((fn + at) - (tramp + at + 5));
		memcpy(tramp + at + 1, &rel, 4);
		mprotect(tramp, 4096, PROT_READ | PROT_EXEC);
		entry = tramp;
	}
	if (s->read)
		return ((fn3)(void *)entry)(fd, (long)buf, 1);
	return ((fn0)(void *)entry)();
}

/* One call of shape s, from `at`: whether it did its call. */
static bool shape_ok(const struct shape *s, unsigned char *fn, int at,
		     unsigned char *tramp, const int *p, long pid)
{
	char c = 0;
	if (s->read && write(p[1], "q", 1) != 1)
		return false;
	long r = shape_call(s, fn, at, tramp, p[0], &c);
	return s->read ? r == 1 && c == 'q' : r == pid;
}

/* Each shape: 1000 calls, then a jump to each instruction inside it. */
static void test_shapes(long pid)
{
	size_t nshapes = sizeof shapes / sizeof shapes[0];
	unsigned char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *tramp = page + 4096;
	memset(page, 0xcc, 8192);
	for (size_t i = 0; i < nshapes; i++)
		memcpy(page + 64 * i, shapes[i].bytes, (size_t)shapes[i].n);
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	int p[2];
	if (pipe(p) < 0)
		return;
	for (size_t i = 0; i < nshapes; i++) {
		const struct shape *s = &shapes[i];
		unsigned char *fn = page + 64 * i;
		long right = 0;
		for (int k = 0; k < 1000; k++)
			right += shape_ok(s, fn, 0, tramp, p, pid);
		ok(right == 1000, "%s: 1000 calls (%ld right)", s->name, right);
		if (s->read) {
			char c;
			ok(shape_call(s, fn, 0, tramp, -1, &c) == (s->n == 19 || s->n == 39 ? 99 : -EBADF),
			   "%s: a failing call (bad fd)", s->name);
		}
		for (int e = 0; e < 4 && s->ends[e]; e++)
			ok(shape_ok(s, fn, s->ends[e], tramp, p, pid) &&
				   shape_ok(s, fn, s->ends[e], tramp, p, pid),
			   "%s: a jump to its offset %d runs the call", s->name,
			   s->ends[e]);
	}
	close(p[0]);
	close(p[1]);
	munmap(page, 8192);
}

static volatile int usr1s;
static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

typedef long (*fn6)(long, long, long, long, long, long);

/* pselect6 with no fds, `ms` of timeout and the temporary mask `tmp`,
 * from the site `mov %rcx,%r10; mov $270,%eax; syscall; ret`. */
static long site_pselect(fn6 site, long ms, const sigset_t *tmp)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	struct { const sigset_t *ss; size_t len; } sig = { tmp, 8 };
	return site(0, 0, 0, 0, (long)&ts, (long)&sig);
}

static bool usr1_blocked(void)
{
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, SIGUSR1);
}

/* A wait with a temporary mask from a patched site (make's pselect6):
 * a pending signal it lets through interrupts it, a signal it holds back
 * waits for its end, and the mask is the program's again after it. */
/* A page of its own holding `code`, made executable (unmapped by the
 * caller). */
static unsigned char *code_page(const unsigned char *code, size_t n)
{
	unsigned char *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(pg, code, n);
	mprotect(pg, 4096, PROT_READ | PROT_EXEC);
	return pg;
}

static void test_wait_mask(void)
{
	static const unsigned char ps[] = { 0x49, 0x89, 0xca, 0xb8, 0x0e, 0x01, 0, 0,
					    0x0f, 0x05, 0xc3 };
	unsigned char *pg = code_page(ps, sizeof ps);
	fn6 site = (fn6)(void *)pg;
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t none, usr1, alrm;
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	int right = 0;
	for (int i = 0; i < 5; i++) {
		usr1s = 0;
		raise(SIGUSR1);
		long r = site_pselect(site, 1000, &none);
		right += r == -EINTR && usr1s == 1 && usr1_blocked();
	}
	ok(right == 5, "pselect6 with a mask that lets a pending signal through: EINTR, its handler, the mask back (%d of 5)", right);
	right = 0;
	usr1s = 0;
	for (int i = 0; i < 20; i++)
		right += site_pselect(site, 1, &none) == 0 && usr1_blocked();
	ok(right == 20 && usr1s == 0, "pselect6 with a mask and no signal: 0, the mask back (%d of 20)", right);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	struct sigaction sb = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sb, NULL);
	right = 0;
	for (int i = 0; i < 3; i++) {
		alarms = 0;
		struct itimerval it = { { 0, 0 }, { 0, 20000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		long r = site_pselect(site, 100, &alrm);
		right += r == 0 && alarms == 1;
	}
	ok(right == 3, "pselect6 with a mask that holds a signal back: it times out, then the handler runs (%d of 3)", right);
	munmap(pg, 4096);
}

/* execve from a patched site: one that fails at its lookup (execvp's
 * search along $PATH) fails there, one that goes further (a file it
 * cannot run, a program) runs as from any other site. */
static void test_execve_site(void)
{
	static const unsigned char ex[] = { 0xb8, 59, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	unsigned char *pg = code_page(ex, sizeof ex);
	fn3 site = (fn3)(void *)pg;
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	int right = 0;
	for (int i = 0; i < 100; i++)
		right += site((long)"/nonexistent/true", (long)argv, (long)envp) == -ENOENT &&
			 site((long)"/etc/passwd/true", (long)argv, (long)envp) == -ENOTDIR;
	ok(right == 100, "execve of a missing file from a site: ENOENT, ENOTDIR (%d of 100)", right);
	right = 0;
	for (int i = 0; i < 5; i++)
		right += site((long)"/etc/passwd", (long)argv, (long)envp) == -EACCES &&
			 site((long)"/", (long)argv, (long)envp) == -EACCES;
	ok(right == 5, "execve of a file it cannot run from a site: EACCES (%d of 5)", right);
	pid_t c = vfork();
	if (c == 0) {
		site((long)"/nonexistent/true", (long)argv, (long)envp);
		site((long)"/bin/true", (long)argv, (long)envp);
		_exit(7);
	}
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a vfork child's execve from a site after a failed one runs the program");
	munmap(pg, 4096);
}

/* A site a vfork child runs first (under picos it patches it, in the
 * memory it shares with its parent): the child's calls return the
 * child's pid, the parent's after it the parent's. */
static void test_vfork_first(long pid)
{
	static const unsigned char gp[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	unsigned char *vf = code_page(gp, sizeof gp);
	fn0 site = (fn0)(void *)vf;
	pid_t c = vfork();
	if (c == 0) {
		long first = site();
		int same = 0;
		for (int i = 0; i < 100; i++)
			same += site() == first;
		_exit(same == 100 && first != pid ? 0 : 1);
	}
	int st;
	bool child = waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	long right = 0;
	for (int i = 0; i < 100; i++)
		right += site() == pid;
	ok(child && right == 100,
	   "a site a vfork child ran first: its own pid in the child, then the parent's (%ld of 100)",
	   right);
	munmap(vf, 4096);
}

/* Another process's requests (under picos, setpgid of a child is made
 * by the child itself on the host: the parent rings it) while the child
 * changes its mask in a loop: the rings meet its calls on their way out
 * of the fast path, at the door into the slow path, also at the door's
 * own `syscall` (a ring there takes the place of that call's trap).  The
 * child must neither die nor lose a call; every setpgid must work. */
static void test_requests_at_the_door(void)
{
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		sigset_t usr1, old;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		for (;;) {
			sigprocmask(SIG_BLOCK, &usr1, &old);
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (getppid() != parent)
				_exit(3);
		}
	}
	pid_t me = getpgrp();
	int failed = 0;
	for (int i = 0; c > 0 && i < 3000; i++)
		failed += setpgid(c, (i & 1) ? me : c) != 0;
	int st = 0;
	if (c > 0)
		kill(c, SIGKILL);
	ok(c > 0 && waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
		   failed == 0,
	   "3000 setpgid of a child that changes its mask in a loop: all made, "
	   "the child alive until killed (%d failed, status %#x)", failed, st);
}

int main(void)
{
	build();
	long pid = getpid(), ok_calls = 0;
	for (int i = 0; i < 1000; i++)
		ok_calls += call0(GETPID) == pid;
	ok(ok_calls == 1000, "1000 getpid calls from one site (%ld right)", ok_calls);
	long rcx = 0;
	for (int i = 0; i < 3; i++)
		rcx = call0(RCX);
	ok(rcx == (long)(code + RCX + 7), "%%rcx after `syscall` is the return address");
	ok(call0(MIDDLE) == pid && call0(MIDDLE) == pid,
	   "a jump to a site's `syscall` instruction runs the call");
	test_shapes(pid);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256], want[32];
	bool rx = false;
	snprintf(want, sizeof want, "%lx-", (unsigned long)code);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, want, strlen(want)) == 0)
			rx = strstr(line, " r-xp ") != NULL;
	if (f)
		fclose(f);
	ok(rx, "the code page is still r-x");
	/* /proc/self/mem shows the code as the program's own reads do (under
	 * picos: the patched bytes, docs/architecture.md "Reading code") */
	unsigned char direct[16], viamem[16];
	memcpy(direct, code + GETPID, sizeof direct);
	int memfd = open("/proc/self/mem", O_RDONLY);
	ok(memfd >= 0 && pread(memfd, viamem, sizeof viamem, (off_t)(uintptr_t)(code + GETPID)) ==
				 (ssize_t)sizeof viamem &&
		   memcmp(direct, viamem, sizeof direct) == 0,
	   "/proc/self/mem reads a called site as the program reads it");
	if (memfd >= 0)
		close(memfd);

	char got = 0;
	long r = blocked_read(true, &got);
	ok(r == 1 && got == 'z' && alarms == 1,
	   "SA_RESTART: the handler ran and the read went on (%ld '%c', %d alarm)", r, got, alarms);
	errno = 0;
	r = blocked_read(false, &got);
	ok(r == -EINTR && alarms == 1,
	   "no SA_RESTART: the read fails with EINTR (%ld, %d alarm)", r, alarms);

	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)(intptr_t)pid);
	long bad = 0;
	for (int i = 0; i < 4; i++) {
		void *v;
		pthread_join(th[i], &v);
		bad += (long)v;
	}
	ok(bad == 0, "4 threads x 20000 calls from a site, then from one first run by them all (%ld wrong)", bad);

	/* A JIT's way: the program rewrites a site it ran (getpid) into
	 * another call (getppid, 110), at the same address. */
	static const unsigned char getppid_site[] = { 0xb8, 110, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	ok(mprotect(code, 4096, PROT_READ | PROT_WRITE) == 0, "the code page made writable");
	memcpy(code + GETPID, getppid_site, sizeof getppid_site);
	mprotect(code, 4096, PROT_READ | PROT_EXEC);
	long pp = getppid(), right = 0;
	for (int i = 0; i < 100; i++)
		right += call0(GETPID) == pp;
	ok(right == 100, "a site rewritten by the program runs its new call (%ld of 100)", right);
	/* unmapped and mapped again with other code at the same address */
	unsigned char *at = code;
	munmap(code, 4096);
	code = mmap(at, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	memset(code, 0xcc, 4096);
	memcpy(code + GETPID, getppid_site, sizeof getppid_site);
	memcpy(code + RCX, rcx_site_bytes, sizeof rcx_site_bytes);
	mprotect(code, 4096, PROT_READ | PROT_EXEC);
	right = 0;
	for (int i = 0; i < 100; i++)
		right += call0(GETPID) == pp;
	ok(code == at && right == 100, "a site unmapped and mapped again with other code runs it");
	/* a site across a page boundary */
	unsigned char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const unsigned char gp[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	memcpy(two + 4096 - 3, gp, sizeof gp);
	mprotect(two, 8192, PROT_READ | PROT_EXEC);
	right = 0;
	for (int i = 0; i < 100; i++)
		right += ((fn0)(void *)(two + 4096 - 3))() == pid;
	ok(right == 100, "a site across two pages (%ld of 100)", right);
	munmap(two, 8192);

	pid_t c = fork();
	if (c == 0)
		_exit(call0(RCX) == (long)(code + RCX + 7) ? 0 : 1);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child's calls from a patched site return where they should");
	c = vfork();
	if (c == 0) {
		/* the child shares the parent's memory, patched sites included */
		long r = call0(RCX);
		_exit(r == (long)(code + RCX + 7) ? 0 : 1);
	}
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a vfork child's call from a patched site");
	test_vfork_first(pid);
	test_wait_mask();
	test_execve_site();
	test_requests_at_the_door();
	return tap_done();
}
