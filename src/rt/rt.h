/* rt: the provider's freestanding runtime.
 *
 * Everything here builds two ways: freestanding inside the provider image
 * (no libc, no %fs, no vector registers) and hosted for the unit tests.
 * Names carry an rt_ prefix so the hosted build never collides with libc. */
#ifndef PICOS_RT_H
#define PICOS_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* In the provider everything is one static image: hidden visibility lets
 * the compiler use direct RIP-relative references (no GOT). */
#if defined(__PIE__) && !defined(RT_HOSTED)
#pragma GCC visibility push(hidden)
#endif

#define RT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RT_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define RT_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define RT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RT_PAGE_SIZE 4096UL
#define rt_unlikely(x) __builtin_expect(!!(x), 0)
#define rt_likely(x) __builtin_expect(!!(x), 1)

/* string.c */
void *rt_memcpy(void *dst, const void *src, size_t n);
void *rt_memmove(void *dst, const void *src, size_t n);
void *rt_memset(void *dst, int c, size_t n);
int rt_memcmp(const void *a, const void *b, size_t n);
size_t rt_strlen(const char *s);
size_t rt_strnlen(const char *s, size_t max);
int rt_strcmp(const char *a, const char *b);
int rt_strncmp(const char *a, const char *b, size_t n);
char *rt_strchr(const char *s, int c);
char *rt_strrchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t rt_strlcpy(char *dst, const char *src, size_t size);
/* Parses a decimal unsigned number; returns false on junk or overflow. */
bool rt_parse_u64(const char *s, uint64_t *out);

/* fmt.c: a small printf.  Supports %d %i %u %x %X %o %p %s %c %% with the
 * l/ll/z length modifiers, field width, '0' and '-' flags and '.*' / '.N'
 * precision for strings.  Returns the length the output would have had. */
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A growable-free output buffer: appends are truncated at capacity. */
struct rt_buf {
	char *p;
	size_t len, cap;
};
void rt_buf_init(struct rt_buf *b, char *storage, size_t cap);
void rt_buf_printf(struct rt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rt_buf_put(struct rt_buf *b, const char *s, size_t n);

/* path.c: lexical helpers (no file-system access). */
/* Normalises an absolute path in place: collapses "//", drops "." and
 * applies ".." lexically.  Only valid for paths known to have no symlinks. */
void rt_path_normalize(char *path);
/* True when `path` equals `prefix` or lies beneath it (component-wise). */
bool rt_path_has_prefix(const char *path, const char *prefix);

#endif
