/* /proc/<pid>/fdinfo/<fd>: the host's text for the host fd behind the
 * guest's, with what speaks the host's view rewritten:
 *   - "flags:": the host fd is always close-on-exec (no provider fd may
 *     cross a host execve); Linux shows the guest fd's own flag there;
 *   - "tfd:" (an epoll's registrations): the host fd of each registered
 *     file becomes the guest fd that holds it in the reader's table;
 *   - then the file's own ops rewrite what only they know (a pidfd's
 *     pid).
 * The per-object lines the host writes are right as they are: an
 * eventfd's count, a timerfd's clock and timer, an inotify's watches, a
 * signalfd's mask (the guest's, which the host object holds).
 * Another process's fdinfo is made by that process's provider, which
 * owns the fd table (RQ_FDINFO, in chunks of a request's data). */
#include "procfs.h"
#include "../proc/proc.h"

/* The guest fd holding host fd `hfd` in the caller's table, or -1.  Fds
 * made by dup share one host fd: a file registered under a dup shows the
 * lowest of them, where Linux shows the one given to epoll_ctl. */
static int guest_fd_of_host(long hfd)
{
	for (int fd = fd_next_open(0); fd >= 0; fd = fd_next_open(fd + 1))
		if (fdtable_host_fd(NULL, (unsigned)fd) == hfd)
			return fd;
	return -1;
}

/* One line of the host's text, rewritten into b. */
static void rewrite_line(const char *l, size_t n, bool cloexec,
			 struct rt_buf *b)
{
	if (n > 6 && rt_strncmp(l, "flags:", 6) == 0) {
		const char *p = l + 6;
		while (*p == '\t' || *p == ' ')
			p++;
		unsigned long v = 0;
		while (*p >= '0' && *p <= '7')
			v = v * 8 + (unsigned long)(*p++ - '0');
		v = (v & ~(unsigned long)O_CLOEXEC) | (cloexec ? O_CLOEXEC : 0);
		rt_buf_printf(b, "flags:\t0%lo\n", v);
		return;
	}
	if (n > 4 && rt_strncmp(l, "tfd:", 4) == 0) {
		const char *p = l + 4;
		while (*p == ' ')
			p++;
		long hfd = 0;
		while (*p >= '0' && *p <= '9')
			hfd = hfd * 10 + (*p++ - '0');
		int g = guest_fd_of_host(hfd);
		if (g >= 0) {
			/* Linux's "tfd: %8d events: ..." */
			rt_buf_printf(b, "tfd: %8d%.*s", g, (int)(l + n - p), p);
			return;
		}
	}
	rt_buf_put(b, l, n);
}

long procfs_fdinfo_text(int fd, char **text)
{
	struct file *f = fd >= 0 ? fd_get(fd) : NULL;
	if (!f)
		return -ENOENT;
	bool cloexec = fd_get_cloexec(fd);
	char rel[48];
	rt_snprintf(rel, sizeof rel, "%d/fdinfo/%d", gproc()->host_pid,
		    f->host_fd);
	char *host = NULL, *out = NULL;
	long n = procfs_read_all(rel, &host);
	size_t cap = n >= 0 ? (size_t)n + 64 : 0;
	if (n >= 0 && !(out = kmalloc(cap)))
		n = -ENOMEM;
	if (n >= 0) {
		struct rt_buf b;
		rt_buf_init(&b, out, cap);
		for (const char *l = host; *l;) {
			const char *e = rt_strchr(l, '\n');
			size_t len = e ? (size_t)(e - l) + 1 : rt_strlen(l);
			rewrite_line(l, len, cloexec, &b);
			l += len;
		}
		n = (long)(b.len < cap ? b.len : cap - 1);
		out[n] = 0;
		if (f->ops && f->ops->fdinfo) {
			/* the ops' rewrite, from the text so far */
			kfree(host);
			host = out;
			cap = (size_t)n + 128;
			out = kmalloc(cap);
			n = out ? (long)f->ops->fdinfo(f, host, out, cap)
				: -ENOMEM;
		}
	}
	kfree(host);
	file_put(f);
	if (n < 0) {
		kfree(out);
		return n;
	}
	*text = out;
	return n;
}

long procfs_fdinfo_chunk(int fd, long offset, void *data, size_t size)
{
	char *text;
	long n = procfs_fdinfo_text(fd, &text);
	if (n < 0)
		return n;
	if (offset >= 0 && offset < n) {
		size_t k = (size_t)(n - offset) < size ? (size_t)(n - offset)
						      : size;
		rt_memcpy(data, text + offset, k);
	}
	kfree(text);
	return n;
}
