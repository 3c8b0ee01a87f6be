/* The symbols the compiler may call on its own (struct copies, zeroing),
 * for the freestanding provider only; the hosted build has libc's. */
#include "rt.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	return rt_memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	return rt_memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
	return rt_memset(dst, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	return rt_memcmp(a, b, n);
}
