/* The provider's file-system layer: mounts, path lookup, open files and the
 * fd table.  Every object is host-backed in this issue (hostfs): a file
 * keeps the host fd the provider opened for it. */
#ifndef PICOS_VFS_H
#define PICOS_VFS_H

#include "../kernel.h"

struct mount {
	char *path;	 /* guest path, normalised; "/" for the root */
	size_t path_len; /* strlen(path), 0 for "/" so prefixes work */
	int host_fd;	 /* O_PATH fd of the host directory (or socket) */
	bool rdonly;
	bool cfg_rdonly; /* read-only from the launcher: no guest makes it rw */
	bool detached;	 /* unmounted: files opened in it keep it */
	bool added;	 /* by a guest mount(2) (mountinfo shows it) */
	bool tmpfs;	 /* a guest tmpfs: a scratch directory */
	bool expire_mark; /* umount2(MNT_EXPIRE) asked once */
	char *source;	 /* added: mountinfo's source (a guest path) */
	bool procfs; /* the host's /proc, through procfs.c */
	bool socket; /* --bind-socket: host_fd is the socket itself */
	bool devfs;  /* --dev: the world's /dev, its names filtered by filtered.c */
	char *host_path; /* the host's name for host_fd, read when needed */
};

/* mount.c */
/* pcfg_flags: PCFG_MOUNT_* */
void mount_add(const char *guest_path, int host_fd, unsigned pcfg_flags);
/* The deepest mount whose path is `path` or a prefix of it (canonical). */
struct mount *mount_find(const char *path);
/* True when `path` is exactly some mount's root. */
bool mount_is_root(const char *path);
/* True when some mount lies strictly beneath `path`: the guest sees a
 * directory there even if the covering mount's host tree has none. */
bool mount_is_above(const char *path);
/* The guest path of a host path (through the mount whose host directory
 * is its longest prefix); false when no mount holds it or it is too long. */
bool mount_guest_path_of_host(const char *host, char *out, size_t size);
/* The live mount whose root is exactly `path` (the latest), or NULL. */
struct mount *mount_at(const char *path);
/* The next live mount strictly below `path` from *it on (start at 0),
 * in table order (parents first); NULL at the end. */
struct mount *mount_next_below(const char *path, int *it);
/* The host's name of a mount's directory ("" when unknown). */
const char *mount_host_path(struct mount *m);
/* The world's scratch directory for guest tmpfs mounts (PCFG_SCRATCH_FD). */
void mount_set_scratch(int host_fd);
int mount_scratch_fd(void);
/* How far this process's copy of the mount table has come, and a way
 * back there: a vfork child applies the world's mount changes in its
 * parent's memory, but the host fds it opens for them are in its own fd
 * table, so its parent forgets them and applies those changes again
 * (proc/vfork.c). */
struct mount_mark {
	int nmounts;
	uint32_t ops_seen;
};
struct mount_mark mount_mark(void);
void mount_back_to(struct mount_mark m);
/* Appends mount lines for the mounts guests added, as mountinfo
 * (`mounts_fmt` false) or mounts shows them (under the reader's root). */
struct rt_buf;
void mount_show_added(struct rt_buf *out, bool mounts_fmt);
/* sys_fstype.c: whether the host's /proc/filesystems lists `type`. */
bool fstype_known(const char *type);
/* The absolute path the host gives an open host fd now (readlink of
 * /proc/self/fd/N); "" (length 0) when it has none that fits. */
size_t host_fd_path(int fd, char *out, size_t size);

struct file;

/* Per-kind behaviour of files the provider does more than pass through to
 * their host fd (signalfds, pidfds).  Every hook may be NULL. */
struct file_ops {
	/* read(2) and readv(2) into provider memory (the caller copies out):
	 * the host fd's raw data would show host ids. */
	long (*read)(struct file *f, void *kbuf, size_t n);
	/* write(2) and writev(2) from provider memory. */
	long (*write)(struct file *f, const void *kbuf, size_t n);
	/* What the caller's /proc/<pid>/fd/N link reads ("anon_inode:[x]");
	 * NULL for the host's text. */
	const char *link;
	/* The guest's /proc fdinfo text from the host's (which shows host
	 * ids): the length written to out.  NULL: the host's as it is. */
	size_t (*fdinfo)(struct file *f, const char *host_text, char *out,
			 size_t size);
	/* Frees f->priv at the last reference. */
	void (*release)(struct file *f);
	/* A copy of f->priv for the same file in a copied fd table (a
	 * CLONE_VM child without CLONE_FILES); needed when there is priv. */
	void *(*copy_priv)(const struct file *f);
	/* For the calls that hand the host fd itself to the host (splice,
	 * tee, vmsplice, sendfile, copy_file_range): a new host fd of the
	 * file's kind when f's own only stands in for its readiness (an
	 * ended pidfd's pipe), or -1 when f's own is of its kind. */
	int (*kind_fd)(struct file *f);
};

struct file {
	int refs;
	int host_fd;
	int flags;	   /* access mode and status flags (O_APPEND, ...) */
	struct mount *mnt; /* NULL for inherited stdio */
	char *path;	   /* canonical guest path, NULL when unknown */
	int8_t blocks;	   /* may a read/write wait? 0 unknown, 1 no, 2 yes */
	struct sock *sk;   /* a socket's provider state (net/net.h) */
	const struct file_ops *ops; /* NULL: everything goes to the host fd */
	void *priv;	   /* the ops' own state */
};

/* A host fd received from another process (SCM_RIGHTS) that is an object
 * the provider reads for the guest (a signalfd, a pidfd) gets its ops,
 * so its host view never reaches the guest raw. */
void file_adopt_received(struct file *f);
bool signalfd_adopt(struct file *f);		     /* sys_signalfd.c */
bool pidfd_adopt(struct file *f, int host_pid); /* sys_pidfd.c */
/* procfs.c: the host pid in the host's fdinfo of the provider's host fd
 * (its "Pid:" line), or -1. */
int procfs_host_fdinfo_pid(int host_fd);

/* file.c: the fd table. */
#define FD_MAX_DEFAULT 1024
void fdtable_init(void);
/* Takes a reference; NULL when `fd` is not open. */
struct file *fd_get(int fd);
void file_put(struct file *f);
struct file *file_new(int host_fd, int flags, struct mount *mnt,
		      const char *path);
/* Installs `f` (taking over the caller's reference) at the lowest free fd
 * >= minfd.  Returns the fd or -EMFILE. */
long fd_install(struct file *f, bool cloexec, int minfd);
/* Installs at exactly `fd`, closing what was there. */
long fd_install_at(struct file *f, bool cloexec, int fd);
/* Installs two new files (pipe, socketpair) and stores their fds at
 * ufds; on any failure neither stays installed. */
long fd_install_pair(struct file *fa, struct file *fb, bool cloexec,
		     int *ufds);
long fd_close(int fd);
/* Installs `hfd`, the host fd of an object a host call just made, kept
 * O_CLOEXEC (eventfd, timerfd, inotify), at the lowest free guest fd with
 * access mode `access` and the O_NONBLOCK and O_CLOEXEC of `flags` (the
 * creation flags use those bits); a failed call's -errno passes through.
 * Its reads may wait, so io_call makes them interruptible unless
 * O_NONBLOCK. */
long fd_install_host_object(long hfd, int access, int flags);
void fd_close_on_exec(void);
/* The lowest open fd >= from, or -1. */
int fd_next_open(int from);
/* Closes (or marks close-on-exec) every open fd in [first, last]. */
void fd_close_range(unsigned first, unsigned last, bool cloexec_only);
bool fd_get_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);
/* Signals that carry an fd (si_fd of SIGIO-style siginfo, lease breaks)
 * name the host fd: fd_async_note records which guest fd the guest
 * registered `f` through (O_ASYNC, FIOASYNC, F_SETLEASE; the latest wins,
 * as in Linux), fd_async_guest answers it for a host fd (-1 when none)
 * and may run in a signal handler without the provider lock;
 * fd_async_forget drops it when the file is released. */
void fd_async_note(struct file *f, int guest_fd);
int fd_async_guest(int host_fd);
void fd_async_forget(int host_fd);
/* The limit the guest sees (RLIMIT_NOFILE soft). */
extern uint64_t fd_limit;

/* namei.c: path lookup. */
struct lookup {
	struct mount *mnt;
	char *path;	 /* absolute guest path (lexical or canonical) */
	const char *rel; /* path inside mnt: "" for its root; may end in '/' */
	bool trailing_slash;
	bool canonical;
	char hostrel[256]; /* rel rewritten by procfs_host_rel */
};

/* Drops the trailing slashes a lookup's path may keep ("/" stays). */
void path_strip_slashes(char *path);
#define LK_FOLLOW 1u	/* follow a final symlink */
#define LK_EMPTY_OK 2u	/* "" names dirfd itself (AT_EMPTY_PATH) */
#define LK_WORLD 4u	/* an absolute path is a world path (the provider's
			 * own), not below the caller's root */

/* Builds a lookup for (dirfd, path) where `path` is already a provider
 * copy.  `buf` (PICOS_PATH_MAX) holds the resulting absolute path.
 * Paths with ".." are canonicalised at once; others lexically, and
 * canonicalised only when the host meets a symlink (-ELOOP). */
long path_lookup(int dirfd, const char *path, unsigned flags,
		 struct lookup *lk, char *buf);
/* Resolves every symlink of lk->path in the provider (the slow walk). */
long path_canonicalize(struct lookup *lk, bool follow_last);

/* Opens the lookup's target with host open flags; follows a final symlink
 * unless O_NOFOLLOW is in flags.  Returns a host fd or -errno. */
long vfs_open(struct lookup *lk, int flags, unsigned mode);
/* Opens an O_PATH fd of the target (for stat, chmod, ...). */
long vfs_open_path(struct lookup *lk, bool follow);
/* Opens the parent directory (O_PATH) and sets *name to the last component
 * (with its trailing slash, if any).  -EBUSY for a mount root. */
long vfs_open_parent(struct lookup *lk, const char **name);

/* The inode an *at call acts on: a host fd for AT_EMPTY_PATH and the
 * guest mount it lives in (NULL for pipes, terminals and the like). */
struct vfs_target {
	int fd;
	struct mount *mnt;
	struct file *held; /* set when fd is a guest file's, not ours */
};

/* Resolves (dirfd, path) to the inode it names: with an empty path
 * (empty_ok, AT_EMPTY_PATH) the fd's own file, else an O_PATH fd of the
 * target.  Release with vfs_target_put. */
long vfs_target_get(int dirfd, const char *upath, bool follow, bool empty_ok,
		    struct vfs_target *tg);
void vfs_target_put(struct vfs_target *tg);

/* Copies a guest path and looks it up in one step. */
long user_lookup(int dirfd, const char *upath, unsigned flags,
		 struct lookup *lk, char *kbuf, char *pathbuf);

/* perm.c: Linux's permission checks for guest ids the host does not
 * enforce (started by an unprivileged user, after the guest changed its
 * filesystem ids); each returns 0 when allowed or inactive, else -errno.
 * perm_open: search on the path, then the open's access or, for a new
 * file, write and search on its parent.  perm_dir_change: write and
 * search on parent `pfd` for a new or removed entry `name`, and the
 * sticky bit for a removal or rename.  perm_owner: chmod and the like
 * (owner or CAP_FOWNER); perm_chown: chown's rules; perm_utimes: `now`
 * for both times set to the current time. */
bool perm_active(void);
long perm_open(struct lookup *lk, int flags);
long perm_dir_change(int pfd, const char *name, bool removes);
long perm_owner(int fd);
long perm_chown(int fd, uint32_t uid, uint32_t gid);
long perm_utimes(int fd, bool now);

/* perm_fd: `mask` (4 read, 2 write, 1 execute, as access(2)'s) on the
 * inode of host fd `fd` (exec, a unix socket's connect). */
long perm_fd(int fd, int mask);

/* dcache.c: a stat of lk through the directory cache (one host call), or
 * -EPICO_MISS when the whole walk must answer.  May make lk canonical. */
struct statx;
long dcache_stat(struct lookup *lk, bool follow, void *st);
long dcache_statx(struct lookup *lk, bool follow, int sync, unsigned mask,
		  struct statx *sx);
/* For any host *at call about lk's last name with AT_SYMLINK_NOFOLLOW:
 * the directory fd holding it (and *name), -EPICO_MISS for the whole
 * walk, or an error the walk would give as well; with `follow` a final
 * symlink is a miss.  dcache_done(ref) after the call, whatever the
 * answer (ref->fd is -1 when nothing is held). */
struct dcache_ref {
	void *entry;
	bool owned;
	long fd;
};
long dcache_at(struct lookup *lk, bool follow, const char **name,
	       struct dcache_ref *ref);
void dcache_done(struct dcache_ref *ref);

/* procfs.c: the guest's /proc over the host's (see there).
 * Rewrites lk->rel inside a procfs mount from guest to host pids and fds;
 * -ENOENT for a pid outside the world. */
long procfs_host_rel(struct lookup *lk);
/* True when the provider answers readlink of `path` itself (*res: the
 * length written to out, or -errno). */
bool procfs_readlink(struct mount *mnt, const char *path, char *out,
		     size_t size, long *res);
/* True for the caller's /proc/<pid>/fd/<n> of a file without a path: a
 * path walk ends there and open reopens the host fd. */
bool procfs_walk_stops(struct mount *mnt, const char *path);
/* True when f is a directory procfs lists itself (the caller's fd/):
 * *res is the length of the records written to kbuf, or -errno. */
bool procfs_getdents(struct file *f, char *kbuf, size_t cap, long *res);
/* True when the open is procfs's to do (*res: host fd or -errno). */
bool procfs_open(struct lookup *lk, int flags, long *res);

/* A file the provider made now, `len` bytes of `text`, opened for the
 * guest as a read-only host fd (a memfd reopened through the host's
 * /proc, read to its end like Linux's seq files): the fd or -errno.
 * `name` is the memfd's. */
long procfs_serve_text(struct lookup *lk, const char *name, const char *text,
		       size_t len, int flags);
/* proc_pid.c: /proc/<pid>/stat and status (and the task/<tid>/ ones) in
 * the world's numbers; true when the open was its (*res: fd or -errno). */
bool procfs_pid_open(struct lookup *lk, int flags, long *res);
/* Opening a comm file for writing: the host's procfs is read-only, so
 * procfs_comm_write says the open is procfs's (no EROFS), and
 * procfs_attach_ops gives the new file the ops that name the thread. */
bool procfs_comm_write(const struct lookup *lk, int flags);
void procfs_attach_ops(struct file *f);
/* The caller's cwd (kind 0), exe (1) or fd `fd`'s link (2) as its
 * /proc/<pid>/ shows it, for another process asking (proc/remote.c):
 * the length written to out (NUL-terminated) or -errno. */
long procfs_own_link(int kind, int fd, char *out, size_t size);
/* The path below a procfs mount, /proc or a --proc DST (NULL when `path`
 * is in none). */
const char *procfs_inside(const char *path);

/* The text of the host's procfs file `rel` (e.g. "self/stat") through the
 * world's /proc mount, NUL-terminated: its length or -errno. */
long procfs_host_text(const char *rel, char *buf, size_t size);
/* The same for the host file a lookup in /proc maps to (lk->rel). */
long procfs_host_text_at(const struct lookup *lk, char *buf, size_t size);

/* A getdents64 record's head; the NUL-terminated name follows it. */
struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

/* filtered.c: host directories the world sees only part of (/dev: the
 * world's device names; /sys: include/picos/worldsys.h).
 * filtered_hides: `path` (canonical) lies below one in mount `mnt` but is
 * not shown (ENOENT); filtered_getdents: a listing of such a directory
 * with only what is shown (*res: the length of the records in kbuf, or
 * -errno), false for a directory listed as the host lists it. */
bool filtered_hides(const struct mount *mnt, const char *path);
bool filtered_getdents(struct file *f, char *kbuf, size_t cap, long *res);

/* sys_poll.c: the host mask for a wait that takes the guest's `umask`
 * (set for the wait and restored on the way out) or keeps its own. */
long poll_wait_mask(const void *umask, size_t size, uint64_t *hmask);

/* The calling process's cwd (canonical guest path), umask and root
 * (chroot: a canonical world path, NULL for the world's /).  Paths the
 * provider keeps are world paths; the root applies where the guest names
 * a path (path_lookup) and where it is shown one (fs_root_view). */
struct fs_info {
	char *cwd;
	unsigned umask;
	char *root;
};
struct fs_info *fs_current(void);
#define fs_cwd (fs_current()->cwd)
#define fs_umask (fs_current()->umask)
#define fs_root (fs_current()->root)
void fs_set_cwd(const char *path);
/* The first process's working directory named by --cwd: looked up and
 * searched as chdir(2) would in the guest's world (symlinks resolved),
 * before the guest runs; 0 or -errno, the cwd unchanged then. */
long fs_chdir_boot(const char *path);
void fs_set_root(const char *path);
/* World path `world` as the calling process names it: below its root
 * the rest ("/" for the root itself), true; outside it the world path
 * unchanged, false (Linux's "unreachable"). */
bool fs_root_view(const char *world, char *out, size_t size);

/* Copies for a CLONE_VM child without CLONE_FILES or CLONE_FS; a copy of
 * the fd table that no process got is dropped without closing. */
struct fdtable;
struct fdtable *fdtable_copy(void);
void fdtable_drop_copy(struct fdtable *t);
struct fs_info *fs_copy(void);
/* The host fd behind guest fd `fd` of a process's table (NULL: the
 * first process's), or -EBADF. */
long fdtable_host_fd(struct fdtable *t, unsigned fd);

/* Converts host ownership in a stat buffer to the guest's view. */
void stat_to_guest(void *st);

#endif
