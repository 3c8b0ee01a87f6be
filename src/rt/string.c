/* Byte and string helpers for the freestanding provider. */
#include "rt.h"

/* The copies and fills use the CPU's string instructions: with ERMS and
 * FSRM (every x86-64 CPU picos targets has them) `rep movsb` moves cache
 * lines, no vector registers involved, which the provider may not touch.
 * A byte loop here was a quarter of a shell loop's time (vfork's
 * snapshot of the provider's state, issue 15). */
void *rt_memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *rt_memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	/* In place: nothing to move.  The backward copy below is a slow
	 * byte loop (no fast strings with the direction flag set), and
	 * d == s took it: every path the provider normalised paid it. */
	if (d == s)
		return dst;
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return rt_memcpy(dst, src, n); /* d below s, or no overlap */
	/* d overlaps s from above: copy backwards (the direction flag is
	 * clear on entry by the ABI, and left clear) */
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld"
			 : "+D"(d), "+S"(s), "+c"(n)
			 :
			 : "memory");
	return dst;
}

void *rt_memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int rt_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t rt_strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t rt_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int rt_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int rt_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *rt_strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *rt_strrchr(const char *s, int c)
{
	const char *last = NULL;
	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t rt_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = rt_strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		rt_memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

bool rt_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}
