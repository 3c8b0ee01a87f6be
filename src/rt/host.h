/* The host gate: raw system calls made by the provider itself.
 *
 * These are the only `syscall` instructions in the provider.  They live in
 * the provider's text, which is the region Syscall User Dispatch allows, so
 * they reach the host kernel directly (and are then checked by the world's
 * seccomp allowlist).  They return the raw kernel result: -errno on failure. */
#ifndef PICOS_RT_HOST_H
#define PICOS_RT_HOST_H

#include <asm/unistd.h>

static inline long host_syscall6(long n, long a, long b, long c, long d,
				 long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define host_syscall0(n) host_syscall6((n), 0, 0, 0, 0, 0, 0)
#define host_syscall1(n, a) host_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define host_syscall2(n, a, b) \
	host_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define host_syscall3(n, a, b, c) \
	host_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define host_syscall4(n, a, b, c, d) \
	host_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define host_syscall5(n, a, b, c, d, e)                                    \
	host_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), \
		      (long)(e), 0)
#define host_syscall6l(n, a, b, c, d, e, f)                                \
	host_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), \
		      (long)(e), (long)(f))

/* Named wrappers for the calls the provider makes most. */
#define host_read(fd, buf, n) host_syscall3(__NR_read, fd, buf, n)
#define host_write(fd, buf, n) host_syscall3(__NR_write, fd, buf, n)
#define host_close(fd) host_syscall1(__NR_close, fd)
#define host_pread(fd, buf, n, off) host_syscall4(__NR_pread64, fd, buf, n, off)
#define host_mmap(a, len, prot, flags, fd, off) \
	host_syscall6l(__NR_mmap, a, len, prot, flags, fd, off)
#define host_munmap(a, len) host_syscall2(__NR_munmap, a, len)
#define host_mprotect(a, len, prot) host_syscall3(__NR_mprotect, a, len, prot)
#define host_exit_group(code) host_syscall1(__NR_exit_group, code)

/* True when a raw kernel result is an error (-4095..-1). */
static inline int host_is_err(long r)
{
	return (unsigned long)r >= (unsigned long)-4095;
}

#endif
