/* Call sites patched before their first call: picos decodes the code
 * around a call that trapped (its unwind table tells where functions
 * start: this test links with --eh-frame-hdr, fastpath_found.ldflags)
 * and patches the other sites it proves to be whole instructions.  Such
 * a site must give the same results as before; a function the program
 * rewrote must run as rewritten, whatever was found in it before: here
 * rw_fn's `mov $110,%eax; syscall` becomes the immediate of a movabs.
 * The same natively, under picos, and with --no-patch. */
#include "tap.h"
#include <stdint.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A 64 KiB window of code of its own (picos searches by such windows):
 * trig_fn (getpid) traps first; fa_fn (getppid) and rw_fn's site are
 * found then; gen_fn's number comes in %rdi, so it is not found but
 * traps (with %edi 0: getsid(0), getpgid(0)). */
long trig_fn(void), fa_fn(void), rw_fn(void), gen_fn(long nr);
asm(".pushsection .text.fastpath_found,\"ax\",@progbits\n"
    ".p2align 16\n"
    "trig_fn:\n .cfi_startproc\n mov $39,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "fa_fn:\n .cfi_startproc\n mov $110,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "rw_fn:\n .cfi_startproc\n"
    " .byte 0x66, 0x90\n" /* xchg %ax,%ax: becomes movabs's 48 b9 */
    " mov $110,%eax\n syscall\n ret\n"
    " .byte 0x66, 0x90, 0x66, 0x90\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "gen_fn:\n .cfi_startproc\n mov %rdi,%rax\n mov $0,%edi\n syscall\n ret\n"
    " .cfi_endproc\n"
    ".popsection\n");

/* A second window, which two threads enter at once: the first call of
 * either traps and patches the window's other sites while the other
 * thread may be running them. */
long t_pid(void), t_ppid(void), t_uid(void), t_gid(void);
asm(".pushsection .text.fastpath_found2,\"ax\",@progbits\n"
    ".p2align 16\n"
    "t_pid:\n .cfi_startproc\n mov $39,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "t_ppid:\n .cfi_startproc\n mov $110,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "t_uid:\n .cfi_startproc\n mov $102,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".p2align 4\n"
    "t_gid:\n .cfi_startproc\n mov $104,%eax\n syscall\n ret\n .cfi_endproc\n"
    ".popsection\n");

static volatile int go_flag;

/* Calls the second window's sites, in another order in each thread:
 * the wrong results' count. */
static void *window_calls(void *arg)
{
	long wrong = 0, rev = (long)arg;
	long pid = getpid(), ppid = getppid(), uid = getuid(), gid = getgid();
	while (!go_flag)
		;
	for (int i = 0; i < 20000; i++) {
		if (rev) {
			wrong += t_gid() != gid;
			wrong += t_uid() != uid;
			wrong += t_ppid() != ppid;
			wrong += t_pid() != pid;
		} else {
			wrong += t_pid() != pid;
			wrong += t_ppid() != ppid;
			wrong += t_uid() != uid;
			wrong += t_gid() != gid;
		}
	}
	return (void *)wrong;
}

/* movabs $imm,%rcx (its immediate: the site's bytes and ret), then
 * mov %rcx,%rax; ret */
static const unsigned char rewritten[] = { 0x48, 0xb9, 0xb8, 0x6e, 0, 0, 0, 0x0f, 0x05,
					   0xc3, 0x48, 0x89, 0xc8, 0xc3 };
#define REWRITTEN_VALUE ((long)0xc3050f0000006eb8UL)

/* Whether the 7 bytes at p are a patched site's jump (picos). */
static int patched(const void *p)
{
	const unsigned char *b = p;
	return (b[0] == 0xff && b[1] == 0x24 && b[2] == 0x25) || b[0] == 0xeb;
}

static int rewrite(void)
{
	uintptr_t page = (uintptr_t)rw_fn & ~4095UL;
	size_t len = (((uintptr_t)rw_fn + sizeof rewritten + 4095) & ~4095UL) - page;
	if (mprotect((void *)page, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
		return -1;
	memcpy((void *)rw_fn, rewritten, sizeof rewritten);
	return mprotect((void *)page, len, PROT_READ | PROT_EXEC);
}

/* The calls of a new process or a child: 0 when all are right. */
static int check_all(int rewrite_first)
{
	int bad = 0;
	if (rewrite_first && rewrite() != 0)
		return 1;
	bad |= trig_fn() != getpid();
	bad |= fa_fn() != getppid();
	bad |= gen_fn(SYS_getsid) != getsid(0);
	bad |= rw_fn() != (rewrite_first ? REWRITTEN_VALUE : (long)getppid());
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3)
		return check_all(argv[2][0] == 'r');
	ok(trig_fn() == getpid(), "the first call in the window (getpid)");
	printf("# found and patched before their first call: fa_fn %d, rw_fn %d\n",
	       patched(fa_fn), patched((const char *)rw_fn + 2));
	ok(fa_fn() == getppid(), "a site found before its first call: getppid");
	ok(fa_fn() == getppid(), "and again");
	ok(rw_fn() == getppid(), "a found site behind a 2-byte nop: getppid");

	/* A child inherits the patched sites, or patches them */
	pid_t c = fork();
	if (c == 0)
		_exit(check_all(0));
	int st = -1;
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child's calls");

	/* A new process patches what the world found as it maps the file */
	c = fork();
	if (c == 0) {
		execl("/proc/self/exe", argv[0], "child", "plain", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a new process's calls");

	ok(rewrite() == 0, "rw_fn rewritten: its site is inside a movabs now");
	ok(gen_fn(SYS_getsid) == getsid(0), "a call that traps in the rewritten page");
	ok(gen_fn(SYS_getpgid) == getpgid(0), "and again");
	ok(rw_fn() == REWRITTEN_VALUE, "rw_fn runs as rewritten (%#lx)", rw_fn());
	c = fork();
	if (c == 0)
		_exit((rw_fn() != REWRITTEN_VALUE) | (fa_fn() != getppid()) << 1);
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "and in a child (%#x)", st);

	/* Two threads enter the second window at once */
	pthread_t th;
	void *r1 = (void *)1L, *r2 = (void *)1L;
	if (pthread_create(&th, NULL, window_calls, (void *)1L) == 0) {
		go_flag = 1;
		r1 = window_calls(NULL);
		pthread_join(th, &r2);
	}
	ok(r1 == NULL && r2 == NULL, "two threads entering a window at once: right results");

	/* A new process that rewrites rw_fn before any call of the window */
	c = fork();
	if (c == 0) {
		execl("/proc/self/exe", argv[0], "child", "rewrite", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a new process that rewrites rw_fn first");
	return tap_done();
}
