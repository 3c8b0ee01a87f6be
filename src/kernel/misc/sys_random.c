/* getrandom: the host's generator, written straight into guest memory. */
#include "../kernel.h"
#include "../syscalls.h"

/* Linux caps one read or write at MAX_RW_COUNT bytes. */
#define MAX_RW_COUNT 0x7ffff000UL

long sys_getrandom(void *buf, size_t n, unsigned flags)
{
	uint64_t a = (uint64_t)buf;
	/* Nothing to write: the host never touches the buffer, but still
	 * checks the flags and the address (-EFAULT past the user half). */
	if (n == 0)
		return host_syscall3(__NR_getrandom, buf, 0, flags);
	if (n > MAX_RW_COUNT)
		n = MAX_RW_COUNT;
	/* A buffer that runs into the provider window ends there, like one
	 * that runs into unmapped memory: the host fills what comes before
	 * and returns the short count (or -EFAULT when that is nothing). */
	if (a < PICOS_PROVIDER_BASE && a + n > PICOS_PROVIDER_BASE)
		n = PICOS_PROVIDER_BASE - a;
	return host_syscall3(__NR_getrandom, user_ptr_for_host(buf, n), n,
			     flags);
}
