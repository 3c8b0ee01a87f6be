/* The hostile guest's toolbox (tests/hostile/README.md).
 *
 * A hostile guest does not go through the provider: it finds a
 * `syscall; ret` (0f 05 c3) in the provider's text at PICOS_PROVIDER_BASE,
 * which Syscall User Dispatch lets through, and jumps into it with the
 * registers loaded (host_syscall), or turns dispatch off for its thread
 * (sud_off) so that plain libc calls are host calls.  Every attempt runs
 * in a child forked through the provider (attempt): a call the world's
 * seccomp filter refuses kills that child with SIGSYS, which counts as
 * contained, and the child reports anything else through a shared page.
 *
 * TAP: "ok N - what", "not ok N - what", "ok N - what # SKIP reason" and
 * the plan "1..N" at the end (hostile_done).  A SKIP is printed only where
 * docs/security.md lists the attack as not enforced in the mode the test
 * runs in (hostile_not_enforced). */
#ifndef PICOS_HOSTILE_H
#define PICOS_HOSTILE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <picos/layout.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#endif

/* ---- raw host system calls ---- */

/* The gadget's address; host_syscall jumps there with the call's
 * registers loaded, and its `ret` returns straight to our caller. */
static unsigned long hostile_gadget __attribute__((used));

long host_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
		  long a6);
__asm__(".text\n"
	".globl host_syscall\n"
	".type host_syscall,@function\n"
	"host_syscall:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	jmp *hostile_gadget(%rip)\n"
	".size host_syscall, .-host_syscall\n");

#define HSC0(nr) host_syscall(nr, 0, 0, 0, 0, 0, 0)
#define HSC1(nr, a) host_syscall(nr, (long)(a), 0, 0, 0, 0, 0)
#define HSC2(nr, a, b) host_syscall(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define HSC3(nr, a, b, c)                                                  \
	host_syscall(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define HSC4(nr, a, b, c, d)                                               \
	host_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define HSC5(nr, a, b, c, d, e)                                            \
	host_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d),       \
		     (long)(e), 0)
#define HSC6(nr, a, b, c, d, e, f)                                         \
	host_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d),       \
		     (long)(e), (long)(f))

/* openat2 without RESOLVE_ flags: the host resolves the path as it is
 * (the world's allowlist has openat2, not openat or open). */
struct hostile_open_how {
	unsigned long long flags, mode, resolve;
};
static inline long hopenat(int dfd, const char *path, int flags, int mode)
{
	struct hostile_open_how how = { (unsigned)flags, (unsigned)mode, 0 };
	return HSC4(__NR_openat2, dfd, path, &how, sizeof how);
}
static inline long hopen(const char *path, int flags, int mode)
{
	return hopenat(AT_FDCWD, path, flags, mode);
}

/* Scans the provider's text (it starts at PICOS_PROVIDER_BASE, and the
 * provider's own host-call stubs are early in it) for 0f 05 c3. */
static int hostile_find_gadget(void)
{
	const unsigned char *p = (const unsigned char *)PICOS_PROVIDER_BASE;
	for (unsigned long i = 0; i + 2 < PICOS_IMAGE_MAX; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05 && p[i + 2] == 0xc3) {
			hostile_gadget = (unsigned long)(p + i);
			return 0;
		}
	return -1;
}

/* Turns Syscall User Dispatch off for the calling thread: from here on
 * libc's system calls are host calls with host fd numbers.  Only for a
 * child of attempt(), which never returns to the provider afterwards. */
static inline long sud_off(void)
{
	return HSC5(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH,
		    PR_SYS_DISPATCH_OFF, 0, 0, 0);
}

/* ---- TAP ---- */

static int hostile_count, hostile_failed;

__attribute__((format(printf, 2, 3))) static int hostile_tap(int pass,
							      const char *fmt,
							      ...)
{
	va_list ap;
	hostile_count++;
	printf("%s %d - ", pass ? "ok" : "not ok", hostile_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		hostile_failed++;
	return pass;
}

#define ok(cond, ...) hostile_tap(!!(cond), __VA_ARGS__)

static void skip(const char *what, const char *reason)
{
	hostile_count++;
	printf("ok %d - %s # SKIP %s\n", hostile_count, what, reason);
}

static int hostile_done(void)
{
	printf("1..%d\n", hostile_count);
	printf("# Totals: pass:%d fail:%d\n", hostile_count - hostile_failed,
	       hostile_failed);
	return hostile_failed ? 1 : 0;
}

/* ---- the environment the runner passes (tests/hostile/run.sh) ---- */

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static const char *hostile_mode(void) { return env_or("HOSTILE_MODE", "ns"); }
static int hostile_root(void) { return atoi(env_or("HOSTILE_ROOT", "0")); }

/* Does docs/security.md say that `key` is not enforced in this mode?  The
 * table "Not enforced" of docs/security/90-hostile-tests.md has rows
 * "| `key` | modes | why |" with modes a list of ns, flat, root, user or
 * all; a row applies when each of its words that name a mode or a user
 * matches this run (ns/flat, root/user) or is "all". */
static int hostile_not_enforced(const char *key)
{
	static char buf[1 << 17];
	static long len = -1;
	if (len < 0) {
		int fd = open(env_or("HOSTILE_DOCS", "docs/security.md"),
			      O_RDONLY);
		len = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
		if (len < 0)
			len = 0;
		buf[len] = 0;
		if (fd >= 0)
			close(fd);
	}
	char pat[128];
	snprintf(pat, sizeof pat, "| `%s` |", key);
	for (char *l = strstr(buf, pat); l; l = strstr(l + 1, pat)) {
		char modes[128];
		const char *m = l + strlen(pat);
		const char *e = strchr(m, '|');
		if (!e || e - m >= (long)sizeof modes)
			continue;
		memcpy(modes, m, (size_t)(e - m));
		modes[e - m] = 0;
		if (strstr(modes, "all"))
			return 1;
		int mode_ok = !strstr(modes, "ns") && !strstr(modes, "flat");
		if (strstr(modes, hostile_mode()))
			mode_ok = 1;
		const char *who = hostile_root() ? "root" : "user";
		int who_ok = !strstr(modes, "root") && !strstr(modes, "user");
		if (strstr(modes, who))
			who_ok = 1;
		if (mode_ok && who_ok)
			return 1;
	}
	return 0;
}

/* ---- attempts ---- */

/* What an attempt's child reports back: held is 1 when the host refused
 * the attack, 0 when it went through; note says what happened. */
struct outcome {
	int held;
	char note[240];
};

static struct outcome *hostile_shared;

__attribute__((format(printf, 2, 3))) static int report(int held,
							 const char *fmt, ...)
{
	va_list ap;
	hostile_shared->held = held;
	va_start(ap, fmt);
	vsnprintf(hostile_shared->note, sizeof hostile_shared->note, fmt, ap);
	va_end(ap);
	return held;
}

/* A raw call's result in words: "ok (N)" or "-EPERM". */
static const char *res(long r)
{
	static char bufs[4][64];
	static int i;
	char *b = bufs[i++ % 4];
	if (r < 0 && r > -4096)
		snprintf(b, 64, "%s (%ld)", strerrorname_np((int)-r) ?: "?",
			 r);
	else
		snprintf(b, 64, "ok (%ld)", r);
	return b;
}

/* Held when a raw call failed; the note names it. */
static int held_if_failed(const char *call, long r)
{
	return report(r < 0 && r > -4096, "%s -> %s", call, res(r));
}

static void hostile_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("# mode %s, %s\n", hostile_mode(),
	       hostile_root() ? "root" : "unprivileged");
	hostile_shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hostile_shared == MAP_FAILED) {
		printf("Bail out! no shared page\n");
		exit(1);
	}
	if (hostile_find_gadget() < 0) {
		printf("Bail out! no syscall; ret gadget in the provider's "
		       "text at %#lx (not running under picos?)\n",
		       PICOS_PROVIDER_BASE);
		exit(1);
	}
	printf("# gadget at %#lx\n", hostile_gadget);
}

/* Runs fn(arg) in a child forked through the provider and prints one TAP
 * line for `what`.  key names the attack in docs/security.md's table of
 * what is not enforced.  fn reports with report()/held_if_failed(); a
 * child killed by SIGSYS met the world's seccomp filter: contained. */
static int attempt(const char *key, const char *what, int (*fn)(void *),
		   void *arg)
{
	memset(hostile_shared, 0, sizeof *hostile_shared);
	hostile_shared->held = -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		return ok(0, "%s: fork failed: %s", what, strerror(errno));
	}
	if (pid == 0) {
		fn(arg);
		/* Raw: fn may have turned dispatch off or broken the
		 * provider's state; the launcher reaps us either way. */
		HSC1(__NR_exit_group, 0);
		_exit(0);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	int held;
	char how[300];
	if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS) {
		held = 1;
		snprintf(how, sizeof how, "killed by SIGSYS (seccomp)");
	} else if (WIFSIGNALED(ws)) {
		held = 0;
		snprintf(how, sizeof how, "attempt died of signal %d: %s",
			 WTERMSIG(ws), hostile_shared->note);
	} else if (hostile_shared->held < 0) {
		held = 0;
		snprintf(how, sizeof how, "attempt reported nothing (exit %d)",
			 WEXITSTATUS(ws));
	} else {
		held = hostile_shared->held;
		snprintf(how, sizeof how, "%s", hostile_shared->note);
	}
	if (!held && key && hostile_not_enforced(key)) {
		char reason[400];
		snprintf(reason, sizeof reason,
			 "not enforced in %s mode (docs/security.md: %s); %s",
			 hostile_mode(), key, how);
		skip(what, reason);
		return 1;
	}
	return ok(held, "%s: %s", what, how);
}

#define ATTEMPT(key, what, fn, arg) attempt(key, what, fn, (void *)(arg))

#endif
