/* Permission checks for guest identities the host does not enforce.
 *
 * Started by root, the host thread takes the guest's ids (proc/sys_id.c)
 * and the host kernel checks every file operation itself.  Started by an
 * unprivileged user, the host process stays that user whatever the guest
 * does: a guest that began as that user (the usual `--uid 0`) and then
 * changed its filesystem ids (setuid(65534), a server's worker) would keep
 * the starting user's access.  For that case only, the provider applies
 * Linux's DAC rules (fs/namei.c generic_permission, fs/attr.c,
 * may_delete's sticky bit) to the guest's fsuid, fsgid and groups against
 * the owner, group and mode the host reports, mapped to the guest's ids
 * as stat shows them; the guest's capabilities are its own sets
 * (proc/caps.h).  It only ever refuses more than the host: what the host
 * refuses stays refused.  While the guest's ids are the starting ones
 * perm_active() is false and none of this costs anything.  The host's
 * /proc is left to the host's rules. */
#include "vfs.h"
#include "../proc/caps.h"
#include "../proc/proc.h"
#include "../entry/thread.h"
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

bool perm_active(void)
{
	return !ident.host_ids &&
	       (ident.fsuid != ident.map_uid || ident.fsgid != ident.map_gid ||
		ident_groups_changed());
}

static bool in_group(uint32_t gid)
{
	return gid == ident.fsgid || ident_in_groups(gid);
}

static bool is_owner(const struct stat *st)
{
	return ident_uid_to_guest(st->st_uid) == ident.fsuid;
}

/* generic_permission(): the owner's, group's or others' bits, then
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH as Linux allows them. */
static long permission(const struct stat *st, int mask)
{
	unsigned mode = st->st_mode;
	unsigned bits = is_owner(st) ? mode >> 6
		      : in_group(ident_gid_to_guest(st->st_gid)) ? mode >> 3
								  : mode;
	if ((mask & ~bits & 7) == 0)
		return 0;
	bool dir = S_ISDIR(mode);
	if (capable(CAP_DAC_OVERRIDE) &&
	    (!(mask & MAY_EXEC) || dir || (mode & 0111)))
		return 0;
	if (capable(CAP_DAC_READ_SEARCH) &&
	    (mask == MAY_READ || (dir && !(mask & MAY_WRITE))))
		return 0;
	return -EACCES;
}

/* The host's stat of `rel` in the mount (lstat: a symlink is not
 * followed; "" is the mount's root). */
static long stat_in(struct mount *m, const char *rel, struct stat *st)
{
	return host_syscall4(__NR_newfstatat, m->host_fd, *rel ? rel : ".",
			     st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
}

/* Search permission on the mount's root and every directory of `rel`
 * before its last component.  A component that is a symlink or missing
 * ends the check: the host then fails the lexical lookup (ELOOP, ENOENT)
 * and the provider's canonical walk comes back here with the resolved
 * path.  Directories above the mount are not checked. */
static long search_prefixes(struct mount *m, const char *rel)
{
	char buf[PICOS_PATH_MAX];
	struct stat st;
	size_t n = rt_strlen(rel);
	while (n > 0 && rel[n - 1] == '/')
		n--; /* a trailing slash does not make a new component */
	if (stat_in(m, "", &st) < 0)
		return 0;
	long r = permission(&st, MAY_EXEC);
	for (size_t i = 0; r == 0 && i < n && i < sizeof buf; i++) {
		if (rel[i] != '/' || i == 0)
			continue;
		rt_memcpy(buf, rel, i);
		buf[i] = 0;
		if (stat_in(m, buf, &st) < 0 || !S_ISDIR(st.st_mode))
			return 0;
		r = permission(&st, MAY_EXEC);
	}
	return r;
}

/* The directory holding `rel`'s last component. */
static long stat_parent(struct mount *m, const char *rel, struct stat *st)
{
	char buf[PICOS_PATH_MAX];
	size_t n = rt_strlen(rel);
	while (n > 0 && rel[n - 1] == '/')
		n--;
	while (n > 0 && rel[n - 1] != '/')
		n--;
	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	rt_memcpy(buf, rel, n);
	buf[n] = 0;
	return stat_in(m, buf, st);
}

long perm_open(struct lookup *lk, int flags)
{
	/* /proc's files are the host's by pid, not by owner: its own rules
	 * (a process always reaches its own entries) stand. */
	if (lk->mnt->procfs)
		return 0;
	long r = search_prefixes(lk->mnt, lk->rel);
	if (r < 0 || (flags & O_PATH))
		return r;
	struct stat st;
	if (stat_in(lk->mnt, lk->rel, &st) < 0) {
		/* Missing: creating it needs write and search on the parent. */
		if (!(flags & O_CREAT) || stat_parent(lk->mnt, lk->rel, &st) < 0)
			return 0;
		return permission(&st, MAY_WRITE | MAY_EXEC);
	}
	if (S_ISLNK(st.st_mode) ||
	    (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return 0; /* the host answers: ELOOP or the canonical walk, EEXIST */
	int acc = flags & O_ACCMODE;
	int mask = acc == O_RDONLY ? MAY_READ
		 : acc == O_WRONLY ? MAY_WRITE
				   : MAY_READ | MAY_WRITE;
	if (flags & O_TRUNC)
		mask |= MAY_WRITE;
	if (S_ISDIR(st.st_mode) && (mask & MAY_WRITE))
		return 0; /* EISDIR comes first: the host says it */
	return permission(&st, mask);
}

long perm_dir_change(int pfd, const char *name, bool removes)
{
	if (!perm_active())
		return 0;
	struct stat dir, victim;
	if (host_syscall2(__NR_fstat, pfd, &dir) < 0)
		return 0;
	/* Linux's filename_create looks the name up first: an existing one
	 * is EEXIST (the host's answer) before any permission. */
	if (!removes && host_syscall4(__NR_newfstatat, pfd, name, &victim,
				      AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	long r = permission(&dir, MAY_WRITE | MAY_EXEC);
	if (r < 0 || !removes || !(dir.st_mode & S_ISVTX))
		return r;
	/* The sticky bit: only the entry's or the directory's owner (or
	 * CAP_FOWNER) removes or renames it. */
	if (host_syscall4(__NR_newfstatat, pfd, name, &victim,
			  AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (is_owner(&victim) || is_owner(&dir) || capable(CAP_FOWNER))
		return 0;
	return -EPERM;
}

/* inode_owner_or_capable(). */
static long owner_or_fowner(const struct stat *st)
{
	return is_owner(st) || capable(CAP_FOWNER) ? 0 : -EPERM;
}

long perm_owner(int fd)
{
	struct stat st;
	if (!perm_active() || host_syscall2(__NR_fstat, fd, &st) < 0)
		return 0;
	return owner_or_fowner(&st);
}

/* Linux's chown_ok/chgrp_ok: a new owner needs CAP_CHOWN (the same owner
 * is no change); a new group needs the owner in that group, or
 * CAP_CHOWN.  -1 leaves an id alone. */
long perm_chown(int fd, uint32_t uid, uint32_t gid)
{
	struct stat st;
	if (!perm_active() || host_syscall2(__NR_fstat, fd, &st) < 0)
		return 0;
	bool chown_cap = capable(CAP_CHOWN);
	uint32_t owner = ident_uid_to_guest(st.st_uid);
	uint32_t group = ident_gid_to_guest(st.st_gid);
	if (uid != (uint32_t)-1 && !chown_cap &&
	    !(uid == owner && owner == ident.fsuid))
		return -EPERM;
	if (gid != (uint32_t)-1 && gid != group && !chown_cap &&
	    !(owner == ident.fsuid && in_group(gid)))
		return -EPERM;
	if (gid != (uint32_t)-1 && gid == group && !chown_cap &&
	    owner != ident.fsuid)
		return -EPERM;
	return 0;
}

/* utimensat: setting both times to now needs ownership or write access
 * (EACCES); any other time needs ownership (EPERM). */
long perm_utimes(int fd, bool now)
{
	struct stat st;
	if (!perm_active() || host_syscall2(__NR_fstat, fd, &st) < 0)
		return 0;
	if (owner_or_fowner(&st) == 0)
		return 0;
	if (!now)
		return -EPERM;
	return permission(&st, MAY_WRITE);
}

long perm_fd(int fd, int mask)
{
	struct stat st;
	if (!perm_active() || host_syscall2(__NR_fstat, fd, &st) < 0)
		return 0;
	return permission(&st, mask);
}
