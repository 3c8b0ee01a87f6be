/* Fixed mappings below vm.mmap_min_addr (page 0) need CAP_SYS_RAWIO: a
 * guest without it gets EPERM even when the host process behind it holds
 * the capability (a world started by root, guest dropped to another uid).
 * Trinity mapped page 0 that way as uid 65534 under a root world.  Also
 * madvise's memory failure injection, host administration. */
#include "tap.h"
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int has_rawio(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[0].effective >> CAP_SYS_RAWIO) & 1;
}

/* Checks with report(cond, what): ok() in the parent, rok() in a child. */
static void check_page0(int rawio, void (*report)(int, const char *, ...))
{
	void *p = mmap(NULL, 4096, PROT_READ, ANON | MAP_FIXED, -1, 0);
	if (rawio) {
		/* A root world of picos keeps only the host capabilities it
		 * needs (src/sandbox/caps.c), CAP_SYS_RAWIO not among them:
		 * there the host refuses what the guest's own sets allow. */
		report(p == NULL || (p == MAP_FAILED && errno == EPERM),
		       "with CAP_SYS_RAWIO MAP_FIXED at 0 maps page 0 (or the "
		       "host lacks CAP_SYS_RAWIO: EPERM)");
		if (p == NULL)
			munmap(NULL, 4096);
	} else {
		report(p == MAP_FAILED && errno == EPERM,
		       "without CAP_SYS_RAWIO MAP_FIXED at 0 fails with EPERM");
		p = mmap(NULL, 4096, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0);
		report(p == MAP_FAILED && errno == EPERM,
		       "without CAP_SYS_RAWIO MAP_FIXED_NOREPLACE at 0: EPERM");
		char *src = mmap(NULL, 4096, PROT_READ, ANON, -1, 0);
		p = mremap(src, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, NULL);
		report(p == MAP_FAILED && errno == EPERM,
		       "without CAP_SYS_RAWIO mremap to 0 fails with EPERM");
		report(*(volatile char *)src == 0, "the source stays mapped");
		/* Memory failure injection needs CAP_SYS_ADMIN (EINVAL first
		 * where the kernel has no memory failure support). */
		errno = 0;
		int hw = madvise(src, 4096, MADV_HWPOISON);
		report(hw == -1 && (errno == EPERM || errno == EINVAL),
		       "madvise(MADV_HWPOISON) is refused");
		munmap(src, 4096);
	}
	/* A hint below the minimum is no error: the mapping lands higher. */
	p = mmap((void *)4096, 4096, PROT_READ, ANON, -1, 0);
	report(p != MAP_FAILED && p != NULL, "a low hint maps elsewhere");
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

static void tap_report(int cond, const char *what, ...)
{
	ok(cond, "%s", what);
}

static void child_report(int cond, const char *what, ...)
{
	rok(cond, "%s", what);
}

int main(void)
{
	check_page0(has_rawio(), tap_report);
	if (getuid() == 0) {
		/* Root drops to another uid: the capability goes with it. */
		int fds[2];
		ok(pipe(fds) == 0, "pipe");
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			rep_fd = fds[1];
			if (setresuid(65534, 65534, 65534) < 0)
				rok(0, "setresuid(65534)");
			rok(!has_rawio(), "uid 65534 has no CAP_SYS_RAWIO");
			check_page0(0, child_report);
			_exit(0);
		}
		close(fds[1]);
		struct rec r;
		while (read(fds[0], &r, sizeof r) == sizeof r)
			ok(r.pass, "uid 65534: %s", r.what);
		int st;
		ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			   WEXITSTATUS(st) == 0,
		   "the child exited");
	}
	return tap_done();
}
