/* A tiny TAP (kselftest-style) harness for conformance tests.
 *
 * Each test is a small C program that runs twice, natively and under
 * picos; native Linux is the oracle and both runs must pass.  A test
 * prints "TAP version 13", one "ok N - what" or "not ok N - what" per
 * check, the plan "1..N" at the end, and exits non-zero on any failure. */
#ifndef PICOS_TAP_H
#define PICOS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

static int tap_count, tap_failed;

__attribute__((constructor)) static void tap_start(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
}

__attribute__((format(printf, 2, 3))) static int tap_ok(int cond,
							 const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

/* ok(cond, "what"): one check. */
#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

/* Checks that `expr` returned -1 with errno `err`. */
#define fails_with(expr, err, what)                                        \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		int e_ = errno;                                            \
		if (!tap_ok(r_ == -1 && e_ == (err), "%s fails with %s",   \
			    what, #err))                                   \
			printf("#   got %ld, errno %d (%s)\n", r_, e_,       \
			       strerror(e_));                              \
	} while (0)

/* Checks that `expr` succeeded (did not return -1). */
#define succeeds(expr, what)                                               \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		int e_ = errno;                                            \
		if (!tap_ok(r_ != -1, "%s succeeds", what))                \
			printf("#   errno %d (%s)\n", e_, strerror(e_));       \
	} while (0)

/* Checks made in a forked child travel to the parent as fixed-size
 * records over a pipe (rep_fd; writes below PIPE_BUF are atomic), and the
 * parent prints them as its own TAP lines. */
struct rec { char pass; char what[127]; };
static int rep_fd __attribute__((unused)) = -1;
__attribute__((format(printf, 2, 3), unused)) static void rok(int cond,
							       const char *fmt, ...)
{
	struct rec r = { .pass = !!cond };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.what, sizeof r.what, fmt, ap);
	va_end(ap);
	if (write(rep_fd, &r, sizeof r) != sizeof r)
		_exit(100);
}

/* The parent's side: prints every record read from fd, until its end,
 * as a TAP line of its own. */
static inline __attribute__((unused)) void rok_collect(int fd)
{
	struct rec r;
	while (read(fd, &r, sizeof r) == sizeof r)
		tap_ok(r.pass, "%.127s", r.what);
}

/* Forks a child whose rok() records reach the parent: 0 in the child,
 * the child's pid in the parent (*rfd: the read end for tap_collect),
 * -1 on failure. */
__attribute__((unused)) static pid_t tap_fork_reporting(int *rfd)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		close(pfd[0]);
		rep_fd = pfd[1];
		return 0;
	}
	close(pfd[1]);
	*rfd = pfd[0];
	return p;
}

/* rok_collect, then the read end closed. */
__attribute__((unused)) static void tap_collect(int fd)
{
	rok_collect(fd);
	close(fd);
}

/* The whole of a file (a /proc file hands out a few records per read:
 * read to its end), NUL-terminated in buf: its length, or -1 with errno
 * when it cannot be opened. */
static inline __attribute__((unused)) long tap_read_file(const char *path,
							 char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	ssize_t r;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	return (long)n;
}

/* The number after `key` at the start of a line of text, in `base`; -1
 * when no line starts with it. */
static inline __attribute__((unused)) long long tap_line_num(const char *text,
							     const char *key,
							     int base)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, k) == 0)
			return strtoll(l + k, NULL, base);
	return -1;
}

/* Whether the test runs under picos: the provider's window
 * (include/picos/layout.h, 0x7e0000000000) is taken, where a native
 * process has nothing. */
static inline __attribute__((unused)) int tap_under_picos(void)
{
	void *w = mmap((void *)0x7e0000000000UL, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (w == MAP_FAILED)
		return 1;
	munmap(w, 4096);
	return 0;
}

static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	printf("# Totals: pass:%d fail:%d\n", tap_count - tap_failed,
	       tap_failed);
	return tap_failed ? 1 : 0;
}

/* A scratch directory of the test's own, removed at exit by the caller
 * (tests clean up after themselves). */
static inline const char *tap_scratch(const char *name)
{
	static char dir[256];
	snprintf(dir, sizeof dir, "/tmp/picos-conf-%s-%d", name, (int)getpid());
	return dir;
}

/* "dir/name" in one of 8 rotating buffers, so several can be in use at
 * once (a call with two paths). */
static inline const char *tap_join(const char *dir, const char *name)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

/* Creates or truncates `path` and writes `text` into it. */
static inline void tap_put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

#endif
