/* The directory cache: the directories this process's stat, readlink and
 * xattr reads walked last, kept as O_PATH host fds, so that a stat of
 * "dir/name" is one host fstatat(dir, name, AT_SYMLINK_NOFOLLOW) instead
 * of three host calls (an openat2 O_PATH under the mount, fstat, close).
 *
 * Why an entry may answer for its guest path: its fd was opened under
 * the path's mount with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS, so when it
 * was made the guest path named exactly that directory, through no
 * symlink, as the slow walk would have found it; the host then resolves
 * only the last name, which it never follows (a symlink the guest asked
 * to follow goes the slow way).  The path keeps naming that directory
 * until a directory is renamed or removed, a mount changes, or a
 * permission on the way changes:
 * - every such call made in the world counts itself in the world's
 *   calls in progress (no entry is used or made while one runs) and
 *   bumps the world's generation when it is done, which voids every
 *   process's entries (dcache_call_begin/end, from the dispatcher);
 * - a call that changes the caller's credentials, or an exec, voids its
 *   own process's; credentials are a host thread's (sys_id.c), so once
 *   one changed a thread uses only the entries it made itself, until
 *   the next exec;
 * - changes made outside the world (by the host's processes or another
 *   world) are not seen: an entry is used for at most DCACHE_TTL_TSC
 *   cycles (about a millisecond) after it was made, then made again.
 *   docs/architecture.md ("The directory cache") says why that window
 *   was taken, and PICOS_DCACHE=0 (--no-dcache) turns the cache off.
 *
 * The fds live in this process's host fd table, so the cache is off while
 * another task shares the memory with a different table (a vfork child, a
 * CLONE_VM child): dcache_flush empties it before such a clone. */
#include "vfs.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../entry/frame.h"
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <asm/stat.h>
#include <linux/stat.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

#define DCACHE_ENTRIES 4
#define DCACHE_PATH 224
/* 2^21 cycles: 0.5 ms at 4 GHz, 1 ms at 2 GHz. */
#define DCACHE_TTL_TSC (1ull << 21)

/* Readers take no lock: an entry's state word holds its users (low 32
 * bits: calls using its fd now) and a sequence number (high 32 bits, odd
 * while a writer rewrites the entry).  A reader checks the fields, then
 * counts itself in with a compare-and-swap that fails if a writer came in
 * between; a writer claims only an entry nobody uses, so the fd it closes
 * is no reader's. */
struct dcache_entry {
	uint64_t state;
	const struct pico_thread *maker; /* whose search rights made it */
	const struct mount *mnt;
	uint64_t gen;	/* world generation when it was made */
	uint64_t local; /* this process's generation then */
	uint64_t born;	/* its TSC then */
	int fd;		/* -1: empty */
	uint16_t len;
	char rel[DCACHE_PATH]; /* the directory, relative to mnt's root */
};

#define SEQ_ONE (1ull << 32)
#define USERS(s) ((uint32_t)(s))

static struct {
	uint32_t lock; /* writers only */
	unsigned next; /* round-robin victim */
	uint64_t local; /* bumped by credential changes and exec */
	bool per_thread; /* a thread changed its credentials since exec */
	struct dcache_entry e[DCACHE_ENTRIES];
} dc = { .e = { [0 ... DCACHE_ENTRIES - 1] = { .fd = -1 } } };

bool dcache_off;

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t world_gen(void)
{
	return __atomic_load_n(&popts.world->dcache_gen, __ATOMIC_ACQUIRE);
}

static uint64_t local_gen(void)
{
	return __atomic_load_n(&dc.local, __ATOMIC_ACQUIRE);
}

/* Only this process's tasks use its host fd table. */
static bool usable(void)
{
	return !dcache_off && popts.world && !proc.vfork_child &&
	       __atomic_load_n(&proc.vm_users, __ATOMIC_ACQUIRE) == 1;
}

/* What an entry must have been made under to be used now. */
struct dcache_now {
	uint64_t gen, local, tsc;
	const struct pico_thread *self;
};

static bool now_usable(struct dcache_now *n)
{
	if (__atomic_load_n(&popts.world->dcache_busy, __ATOMIC_ACQUIRE))
		return false; /* a rename or the like is under way */
	n->gen = world_gen();
	n->local = local_gen();
	n->tsc = tsc();
	n->self = __atomic_load_n(&dc.per_thread, __ATOMIC_ACQUIRE) ? current()
								     : NULL;
	return true;
}

static bool matches(const struct dcache_entry *e, const struct dcache_now *n,
		    const struct mount *mnt, const char *dir, size_t len)
{
	return e->fd >= 0 && e->gen == n->gen && e->local == n->local &&
	       n->tsc - e->born < DCACHE_TTL_TSC &&
	       (!n->self || e->maker == n->self) && e->mnt == mnt &&
	       e->len == len && rt_memcmp(e->rel, dir, len) == 0;
}

/* The entry for (mnt, dir) if fresh, with a user counted; NULL if none. */
static struct dcache_entry *find(const struct dcache_now *n,
				 const struct mount *mnt, const char *dir,
				 size_t len)
{
	for (int i = 0; i < DCACHE_ENTRIES; i++) {
		struct dcache_entry *e = &dc.e[i];
		uint64_t s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		if ((s & SEQ_ONE) || !matches(e, n, mnt, dir, len))
			continue;
		/* another reader's pin moves only the users: try again
		 * while the sequence holds (the fields checked are then
		 * still the entry's) */
		uint64_t seq = s >> 32;
		do {
			if (__atomic_compare_exchange_n(&e->state, &s, s + 1,
							false, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				return e;
		} while (s >> 32 == seq);
	}
	return NULL;
}

static void put(struct dcache_entry *e)
{
	__atomic_fetch_sub(&e->state, 1, __ATOMIC_RELEASE);
}

/* Claims an unused entry for rewriting (its sequence made odd); false if
 * it is in use or being rewritten. */
static bool claim(struct dcache_entry *e, uint64_t *s)
{
	*s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	return !(*s & SEQ_ONE) && USERS(*s) == 0 &&
	       __atomic_compare_exchange_n(&e->state, s, *s + SEQ_ONE, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Takes fd into the cache as (mnt, dir), with a user counted; NULL when
 * every entry is in use (the caller then closes fd itself). */
static struct dcache_entry *insert(const struct dcache_now *n,
				   const struct mount *mnt, const char *dir,
				   size_t len, int fd)
{
	struct dcache_entry *e = NULL;
	uint64_t s = 0;
	int old = -1;
	kmutex_lock(&dc.lock);
	for (int i = 0; i < DCACHE_ENTRIES && !e; i++) {
		struct dcache_entry *c = &dc.e[dc.next];
		dc.next = (dc.next + 1) % DCACHE_ENTRIES;
		if (claim(c, &s))
			e = c;
	}
	if (e) {
		old = e->fd;
		e->maker = current();
		e->mnt = mnt;
		e->gen = n->gen;
		e->local = n->local;
		e->born = n->tsc;
		e->fd = fd;
		e->len = (uint16_t)len;
		rt_memcpy(e->rel, dir, len);
		/* even again, with this call as its user */
		__atomic_store_n(&e->state, s + 2 * SEQ_ONE + 1,
				 __ATOMIC_RELEASE);
	}
	kmutex_unlock(&dc.lock);
	if (old >= 0)
		host_close(old);
	return e;
}

/* Closes every entry's fd.  Called with the provider lock held exclusive
 * (a clone), so no stat is using one.  Where the cache is not usable (a
 * vfork child's own clone) it is empty already, and its lock may be the
 * waiting parent's to keep. */
void dcache_flush(void)
{
	if (!usable())
		return;
	kmutex_lock(&dc.lock);
	for (int i = 0; i < DCACHE_ENTRIES; i++) {
		struct dcache_entry *e = &dc.e[i];
		uint64_t s;
		if (e->fd < 0 || !claim(e, &s))
			continue;
		host_close(e->fd);
		e->fd = -1;
		__atomic_store_n(&e->state, s + 2 * SEQ_ONE, __ATOMIC_RELEASE);
	}
	kmutex_unlock(&dc.lock);
}

/* The directory part of lk's path inside its mount, and its last name;
 * false for what the cache does not serve: a mount's root, a trailing
 * slash, a walk the slow path rewrites (procfs, a socket mount, the
 * permission emulation) or a directory too long to keep. */
static bool split(const struct lookup *lk, size_t *dlen, const char **name)
{
	const char *rel = lk->rel;
	if (!*rel || lk->trailing_slash || lk->mnt->procfs ||
	    lk->mnt->socket || perm_active())
		return false;
	size_t n = rt_strlen(rel);
	if (rel[n - 1] == '/')
		return false;
	size_t cut = n;
	while (cut > 0 && rel[cut - 1] != '/')
		cut--;
	*name = rel + cut;
	*dlen = cut ? cut - 1 : 0; /* without the separator */
	return *dlen < DCACHE_PATH;
}

/* The O_PATH fd of lk's directory: a cached one, or one opened now and
 * cached.  *owned: the caller closes the fd (not cached).  The walk's
 * errors as the host gives them (-ELOOP: a symlink on the way). */
static long dir_fd(const struct lookup *lk, size_t dlen,
		   struct dcache_entry **ent, bool *owned)
{
	*owned = false;
	*ent = NULL;
	if (dlen == 0)
		return lk->mnt->host_fd; /* the mount's own directory */
	/* read before the walk: a change during it voids what it finds */
	struct dcache_now now;
	if (!now_usable(&now))
		return -EPICO_MISS;
	*ent = find(&now, lk->mnt, lk->rel, dlen);
	if (*ent)
		return (*ent)->fd;
	char dir[DCACHE_PATH + 1];
	rt_memcpy(dir, lk->rel, dlen);
	dir[dlen] = 0;
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_SYMLINKS,
	};
	long fd = host_syscall4(__NR_openat2, lk->mnt->host_fd, dir, &how,
				sizeof how);
	if (fd < 0)
		return fd;
	*ent = insert(&now, lk->mnt, lk->rel, dlen, (int)fd);
	*owned = !*ent;
	return fd;
}

/* The directory's fd for a call about lk's last name, or an error the
 * whole walk would give as well (a missing or non-directory component,
 * no search right); -EPICO_MISS for the slow path.  A symlink on the way
 * makes the walk resolve lk in the guest's tree first (as the slow path
 * would), and the canonical path's directory is then cached. */
static long walk_dir(struct lookup *lk, bool follow, const char **name,
		     struct dcache_entry **e, bool *owned)
{
	size_t dlen;
	if (!usable() || !split(lk, &dlen, name))
		return -EPICO_MISS;
	long fd = dir_fd(lk, dlen, e, owned);
	if (fd == -ELOOP && !lk->canonical) {
		long c = path_canonicalize(lk, follow);
		if (c < 0)
			return c;
		if (!split(lk, &dlen, name))
			return -EPICO_MISS;
		fd = dir_fd(lk, dlen, e, owned);
	}
	/* ELOOP again, or EAGAIN (a rename or mount raced the walk) */
	if (fd == -ELOOP || fd == -EAGAIN)
		return -EPICO_MISS;
	return fd;
}

/* walk_dir's fd, held in ref for dcache_done. */
static long held_dir(struct lookup *lk, bool follow, const char **name,
		     struct dcache_ref *ref)
{
	struct dcache_entry *e = NULL;
	bool owned = false;
	long fd = walk_dir(lk, follow, name, &e, &owned);
	ref->entry = e;
	ref->owned = owned;
	ref->fd = fd;
	return fd;
}

void dcache_done(struct dcache_ref *ref)
{
	if (ref->fd < 0)
		return;
	if (ref->entry)
		put(ref->entry);
	if (ref->owned)
		host_close((int)ref->fd);
	ref->fd = -1;
}

/* One host call about lk's last name in its directory's fd: statx into
 * sx when given, else newfstatat into st. */
static long ask(struct lookup *lk, bool follow, void *st, struct statx *sx,
		int sync, unsigned mask)
{
	const char *name;
	struct dcache_ref ref;
	long fd = held_dir(lk, follow, &name, &ref);
	if (fd < 0)
		return fd;
	long r = sx ? host_syscall5(__NR_statx, fd, name,
				    AT_SYMLINK_NOFOLLOW | sync,
				    mask | STATX_TYPE, sx)
		    : host_syscall4(__NR_newfstatat, fd, name, st,
				    AT_SYMLINK_NOFOLLOW);
	dcache_done(&ref);
	/* A symlink to follow takes the walk that follows it in the
	 * guest's tree. */
	if (r == 0 && follow &&
	    ((sx ? sx->stx_mode : ((struct stat *)st)->st_mode) & 0170000) ==
		    0120000)
		return -EPICO_MISS;
	return r;
}

long dcache_at(struct lookup *lk, bool follow, const char **name,
	       struct dcache_ref *ref)
{
	long fd = held_dir(lk, follow, name, ref);
	if (fd < 0 || !follow)
		return fd;
	/* the name must not be a symlink: readlinkat says EINVAL then */
	char c;
	long r = host_syscall4(__NR_readlinkat, fd, *name, &c, 1);
	if (r == -EINVAL)
		return fd;
	dcache_done(ref);
	return r >= 0 ? -EPICO_MISS : r;
}

long dcache_stat(struct lookup *lk, bool follow, void *st)
{
	return ask(lk, follow, st, NULL, 0, 0);
}

long dcache_statx(struct lookup *lk, bool follow, int sync, unsigned mask,
		  struct statx *sx)
{
	return ask(lk, follow, NULL, sx, sync, mask);
}

/* Once entries are a thread's own (per_thread), a new thread may take the
 * provider area of one that ended, the key of that thread's entries:
 * they go. */
void dcache_thread_new(void)
{
	if (__atomic_load_n(&dc.per_thread, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&dc.local, 1, __ATOMIC_ACQ_REL);
}

/* What a call may change for the caches: DC_WORLD what a directory path
 * names or who may search it, for every process of the world; DC_CREDS
 * the caller's own rights to search; DC_EXEC a new program (an exec may
 * be set-uid).  Bumped whether or not the call succeeds: simpler, and
 * never wrong. */
enum { DC_NONE, DC_WORLD, DC_CREDS, DC_EXEC };

static int call_class(unsigned long nr, const struct pico_frame *f)
{
	switch (nr) {
	case __NR_unlinkat:
		/* a file or symlink: no directory path moves */
		return (f->rdx & AT_REMOVEDIR) ? DC_WORLD : DC_NONE;
	case __NR_rename: case __NR_renameat: case __NR_renameat2:
	case __NR_rmdir:
	case __NR_mount: case __NR_umount2: case __NR_pivot_root:
	case __NR_move_mount: case __NR_mount_setattr: case __NR_unshare:
	case __NR_setns:
	case __NR_chmod: case __NR_fchmod: case __NR_fchmodat:
	case __NR_fchmodat2:
	case __NR_chown: case __NR_fchown: case __NR_lchown:
	case __NR_fchownat:
	case __NR_setxattr: case __NR_lsetxattr: case __NR_fsetxattr:
	case __NR_removexattr: case __NR_lremovexattr:
	case __NR_fremovexattr:
		return DC_WORLD;
	case __NR_setuid: case __NR_setgid: case __NR_setreuid:
	case __NR_setregid: case __NR_setresuid: case __NR_setresgid:
	case __NR_setfsuid: case __NR_setfsgid: case __NR_setgroups:
	case __NR_capset:
		return DC_CREDS;
	case __NR_execve: case __NR_execveat:
		return DC_EXEC;
	default:
		return DC_NONE;
	}
}

/* Before the call (the dispatcher): a call that may change what paths
 * name counts itself in the world's calls in progress, so that no
 * process uses or makes an entry until it has bumped the generation. */
int dcache_call_begin(unsigned long nr, const struct pico_frame *f)
{
	int c = call_class(nr, f);
	if (c == DC_WORLD && popts.world)
		__atomic_fetch_add(&popts.world->dcache_busy, 1,
				   __ATOMIC_ACQ_REL);
	return c;
}

/* After it, with what dcache_call_begin returned. */
void dcache_call_end(int c)
{
	switch (c) {
	case DC_WORLD:
		if (!popts.world)
			return;
		__atomic_fetch_add(&popts.world->dcache_gen, 1,
				   __ATOMIC_ACQ_REL);
		__atomic_fetch_sub(&popts.world->dcache_busy, 1,
				   __ATOMIC_ACQ_REL);
		return;
	case DC_CREDS:
		__atomic_store_n(&dc.per_thread, true, __ATOMIC_RELEASE);
		__atomic_fetch_add(&dc.local, 1, __ATOMIC_ACQ_REL);
		return;
	case DC_EXEC:
		/* one thread left, whose credentials are the process's */
		__atomic_store_n(&dc.per_thread, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&dc.local, 1, __ATOMIC_ACQ_REL);
		return;
	default:
		return;
	}
}
