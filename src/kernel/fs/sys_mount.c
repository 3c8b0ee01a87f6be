/* mount(2) and umount2(2): the world's mount table changed by guest root
 * (CAP_SYS_ADMIN in the guest's effective set), as a container's root
 * changes its mount namespace.
 *
 * A change is an operation appended to the world region's list (struct
 * picos_mounts), which every provider applies to its own table at its
 * next lookup (mount.c): the table is the world's, as a mount namespace
 * is shared by its processes.  What a guest can mount is what the world
 * already reaches: bind mounts of its own directories, tmpfs (an empty
 * directory in the world's scratch area), the world's procfs, read-only
 * remounts.  Other file system types are EPERM (a type the host knows:
 * an unprivileged container may not mount it) or ENODEV, as Linux
 * answers in a user namespace.  The host sandbox is not touched: a
 * mount only renames what the world's Landlock rules and namespaces
 * already allow. */
#include "vfs.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../proc/caps.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include <picos/config.h>
#include <linux/mount.h>

/* umount2 flags (<sys/mount.h>; the uapi headers have none) */
#define MNT_FORCE 1
#define MNT_DETACH 2
#define MNT_EXPIRE 4
#define UMOUNT_NOFOLLOW 8

#define W (popts.world)
#define MS_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)

/* Appends one operation to the world's list (under the world's lock),
 * then applies what this process has not seen; -ENOSPC when the list is
 * full, as Linux answers past its mount limit. */
static long world_op(uint32_t kind, uint32_t flags, const char *guest,
		     const char *host, const char *source)
{
	if (rt_strlen(guest) >= PICOS_MOUNT_PATH ||
	    rt_strlen(host) >= PICOS_MOUNT_PATH)
		return -ENAMETOOLONG;
	long r = 0;
	task_lock();
	uint32_t n = W->mounts.n;
	if (n >= PICOS_MOUNT_OPS) {
		r = -ENOSPC;
	} else {
		struct picos_mount_op *op = &W->mounts.op[n];
		op->op = kind;
		op->flags = flags;
		rt_strlcpy(op->guest, guest, PICOS_MOUNT_PATH);
		rt_strlcpy(op->host, host, PICOS_MOUNT_PATH);
		rt_strlcpy(op->source, source, PICOS_MOUNT_PATH);
		__atomic_store_n(&W->mounts.n, n + 1, __ATOMIC_RELEASE);
	}
	task_unlock();
	mount_find("/"); /* applies it here at once */
	return r;
}

static unsigned flags_of(const struct mount *m)
{
	return (m->rdonly ? PCFG_MOUNT_RDONLY : 0) |
	       (m->procfs ? PCFG_MOUNT_PROC : 0) |
	       (m->devfs ? PCFG_MOUNT_DEVFS : 0) | (m->tmpfs ? PICOS_MOPF_TMPFS : 0);
}

static const char *source_of(const struct mount *m)
{
	return m->source ? m->source : m->procfs ? "proc" : "none";
}

/* MS_REMOUNT (with or without MS_BIND): read-only or back to writable;
 * a mount the launcher made read-only stays so (EPERM, as Linux's
 * locked read-only mounts in a user namespace). */
static long do_remount(const char *target, unsigned long flags)
{
	struct mount *m = mount_at(target);
	if (!m)
		return -EINVAL;
	if (flags & MS_RDONLY)
		return world_op(PICOS_MOP_RDONLY, 0, target, "", "");
	if (m->cfg_rdonly)
		return -EPERM;
	return world_op(PICOS_MOP_RDWR, 0, target, "", "");
}

/* MS_BIND: the source directory's host directory at target; with MS_REC
 * the mounts below the source too.  A file, a socket mount, or a path
 * inside the procfs or /dev other than their root is EINVAL (the
 * provider's mounts are directories it can name on the host). */
static long do_bind(const char *src, const char *target, bool rec)
{
	struct pico_thread *t = current();
	struct lookup lk;
	if (!src || !*src)
		return -EINVAL;
	long r = path_lookup(AT_FDCWD, src, LK_FOLLOW, &lk, t->lpath[1]);
	if (r < 0)
		return r;
	struct mount *sm = lk.mnt;
	if (sm->socket || ((sm->procfs || sm->devfs) && *lk.rel))
		return -EINVAL;
	long fd = vfs_open(&lk, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	char *host = kmalloc(PICOS_PATH_MAX), *spath = kstrdup(lk.path);
	if (!host || !spath) {
		host_close((int)fd);
		kfree(host);
		kfree(spath);
		return -ENOMEM;
	}
	host_fd_path((int)fd, host, PICOS_PATH_MAX);
	host_close((int)fd);
	/* mountinfo's source of a bind is its file system's, as in Linux */
	r = host[0] ? world_op(PICOS_MOP_ADD, flags_of(sm) & ~PICOS_MOPF_TMPFS,
			       target, host, source_of(sm))
		    : -EINVAL;
	size_t sl = rt_strcmp(spath, "/") ? rt_strlen(spath) : 0;
	int it = 0;
	struct mount *m;
	while (r == 0 && rec && (m = mount_next_below(spath, &it))) {
		char *g = kmalloc(PICOS_PATH_MAX);
		if (!g)
			return -ENOMEM;
		size_t n = (size_t)rt_snprintf(g, PICOS_PATH_MAX, "%s%s",
					       rt_strcmp(target, "/") ? target : "",
					       m->path + sl);
		r = n >= PICOS_PATH_MAX ? -ENAMETOOLONG
			: world_op(PICOS_MOP_ADD, flags_of(m), g,
				   mount_host_path(m), source_of(m));
		kfree(g);
	}
	kfree(host);
	kfree(spath);
	return r;
}

/* "mode=NNN" from tmpfs's options, or tmpfs's default 1777. */
static unsigned tmpfs_mode(const char *opts)
{
	for (const char *p = opts; p && *p;) {
		if (!rt_strncmp(p, "mode=", 5)) {
			unsigned mode = 0;
			for (p += 5; *p >= '0' && *p <= '7'; p++)
				mode = mode * 8 + (unsigned)(*p - '0');
			return mode & 07777;
		}
		const char *c = rt_strchr(p, ',');
		p = c ? c + 1 : NULL;
	}
	return 01777;
}

/* A new tmpfs: an empty directory of the world's scratch area (its
 * size= and other options are not enforced: docs/architecture.md). */
static long do_tmpfs(const char *dev, const char *target, unsigned long flags,
		     const char *opts)
{
	static unsigned made;
	int sfd = mount_scratch_fd();
	if (sfd < 0)
		return -ENODEV;
	char name[48], *host = kmalloc(PICOS_PATH_MAX);
	if (!host)
		return -ENOMEM;
	rt_snprintf(name, sizeof name, "t-%d-%u", gproc()->host_pid, made++);
	long r = host_syscall3(__NR_mkdirat, sfd, name, tmpfs_mode(opts));
	if (r == 0 && host_fd_path(sfd, host, PICOS_PATH_MAX) &&
	    rt_strlen(host) + rt_strlen(name) + 2 < PICOS_PATH_MAX) {
		rt_strlcpy(host + rt_strlen(host), "/", 2);
		rt_strlcpy(host + rt_strlen(host), name, sizeof name);
		r = world_op(PICOS_MOP_ADD,
			     PICOS_MOPF_TMPFS | (flags & MS_RDONLY ? PCFG_MOUNT_RDONLY : 0),
			     target, host, dev && *dev ? dev : "tmpfs");
	} else if (r == 0) {
		r = -ENAMETOOLONG;
	}
	kfree(host);
	return r;
}

/* A procfs: the world's (a world's pid namespace has one procfs). */
static long do_proc(const char *target)
{
	struct mount *p = mount_at("/proc");
	if (!p || !p->procfs)
		return -ENODEV;
	return world_op(PICOS_MOP_ADD, PCFG_MOUNT_PROC | PCFG_MOUNT_RDONLY, target,
			mount_host_path(p), "proc");
}

static long do_new(const char *type, const char *dev, const char *target,
		   unsigned long flags, const char *opts)
{
	if (!type)
		return -EINVAL;
	if (!rt_strcmp(type, "tmpfs"))
		return do_tmpfs(dev, target, flags, opts);
	if (!rt_strcmp(type, "proc"))
		return do_proc(target);
	return fstype_known(type) ? -EPERM : -ENODEV;
}

/* Propagation: the world is one mount namespace with no bind peers, so
 * private, slave and unbindable hold already; shared (mounts that
 * propagate) is not supported: EINVAL. */
static long do_propagation(const char *target, unsigned long flags)
{
	if (!mount_at(target))
		return -EINVAL;
	unsigned long kinds = flags & MS_PROPAGATION;
	if ((kinds & (kinds - 1)) || (flags & ~(MS_PROPAGATION | MS_REC | MS_SILENT)))
		return -EINVAL;
	return kinds == MS_SHARED ? -EINVAL : 0;
}

/* 0 when the host opens the lookup's target with `flags` (O_PATH...):
 * a lookup succeeds for a missing last name, the operation decides. */
static long exists_as(struct lookup *lk, int flags)
{
	long fd = vfs_open(lk, flags, 0);
	if (fd < 0)
		return fd;
	host_close((int)fd);
	return 0;
}

/* Copies an optional guest string of mount(2) (NULL stays NULL) into a
 * fresh buffer: -EFAULT as Linux's copy_mount_string; a long one is cut
 * (Linux takes a page of options). */
static long copy_opt_string(const char *u, size_t max, char **out)
{
	*out = NULL;
	if (!u)
		return 0;
	char *k = kmalloc(max);
	if (!k)
		return -ENOMEM;
	long r = strncpy_from_user(k, u, max);
	if (r == -ENAMETOOLONG) {
		k[max - 1] = 0;
		r = 0;
	}
	if (r < 0) {
		kfree(k);
		return r;
	}
	*out = k;
	return 0;
}

long sys_mount(const char *udev, const char *udir, const char *utype,
	       unsigned long flags, const void *udata)
{
	struct pico_thread *t = current();
	char *type = NULL, *dev = NULL, *opts = NULL, *target = NULL;
	long r = copy_opt_string(utype, 256, &type);
	if (r == 0)
		r = copy_opt_string(udev, PICOS_PATH_MAX, &dev);
	if (r == 0)
		r = copy_opt_string(udata, 4096, &opts);
	struct lookup lk;
	if (r == 0)
		r = user_lookup(AT_FDCWD, udir, LK_FOLLOW, &lk, t->kpath[0],
				t->lpath[0]);
	if (r == 0)
		r = exists_as(&lk, O_PATH); /* a lookup leaves that to us */
	if (r == 0 && (flags & MS_NOUSER))
		r = -EINVAL;
	if (r == 0 && !capable(CAP_SYS_ADMIN))
		r = -EPERM;
	if (r == 0) /* the mount point: a directory of the world */
		r = exists_as(&lk, O_PATH | O_DIRECTORY);
	if (r == 0 && !(target = kstrdup(lk.path)))
		r = -ENOMEM;
	if (r == 0) {
		path_strip_slashes(target);
		if (flags & MS_REMOUNT)
			r = do_remount(target, flags);
		else if (flags & MS_BIND)
			r = do_bind(dev, target, flags & MS_REC);
		else if (flags & MS_PROPAGATION)
			r = do_propagation(target, flags);
		else if (flags & MS_MOVE)
			r = -EINVAL; /* not supported (docs/architecture.md) */
		else
			r = do_new(type, dev, target, flags, opts);
	}
	kfree(type);
	kfree(dev);
	kfree(opts);
	kfree(target);
	return r;
}

/* umount2(2): Linux's order: the flags, the lookup, the capability, then
 * whether the path is a mount's root.  A mount with others below it is
 * EBUSY unless MNT_DETACH (which takes them all); open files and cwds in
 * it are not counted (they keep working, as after MNT_DETACH).  The
 * world's / is EBUSY. */
long sys_umount2(const char *utarget, int flags)
{
	struct pico_thread *t = current();
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	struct lookup lk;
	long r = user_lookup(AT_FDCWD, utarget,
			     flags & UMOUNT_NOFOLLOW ? 0 : LK_FOLLOW, &lk,
			     t->kpath[0], t->lpath[0]);
	if (r == 0)
		r = exists_as(&lk, O_PATH);
	if (r < 0)
		return r;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	char *path = t->kpath[1];
	rt_strlcpy(path, lk.path, PICOS_PATH_MAX);
	path_strip_slashes(path);
	struct mount *m = mount_at(path);
	if (!m)
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if (!rt_strcmp(path, "/"))
		return -EBUSY;
	if ((flags & MNT_EXPIRE) && !m->expire_mark) {
		m->expire_mark = true; /* Linux: unused since the last ask */
		return -EAGAIN;
	}
	if (!(flags & MNT_DETACH) && mount_is_above(path))
		return -EBUSY;
	return world_op(PICOS_MOP_DETACH, 0, path, "", "");
}
