/* The mount table: guest paths mapped to host directories.  Small and
 * linear: a world has a handful of mounts.
 *
 * Each provider has its own copy: the launcher's mounts (host fds from
 * the configuration), then the world's mount changes (guest mount(2) and
 * umount2(2), src/kernel/fs/sys_mount.c) applied in order from the world
 * region, which any process may write: see struct picos_mounts.  A mount
 * is never freed (an open file points at its mount); an unmounted one is
 * detached, out of every lookup. */
#include "vfs.h"
#include "../entry/entry.h"
#include <picos/config.h>

#define MAX_MOUNTS 192

static struct mount mounts[MAX_MOUNTS];
static int nmounts;
static uint32_t ops_seen; /* world mount operations applied */
static int scratch_fd = -1;

static struct mount *new_mount(const char *guest_path, int host_fd,
			       unsigned pcfg_flags)
{
	if (nmounts == MAX_MOUNTS)
		return NULL;
	struct mount *m = &mounts[nmounts++];
	m->path = kstrdup(guest_path);
	m->path_len = rt_strcmp(guest_path, "/") == 0 ? 0 : rt_strlen(guest_path);
	m->host_fd = host_fd;
	m->rdonly = m->cfg_rdonly = pcfg_flags & PCFG_MOUNT_RDONLY;
	m->procfs = pcfg_flags & PCFG_MOUNT_PROC;
	m->socket = pcfg_flags & PCFG_MOUNT_SOCKET;
	m->devfs = pcfg_flags & PCFG_MOUNT_DEVFS;
	return m;
}

void mount_add(const char *guest_path, int host_fd, unsigned pcfg_flags)
{
	if (!new_mount(guest_path, host_fd, pcfg_flags))
		kdie(125, "too many mounts (at most %d)", MAX_MOUNTS);
}

struct mount_mark mount_mark(void)
{
	return (struct mount_mark){ nmounts, ops_seen };
}

/* The entries past the mark keep their strings (a mount is never freed:
 * a file may still point at it); their host fds were never this
 * process's.  Changes to older entries (detached, read-only) come from
 * operations past the mark too, and are applied again with them. */
void mount_back_to(struct mount_mark m)
{
	if (m.nmounts < 0 || m.nmounts > nmounts || m.ops_seen > ops_seen)
		return;
	nmounts = m.nmounts;
	ops_seen = m.ops_seen;
}

void mount_set_scratch(int host_fd)
{
	scratch_fd = host_fd;
}

int mount_scratch_fd(void)
{
	return scratch_fd;
}

/* A string of the world region: NUL within its field, absolute,
 * canonical, copied out before any use (another process may change the
 * field meanwhile). */
static bool world_path(const char *field, char *out)
{
	size_t n = rt_strnlen(field, PICOS_MOUNT_PATH);
	if (n == 0 || n == PICOS_MOUNT_PATH)
		return false;
	rt_memcpy(out, field, n + 1);
	out[n] = 0;
	if (out[0] != '/')
		return false;
	/* (not a thread's path buffer: a lookup may be using them) */
	char *canon = kmalloc(PICOS_MOUNT_PATH);
	if (!canon)
		return false;
	rt_memcpy(canon, out, n + 1);
	rt_path_normalize(canon);
	bool same = rt_strcmp(canon, out) == 0;
	kfree(canon);
	return same;
}

/* A mount a guest added: its host directory opened here by its host
 * path.  The host decides what that reaches (Landlock, and with
 * namespaces a tree holding only the world's mounts): a forged path
 * gains nothing the guest's own raw calls could not. */
static void apply_add(const struct picos_mount_op *op, const char *guest)
{
	char *host = kmalloc(PICOS_MOUNT_PATH), *source = kmalloc(PICOS_MOUNT_PATH);
	unsigned flags = __atomic_load_n(&op->flags, __ATOMIC_RELAXED);
	flags &= PCFG_MOUNT_RDONLY | PCFG_MOUNT_PROC | PCFG_MOUNT_DEVFS |
		 PICOS_MOPF_TMPFS;
	long fd = -1;
	/* (canonical: made from the host's name of an fd) */
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	if (host && source && world_path(op->host, host))
		fd = host_syscall4(__NR_openat2, AT_FDCWD, host, &how, sizeof how);
	if (fd >= 0) {
		size_t n = rt_strnlen(op->source, PICOS_MOUNT_PATH);
		rt_memcpy(source, op->source, n < PICOS_MOUNT_PATH ? n : 0);
		source[n < PICOS_MOUNT_PATH ? n : 0] = 0;
		struct mount *m = new_mount(guest, (int)fd, flags);
		if (m) {
			m->added = true;
			m->tmpfs = flags & PICOS_MOPF_TMPFS;
			m->source = kstrdup(source[0] ? source : "none");
		} else {
			host_close((int)fd);
		}
	}
	kfree(host);
	kfree(source);
}

static const char *mount_point(const struct mount *m)
{
	return m->path_len ? m->path : "/";
}

/* The mount `m` at `path` and every mount strictly beneath it (one it
 * covers at the same path stays). */
static void detach_tree(struct mount *m, const char *path)
{
	m->detached = true;
	for (int i = 0; i < nmounts; i++) {
		const char *mp = mount_point(&mounts[i]);
		if (rt_strcmp(mp, path) != 0 && rt_path_has_prefix(mp, path))
			mounts[i].detached = true;
	}
}

static void apply_one(const struct picos_mount_op *op)
{
	char *guest = kmalloc(PICOS_MOUNT_PATH);
	uint32_t kind = __atomic_load_n(&op->op, __ATOMIC_RELAXED);
	if (!guest || !world_path(op->guest, guest)) {
		kfree(guest);
		return;
	}
	struct mount *m = kind == PICOS_MOP_ADD ? NULL : mount_at(guest);
	if (kind == PICOS_MOP_ADD)
		apply_add(op, guest);
	else if (m && kind == PICOS_MOP_RDONLY)
		m->rdonly = true;
	else if (m && kind == PICOS_MOP_RDWR)
		m->rdonly = m->cfg_rdonly; /* never wider than the launcher's */
	else if (m && kind == PICOS_MOP_DETACH)
		detach_tree(m, guest);
	kfree(guest);
}

/* Applies the world's mount operations this process has not seen. */
static void mount_sync(void)
{
	struct picos_world *w = popts.world;
	if (!w)
		return;
	uint32_t n = __atomic_load_n(&w->mounts.n, __ATOMIC_ACQUIRE);
	if (n > PICOS_MOUNT_OPS)
		n = PICOS_MOUNT_OPS;
	while (ops_seen < n)
		apply_one(&w->mounts.op[ops_seen++]);
}

struct mount *mount_find(const char *path)
{
	mount_sync();
	struct mount *best = NULL;
	for (int i = 0; i < nmounts; i++) {
		struct mount *m = &mounts[i];
		if (m->detached || !rt_path_has_prefix(path, mount_point(m)))
			continue;
		/* Later mounts on the same path shadow earlier ones. */
		if (!best || m->path_len >= best->path_len)
			best = m;
	}
	return best;
}

struct mount *mount_at(const char *path)
{
	struct mount *m = mount_find(path);
	return m && rt_strcmp(mount_point(m), path) == 0 ? m : NULL;
}

bool mount_is_root(const char *path)
{
	return mount_at(path) != NULL;
}

bool mount_is_above(const char *path)
{
	mount_sync();
	for (int i = 0; i < nmounts; i++) {
		const char *mp = mount_point(&mounts[i]);
		if (!mounts[i].detached && rt_strcmp(mp, path) != 0 &&
		    rt_path_has_prefix(mp, path))
			return true;
	}
	return false;
}

size_t host_fd_path(int fd, char *out, size_t size)
{
	char link[32];
	rt_snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	long n = host_syscall4(__NR_readlinkat, AT_FDCWD, link, out, size - 1);
	if (n <= 0 || out[0] != '/' || (size_t)n >= size - 1)
		n = 0;
	out[n] = 0;
	return (size_t)n;
}

/* The host directory's path as the host names it now, read once. */
static const char *host_path_of(struct mount *m)
{
	if (!m->host_path) {
		char buf[PICOS_PATH_MAX];
		host_fd_path(m->host_fd, buf, sizeof buf);
		m->host_path = kstrdup(buf);
	}
	return m->host_path;
}

const char *mount_host_path(struct mount *m)
{
	return host_path_of(m);
}

struct mount *mount_next_below(const char *path, int *it)
{
	mount_sync();
	for (; *it < nmounts; (*it)++) {
		struct mount *m = &mounts[*it];
		const char *mp = mount_point(m);
		if (!m->detached && rt_strcmp(mp, path) != 0 &&
		    rt_path_has_prefix(mp, path)) {
			(*it)++;
			return m;
		}
	}
	return NULL;
}

bool mount_guest_path_of_host(const char *host, char *out, size_t size)
{
	mount_sync();
	struct mount *best = NULL;
	size_t best_len = 0;
	/* (the mounts guests added are shown by mount_show_added) */
	for (int i = 0; i < nmounts; i++) {
		if (mounts[i].detached || mounts[i].added)
			continue;
		const char *hp = host_path_of(&mounts[i]);
		if (!hp[0] || !rt_path_has_prefix(host, hp))
			continue;
		size_t n = rt_strlen(hp);
		if (!best || n >= best_len) {
			best = &mounts[i];
			best_len = n;
		}
	}
	if (!best)
		return false;
	const char *rest = host + (best_len == 1 ? 0 : best_len);
	const char *base = best->path_len ? best->path : "";
	if (!*base && !*rest)
		rest = "/";
	/* a guest path another mount covers (the world's scratch directory
	 * under the host's /tmp, below the world's /tmp) names no such host
	 * directory: none */
	return (size_t)rt_snprintf(out, size, "%s%s", base, rest) < size &&
	       mount_find(out) == best;
}

/* A mountinfo field: blanks and backslashes as octal escapes. */
static void put_escaped(struct rt_buf *out, const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			rt_buf_printf(out, "\\%03o", (unsigned char)*s);
		else
			rt_buf_printf(out, "%c", *s);
}

void mount_show_added(struct rt_buf *out, bool mounts_fmt)
{
	mount_sync();
	char *view = kmalloc(PICOS_PATH_MAX);
	for (int i = 0; view && i < nmounts; i++) {
		const struct mount *m = &mounts[i];
		if (!m->added || m->detached ||
		    !fs_root_view(mount_point(m), view, PICOS_PATH_MAX))
			continue;
		const char *type = m->tmpfs ? "tmpfs" : m->procfs ? "proc" : "none";
		const char *opt = m->rdonly ? "ro" : "rw";
		if (mounts_fmt) {
			put_escaped(out, m->source);
			rt_buf_printf(out, " ");
			put_escaped(out, view);
			rt_buf_printf(out, " %s %s 0 0\n", type, opt);
			continue;
		}
		/* ids above any the host gives a world this small; parent:
		 * none listed, so tools show it at the top */
		rt_buf_printf(out, "%d %d 0:0 / ", 100000 + i, 100000 + i);
		put_escaped(out, view);
		rt_buf_printf(out, " %s,relatime - %s ", opt, type);
		put_escaped(out, m->source);
		rt_buf_printf(out, " %s\n", opt);
	}
	kfree(view);
}
