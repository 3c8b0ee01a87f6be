/* The guest's /proc: the host's procfs seen through a layer that speaks in
 * the guest's names.
 *
 * The host's procfs knows host pids and host fds; the guest knows virtual
 * ones.  So the layer
 *   - maps a pid directory /proc/<vpid> to the host's /proc/<host pid> of
 *     that task, and hides every host process outside the world (ENOENT);
 *   - inside the caller's own directory, maps fd/<n> and fdinfo/<n> to the
 *     host fd behind guest fd n, and task/<tid> to the host tid;
 *   - answers the links whose host answer would be the host's view itself:
 *     self, thread-self, and the caller's exe, cwd, root and fd/<n>.
 * A guest fd that has no path (a pipe, a socket) is reopened through the
 * host's own magic link to the provider's fd, as Linux reopens it.
 *
 * The caller's fd/ directory lists the guest's fds (getdents64).
 *
 * Other processes' exe, cwd and fd links, fd/ listings and fdinfo come
 * from their providers (proc/remote.c) after Linux's ptrace read check;
 * the files whose text speaks host numbers are rewritten (proc_pid.c,
 * proc_fdinfo.c); zombies, whose host process is gone, get files made
 * from their slot.  docs/architecture.md, "The world's processes in
 * /proc", has the whole picture. */
#include "procfs.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../proc/keys.h"
#include "../proc/remote.h"
#include "../proc/caps.h"
#include "../signal/signal.h"
#include "../entry/entry.h"
#include <picos/world.h>
#include <linux/openat2.h>

/* A decimal number of exactly n characters, no leading zero. */
static bool parse_num(const char *p, size_t n, uint64_t *out)
{
	if (n == 0 || n > 10 || (p[0] == '0' && n > 1))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

/* A pid directory's name: a number, or "self" for the caller's. */
static bool parse_pid(const char *p, size_t n, uint64_t *out)
{
	if (is_name(p, n, "self")) {
		*out = (uint64_t)gproc()->pid;
		return true;
	}
	return parse_num(p, n, out);
}

/* The host pid of a guest pid, 0 when it is not in this world. */
static int host_pid_of(int vpid)
{
	if (vpid == gproc()->pid)
		return gproc()->host_pid;
	task_lock();
	struct picos_task *t = task_by_vpid(vpid);
	int h = t && t->state == TASK_LIVE ? t->host_pid : 0;
	task_unlock();
	return h;
}

/* Linux's ptrace read check (PTRACE_MODE_READ_FSCREDS) between guest
 * identities, for another process's fd/, fdinfo/, cwd, exe and root:
 * the caller's filesystem ids are all of the target's, or it has
 * CAP_SYS_PTRACE.  0, -EACCES, or -ENOENT outside the world. */
static long may_read_other(int vpid)
{
	task_lock();
	struct picos_task *t = task_by_vpid(vpid);
	bool live = t && t->state == TASK_LIVE;
	bool same = live && t->uid == ident.fsuid && t->euid == ident.fsuid &&
		    t->suid == ident.fsuid && t->gid == ident.fsgid &&
		    t->egid == ident.fsgid && t->sgid == ident.fsgid;
	task_unlock();
	if (!live)
		return -ENOENT;
	return same || capable(CAP_SYS_PTRACE) ? 0 : -EACCES;
}

const char *procfs_inside(const char *path)
{
	/* the world's /proc, or another procfs mount of it (--proc DST) */
	struct mount *m = mount_find(path);
	if (!m || !m->procfs)
		return NULL;
	const char *p = path + m->path_len;
	while (*p == '/')
		p++;
	return p;
}

/* A zombie's directory (its host process is gone): the caller's own
 * host directory stands in for it, for stat and listing (a process
 * directory's attributes and names); of its files only those the
 * provider makes for a zombie (proc_pid.c) are there, the rest (links,
 * fd/, task/) are not. */
static long zombie_rel(struct lookup *lk, int vpid, const char *rest)
{
	task_lock();
	struct picos_task *t = task_by_vpid(vpid);
	bool zombie = t && t->state == TASK_ZOMBIE;
	task_unlock();
	if (!zombie || (*rest && !procfs_zombie_file(rest)))
		return -ENOENT;
	int len = rt_snprintf(lk->hostrel, sizeof lk->hostrel, "%d%s%s",
			      gproc()->host_pid, *rest ? "/" : "", rest);
	if (len + 1 >= (int)sizeof lk->hostrel)
		return -ENAMETOOLONG;
	lk->rel = lk->hostrel;
	return 0;
}

long procfs_host_rel(struct lookup *lk)
{
	const char *rest;
	size_t n = first_component(lk->rel, &rest);
	uint64_t vpid;
	bool self = *rest && is_name(lk->rel, n, "self");
	if (*rest && is_name(lk->rel, n, "thread-self")) {
		/* below the caller's thread: <pid>/task/<tid>/... */
		char *p = lk->hostrel;
		int hpid = gproc()->host_pid, htid = current()->host_tid;
		int len = rt_snprintf(p, sizeof lk->hostrel, "%d/task/%d/%s",
				      hpid, htid, rest);
		if (len + 1 >= (int)sizeof lk->hostrel)
			return -ENAMETOOLONG;
		lk->rel = lk->hostrel;
		return 0;
	}
	if (self)
		vpid = (uint64_t)gproc()->pid; /* below it: as <pid>/... */
	else if (!parse_num(lk->rel, n, &vpid))
		return 0; /* cpuinfo, sys/...: the host's own names */
	int hpid = vpid <= 0x7fffffff ? host_pid_of((int)vpid) : 0;
	if (hpid <= 0)
		return vpid <= 0x7fffffff ? zombie_rel(lk, (int)vpid, rest)
					  : -ENOENT;
	struct rt_buf b;
	rt_buf_init(&b, lk->hostrel, sizeof lk->hostrel);
	rt_buf_printf(&b, "%d", hpid);
	/* In the caller's own directory: fds and tids are mapped too. */
	const char *sub;
	size_t sn = first_component(rest, &sub);
	bool mine = (int)vpid == gproc()->pid;
	uint64_t num;
	const char *tail;
	size_t nn = first_component(sub, &tail);
	/* Another process's fds are its provider's: it names the host fd
	 * behind one (proc/remote.c), after Linux's ptrace read check. */
	if (!mine && (is_name(rest, sn, "fd") || is_name(rest, sn, "fdinfo"))) {
		long e = may_read_other((int)vpid);
		if (e < 0)
			return e;
		if (nn && parse_num(sub, nn, &num) && num < 0x7fffffff) {
			long hfd = remote_call((int)vpid, RQ_FD_HOST, (long)num,
					       0, NULL, 0, NULL, 0);
			if (hfd < 0)
				return hfd == -ERESTARTNOINTR ? hfd : -ENOENT;
			rt_buf_printf(&b, "/%.*s/%ld", (int)sn, rest, hfd);
			rest = tail;
			goto done;
		}
	}
	if (mine && !*sub && proc.exe_anon && is_name(rest, sn, "exe")) {
		/* A program without a guest path: its kept host fd. */
		rt_buf_printf(&b, "/fd/%d", proc.exe_fd);
		rest = sub;
	} else if (mine && sn && nn && parse_num(sub, nn, &num) &&
	    (is_name(rest, sn, "fd") || is_name(rest, sn, "fdinfo"))) {
		struct file *f = num < 0x7fffffff ? fd_get((int)num) : NULL;
		if (!f)
			return -ENOENT;
		rt_buf_printf(&b, "/%.*s/%d", (int)sn, rest, f->host_fd);
		file_put(f);
		rest = tail;
	} else if (sn && nn && parse_num(sub, nn, &num) &&
		   is_name(rest, sn, "task")) {
		long htid = num < 0x7fffffff
				    ? task_thread_host((int)vpid, (int)num, NULL)
				    : 0;
		if (htid <= 0)
			return -ENOENT;
		rt_buf_printf(&b, "/task/%ld", htid);
		rest = tail;
	}
done:
	if (*rest)
		rt_buf_printf(&b, "/%s", rest);
	if (b.len + 1 >= sizeof lk->hostrel)
		return -ENAMETOOLONG;
	lk->rel = lk->hostrel;
	return 0;
}

/* The target of the caller's fd link: the guest path of the file, else
 * the host's text for it ("pipe:[123]", "socket:[456]"). */
static long fd_link(struct mount *procmnt, int fd, char *out, size_t size)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -ENOENT;
	long r;
	if (f->path) {
		r = (long)rt_strlcpy(out, f->path, size);
	} else if (f->ops && f->ops->link) {
		r = (long)rt_strlcpy(out, f->ops->link, size);
	} else {
		char name[48];
		rt_snprintf(name, sizeof name, "self/fd/%d", f->host_fd);
		r = host_syscall4(__NR_readlinkat, procmnt->host_fd, name, out,
				  size - 1);
		if (r >= 0)
			out[r] = 0;
	}
	file_put(f);
	return r;
}

long procfs_own_link(int kind, int fd, char *out, size_t size)
{
	struct mount *m = mount_find("/proc");
	long r;
	if (kind == RQ_LINK_FD)
		r = m && m->procfs ? fd_link(m, fd, out, size) : -ENOENT;
	else
		r = (long)rt_strlcpy(out, kind == RQ_LINK_EXE ? proc.exe : fs_cwd,
				     size);
	if (r >= (long)size)
		return -ENAMETOOLONG;
	if (r >= 0)
		out[r] = 0;
	return r;
}

/* The same link of another process, from its provider. */
static long remote_link(int vpid, int kind, int fd, char *out, size_t size)
{
	char text[PICOS_REMOTE_DATA];
	long r = remote_call(vpid, RQ_PROC_LINK, kind, fd, NULL, 0, text,
			     sizeof text);
	if (r < 0)
		return r;
	/* the answer came through memory any process of the world may
	 * write: a string within its bounds */
	text[sizeof text - 1] = 0;
	return (long)rt_strlcpy(out, text, size);
}

/* Is the caller's fd `fd` without a guest path (a pipe, a socket...)? */
static bool fd_pathless(int fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return false;
	bool r = !f->path;
	file_put(f);
	return r;
}

/* A link's world path as the reader names it (below its chroot root;
 * Linux shows a path outside it from the world's /, as here). */
static long root_view_in_place(char *out, size_t size)
{
	char *tmp = kmalloc(size);
	if (!tmp)
		return -ENOMEM;
	fs_root_view(out, tmp, size);
	long n = (long)rt_strlcpy(out, tmp, size);
	kfree(tmp);
	return n;
}

bool procfs_readlink(struct mount *mnt, const char *path, char *out,
		     size_t size, long *res)
{
	const char *p = procfs_inside(path);
	if (!mnt->procfs || !p)
		return false;
	const char *rest;
	size_t n = first_component(p, &rest);
	if (!*rest && is_name(p, n, "self")) {
		*res = rt_snprintf(out, size, "%d", gproc()->pid);
		return true;
	}
	if (!*rest && is_name(p, n, "thread-self")) {
		*res = rt_snprintf(out, size, "%d/task/%d", gproc()->pid,
				   current()->tid);
		return true;
	}
	uint64_t vpid;
	if (!parse_pid(p, n, &vpid) || !*rest)
		return false;
	const char *sub;
	size_t sn = first_component(rest, &sub);
	bool fdlink = is_name(rest, sn, "fd") && *sub && !rt_strchr(sub, '/');
	bool named = !*sub && (is_name(rest, sn, "exe") ||
			       is_name(rest, sn, "cwd") ||
			       is_name(rest, sn, "root"));
	if (!fdlink && !named)
		return false;
	/* Another process's state lives in its own provider, which answers
	 * (proc/remote.c) after Linux's ptrace read check.  `root` is "/":
	 * the reader's own root (another process's root is not shown). */
	bool mine = (int)vpid == gproc()->pid;
	long e = mine ? 0 : may_read_other((int)vpid);
	int kind = fdlink ? RQ_LINK_FD
		   : is_name(rest, sn, "exe") ? RQ_LINK_EXE
					      : RQ_LINK_CWD;
	uint64_t fd = 0;
	if (e < 0)
		*res = e;
	else if (is_name(rest, sn, "root"))
		*res = (long)rt_strlcpy(out, "/", size);
	else if (fdlink && !(parse_num(sub, rt_strlen(sub), &fd) && fd < 0x7fffffff))
		*res = -ENOENT;
	else if (mine)
		*res = procfs_own_link(kind, (int)fd, out, size);
	else
		*res = remote_link((int)vpid, kind, (int)fd, out, size);
	if (*res >= (long)size)
		*res = -ENAMETOOLONG;
	else if (*res > 0 && out[0] == '/' && fs_root)
		*res = root_view_in_place(out, size);
	return true;
}

/* For a path in /proc/<pid>/<dir>: what follows <dir> ("" for <dir>
 * itself), with the pid; NULL for any other path. */
static const char *pid_part(const struct mount *mnt, const char *path,
			    const char *dir, int *vpid)
{
	const char *p = mnt && mnt->procfs && path ? procfs_inside(path) : NULL;
	if (!p)
		return NULL;
	const char *rest, *sub;
	size_t n = first_component(p, &rest);
	size_t sn = first_component(rest, &sub);
	uint64_t v;
	if (!parse_pid(p, n, &v) || v > 0x7fffffff || !is_name(rest, sn, dir))
		return NULL;
	*vpid = (int)v;
	return sub;
}

/* The same in the caller's own /proc/<pid>. */
static const char *own_part(const struct mount *mnt, const char *path,
			    const char *dir)
{
	int vpid;
	const char *sub = pid_part(mnt, path, dir, &vpid);
	return sub && vpid == gproc()->pid ? sub : NULL;
}

/* The caller's /proc/<pid>/fd directory: what follows "fd", or NULL. */
static const char *own_fd_part(const struct mount *mnt, const char *path)
{
	return own_part(mnt, path, "fd");
}

/* Is path the caller's /proc/<pid>/exe? */
static bool is_own_exe(const struct mount *mnt, const char *path)
{
	const char *sub = own_part(mnt, path, "exe");
	return sub && !*sub;
}

/* The text of host procfs file `rel` (below the /proc mount's host
 * directory), NUL-terminated: its length or -errno. */
static long read_host_text(const struct mount *m, const char *rel, char *buf,
			   size_t size)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long fd = host_syscall4(__NR_openat2, m->host_fd, rel, &how, sizeof how);
	if (fd < 0)
		return fd;
	/* seq files hand out a few records per read: read to the end */
	long n = 0, r = 0;
	while ((size_t)n < size - 1 &&
	       (r = host_syscall3(__NR_read, fd, buf + n, size - 1 - (size_t)n)) > 0)
		n += r;
	host_close((int)fd);
	if (n == 0 && r < 0)
		n = r;
	buf[n > 0 ? n : 0] = 0;
	return n;
}

long procfs_host_text_at(const struct lookup *lk, char *buf, size_t size)
{
	return read_host_text(lk->mnt, lk->rel, buf, size);
}

long procfs_host_text(const char *rel, char *buf, size_t size)
{
	struct mount *m = mount_find("/proc");
	if (!m || !m->procfs)
		return -ENOENT;
	return read_host_text(m, rel, buf, size);
}

/* Another process's fdinfo text, from its provider in chunks of a
 * request's data: a kmalloc'd NUL-terminated buffer and its length. */
static long remote_fdinfo(int vpid, int fd, char **text)
{
	long e = may_read_other(vpid);
	if (e < 0)
		return e;
	char chunk[PICOS_REMOTE_DATA];
	char *buf = NULL;
	long total = 0;
	for (long off = 0; !buf || off < total; off += (long)sizeof chunk) {
		long n = remote_call(vpid, RQ_FDINFO, fd, off, NULL, 0, chunk,
				     sizeof chunk);
		if (n < 0) {
			kfree(buf);
			return n;
		}
		if (!buf) {
			/* the answer is the world region's: bounded */
			total = n < (1L << 20) ? n : (1L << 20);
			if (!(buf = kmalloc((size_t)total + 1)))
				return -ENOMEM;
		}
		long k = total - off < (long)sizeof chunk ? total - off
							  : (long)sizeof chunk;
		if (k > 0)
			rt_memcpy(buf + off, chunk, (size_t)k);
	}
	buf[total] = 0;
	*text = buf;
	return total;
}

/* /proc/<pid>/fdinfo/<n>: made by the provider of the fd's process
 * (proc_fdinfo.c) and served read-only, as Linux's mode 0400 file. */
static bool fdinfo_open(struct lookup *lk, int flags, long *res)
{
	int vpid;
	const char *sub = pid_part(lk->mnt, lk->path, "fdinfo", &vpid);
	uint64_t fd;
	if (!sub || !parse_num(sub, rt_strlen(sub), &fd) || fd >= 0x7fffffff)
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		*res = -EACCES;
		return true;
	}
	char *text = NULL;
	long n = vpid == gproc()->pid ? procfs_fdinfo_text((int)fd, &text)
				      : remote_fdinfo(vpid, (int)fd, &text);
	if (n >= 0)
		n = procfs_serve_text(lk, "fdinfo", text, (size_t)n, flags);
	kfree(text);
	*res = n;
	return true;
}

/* Is path one of the caller's own /proc/<pid>/ns/<name> links?  They
 * open the caller's own namespaces (nsfs files), which the host's magic
 * link reaches and no guest path names. */
static bool is_own_ns(const struct mount *mnt, const char *path)
{
	const char *sub = own_part(mnt, path, "ns");
	return sub && *sub && !rt_strchr(sub, '/');
}

bool procfs_walk_stops(struct mount *mnt, const char *path)
{
	if ((proc.exe_anon && is_own_exe(mnt, path)) || is_own_ns(mnt, path))
		return true;
	const char *sub = own_fd_part(mnt, path);
	uint64_t fd;
	return sub && parse_num(sub, rt_strlen(sub), &fd) && fd < 0x7fffffff &&
	       fd_pathless((int)fd);
}

long procfs_serve_text(struct lookup *lk, const char *name, const char *text,
		       size_t len, int flags)
{
	long m = host_syscall2(__NR_memfd_create, name, 1 /* MFD_CLOEXEC */);
	for (size_t done = 0; m >= 0 && done < len;) {
		long w = host_syscall3(__NR_write, m, text + done, len - done);
		if (w <= 0) {
			host_close(m);
			m = w < 0 ? w : -EIO;
		} else {
			done += (size_t)w;
		}
	}
	if (m < 0)
		return m;
	/* fstat of the file shows a procfs file's mode (its link count and
	 * size stay the memfd's: 0 and the text's length) */
	host_syscall2(__NR_fchmod, m, 0444);
	char path[48];
	rt_snprintf(path, sizeof path, "%d/fd/%ld", gproc()->host_pid, m);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC |
				(flags & O_NONBLOCK) };
	long r = host_syscall4(__NR_openat2, lk->mnt->host_fd, path, &how,
			       sizeof how);
	host_close(m);
	return r;
}

/* /proc/keys and /proc/key-users list the world's keys (proc/keys.c),
 * never the host user's. */
static bool keys_open(struct lookup *lk, int flags, long *res)
{
	const char *p = procfs_inside(lk->path);
	bool users = p && rt_strcmp(p, "key-users") == 0;
	if (!p || (!users && rt_strcmp(p, "keys") != 0))
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		*res = -EACCES; /* mode 0444 */
		return true;
	}
	char *text;
	size_t len;
	long r = keys_proc_text(users, &text, &len);
	if (r < 0) {
		*res = r;
		return true;
	}
	*res = procfs_serve_text(lk, users ? "key-users" : "keys", text, len,
				 flags);
	kfree(text);
	return true;
}

const char *procfs_task_file(const char *p, int *pid, int *tid)
{
	const char *rest, *sub, *tail;
	size_t n = first_component(p, &rest);
	uint64_t v, t;
	if (is_name(p, n, "thread-self")) {
		*pid = gproc()->pid;
		*tid = current()->tid;
	} else if (parse_pid(p, n, &v) && v <= 0x7fffffff) {
		*pid = *tid = (int)v;
		size_t sn = first_component(rest, &sub);
		size_t tn = first_component(sub, &tail);
		if (is_name(rest, sn, "task") && *sub) {
			if (!parse_num(sub, tn, &t) || t > 0x7fffffff)
				return NULL;
			*tid = (int)t;
			rest = tail;
		}
	} else {
		return NULL;
	}
	return *rest && !rt_strchr(rest, '/') ? rest : NULL;
}

/* comm files (/proc/<pid>/comm, .../task/<tid>/comm, thread-self/comm):
 * the thread they name, or 0 for any other path. */
static int comm_thread(const struct mount *mnt, const char *path)
{
	const char *p = mnt && mnt->procfs && path ? procfs_inside(path) : NULL;
	int pid, tid;
	const char *file = p ? procfs_task_file(p, &pid, &tid) : NULL;
	return file && rt_strcmp(file, "comm") == 0 ? tid : 0;
}

bool procfs_comm_write(const struct lookup *lk, int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH) &&
	       comm_thread(lk->mnt, lk->path) > 0;
}

/* Writing a comm file names that thread, which the thread does itself
 * (the world's procfs is read-only on the host, and PR_SET_NAME names
 * only the calling thread): the caller's own at once, another of its
 * process by a remote request.  A thread of another process: EINVAL, as
 * Linux's.  Reads, when the file was opened for them too, are the
 * host's. */
static long comm_write(struct file *f, const void *kbuf, size_t n)
{
	int tid = (int)(long)f->priv;
	char name[16] = { 0 };
	rt_memcpy(name, kbuf, n < 15 ? n : 15);
	if (tid == current()->tid)
		thread_set_name(name);
	else if (task_thread_host(gproc()->pid, tid, NULL) <= 0)
		return -EINVAL;
	else {
		long r = remote_call(tid, RQ_SET_NAME, 0, 0, name, sizeof name,
				     NULL, 0);
		if (r < 0)
			return r == -ERESTARTNOINTR ? r : -EINVAL;
	}
	return (long)n;
}

static long comm_read(struct file *f, void *kbuf, size_t n)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	return host_syscall3(__NR_read, f->host_fd, kbuf, n);
}

static void *comm_copy_priv(const struct file *f)
{
	return f->priv;
}

static const struct file_ops comm_ops = {
	.read = comm_read,
	.write = comm_write,
	.copy_priv = comm_copy_priv,
};

void procfs_attach_ops(struct file *f)
{
	int tid;
	if ((f->flags & O_ACCMODE) == O_RDONLY || !f->mnt || !f->mnt->procfs ||
	    (tid = comm_thread(f->mnt, f->path)) <= 0)
		return;
	f->ops = &comm_ops;
	f->priv = (void *)(long)tid;
}

/* /proc/sys: the world's host and domain names (sethostname changes the
 * world's, not the host's), and no writes: EACCES, as an unprivileged
 * user gets (the world's sysctls are the host's, not its own). */
static bool sys_open(struct lookup *lk, int flags, long *res)
{
	const char *p = procfs_inside(lk->path);
	if (!p || !rt_path_has_prefix(p, "sys"))
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT))) {
		*res = -EACCES;
		return true;
	}
	bool host = rt_strcmp(p, "sys/kernel/hostname") == 0;
	if (!host && rt_strcmp(p, "sys/kernel/domainname") != 0)
		return false;
	char text[80];
	task_lock();
	/* (the world region is anyone's to write: at most the field) */
	size_t n = (size_t)rt_snprintf(text, sizeof text, "%.64s\n",
				       host ? popts.world->hostname
					    : popts.world->domainname);
	task_unlock();
	*res = procfs_serve_text(lk, host ? "hostname" : "domainname", text, n,
				 flags);
	return true;
}

/* The files whose text the provider makes (served read-only). */
static bool served_open(struct lookup *lk, int flags, long *res)
{
	if (sys_open(lk, flags, res))
		return true;
	if (procfs_comm_write(lk, flags)) {
		/* the host fd reads; writes go through comm_ops */
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC |
					(uint64_t)(flags & O_NONBLOCK) };
		*res = host_syscall4(__NR_openat2, lk->mnt->host_fd, lk->rel,
				     &how, sizeof how);
		return true;
	}
	return keys_open(lk, flags, res) || procfs_pid_open(lk, flags, res) ||
	       fdinfo_open(lk, flags, res) || procfs_sysvipc_open(lk, flags, res);
}

bool procfs_open(struct lookup *lk, int flags, long *res)
{
	/* An O_PATH open (stat and the *at calls take one) names the host's
	 * file, whose attributes are Linux's (mode, owner, size 0): only a
	 * read needs the provider's text. */
	if (lk->mnt->procfs && !(flags & O_PATH) && served_open(lk, flags, res))
		return true;
	if (!lk->mnt->procfs || (flags & O_NOFOLLOW) ||
	    !procfs_walk_stops(lk->mnt, lk->path))
		return false;
	/* A file with its own ops (signalfd, pidfd) is an anonymous inode,
	 * which Linux does not reopen; its host fd must not reach the guest
	 * without the ops. */
	const char *sub = own_fd_part(lk->mnt, lk->path);
	uint64_t fd = 0;
	struct file *f = sub && parse_num(sub, rt_strlen(sub), &fd)
				 ? fd_get((int)fd)
				 : NULL; /* /proc/self/exe of a memfd program */
	bool has_ops = f && f->ops;
	if (f)
		file_put(f);
	if (has_ops) {
		*res = -ENXIO;
		return true;
	}
	/* lk->rel is "<host pid>/fd/<host fd>": the host follows its own
	 * magic link to the provider's fd, never anything of the guest's
	 * choosing. */
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC };
	*res = host_syscall4(__NR_openat2, lk->mnt->host_fd, lk->rel, &how,
			     sizeof how);
	return true;
}


#define DT_DIR 4
#define DT_LNK 10

/* Appends one record; false when it does not fit. */
static bool put_dirent(char *buf, size_t cap, size_t *len, uint64_t ino,
		       int64_t next, uint8_t type, const char *name)
{
	size_t nl = rt_strlen(name);
	size_t reclen = (sizeof(struct dirent64_hdr) + nl + 1 + 7) & ~7ul;
	if (*len + reclen > cap)
		return false;
	struct dirent64_hdr h = { ino, next, (uint16_t)reclen, type };
	rt_memset(buf + *len, 0, reclen);
	rt_memcpy(buf + *len, &h, sizeof h);
	rt_memcpy(buf + *len + sizeof h, name, nl);
	*len += reclen;
	return true;
}

/* The entry of a provider-made listing at position `pos` >= 2: its
 * number (a tid, an fd) and the next position; false past the end. */
typedef bool (*list_entry)(int vpid, int64_t pos, int *num, int64_t *next);

/* /proc/<pid>/task: 2 the process's own thread, 3 + i slot i of the
 * thread table. */
static bool task_at(int vpid, int64_t pos, int *num, int64_t *next)
{
	if (pos == 2) {
		*num = vpid;
		*next = 3;
		return true;
	}
	bool found = false;
	task_lock();
	for (int i = (int)(pos - 3); i < world_tid_slots(popts.world); i++) {
		struct picos_thread_id *th = &popts.world->tids[i];
		if (th->vtid && th->tgid == vpid) {
			*num = th->vtid;
			*next = 4 + i;
			found = true;
			break;
		}
	}
	task_unlock();
	return found;
}

/* A process's fd/: 2 + n for its first open fd >= n (another process
 * answers for itself). */
static bool fd_at(int vpid, int64_t pos, int *num, int64_t *next)
{
	if (pos - 2 > 0x7ffffffe)
		return false;
	if (vpid == gproc()->pid) {
		*num = fd_next_open((int)(pos - 2));
	} else {
		long r = remote_call(vpid, RQ_FD_NEXT, (long)(pos - 2), 0, NULL,
				     0, NULL, 0);
		*num = r >= 0 && r < 0x7fffffff ? (int)r : -1;
	}
	*next = (int64_t)*num + 3;
	return *num >= 0;
}

/* A listing the provider makes, in guest numbers.  Its position is the
 * host fd's offset (0 ".", 1 "..", then what `at` says), so rewinddir
 * and seekdir work. */
static long list_dir(struct file *f, char *kbuf, size_t cap, list_entry at,
		     int vpid, uint8_t type)
{
	long pos = host_syscall3(__NR_lseek, f->host_fd, 0, 1 /* SEEK_CUR */);
	if (pos < 0)
		return pos;
	size_t len = 0;
	bool more = false;
	for (;;) {
		char name[16];
		int64_t next = pos + 1;
		int num;
		if (pos < 2)
			rt_strlcpy(name, pos ? ".." : ".", sizeof name);
		else if (at(vpid, pos, &num, &next))
			rt_snprintf(name, sizeof name, "%d", num);
		else
			break;
		if (!put_dirent(kbuf, cap, &len, (uint64_t)(pos + 1), next,
				pos < 2 ? DT_DIR : type, name)) {
			more = true;
			break;
		}
		pos = next;
	}
	if (len == 0 && more)
		return -EINVAL; /* the next record does not fit */
	host_syscall3(__NR_lseek, f->host_fd, pos, 0 /* SEEK_SET */);
	return (long)len;
}

/* /proc itself: the host's own entries (cpuinfo, sys, ... below offset
 * 256, then self and thread-self at 256 and 257), then the world's
 * processes by guest pid at PIDS_POS + pid, ascending: Linux's own
 * numbering (which bounds the offsets its lseek takes), with the world's
 * pids in place of the host's. */
#define HOST_ENTRIES_END 258
#define PIDS_POS 258L

static void sort_ints(int *v, int n)
{
	for (int gap = n / 2; gap > 0; gap /= 2) /* Shell's sort */
		for (int i = gap; i < n; i++)
			for (int j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				int x = v[j];
				v[j] = v[j - gap];
				v[j - gap] = x;
			}
}

/* The world's live processes (first threads) with a guest pid >= from,
 * sorted: their number (at most max). */
static int world_pids_from(int from, int *out, int max)
{
	int n = 0;
	task_lock();
	for (int i = 0; i < world_slots(popts.world) && n < max; i++) {
		struct picos_task *t = &popts.world->tasks[i];
		if (t->vpid >= from &&
		    (t->state == TASK_LIVE || t->state == TASK_ZOMBIE))
			out[n++] = t->vpid;
	}
	task_unlock();
	sort_ints(out, n);
	return n;
}

/* The host's own entries from `*pos`, its pids left out; *pos becomes
 * PIDS_POS + 1 once they are all listed.  False when a record did not
 * fit (*pos is where to go on). */
static bool list_host_entries(struct file *f, char *kbuf, size_t cap,
			      size_t *len, int64_t *pos)
{
	char hbuf[1024];
	bool pid_seen = false;
	while (*pos < HOST_ENTRIES_END && !pid_seen) {
		host_syscall3(__NR_lseek, f->host_fd, *pos, 0 /* SEEK_SET */);
		long n = host_syscall3(__NR_getdents64, f->host_fd, hbuf,
				       sizeof hbuf);
		if (n <= 0)
			break;
		for (long off = 0; off < n && *pos < HOST_ENTRIES_END;) {
			struct dirent64_hdr *h = (void *)(hbuf + off);
			const char *name = hbuf + off + sizeof *h;
			off += h->d_reclen;
			uint64_t pid;
			if (parse_num(name, rt_strlen(name), &pid)) {
				pid_seen = true;
				break;
			}
			if (!put_dirent(kbuf, cap, len, h->d_ino, h->d_off,
					h->d_type, name))
				return false;
			*pos = h->d_off;
		}
	}
	if (*pos <= PIDS_POS)
		*pos = PIDS_POS + 1;
	return true;
}

static long list_proc_root(struct file *f, char *kbuf, size_t cap)
{
	int64_t pos = host_syscall3(__NR_lseek, f->host_fd, 0, 1 /* SEEK_CUR */);
	if (pos < 0)
		return pos;
	size_t len = 0;
	bool fits = list_host_entries(f, kbuf, cap, &len, &pos);
	if (fits && pos > PIDS_POS && pos - PIDS_POS < PICOS_PID_MAX) {
		int *pids = kmalloc(sizeof(int) * PICOS_MAX_TASKS);
		if (!pids)
			return -ENOMEM;
		int n = world_pids_from((int)(pos - PIDS_POS), pids,
					PICOS_MAX_TASKS);
		for (int i = 0; i < n; i++) {
			char name[16];
			rt_snprintf(name, sizeof name, "%d", pids[i]);
			int64_t next = PIDS_POS + pids[i] + 1;
			if (!put_dirent(kbuf, cap, &len, (uint64_t)pids[i] + 1000,
					next, DT_DIR, name)) {
				fits = false;
				pos = PIDS_POS + pids[i];
				break;
			}
			pos = next;
		}
		if (fits)
			pos = PIDS_POS + PICOS_PID_MAX; /* the end */
		kfree(pids);
	}
	if (len == 0 && !fits)
		return -EINVAL; /* the next record does not fit */
	host_syscall3(__NR_lseek, f->host_fd, pos, 0 /* SEEK_SET */);
	return (long)len;
}

static bool is_proc_root(const struct file *f)
{
	const char *p = f->mnt && f->mnt->procfs && f->path
				? procfs_inside(f->path)
				: NULL;
	return p && !*p;
}

bool procfs_getdents(struct file *f, char *kbuf, size_t cap, long *res)
{
	int vpid;
	if (is_proc_root(f)) {
		*res = list_proc_root(f, kbuf, cap);
		return true;
	}
	const char *sub = pid_part(f->mnt, f->path, "task", &vpid);
	if (sub && !*sub)
		*res = list_dir(f, kbuf, cap, task_at, vpid, DT_DIR);
	else if ((sub = pid_part(f->mnt, f->path, "fd", &vpid)) && !*sub)
		*res = list_dir(f, kbuf, cap, fd_at, vpid, DT_LNK);
	else
		return false;
	return true;
}

int procfs_host_fdinfo_pid(int host_fd)
{
	struct mount *m = mount_find("/proc");
	if (!m || !m->procfs)
		return -1;
	char name[48], buf[512];
	rt_snprintf(name, sizeof name, "self/fdinfo/%d", host_fd);
	if (read_host_text(m, name, buf, sizeof buf) <= 0)
		return -1;
	for (char *p = buf; p && *p; p = rt_strchr(p, '\n'), p = p ? p + 1 : p) {
		if (rt_strncmp(p, "Pid:", 4) != 0)
			continue;
		p += 4;
		while (*p == ' ' || *p == '\t')
			p++;
		int v = 0;
		if (*p == '-')
			return -1;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		return v > 0 ? v : -1;
	}
	return -1;
}
