/* /proc/sysvipc/shm and /proc/sysvipc/msg: the host's text (with
 * namespaces, the world's own IPC namespace), whose pid columns the host
 * wrote as pids of the world's pid namespace; they are turned into guest
 * pids (0 for one outside the world, as Linux shows a pid outside the
 * reader's namespace), keeping each column's right alignment.  The
 * semaphore table has no pids and stays the host's. */
#include "procfs.h"
#include "../ipc/ipc.h"

static const struct {
	const char *name;
	int col[2]; /* the pid columns, from 0 */
} tables[] = {
	{ "sysvipc/shm", { 4, 5 } }, /* cpid, lpid */
	{ "sysvipc/msg", { 5, 6 } }, /* lspid, lrpid */
};

static int parse_int(const char *p, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* One line of a table, its pid columns rewritten. */
static void rewrite_line(struct rt_buf *out, const char *p, size_t len,
			 const int col[2])
{
	int c = 0;
	for (size_t i = 0; i < len;) {
		size_t ws = i;
		while (i < len && p[i] == ' ')
			i++;
		size_t t = i;
		while (i < len && p[i] != ' ')
			i++;
		size_t wl = t - ws, tl = i - t;
		if (tl && (c == col[0] || c == col[1])) {
			char num[16];
			int n = rt_snprintf(num, sizeof num, "%d",
					    ipc_pid_to_guest(parse_int(p + t, tl)));
			long pad = (long)(wl + tl) - n;
			rt_buf_printf(out, "%*s%s", (int)(pad < 1 ? 1 : pad), "",
				      num);
		} else {
			rt_buf_put(out, p + ws, wl + tl);
		}
		if (tl)
			c++;
	}
}

bool procfs_sysvipc_open(struct lookup *lk, int flags, long *res)
{
	const char *p = procfs_inside(lk->path);
	size_t k = 0;
	while (p && k < sizeof tables / sizeof *tables &&
	       rt_strcmp(p, tables[k].name) != 0)
		k++;
	if (!p || k == sizeof tables / sizeof *tables)
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		*res = -EACCES; /* mode 0444 */
		return true;
	}
	char *host;
	long n = procfs_read_all(lk->rel, &host);
	if (n < 0) {
		*res = n;
		return true;
	}
	/* a guest pid may be longer than the host's: room for each line's */
	size_t lines = 1;
	for (long i = 0; i < n; i++)
		lines += host[i] == '\n';
	size_t cap = (size_t)n + lines * 24 + 1;
	char *text = kmalloc(cap);
	if (!text) {
		kfree(host);
		*res = -ENOMEM;
		return true;
	}
	struct rt_buf b;
	rt_buf_init(&b, text, cap);
	const char *q = host, *end = host + n;
	for (bool header = true; q < end; header = false) {
		const char *nl = q;
		while (nl < end && *nl != '\n')
			nl++;
		if (header)
			rt_buf_put(&b, q, (size_t)(nl - q));
		else
			rewrite_line(&b, q, (size_t)(nl - q), tables[k].col);
		if (nl < end)
			rt_buf_put(&b, "\n", 1);
		q = nl + 1;
	}
	*res = procfs_serve_text(lk, tables[k].name + 8, b.p, b.len, flags);
	kfree(text);
	kfree(host);
	return true;
}
