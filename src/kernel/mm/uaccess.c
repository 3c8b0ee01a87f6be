/* The uaccess helpers: range checks, then the fault-safe copy routines of
 * uaccess.S. */
#include "../kernel.h"

long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_clear(void *dst, size_t n);
long uaccess_strncpy(char *dst, const char *src, size_t max);
long uaccess_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new);

long kts_from_user(struct kts *ts, const void *uts)
{
	if (copy_from_user(ts, uts, sizeof *ts) < 0)
		return -EFAULT;
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

long cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t new)
{
	if (((uint64_t)uaddr & 3) || !guest_range_ok((uint64_t)uaddr, 4))
		return -EFAULT;
	return uaccess_cmpxchg32(uaddr, old, new);
}

bool guest_range_ok(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	if (end < addr || end > PICOS_USER_TOP)
		return false;
	/* The provider's window is never the guest's memory, nor the fast
	 * path's stubs (entry/fastpath.c) once they are mapped. */
	if (addr < PICOS_PROVIDER_END && end > PICOS_PROVIDER_BASE)
		return false;
	if (fast_area_end && addr < fast_area_end && end > PICOS_FAST_BASE)
		return false;
	return true;
}

long copy_from_user(void *dst, const void *usrc, size_t n)
{
	if (!guest_range_ok((uint64_t)usrc, n))
		return -EFAULT;
	return n ? uaccess_copy(dst, usrc, n) : 0;
}

long copy_to_user(void *udst, const void *src, size_t n)
{
	if (!guest_range_ok((uint64_t)udst, n))
		return -EFAULT;
	return n ? uaccess_copy(udst, src, n) : 0;
}

long clear_user(void *udst, size_t n)
{
	if (!guest_range_ok((uint64_t)udst, n))
		return -EFAULT;
	return n ? uaccess_clear(udst, n) : 0;
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
	uint64_t a = (uint64_t)usrc;
	if (max == 0)
		return -ENAMETOOLONG;
	/* Clamp to what the guest may name; a string that runs past the
	 * end of the guest's half faults like an unmapped one. */
	if (a >= PICOS_USER_TOP)
		return -EFAULT;
	if (a < PICOS_PROVIDER_END && a >= PICOS_PROVIDER_BASE)
		return -EFAULT;
	size_t room = max;
	if (a < PICOS_PROVIDER_BASE && a + room > PICOS_PROVIDER_BASE)
		room = PICOS_PROVIDER_BASE - a;
	if (a + room > PICOS_USER_TOP)
		room = PICOS_USER_TOP - a;
	long n = uaccess_strncpy(dst, usrc, room);
	if (n < 0)
		return n;
	if ((size_t)n == room)
		return room < max ? -EFAULT : -ENAMETOOLONG;
	return n;
}

long copy_path_from_user(char *dst, const char *upath, bool allow_empty)
{
	long n = strncpy_from_user(dst, upath, PICOS_PATH_MAX);
	if (n < 0)
		return n;
	if (n == 0 && !allow_empty)
		return -ENOENT;
	return n;
}
