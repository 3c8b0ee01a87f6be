/* The files of /proc/<pid>/ (and task/<tid>/) whose host text speaks
 * the host's numbers: stat, status, statm, maps, smaps, mountinfo,
 * mounts, limits, and environ when it is empty.
 *
 * The host's text is right about what the host runs: the state, memory,
 * CPU times, the thread's name (exec and PR_SET_NAME give it to the
 * host).  It is wrong about what only the providers know: guest pids and
 * the process tree, guest ids and capabilities, signal masks and
 * dispositions, umask, no_new_privs, seccomp and the tracer.  So the file
 * is the host's text with those fields rewritten, made at open and served
 * read-only (procfs_serve_text).  Another process's values come from its
 * slot of the world table (proc/view.c, ids and capabilities) or, for
 * its limits, from its provider (proc/remote.c); the caller's own are
 * live.  The mount tables: see "Mount tables" below.
 *
 * The provider's window (include/picos/layout.h) is the provider's, not
 * the guest's: maps and smaps leave its mappings out, and the virtual
 * sizes (status VmPeak and VmSize, stat vsize, statm size) leave out its
 * PICOS_PROVIDER_SIZE bytes, which are always mapped (reserved at
 * start). */
#include "procfs.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../proc/remote.h"
#include <picos/world.h>
#include <picos/layout.h>

struct pid_view {
	int pid, tid, ppid, pgid, sid, tracer;
	uint32_t uid[4], gid[4]; /* real, effective, saved, filesystem */
	uint64_t blocked, ignored, caught;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t umask;
	int nnp, seccomp, nfilters;
	/* an ended process its parent has not waited for: no host process
	 * is left, its files are made from its slot */
	bool zombie;
	char comm[16];
	uint64_t utime_us, stime_us, cutime_us, cstime_us;
	int exit_code; /* stat's last field: the wait status */
};

enum pid_file { PF_STAT, PF_STATUS, PF_STATM, PF_MAPS, PF_SMAPS, PF_MOUNTINFO,
		PF_MOUNTS, PF_LIMITS, PF_ENVIRON, PF_MOUNTSTATS };

static const char *const file_name[] = { "stat", "status", "statm",
					 "maps", "smaps", "mountinfo",
					 "mounts", "limits", "environ",
					 "mountstats" };

/* The number at p in `base` (10 or 16); *end past it when end is set. */
static uint64_t scan_u64(const char *p, char **end, int base)
{
	uint64_t v = 0;
	for (;; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (end)
		*end = (char *)p;
	return v;
}

/* Which of these files of which process and thread a path below /proc
 * names. */
static bool parse_path(const char *p, int *pid, int *tid, enum pid_file *which)
{
	const char *name = procfs_task_file(p, pid, tid);
	for (unsigned i = 0; name && i < sizeof file_name / sizeof *file_name; i++)
		if (rt_strcmp(name, file_name[i]) == 0) {
			*which = (enum pid_file)i;
			return true;
		}
	return false;
}

/* The calling thread, or another thread of the calling process in this
 * memory, by guest tid. */
static struct pico_thread *own_thread(int tid)
{
	for_each_thread(t, gproc())
		if (t->tid == tid)
			return t;
	return NULL;
}

static bool gather(int pid, int tid, struct pid_view *v)
{
	rt_memset(v, 0, sizeof *v);
	v->pid = pid;
	v->tid = tid;
	task_lock();
	struct picos_task *k = task_by_vpid(pid);
	bool live = k && (k->state == TASK_LIVE ||
			  (k->state == TASK_ZOMBIE && tid == pid));
	if (live) {
		v->zombie = k->state == TASK_ZOMBIE;
		v->ppid = k->ppid, v->pgid = k->pgid, v->sid = k->sid;
		v->uid[0] = k->uid, v->uid[1] = k->euid, v->uid[2] = k->suid;
		v->uid[3] = k->euid;
		v->gid[0] = k->gid, v->gid[1] = k->egid, v->gid[2] = k->sgid;
		v->gid[3] = k->egid;
		v->cap_inh = k->cap_inh, v->cap_prm = k->cap_prm;
		v->cap_eff = k->cap_eff, v->cap_bnd = k->cap_bnd;
		v->cap_amb = k->cap_amb;
		v->blocked = k->view_blocked;
		v->ignored = k->view_ignored, v->caught = k->view_caught;
		v->umask = k->view_umask;
		v->nnp = k->view_nnp, v->seccomp = k->view_seccomp;
		v->nfilters = k->view_nfilters, v->tracer = k->view_tracer;
		struct picos_thread_id *th = tid != pid ? tid_by_vtid(tid) : NULL;
		if (th && th->tgid == pid)
			v->blocked = th->view_blocked;
		/* any process of the world may have written it: 15 bytes */
		rt_memcpy(v->comm, k->view_comm, 15);
		v->utime_us = k->utime_us, v->stime_us = k->stime_us;
		v->cutime_us = k->cutime_us, v->cstime_us = k->cstime_us;
		v->exit_code = k->wstatus;
	}
	task_unlock();
	if (!live)
		return false;
	if (pid != gproc()->pid)
		return true;
	/* The caller's own: live values. */
	v->uid[0] = ident.uid, v->uid[1] = ident.euid;
	v->uid[2] = ident.suid, v->uid[3] = ident.fsuid;
	v->gid[0] = ident.gid, v->gid[1] = ident.egid;
	v->gid[2] = ident.sgid, v->gid[3] = ident.fsgid;
	v->umask = fs_umask;
	view_dispositions(&v->ignored, &v->caught);
	struct pico_thread *t = own_thread(tid);
	if (t) {
		v->blocked = t->sigmask;
		v->nnp = t->no_new_privs;
		v->seccomp = t->seccomp_mode;
		v->nfilters = view_filter_count(t);
		v->tracer = t->pt_tracer;
		v->cap_inh = t->caps.inh, v->cap_prm = t->caps.prm;
		v->cap_eff = t->caps.eff, v->cap_bnd = t->caps.bset;
		v->cap_amb = t->caps.amb;
	}
	return true;
}

/* A virtual size without the provider's window, in units of `unit`
 * bytes (0 if the host's figure is smaller, which it never is). */
static uint64_t window_less(uint64_t size, uint64_t unit)
{
	uint64_t w = PICOS_PROVIDER_SIZE / unit;
	return size > w ? size - w : 0;
}

/* A host pid in the text (the terminal's foreground group) as the
 * world's: 0 for one outside it, as a container shows. */
static long host_to_guest(long host)
{
	if (host <= 0)
		return host;
	return task_id_of_host((int)host);
}

/* stat: "pid (comm) state ppid pgrp session tty_nr tpgid ..."; fields 31
 * to 34 are the pending, blocked, ignored and caught signals (decimal). */
static void rewrite_stat(const char *host, const struct pid_view *v,
			 struct rt_buf *out)
{
	const char *open = rt_strchr(host, '(');
	const char *close = rt_strrchr(host, ')');
	if (!open || !close || close < open || close[1] != ' ') {
		rt_buf_printf(out, "%s", host);
		return;
	}
	rt_buf_printf(out, "%d %.*s", v->tid, (int)(close - open + 1), open);
	const char *p = close + 2;
	for (int field = 3; *p; field++) {
		const char *end = p;
		while (*end && *end != ' ' && *end != '\n')
			end++;
		long num = 0;
		bool neg = *p == '-';
		for (const char *d = p + neg; d < end; d++)
			num = num * 10 + (*d - '0'); /* vsize fits: < 2^47 */
		if (neg)
			num = -num;
		switch (field) {
		case 4: rt_buf_printf(out, " %d", v->ppid); break;
		case 5: rt_buf_printf(out, " %d", v->pgid); break;
		case 6: rt_buf_printf(out, " %d", v->sid); break;
		case 8: rt_buf_printf(out, " %ld", host_to_guest(num)); break;
		case 23: rt_buf_printf(out, " %lu", window_less((uint64_t)num, 1)); break;
		/* the obsolete decimal sets: Linux shows signals 1-31 only */
		case 32: rt_buf_printf(out, " %lu", v->blocked & 0x7fffffffUL); break;
		case 33: rt_buf_printf(out, " %lu", v->ignored & 0x7fffffffUL); break;
		case 34: rt_buf_printf(out, " %lu", v->caught & 0x7fffffffUL); break;
		default:
			rt_buf_printf(out, " %.*s", (int)(end - p), p);
		}
		p = end;
		while (*p == ' ')
			p++;
		if (*p == '\n')
			break;
	}
	rt_buf_printf(out, "\n");
}

static void put_ids(struct rt_buf *out, const char *key, const uint32_t id[4])
{
	rt_buf_printf(out, "%s:\t%u\t%u\t%u\t%u\n", key, id[0], id[1], id[2],
		      id[3]);
}

/* One line of status in the world's values; false to keep the host's. */
static bool status_line(const char *key, size_t kn, const char *value,
			const struct pid_view *v, struct rt_buf *out)
{
#define KEY(k) is_name(key, kn, k)
	if (KEY("Umask"))
		rt_buf_printf(out, "Umask:\t%04o\n", v->umask);
	else if (KEY("Tgid") || KEY("NStgid"))
		rt_buf_printf(out, "%.*s:\t%d\n", (int)kn, key, v->pid);
	else if (KEY("Pid") || KEY("NSpid"))
		rt_buf_printf(out, "%.*s:\t%d\n", (int)kn, key, v->tid);
	else if (KEY("PPid"))
		rt_buf_printf(out, "PPid:\t%d\n", v->ppid);
	else if (KEY("NSpgid"))
		rt_buf_printf(out, "NSpgid:\t%d\n", v->pgid);
	else if (KEY("NSsid"))
		rt_buf_printf(out, "NSsid:\t%d\n", v->sid);
	else if (KEY("TracerPid"))
		rt_buf_printf(out, "TracerPid:\t%d\n", v->tracer);
	else if (KEY("Uid"))
		put_ids(out, "Uid", v->uid);
	else if (KEY("Gid"))
		put_ids(out, "Gid", v->gid);
	else if (KEY("SigBlk"))
		rt_buf_printf(out, "SigBlk:\t%016lx\n", v->blocked);
	else if (KEY("SigIgn"))
		rt_buf_printf(out, "SigIgn:\t%016lx\n", v->ignored);
	else if (KEY("SigCgt"))
		rt_buf_printf(out, "SigCgt:\t%016lx\n", v->caught);
	else if (KEY("CapInh"))
		rt_buf_printf(out, "CapInh:\t%016lx\n", v->cap_inh);
	else if (KEY("CapPrm"))
		rt_buf_printf(out, "CapPrm:\t%016lx\n", v->cap_prm);
	else if (KEY("CapEff"))
		rt_buf_printf(out, "CapEff:\t%016lx\n", v->cap_eff);
	else if (KEY("CapBnd"))
		rt_buf_printf(out, "CapBnd:\t%016lx\n", v->cap_bnd);
	else if (KEY("CapAmb"))
		rt_buf_printf(out, "CapAmb:\t%016lx\n", v->cap_amb);
	else if (KEY("NoNewPrivs"))
		rt_buf_printf(out, "NoNewPrivs:\t%d\n", v->nnp);
	else if (KEY("Seccomp"))
		rt_buf_printf(out, "Seccomp:\t%d\n", v->seccomp);
	else if (KEY("Seccomp_filters"))
		rt_buf_printf(out, "Seccomp_filters:\t%d\n", v->nfilters);
	else if ((KEY("VmPeak") || KEY("VmSize")) && value)
		rt_buf_printf(out, "%.*s:\t%8lu kB\n", (int)kn, key,
			      window_less(scan_u64(value, NULL, 10), 1024));
	else
		return false;
	return true;
#undef KEY
}

static void rewrite_status(const char *host, const struct pid_view *v,
			   struct rt_buf *out)
{
	for (const char *p = host; *p;) {
		const char *nl = rt_strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : rt_strlen(p);
		size_t kn = 0;
		while (kn < len && p[kn] != ':')
			kn++;
		const char *value = p + kn + 1;
		while (value < p + len && (*value == ' ' || *value == '\t'))
			value++;
		if (kn == len || !status_line(p, kn, value, v, out))
			rt_buf_printf(out, "%.*s", (int)len, p);
		p += len;
	}
}

/* statm: "size resident shared text lib data dt" in pages. */
static void rewrite_statm(const char *host, struct rt_buf *out)
{
	char *end;
	uint64_t size = scan_u64(host, &end, 10);
	rt_buf_printf(out, "%lu%s", window_less(size, 4096), end);
}

static bool in_window(uint64_t addr)
{
	return addr >= PICOS_PROVIDER_BASE && addr < PICOS_PROVIDER_END;
}

/* maps and smaps: the host's lines and records without the window's.  A
 * record starts with an address range "start-end "; smaps's field lines
 * that follow belong to the record before them. */
static void rewrite_maps(const char *host, struct rt_buf *out)
{
	bool keep = true;
	for (const char *p = host; *p;) {
		const char *nl = rt_strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : rt_strlen(p);
		char *dash;
		uint64_t start = scan_u64(p, &dash, 16);
		if (dash > p && *dash == '-')
			keep = !in_window(start);
		if (keep)
			rt_buf_printf(out, "%.*s", (int)len, p);
		p += len;
	}
}

long procfs_read_all(const char *rel, char **text)
{
	size_t cap = 16384;
	for (;;) {
		char *buf = kmalloc(cap);
		if (!buf)
			return -ENOMEM;
		long n = procfs_host_text(rel, buf, cap);
		if (n < 0 || (size_t)n + 1 < cap || cap >= (64UL << 20)) {
			if (n < 0)
				kfree(buf);
			else
				*text = buf;
			return n;
		}
		kfree(buf);
		cap *= 4;
	}
}

/* Mount tables.  The kernel's table is in host paths (with namespaces
 * the world's tree is stacked on a bind of the host's /, with tmpfs covers
 * and the world's mounts on top, src/cli/ns.c), and lists mounts no path
 * of the world reaches.  So the entries shown are those in sight from the
 * root, walked down the mount tree (ids and parent ids): a mount is in
 * sight when its parent is, no sibling sits at or above its mount point
 * (one mounted there later covers it), and nothing is stacked on it at
 * the same point.  Each is then named by the guest path of its mount
 * point (mount_guest_path_of_host), and left out when it has none, a
 * filtered directory hides it (filtered.c), or a deeper host mount has
 * the same guest path (the world's /tmp over the host's).  Its parent becomes the nearest ancestor shown.  mounts has
 * the same entries in the same order as mountinfo (the host makes both
 * from one list), so the host's mountinfo decides for both. */
#define MAX_MOUNTS 1024

struct mount_view {
	char *guest[MAX_MOUNTS]; /* escaped guest mount point, NULL: hidden */
	char *host[MAX_MOUNTS];	 /* the host mount point, unescaped */
	uint64_t id[MAX_MOUNTS], pid[MAX_MOUNTS]; /* mount and parent ids */
	bool seen[MAX_MOUNTS];	 /* reached from the root */
	int parent[MAX_MOUNTS];	 /* the entry shown as its parent, or -1 */
	int n;
};

/* Field `k` (0-based, blank-separated) of a line: its start, *len. */
static const char *line_field(const char *p, const char *eol, int k, size_t *len)
{
	for (int i = 0; i < k && p < eol; i++) {
		while (p < eol && *p != ' ')
			p++;
		while (p < eol && *p == ' ')
			p++;
	}
	const char *e = p;
	while (e < eol && *e != ' ')
		e++;
	*len = (size_t)(e - p);
	return p;
}

/* The kernel escapes blanks, newlines and backslashes in paths as \ooo. */
static char *unescape_dup(const char *p, size_t n)
{
	char *out = kmalloc(n + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 3 < n && p[i + 1] >= '0' &&
		    p[i + 1] <= '3') {
			out[o++] = (char)((p[i + 1] - '0') * 64 +
					  (p[i + 2] - '0') * 8 + (p[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = p[i];
		}
	}
	out[o] = 0;
	return out;
}

static bool needs_escape(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\\';
}

static char *escape_dup(const char *p)
{
	size_t n = 0;
	for (const char *c = p; *c; c++)
		n += needs_escape(*c) ? 4 : 1;
	char *out = kmalloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *c = p; *c; c++) {
		if (needs_escape(*c)) {
			unsigned char ch = (unsigned char)*c;
			*o++ = '\\';
			*o++ = (char)('0' + (ch >> 6));
			*o++ = (char)('0' + ((ch >> 3) & 7));
			*o++ = (char)('0' + (ch & 7));
		} else {
			*o++ = *c;
		}
	}
	*o = 0;
	return out;
}

/* Is path a at b or above it (a prefix at a component)? */
static bool covers(const char *a, const char *b)
{
	size_t an = rt_strlen(a), bn = rt_strlen(b);
	if (an == 1 && a[0] == '/')
		return true;
	return an <= bn && rt_memcmp(a, b, an) == 0 && (an == bn || b[an] == '/');
}

/* Marks entry i and what is in sight below it (depth-bounded: the ids
 * come from the host, but a cycle must not loop). */
static void walk(struct mount_view *v, int i, int depth)
{
	if (depth > 64 || v->seen[i])
		return;
	v->seen[i] = true;
	for (int c = 0; c < v->n; c++) {
		if (c == i || v->pid[c] != v->id[i] || !v->host[c])
			continue;
		bool covered = false;
		for (int d = 0; d < v->n && !covered; d++)
			covered = d != c && v->pid[d] == v->id[i] && v->host[d] &&
				  covers(v->host[d], v->host[c]) &&
				  rt_strcmp(v->host[d], v->host[c]) != 0;
		if (!covered)
			walk(v, c, depth + 1);
	}
}

/* Is something stacked on entry i at its own mount point? */
static bool stacked_on(const struct mount_view *v, int i)
{
	for (int c = 0; c < v->n; c++)
		if (c != i && v->pid[c] == v->id[i] && v->host[c] &&
		    rt_strcmp(v->host[c], v->host[i]) == 0)
			return true;
	return false;
}

static void view_build(const char *info, struct mount_view *v)
{
	char guest[PICOS_PATH_MAX];
	v->n = 0;
	for (const char *p = info; *p && v->n < MAX_MOUNTS;) {
		const char *nl = rt_strchr(p, '\n');
		const char *eol = nl ? nl : p + rt_strlen(p);
		size_t len;
		int i = v->n++;
		const char *mp = line_field(p, eol, 4, &len);
		v->host[i] = unescape_dup(mp, len);
		v->id[i] = scan_u64(p, NULL, 10);
		v->pid[i] = scan_u64(line_field(p, eol, 1, &len), NULL, 10);
		v->seen[i] = false;
		v->guest[i] = NULL;
		p = nl ? nl + 1 : eol;
	}
	/* The root: an entry at / whose parent is not listed. */
	for (int i = 0; i < v->n; i++) {
		bool listed = false;
		for (int j = 0; j < v->n && !listed; j++)
			listed = j != i && v->id[j] == v->pid[i];
		if (!listed && v->host[i] && rt_strcmp(v->host[i], "/") == 0)
			walk(v, i, 0);
	}
	/* A mount point a filtered directory hides (flat mode: the host's
	 * cgroup mounts below the world's empty /sys/fs/cgroup) is not
	 * there for the guest, so neither is its entry.  Under a chroot, as
	 * Linux: mount points below the reader's root, named from it; the
	 * others (the root's own mount too) left out. */
	char view[PICOS_PATH_MAX];
	for (int i = 0; i < v->n; i++)
		if (v->seen[i] && !stacked_on(v, i) &&
		    mount_guest_path_of_host(v->host[i], guest, sizeof guest) &&
		    !filtered_hides(mount_find(guest), guest) &&
		    fs_root_view(guest, view, sizeof view))
			v->guest[i] = escape_dup(view);
	/* One guest path, one entry: the deepest host mount point's. */
	for (int i = 0; i < v->n; i++)
		for (int j = 0; j < v->n && v->guest[i]; j++)
			if (j != i && v->guest[j] &&
			    rt_strcmp(v->guest[j], v->guest[i]) == 0 &&
			    rt_strlen(v->host[j]) > rt_strlen(v->host[i])) {
				kfree(v->guest[i]);
				v->guest[i] = NULL;
			}
	for (int i = 0; i < v->n; i++) {
		v->parent[i] = -1;
		uint64_t up = v->pid[i];
		for (int depth = 0; depth < 64 && v->parent[i] < 0; depth++) {
			int k = -1;
			for (int j = 0; j < v->n && k < 0; j++)
				if (v->id[j] == up)
					k = j;
			if (k < 0)
				break;
			if (v->guest[k])
				v->parent[i] = k;
			up = v->pid[k];
		}
	}
}

static void view_free(struct mount_view *v)
{
	for (int i = 0; i < v->n; i++) {
		if (v->guest[i])
			kfree(v->guest[i]);
		if (v->host[i])
			kfree(v->host[i]);
	}
}

/* The entries in sight, with field `field` (the mount point: 4 in
 * mountinfo, 1 in mounts) in guest spelling. */
static void keep_lines(const char *host, const struct mount_view *v, int field,
		       struct rt_buf *out)
{
	int i = 0;
	for (const char *p = host; *p; i++) {
		const char *nl = rt_strchr(p, '\n');
		const char *eol = nl ? nl : p + rt_strlen(p);
		size_t len;
		const char *mp = line_field(p, eol, field, &len);
		const char *head = p;
		if (i < v->n && v->guest[i] && field == 4 && v->parent[i] >= 0) {
			/* mountinfo: "id parent ...", the parent in sight */
			size_t pl;
			const char *par = line_field(p, eol, 1, &pl);
			rt_buf_printf(out, "%.*s%lu", (int)(par - p), p,
				      v->id[v->parent[i]]);
			head = par + pl;
		}
		if (i < v->n && v->guest[i])
			rt_buf_printf(out, "%.*s%s%.*s\n", (int)(mp - head), head,
				      v->guest[i], (int)(eol - mp - len), mp + len);
		p = nl ? nl + 1 : eol;
	}
}

/* mountstats: an entry per mount, "device D mounted on M with fstype T
 * ..." and, for some file systems, indented lines of statistics. */
static void keep_stats(const char *host, const struct mount_view *v,
		       struct rt_buf *out)
{
	int i = -1;
	bool keep = false;
	for (const char *p = host; *p;) {
		const char *nl = rt_strchr(p, '\n');
		const char *eol = nl ? nl : p + rt_strlen(p);
		size_t len;
		const char *mp = line_field(p, eol, 4, &len);
		if (rt_strncmp(p, "device ", 7) == 0) {
			i++;
			keep = i < v->n && v->guest[i];
			if (keep)
				rt_buf_printf(out, "%.*s%s%.*s\n", (int)(mp - p), p,
					      v->guest[i], (int)(eol - mp - len),
					      mp + len);
		} else if (keep) {
			rt_buf_printf(out, "%.*s\n", (int)(eol - p), p);
		}
		p = nl ? nl + 1 : eol;
	}
}

/* mountinfo, mounts or mountstats: for the last two, `rel` is the file's
 * path and the host's mountinfo beside it decides (the kernel makes all
 * three from one list, in one order). */
static void rewrite_mounts(const char *host, enum pid_file which,
			   const char *rel, struct rt_buf *out)
{
	struct mount_view *v = kmalloc(sizeof *v);
	char *info = NULL;
	const char *decide = host;
	if (v && which != PF_MOUNTINFO) {
		char irel[sizeof ((struct lookup *)0)->hostrel + 8];
		/* ".../mounts" or ".../mountstats" -> ".../mountinfo" */
		size_t rl = rt_strlen(rel) - (which == PF_MOUNTS ? 1 : 5);
		rt_snprintf(irel, sizeof irel, "%.*sinfo", (int)rl, rel);
		decide = procfs_read_all(irel, &info) >= 0 ? info : NULL;
	}
	if (v && decide) {
		view_build(decide, v);
		if (which == PF_MOUNTSTATS)
			keep_stats(host, v, out);
		else
			keep_lines(host, v, which == PF_MOUNTS ? 1 : 4, out);
		view_free(v);
		if (which != PF_MOUNTSTATS)
			mount_show_added(out, which == PF_MOUNTS);
	}
	if (info)
		kfree(info);
	if (v)
		kfree(v);
}

/* limits: the host's lines (Linux's names and units, in resource order)
 * with the guest's soft and hard limits, which the host's differ from
 * where the provider keeps a reserve (open files, address space) or
 * keeps the limit itself.  Columns as Linux's: "%-25s %-20s %-20s
 * %-10s". */
static void rewrite_limits(const char *host, int pid, struct rt_buf *out)
{
	struct rlimit64 lim[PICO_NLIMITS];
	long r = pid == gproc()->pid
			 ? prlimit_all(lim)
			 : remote_call(pid, RQ_LIMITS, 0, 0, NULL, 0, lim, sizeof lim);
	int line = -1; /* the header first */
	for (const char *p = host; *p; line++) {
		const char *nl = rt_strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : rt_strlen(p);
		if (line < 0 || line >= PICO_NLIMITS || r != PICO_NLIMITS ||
		    len < 67) {
			rt_buf_printf(out, "%.*s\n", (int)len, p);
		} else {
			rt_buf_printf(out, "%.25s ", p);
			uint64_t v[2] = { lim[line].cur, lim[line].max };
			for (int k = 0; k < 2; k++) {
				if (v[k] == ~0ULL)
					rt_buf_printf(out, "%-20s ", "unlimited");
				else
					rt_buf_printf(out, "%-20lu ", v[k]);
			}
			rt_buf_printf(out, "%.*s\n", (int)(len - 68), p + 68);
		}
		p = nl ? nl + 1 : p + len;
	}
}

/* Zombies.  The host process is gone (the world's init reaped it), so
 * the "host text" of a zombie's stat and status is made here in Linux's
 * shape for one, then rewritten like any other; its memory files are
 * empty and its environ gone (ESRCH), as Linux shows them. */
static long zombie_stat_text(const struct pid_view *v, char *buf, size_t size)
{
	const uint64_t tick = 1000000 / 100; /* USER_HZ */
	struct rt_buf b;
	rt_buf_init(&b, buf, size);
	rt_buf_printf(&b, "%d (%s) Z 0 0 0 0 -1 4227148 0 0 0 0 %lu %lu %lu %lu "
		      "20 0 1 0 0 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 "
		      "0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 %d\n",
		      v->tid, v->comm, v->utime_us / tick, v->stime_us / tick,
		      v->cutime_us / tick, v->cstime_us / tick, v->exit_code);
	return (long)b.len;
}

static long zombie_status_text(const struct pid_view *v, char *buf,
			       size_t size)
{
	struct rt_buf b;
	rt_buf_init(&b, buf, size);
	/* the values rewrite_status puts are left as 0 here */
	rt_buf_printf(&b, "Name:\t%s\nUmask:\t0\nState:\tZ (zombie)\nTgid:\t0\n"
		      "Ngid:\t0\nPid:\t0\nPPid:\t0\nTracerPid:\t0\nUid:\t0\n"
		      "Gid:\t0\nFDSize:\t0\nGroups:\t \nNStgid:\t0\nNSpid:\t0\n"
		      "NSpgid:\t0\nNSsid:\t0\nThreads:\t1\nSigQ:\t0/0\n"
		      "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
		      "SigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\nCapInh:\t0\n"
		      "CapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n"
		      "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		      "voluntary_ctxt_switches:\t0\n"
		      "nonvoluntary_ctxt_switches:\t0\n",
		      v->comm);
	return (long)b.len;
}

/* A zombie's "host text" of file `which` into buf, or -errno. */
static long zombie_text(enum pid_file which, const struct pid_view *v,
			char *buf, size_t size)
{
	switch (which) {
	case PF_STAT: return zombie_stat_text(v, buf, size);
	case PF_STATUS: return zombie_status_text(v, buf, size);
	case PF_STATM:
		return (long)rt_strlcpy(buf, "0 0 0 0 0 0 0\n", size);
	case PF_MAPS:
	case PF_SMAPS:
	case PF_MOUNTINFO:
	case PF_MOUNTS:
	case PF_MOUNTSTATS: buf[0] = 0; return 0;
	case PF_ENVIRON: return -ESRCH;
	case PF_LIMITS: return -ENOENT; /* its limits went with it */
	}
	return -ENOENT;
}

/* A zombie's files besides those of file_name[] (all of them but
 * limits, which went with its process). */
static const char *const zombie_only[] = { "cmdline", "comm", "wchan", "io" };

bool procfs_zombie_file(const char *name)
{
	for (unsigned i = 0; i < sizeof file_name / sizeof *file_name; i++)
		if (rt_strcmp(name, file_name[i]) == 0)
			return i != PF_LIMITS;
	for (unsigned i = 0; i < sizeof zombie_only / sizeof *zombie_only; i++)
		if (rt_strcmp(name, zombie_only[i]) == 0)
			return true;
	return false;
}

/* A zombie's other files: cmdline (empty), comm, wchan and io. */
static bool zombie_other_open(struct lookup *lk, const char *p, int flags,
			      long *res)
{
	int pid, tid;
	const char *name = procfs_task_file(p, &pid, &tid);
	struct pid_view v;
	if (!name || pid == gproc()->pid || !gather(pid, tid, &v) || !v.zombie)
		return false;
	char text[256];
	struct rt_buf b;
	rt_buf_init(&b, text, sizeof text);
	if (rt_strcmp(name, "comm") == 0)
		rt_buf_printf(&b, "%s\n", v.comm);
	else if (rt_strcmp(name, "wchan") == 0)
		rt_buf_printf(&b, "0");
	else if (rt_strcmp(name, "io") == 0)
		rt_buf_printf(&b, "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\n"
				  "read_bytes: 0\nwrite_bytes: 0\n"
				  "cancelled_write_bytes: 0\n");
	else if (rt_strcmp(name, "cmdline") != 0)
		return false;
	*res = (flags & O_ACCMODE) != O_RDONLY
		       ? -EACCES
		       : procfs_serve_text(lk, name, text, b.len, flags);
	return true;
}

bool procfs_pid_open(struct lookup *lk, int flags, long *res)
{
	const char *p = procfs_inside(lk->path);
	int pid, tid;
	enum pid_file which;
	if (p && !parse_path(p, &pid, &tid, &which))
		return zombie_other_open(lk, p, flags, res);
	if (!p)
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		*res = -EACCES; /* mode 0444 */
		return true;
	}
	struct pid_view v;
	if (!gather(pid, tid, &v)) {
		*res = -ENOENT;
		return true;
	}
	if (which == PF_ENVIRON && !v.zombie) {
		/* The host's, unless the program started without any: the
		 * host's record needs a non-empty range (exec.c).  The host
		 * checks the reader's access first. */
		task_lock();
		struct picos_task *k = task_by_vpid(pid);
		bool none = k && k->view_noenv;
		task_unlock();
		char probe[2];
		long r = none ? procfs_host_text_at(lk, probe, sizeof probe) : 0;
		if (!none || r < 0) {
			*res = r;
			return none;
		}
		*res = procfs_serve_text(lk, "environ", "", 0, flags);
		return true;
	}
	/* The small files (a page or two) are made on the stack; maps,
	 * smaps and the mount tables can run to megabytes. */
	bool small = which == PF_STAT || which == PF_STATUS ||
		     which == PF_STATM || which == PF_LIMITS;
	enum { SMALL = 6144 };
	char small_host[SMALL], small_text[SMALL + 1024];
	char *host = small_host, *text = small_text;
	size_t cap = sizeof small_text;
	if (v.zombie)
		small = true; /* its texts are a line or a few */
	long n = v.zombie  ? zombie_text(which, &v, host, SMALL)
		 : small ? procfs_host_text_at(lk, host, SMALL)
			 : procfs_read_all(lk->rel, &host);
	if (n >= 0 && !small) {
		/* at most the host's text plus longer numbers (a few lines) */
		cap = (size_t)n + 1024;
		text = kmalloc(cap);
		if (!text)
			n = -ENOMEM;
	}
	if (n >= 0) {
		struct rt_buf b;
		rt_buf_init(&b, text, cap);
		switch (which) {
		case PF_STAT: rewrite_stat(host, &v, &b); break;
		case PF_STATUS: rewrite_status(host, &v, &b); break;
		case PF_STATM: rewrite_statm(host, &b); break;
		case PF_MAPS:
		case PF_SMAPS: rewrite_maps(host, &b); break;
		case PF_MOUNTINFO:
		case PF_MOUNTS:
		case PF_MOUNTSTATS:
			if (!v.zombie) /* a zombie's is empty */
				rewrite_mounts(host, which, lk->rel, &b);
			break;
		case PF_LIMITS: rewrite_limits(host, pid, &b); break;
		case PF_ENVIRON: break; /* answered above */
		}
		n = procfs_serve_text(lk, file_name[which], text, b.len, flags);
	}
	if (!small) {
		if (text != small_text)
			kfree(text);
		if (host != small_host)
			kfree(host);
	}
	*res = n;
	return true;
}
