/* Open files and the guest's fd table.  Guest fd numbers are the
 * provider's: they never equal the host fds behind them. */
#include "vfs.h"
#include "io.h"
#include "../net/net.h"
#include "../proc/proc.h"

struct fdslot {
	struct file *f;
	bool cloexec;
};

/* The guest fd a file's fd-carrying signals name.  The host fills si_fd
 * with the host fd it registered (O_ASYNC, FIOASYNC, a lease), a number in
 * the host fd table that goes with this guest fd table; signal delivery
 * reads the map without the provider lock, on any thread, so a slot is
 * published with its guest fd before its key and read back with the key
 * checked again.  Writers hold the provider lock. */
#define ASYNC_FDS 256
struct async_map {
	struct {
		int key; /* host fd + 1; 0 when free */
		int guest;
	} slot[ASYNC_FDS];
	int used; /* slots taken: most processes have none */
};

/* A process's fd table and fs state: the first process's are these; a
 * CLONE_VM child without CLONE_FILES or CLONE_FS has copies of its own
 * (struct gproc), since the provider memory it lives in is shared. */
struct fdtable {
	struct fdslot *slots;
	int nslots;
	struct async_map async;
	/* Guards slots and nslots: the calls of lock class FD run at once
	 * (docs/architecture.md, Locking).  Held only inside this file, for
	 * slot reads and changes and the heap calls of a grow; a file's last
	 * reference is dropped (host close, release hooks) after it. */
	uint32_t lock;
};
static struct fdtable first_files;
static struct fs_info first_fs = { .umask = 022 };
uint64_t fd_limit = FD_MAX_DEFAULT;

static struct fdtable *ft(void)
{
	struct fdtable *t = current()->gp->files;
	return t ? t : &first_files;
}

struct fs_info *fs_current(void)
{
	struct fs_info *f = current()->gp->fs;
	return f ? f : &first_fs;
}

void fdtable_init(void)
{
	first_files.nslots = 64;
	first_files.slots = kzalloc(sizeof(struct fdslot) * 64);
}

struct file *file_new(int host_fd, int flags, struct mount *mnt,
		      const char *path)
{
	struct file *f = kzalloc(sizeof *f);
	f->refs = 1;
	f->host_fd = host_fd;
	f->flags = flags;
	f->mnt = mnt;
	f->path = path ? kstrdup(path) : NULL;
	return f;
}

static void ft_lock(void)
{
	kmutex_lock(&ft()->lock);
}

static void ft_unlock(void)
{
	kmutex_unlock(&ft()->lock);
}

void fdtable_lock_reset(void)
{
	__atomic_store_n(&ft()->lock, 0, __ATOMIC_RELAXED);
}

struct file *fd_get(int fd)
{
	ft_lock();
	struct file *f = NULL;
	if (fd >= 0 && fd < ft()->nslots && ft()->slots[fd].f) {
		f = ft()->slots[fd].f;
		__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
	}
	ft_unlock();
	return f;
}

/* The provider's memory of a file whose last reference went. */
static void file_free(struct file *f)
{
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->sk)
		sock_free(f->sk);
	kfree(f->path);
	kfree(f);
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	fd_async_forget(f->host_fd);
	host_close(f->host_fd);
	file_free(f);
}

/* Linux drops the process's POSIX record locks on a file at every close of
 * an fd for it, not only at the last one.  The host does so at each host
 * close: while other guest fds still share this file (and so its host fd),
 * close a throwaway duplicate of the host fd instead. */
static void slot_release(struct file *f)
{
	if (__atomic_load_n(&f->refs, __ATOMIC_RELAXED) > 1 &&
	    !(f->flags & O_PATH)) {
		long d = host_syscall3(__NR_fcntl, f->host_fd,
				       F_DUPFD_CLOEXEC, 0);
		if (d >= 0)
			host_close(d);
	}
	file_put(f);
}

static long grow(int want)
{
	if ((uint64_t)want >= fd_limit)
		return -EMFILE;
	int n = ft()->nslots;
	while (n <= want)
		n *= 2;
	struct fdslot *s = kzalloc(sizeof *s * (size_t)n);
	rt_memcpy(s, ft()->slots, sizeof *s * (size_t)ft()->nslots);
	kfree(ft()->slots);
	ft()->slots = s;
	ft()->nslots = n;
	return 0;
}

long fd_install(struct file *f, bool cloexec, int minfd)
{
	ft_lock();
	int fd = minfd;
	while (fd < ft()->nslots && ft()->slots[fd].f)
		fd++;
	if ((uint64_t)fd >= fd_limit ||
	    (fd >= ft()->nslots && grow(fd) < 0)) {
		ft_unlock();
		file_put(f);
		return -EMFILE;
	}
	ft()->slots[fd].f = f;
	ft()->slots[fd].cloexec = cloexec;
	ft_unlock();
	return fd;
}

long fd_install_host_object(long hfd, int access, int flags)
{
	if (hfd < 0)
		return hfd;
	struct file *f = file_new((int)hfd, access | (flags & O_NONBLOCK), NULL,
				  NULL);
	f->blocks = FILE_BLOCKS;
	return fd_install(f, flags & O_CLOEXEC, 0);
}

long fd_install_at(struct file *f, bool cloexec, int fd)
{
	if (fd < 0 || (uint64_t)fd >= fd_limit) {
		file_put(f);
		return -EBADF;
	}
	ft_lock();
	if (fd >= ft()->nslots && grow(fd) < 0) {
		ft_unlock();
		file_put(f);
		return -EBADF;
	}
	struct file *old = ft()->slots[fd].f;
	ft()->slots[fd].f = f;
	ft()->slots[fd].cloexec = cloexec;
	ft_unlock();
	if (old)
		slot_release(old);
	return fd;
}

long fd_install_pair(struct file *fa, struct file *fb, bool cloexec,
		     int *ufds)
{
	long a = fd_install(fa, cloexec, 0);
	if (a < 0) {
		file_put(fb);
		return a;
	}
	long b = fd_install(fb, cloexec, 0);
	if (b < 0) {
		fd_close((int)a);
		return b;
	}
	int fds[2] = { (int)a, (int)b };
	if (copy_to_user(ufds, fds, sizeof fds) < 0) {
		/* Linux gives the fds back on a bad pointer. */
		fd_close((int)a);
		fd_close((int)b);
		return -EFAULT;
	}
	return 0;
}

/* Takes fd's file out of the table: the caller's reference, or NULL. */
static struct file *slot_take(int fd)
{
	ft_lock();
	struct file *f = NULL;
	if (fd >= 0 && fd < ft()->nslots && ft()->slots[fd].f) {
		f = ft()->slots[fd].f;
		ft()->slots[fd].f = NULL;
		ft()->slots[fd].cloexec = false;
	}
	ft_unlock();
	return f;
}

long fd_close(int fd)
{
	struct file *f = slot_take(fd);
	if (!f)
		return -EBADF;
	slot_release(f);
	return 0;
}

bool fd_get_cloexec(int fd)
{
	ft_lock();
	bool on = fd >= 0 && fd < ft()->nslots && ft()->slots[fd].cloexec;
	ft_unlock();
	return on;
}

void fd_set_cloexec(int fd, bool on)
{
	ft_lock();
	if (fd >= 0 && fd < ft()->nslots && ft()->slots[fd].f)
		ft()->slots[fd].cloexec = on;
	ft_unlock();
}

void fs_set_cwd(const char *path)
{
	char *old = fs_cwd;
	fs_cwd = kstrdup(path);
	kfree(old);
}

void fs_set_root(const char *path)
{
	char *old = fs_root;
	fs_root = rt_strcmp(path, "/") == 0 ? NULL : kstrdup(path);
	kfree(old);
}

bool fs_root_view(const char *world, char *out, size_t size)
{
	const char *root = fs_root;
	if (!root) {
		rt_strlcpy(out, world, size);
		return true;
	}
	if (!rt_path_has_prefix(world, root)) {
		rt_strlcpy(out, world, size);
		return false;
	}
	const char *rest = world + rt_strlen(root);
	rt_strlcpy(out, *rest ? rest : "/", size);
	return true;
}

int fd_next_open(int from)
{
	ft_lock();
	int found = -1;
	for (int fd = from < 0 ? 0 : from; fd < ft()->nslots; fd++)
		if (ft()->slots[fd].f) {
			found = fd;
			break;
		}
	ft_unlock();
	return found;
}

void fd_close_range(unsigned first, unsigned last, bool cloexec_only)
{
	int from = first > (unsigned)0x7fffffff ? 0x7fffffff : (int)first;
	for (int fd = fd_next_open(from); fd >= 0 && (unsigned)fd <= last;
	     fd = fd_next_open(fd + 1)) {
		if (cloexec_only)
			fd_set_cloexec(fd, true);
		else
			fd_close(fd);
	}
}

/* execve closes every fd marked close-on-exec. */
void fd_close_on_exec(void)
{
	for (int fd = fd_next_open(0); fd >= 0; fd = fd_next_open(fd + 1))
		if (fd_get_cloexec(fd))
			fd_close(fd);
}

void fd_async_note(struct file *f, int guest_fd)
{
	struct async_map *m = &ft()->async;
	int key = f->host_fd + 1, slot = -1;
	for (int i = 0; i < ASYNC_FDS; i++) {
		int k = __atomic_load_n(&m->slot[i].key, __ATOMIC_RELAXED);
		if (k == key) {
			__atomic_store_n(&m->slot[i].guest, guest_fd,
					 __ATOMIC_RELEASE);
			return;
		}
		if (k == 0 && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return; /* full: such signals keep the host's fd number */
	__atomic_store_n(&m->slot[slot].guest, guest_fd, __ATOMIC_RELAXED);
	__atomic_store_n(&m->slot[slot].key, key, __ATOMIC_RELEASE);
	__atomic_add_fetch(&m->used, 1, __ATOMIC_RELAXED);
}

void fd_async_forget(int host_fd)
{
	/* A file's last reference may go in a call of class FD, next to
	 * another's: a slot is freed by whoever clears its key. */
	struct async_map *m = &ft()->async;
	for (int i = 0; i < ASYNC_FDS && __atomic_load_n(&m->used, __ATOMIC_RELAXED); i++) {
		int key = host_fd + 1;
		if (__atomic_compare_exchange_n(&m->slot[i].key, &key, 0, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			__atomic_sub_fetch(&m->used, 1, __ATOMIC_RELAXED);
	}
}

int fd_async_guest(int host_fd)
{
	const struct async_map *m = &ft()->async;
	for (int i = 0; i < ASYNC_FDS; i++) {
		if (__atomic_load_n(&m->slot[i].key, __ATOMIC_ACQUIRE) !=
		    host_fd + 1)
			continue;
		int g = __atomic_load_n(&m->slot[i].guest, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->slot[i].key, __ATOMIC_ACQUIRE) ==
		    host_fd + 1)
			return g;
	}
	return -1;
}

/* A copy of one open file for a private fd table: the same host fd
 * number, which the new host process's copied table holds too. */
static struct file *file_clone(const struct file *f)
{
	struct file *c = file_new(f->host_fd, f->flags, f->mnt, f->path);
	c->blocks = f->blocks;
	c->ops = f->ops;
	if (f->priv)
		c->priv = f->ops->copy_priv(f);
	if (f->sk) {
		c->sk = kzalloc(sizeof *c->sk);
		*c->sk = *f->sk;
		c->sk->unix_name = f->sk->unix_name ? kstrdup(f->sk->unix_name)
						    : NULL;
	}
	return c;
}

struct fdtable *fdtable_copy(void)
{
	struct fdtable *cur = ft(), *t = kzalloc(sizeof *t);
	if (!t)
		return NULL;
	ft_lock();
	t->nslots = cur->nslots;
	t->slots = kzalloc(sizeof(struct fdslot) * (size_t)t->nslots);
	/* The copied host table has the same numbers (Linux keeps each
	 * file's registered fd too). */
	t->async = cur->async;
	for (int i = 0; i < t->nslots; i++) {
		struct file *f = cur->slots[i].f;
		if (!f)
			continue;
		t->slots[i].cloexec = cur->slots[i].cloexec;
		/* fds sharing a file (dup) share its copy too */
		for (int j = 0; j < i && !t->slots[i].f; j++)
			if (cur->slots[j].f == f) {
				t->slots[i].f = t->slots[j].f;
				t->slots[i].f->refs++;
			}
		if (!t->slots[i].f)
			t->slots[i].f = file_clone(f);
	}
	t->lock = 0;
	ft_unlock();
	return t;
}

/* Frees a copy that no host process ever had (a failed clone): its host
 * fd numbers are still the caller's, so nothing is closed. */
void fdtable_drop_copy(struct fdtable *t)
{
	for (int i = 0; i < t->nslots; i++) {
		struct file *f = t->slots[i].f;
		if (f && --f->refs == 0)
			file_free(f);
	}
	kfree(t->slots);
	kfree(t);
}

struct fs_info *fs_copy(void)
{
	struct fs_info *f = kzalloc(sizeof *f);
	if (f) {
		f->cwd = kstrdup(fs_cwd);
		f->umask = fs_umask;
		f->root = fs_root ? kstrdup(fs_root) : NULL;
	}
	return f;
}

long fdtable_host_fd(struct fdtable *t, unsigned fd)
{
	if (!t)
		t = &first_files;
	kmutex_lock(&t->lock);
	long r = fd >= (unsigned)t->nslots || !t->slots[fd].f
			 ? -EBADF
			 : t->slots[fd].f->host_fd;
	kmutex_unlock(&t->lock);
	return r;
}

void file_adopt_received(struct file *f)
{
	char path[48], link[64];
	rt_snprintf(path, sizeof path, "/proc/self/fd/%d", f->host_fd);
	long n = host_syscall4(__NR_readlinkat, AT_FDCWD, path, link,
			       sizeof link - 1);
	if (n <= 0)
		return;
	link[n] = 0;
	if (rt_strcmp(link, "anon_inode:[signalfd]") == 0)
		signalfd_adopt(f);
	else if (rt_strcmp(link, "anon_inode:[pidfd]") == 0)
		pidfd_adopt(f, procfs_host_fdinfo_pid(f->host_fd));
}
