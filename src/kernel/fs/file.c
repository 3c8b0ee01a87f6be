/* Open files and the guest's fd table.  Guest fd numbers are the
 * provider's: they never equal the host fds behind them. */
#include "vfs.h"
#include "../net/net.h"

struct fdslot {
	struct file *f;
	bool cloexec;
};

static struct fdslot *slots;
static int nslots;
uint64_t fd_limit = FD_MAX_DEFAULT;
char *fs_cwd;
unsigned fs_umask = 022;

void fdtable_init(void)
{
	nslots = 64;
	slots = kzalloc(sizeof *slots * (size_t)nslots);
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

struct file *fd_get(int fd)
{
	if (fd < 0 || fd >= nslots || !slots[fd].f)
		return NULL;
	struct file *f = slots[fd].f;
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	host_close(f->host_fd);
	if (f->sk)
		sock_free(f->sk);
	kfree(f->path);
	kfree(f);
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
	int n = nslots;
	while (n <= want)
		n *= 2;
	struct fdslot *s = kzalloc(sizeof *s * (size_t)n);
	rt_memcpy(s, slots, sizeof *s * (size_t)nslots);
	kfree(slots);
	slots = s;
	nslots = n;
	return 0;
}

long fd_install(struct file *f, bool cloexec, int minfd)
{
	int fd = minfd;
	while (fd < nslots && slots[fd].f)
		fd++;
	if ((uint64_t)fd >= fd_limit) {
		file_put(f);
		return -EMFILE;
	}
	if (fd >= nslots && grow(fd) < 0) {
		file_put(f);
		return -EMFILE;
	}
	slots[fd].f = f;
	slots[fd].cloexec = cloexec;
	return fd;
}

long fd_install_at(struct file *f, bool cloexec, int fd)
{
	if (fd < 0 || (uint64_t)fd >= fd_limit) {
		file_put(f);
		return -EBADF;
	}
	if (fd >= nslots && grow(fd) < 0) {
		file_put(f);
		return -EBADF;
	}
	struct file *old = slots[fd].f;
	slots[fd].f = f;
	slots[fd].cloexec = cloexec;
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

long fd_close(int fd)
{
	if (fd < 0 || fd >= nslots || !slots[fd].f)
		return -EBADF;
	struct file *f = slots[fd].f;
	slots[fd].f = NULL;
	slots[fd].cloexec = false;
	slot_release(f);
	return 0;
}

bool fd_get_cloexec(int fd)
{
	return fd >= 0 && fd < nslots && slots[fd].cloexec;
}

void fd_set_cloexec(int fd, bool on)
{
	if (fd >= 0 && fd < nslots && slots[fd].f)
		slots[fd].cloexec = on;
}

void fs_set_cwd(const char *path)
{
	char *old = fs_cwd;
	fs_cwd = kstrdup(path);
	kfree(old);
}

int fd_next_open(int from)
{
	for (int fd = from < 0 ? 0 : from; fd < nslots; fd++)
		if (slots[fd].f)
			return fd;
	return -1;
}

void fd_close_range(unsigned first, unsigned last, bool cloexec_only)
{
	for (int fd = fd_next_open((int)(first > (unsigned)nslots ? (unsigned)nslots : first));
	     fd >= 0 && (unsigned)fd <= last; fd = fd_next_open(fd + 1)) {
		if (cloexec_only)
			slots[fd].cloexec = true;
		else
			fd_close(fd);
	}
}

/* execve closes every fd marked close-on-exec. */
void fd_close_on_exec(void)
{
	for (int fd = 0; fd < nslots; fd++)
		if (slots[fd].f && slots[fd].cloexec)
			fd_close(fd);
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
