/* One world: mounts, the private /tmp, the configuration memfd, the
 * sandbox, the first pico process, and the clean-up when it ends. */
#include "picos.h"
#include "../sandbox/sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <malloc.h>
#include <picos/config.h>
#include <picos/world.h>
#include <picos/worldsys.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct cfgbuf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct cfgbuf *b, uint32_t type, const void *data,
		size_t len)
{
	size_t need = b->len + sizeof(struct pcfg_record) + PCFG_ALIGN(len);
	if (need > b->cap) {
		b->cap = need * 2;
		b->p = realloc(b->p, b->cap);
	}
	struct pcfg_record *r = (void *)(b->p + b->len);
	r->type = type;
	r->len = (uint32_t)len;
	memset(r->data, 0, PCFG_ALIGN(len));
	memcpy(r->data, data, len);
	b->len = need;
}

static void put_str(struct cfgbuf *b, uint32_t type, const char *s)
{
	put(b, type, s, strlen(s) + 1);
}

static void put_i32(struct cfgbuf *b, uint32_t type, int32_t v)
{
	put(b, type, &v, sizeof v);
}

struct mountspec {
	char *guest, *host;
	bool ro, proc;
	bool sock; /* --bind-socket: host is a socket, not a directory */
	bool dev; /* --dev-bind: device nodes beneath it may be opened */
	bool devfs; /* --dev: the world's /dev (the host's in flat mode) */
	bool tmpfs; /* --tmpfs: with namespaces a real tmpfs of `size` there */
	const struct overlay_opt *overlay; /* --overlay: host is its mount point */
	bool scratch; /* no mount: where the guest's own tmpfs mounts go */
	unsigned long long size; /* bytes; 0: the kernel's default */
	int fd;
};

static struct mountspec mounts[72];
static int nmounts;
/* The world's private directories: tmproot holds tmp (the guest's /tmp)
 * and the scratch area (`area`: shm, the guest's /dev/shm, and the
 * directories the world's tree is built in); all of it goes when the run
 * ends.  With namespaces the area is a tmpfs of the init's mount
 * namespace (tmproot/ns): a directory made on the host's disk is
 * dear (a mkdir and rmdir pair on this machine's ext4 took 330 us, 15 us
 * on a tmpfs) and, but for tmp, nothing there needs to outlive the
 * world's mount namespace. */
static char tmproot[PATH_MAX - 16], tmpdir[PATH_MAX], shmdir[PATH_MAX];
static char area[PATH_MAX - 8]; /* (tmproot/ns) */

static int add_mount(const char *guest, const char *host, bool ro)
{
	if (nmounts == (int)(sizeof mounts / sizeof mounts[0])) {
		fprintf(stderr, "picos: too many mounts\n");
		return -1;
	}
	char *real = realpath(host, NULL);
	if (!real) {
		fprintf(stderr, "picos: cannot mount %s: %s\n", host,
			strerror(errno));
		return -1;
	}
	int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "picos: cannot mount %s: %s\n", host,
			strerror(errno));
		free(real);
		return -1;
	}
	/* Must be readable to be of any use as a root. */
	if (access(real, R_OK | X_OK) < 0) {
		fprintf(stderr, "picos: cannot mount %s: %s\n", host,
			strerror(errno));
		close(fd);
		free(real);
		return -1;
	}
	struct mountspec *m = &mounts[nmounts++];
	m->guest = strdup(guest);
	m->host = real;
	m->ro = ro;
	m->fd = fd;
	return 0;
}

/* --bind-socket: the host socket appears at `guest`, the one socket
 * outside the world's writable mounts its guest may connect to (the
 * provider checks connect and send: src/kernel/net/sockaddr.c). */
static int add_socket_mount(const char *guest, const char *host)
{
	if (nmounts == (int)(sizeof mounts / sizeof mounts[0])) {
		fprintf(stderr, "picos: too many mounts\n");
		return -1;
	}
	struct stat st;
	if (stat(host, &st) < 0) {
		fprintf(stderr, "picos: --bind-socket: %s: %s\n", host,
			strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "picos: --bind-socket: %s: not a unix socket\n",
			host);
		return -1;
	}
	char *real = realpath(host, NULL);
	int fd = real ? open(real, O_PATH | O_CLOEXEC) : -1;
	if (fd < 0) {
		fprintf(stderr, "picos: --bind-socket: %s: %s\n", host,
			strerror(errno));
		free(real);
		return -1;
	}
	struct mountspec *m = &mounts[nmounts++];
	m->guest = strdup(guest);
	m->host = real;
	m->ro = true; /* no chmod, unlink or rename of the host's socket */
	m->sock = true;
	m->fd = fd;
	return 0;
}

/* Removes the private /tmp without ever following a symlink out of it. */
static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st, (void)ftw;
	/* FTW_DNR: overlayfs's work/work is mode 0 (holding its whiteout):
	 * ours, so made readable and emptied */
	if (type == FTW_DNR && chmod(path, 0700) == 0)
		nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	else if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_tmpdir(void)
{
	if (tmproot[0])
		nftw(tmproot, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	tmproot[0] = tmpdir[0] = shmdir[0] = 0;
}

static int make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(tmproot, sizeof tmproot, "%s/picos-tmp-XXXXXX", base);
	if (!mkdtemp(tmproot)) {
		fprintf(stderr, "picos: cannot create a private /tmp in %s: %s\n",
			base, strerror(errno));
		tmproot[0] = 0;
		return -1;
	}
	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", tmproot);
	if (mkdir(tmpdir, 01777) < 0) {
		fprintf(stderr, "picos: cannot create a private /tmp in %s: %s\n",
			base, strerror(errno));
		remove_tmpdir();
		return -1;
	}
	chmod(tmpdir, 01777);
	return 0;
}

/* In the init: the scratch area (a tmpfs with namespaces, else tmproot
 * itself) and the world's /dev/shm in it. */
static int make_scratch_area(void)
{
	snprintf(area, sizeof area, ns_active ? "%s/ns" : "%s", tmproot);
	if (ns_active && ns_mount_scratch(area) < 0) {
		fprintf(stderr, "picos: cannot make the world's scratch area %s: %s\n",
			area, strerror(errno));
		return -1;
	}
	snprintf(shmdir, sizeof shmdir, "%s/shm", area);
	if (mkdir(shmdir, 01777) < 0) {
		fprintf(stderr, "picos: cannot create a private /dev/shm in %s: %s\n",
			area, strerror(errno));
		return -1;
	}
	chmod(shmdir, 01777);
	return 0;
}

static char *normalize(const char *p)
{
	/* Guest paths: absolute, no "." or ".." or "//", no trailing "/". */
	char *out = malloc(strlen(p) + 2);
	char *w = out;
	const char *r = p;
	*w++ = '/';
	while (*r) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		const char *e = strchr(r, '/');
		size_t n = e ? (size_t)(e - r) : strlen(r);
		if (n == 1 && r[0] == '.') {
		} else if (n == 2 && r[0] == '.' && r[1] == '.') {
			while (w > out + 1 && w[-1] == '/')
				w--;
			while (w > out + 1 && w[-1] != '/')
				w--;
		} else {
			memcpy(w, r, n);
			w += n;
			*w++ = '/';
		}
		r += n;
	}
	if (w > out + 1)
		w--;
	*w = 0;
	return out;
}

/* A mount beneath the guest's /tmp (say the current directory is
 * /tmp/x/a) needs its mount point to exist in the private /tmp, as a
 * Linux mount point must exist: create the directories on the way.
 * Where the mount shows a host directory at its own path (the current
 * directory), the directories above it stand for real host directories,
 * which the guest reaches through "..": they get the host's mode and
 * times, so `ls -la ..` looks as it does natively. */
static void mirror_host_dir(const char *priv, const char *host)
{
	struct stat st;
	if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	chmod(priv, st.st_mode & 07777);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	utimensat(AT_FDCWD, priv, ts, 0);
}

/* A --bind-socket beneath /tmp: a socket of the same name in the private
 * /tmp, so that listings of its directory show it (as a bind mount's
 * mount point would be); a plain file where the path is too long. */
static void make_socket_placeholder(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && strlen(path) < sizeof a.sun_path) {
		strcpy(a.sun_path, path);
		bind(s, (struct sockaddr *)&a, sizeof a);
	}
	if (s >= 0)
		close(s);
	close(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
}

/* The mount point of m beneath guest directory `gdir`, in the host
 * directory `priv` that shows there: the world's own (`own`: made to
 * look like the host's path), or the user's (--home=DIR), where only the
 * directories missing on the way are made, as a container runtime makes
 * a mount point in a volume. */
static void make_mountpoint_in(const char *priv, const char *gdir,
			       const struct mountspec *m, bool own)
{
	char path[2 * PATH_MAX];
	size_t base = strlen(priv);
	if ((size_t)snprintf(path, sizeof path, "%s%s", priv,
			     m->guest + strlen(gdir)) >= sizeof path)
		return;
	for (char *p = path + base + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	if (m->sock) {
		if (own)
			make_socket_placeholder(path);
		return;
	}
	mkdir(path, 0755);
	if (!own || strcmp(m->guest, m->host) != 0)
		return;
	/* Deepest first: making a child dates its parent. */
	for (char *p = path + strlen(path); p > path + base; p--) {
		if (*p != '/')
			continue;
		*p = 0;
		char host[2 * PATH_MAX];
		snprintf(host, sizeof host, "%s%s", gdir, path + base);
		mirror_host_dir(path, host);
		*p = '/';
	}
}

/* The guest's $HOME: --env HOME's, else the caller's $HOME (unless
 * --clear-env), else the guest user's passwd entry's.  Set by run_world
 * with --home; the host directory behind it (a fresh one in the scratch
 * area, or --home=DIR), made by setup_mounts. */
static char *guest_home, *home_host;

static void make_mountpoints_in(const char *priv, const char *gdir, bool own)
{
	size_t n = strlen(gdir);
	for (int i = 0; i < nmounts; i++)
		if (strncmp(mounts[i].guest, gdir, n) == 0 &&
		    mounts[i].guest[n] == '/')
			make_mountpoint_in(priv, gdir, &mounts[i], own);
}

static bool home_fresh; /* --home without DIR: the world's own */

/* Mount points beneath the world's /tmp and $HOME (--home), which a
 * guest walking down to them (git looks for .git in every parent of
 * its cwd) must find, as on Linux. */
static void make_mountpoints_in_tmp(void)
{
	make_mountpoints_in(tmpdir, "/tmp", true);
	if (home_host)
		make_mountpoints_in(home_host, guest_home, home_fresh);
}

/* An empty directory KIND-I of the world's scratch area (it goes with
 * the world) for option `opt`, its path in `out`. */
static int make_scratch_dir(char *out, size_t size, const char *kind, int i,
			    const char *opt)
{
	snprintf(out, size, "%s/%s-%d", tmproot, kind, i);
	if (mkdir(out, 0755) < 0) {
		fprintf(stderr, "picos: cannot make a %s directory: %s\n", opt,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* --home: a writable directory at the guest's $HOME, the world's own in
 * its scratch area (it goes with the world) or --home=DIR. */
static int add_home_mount(const struct run_opts *o)
{
	if (!o->home)
		return 0;
	char fresh[PATH_MAX + 16];
	home_fresh = !o->home_dir;
	if (home_fresh &&
	    make_scratch_dir(fresh, sizeof fresh, "home", 0, "--home") < 0)
		return -1;
	if (add_mount(guest_home, home_fresh ? fresh : o->home_dir, false) < 0)
		return -1;
	home_host = mounts[nmounts - 1].host;
	return 0;
}

/* --overlay k at `guest`: an overlayfs the world's tree mounts (only
 * with namespaces: the provider has no copy-up of its own) on an empty
 * directory of the scratch area, which is then the mount's host path. */
static int add_overlay_mount(const char *guest, struct overlay_opt *ov, int k)
{
	if (!ns_active) {
		fprintf(stderr, "picos: --overlay needs namespaces (--ns=on)\n");
		return -1;
	}
	char *lower = realpath(ov->lower, NULL);
	char *upper = lower ? realpath(ov->upper, NULL) : NULL;
	if (!upper) {
		fprintf(stderr, "picos: --overlay: %s: %s\n",
			lower ? ov->upper : ov->lower, strerror(errno));
		free(lower);
		return -1;
	}
	ov->lower = lower;
	ov->upper = upper;
	char at[PATH_MAX + 16];
	if (make_scratch_dir(at, sizeof at, "ovl", k, "--overlay") < 0)
		return -1;
	char *g = normalize(guest);
	int r = add_mount(g, at, false);
	free(g);
	if (r == 0)
		mounts[nmounts - 1].overlay = ov;
	return r;
}

static bool is_root_overlay(const struct overlay_opt *ov)
{
	char *g = normalize(ov->dst);
	bool r = !strcmp(g, "/");
	free(g);
	return r;
}

static int setup_mounts(struct run_opts *o, char **guest_cwd)
{
	int root_ov = -1; /* the --overlay on /, if any (the last one) */
	for (int i = 0; i < o->noverlays; i++)
		if (is_root_overlay(&o->overlays[i]))
			root_ov = i;
	char hostcwd[PATH_MAX];
	if (!getcwd(hostcwd, sizeof hostcwd)) {
		fprintf(stderr, "picos: cannot read the current directory: %s\n",
			strerror(errno));
		return -1;
	}
	if (make_scratch_area() < 0)
		return -1;
	if (o->root) {
		struct stat st;
		if (stat(o->root, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    access(o->root, R_OK | X_OK) < 0) {
			fprintf(stderr, "picos: cannot use root %s: %s\n", o->root,
				errno ? strerror(errno) : "Not a directory");
			return -1;
		}
		if (add_mount("/", o->root, o->root_ro) < 0)
			return -1;
		*guest_cwd = strdup(o->cwd ? o->cwd : "/");
	} else if (root_ov >= 0) {
		/* like --root: the guest's / is the overlay */
		if (add_overlay_mount("/", &o->overlays[root_ov], root_ov) < 0)
			return -1;
		*guest_cwd = strdup(o->cwd ? o->cwd : "/");
	} else {
		if (add_mount("/", "/", true) < 0)
			return -1;
		if (strcmp(hostcwd, "/") != 0 && add_mount(hostcwd, hostcwd, false) < 0)
			return -1;
		*guest_cwd = strdup(o->cwd ? o->cwd : hostcwd);
	}
	if (add_mount("/tmp", tmpdir, false) < 0 ||
	    add_mount("/dev/shm", shmdir, false) < 0)
		return -1;
	/* The world's POSIX queues, where Linux systems show them (its
	 * Landlock rule is a writable mount's, for mq_open too) */
	char mqdir[PATH_MAX];
	snprintf(mqdir, sizeof mqdir, "%s/mqueue", area);
	if (ns_mount_mqueue(mqdir) == 0 && add_mount("/dev/mqueue", mqdir, false) < 0)
		return -1;
	/* The guest's /proc is the host's procfs behind the provider's
	 * procfs layer, which maps virtual pids and fds and hides the host's
	 * other processes (src/kernel/fs/procfs.c). */
	if (add_mount("/proc", "/proc", true) < 0)
		return -1;
	mounts[nmounts - 1].proc = true;
	for (int i = 0; i < o->nbinds; i++) {
		struct stat st;
		if (o->binds[i].dev && stat(o->binds[i].src, &st) == 0 &&
		    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
			fprintf(stderr, "picos: --dev-bind %s: a device node alone "
					"cannot be bound (yet): bind its directory\n",
				o->binds[i].src);
			return -1;
		}
		char *g = normalize(o->binds[i].dst);
		int r = add_mount(g, o->binds[i].src, o->binds[i].ro);
		free(g);
		if (r < 0)
			return -1;
		mounts[nmounts - 1].dev = o->binds[i].dev;
	}
	/* --proc and --dev: the world's own, as at /proc and /dev (with
	 * namespaces the init's fresh ones, reopened after the pivot). */
	for (int i = 0; i < o->nprocs + o->ndevs; i++) {
		bool proc = i < o->nprocs;
		char *g = normalize(proc ? o->procs[i] : o->devs[i - o->nprocs]);
		int r = add_mount(g, proc ? "/proc" : "/dev", true);
		free(g);
		if (r < 0)
			return -1;
		mounts[nmounts - 1].proc = proc;
		mounts[nmounts - 1].devfs = !proc;
	}
	/* --tmpfs: an empty directory of the world's own, in its private
	 * scratch directory, so it goes with the world. */
	for (int i = 0; i < o->ntmpfs; i++) {
		char host[PATH_MAX + 16];
		if (make_scratch_dir(host, sizeof host, "tmpfs", i, "--tmpfs") < 0)
			return -1;
		char *g = normalize(o->tmpfs[i].dst);
		int r = add_mount(g, host, false);
		free(g);
		if (r < 0)
			return -1;
		mounts[nmounts - 1].tmpfs = true;
		mounts[nmounts - 1].size = o->tmpfs[i].size;
	}
	if (add_home_mount(o) < 0)
		return -1;
	for (int i = 0; i < o->noverlays; i++)
		if (i != root_ov &&
		    add_overlay_mount(o->overlays[i].dst, &o->overlays[i], i) < 0)
			return -1;
	/* The directory for the guest's own tmpfs mounts (mount(2)): in the
	 * world's tree and writable like a mount, but no guest path. */
	char scratch[PATH_MAX + 16];
	snprintf(scratch, sizeof scratch, "%s/mnt", area);
	if ((mkdir(scratch, 0700) < 0 && errno != EEXIST) ||
	    add_mount("", scratch, false) < 0)
		return -1;
	mounts[nmounts - 1].scratch = true;
	for (int i = 0; i < o->nsockets; i++) {
		char *g = normalize(o->sockets[i].dst);
		int r = add_socket_mount(g, o->sockets[i].src);
		free(g);
		if (r < 0)
			return -1;
	}
	char *n = normalize(*guest_cwd);
	free(*guest_cwd);
	*guest_cwd = n;
	make_mountpoints_in_tmp();
	return 0;
}

/* The guest's first process inherits the launcher's supplementary groups
 * (host gids; the provider maps them), as a native child would.  Read by
 * run_world before the init exists: inside a user namespace groups it
 * cannot map read as 65534. */
static gid_t *host_groups;
static int nhost_groups = -1;

static void read_host_groups(const struct run_opts *o)
{
	if (o->groups_given) { /* an OCI config's additionalGids */
		/* guest gids, which the provider reads as host ones mapped
		 * by its swap of the guest's gid and picos's: swapped back */
		gid_t host = getgid(), guest = o->gid >= 0 ? (gid_t)o->gid : host;
		host_groups = calloc((size_t)o->ngroups + 1, sizeof *host_groups);
		if (host_groups) {
			for (int i = 0; i < o->ngroups; i++) {
				gid_t g = o->groups[i];
				host_groups[i] = g == guest ? host : g == host ? guest : g;
			}
			nhost_groups = o->ngroups;
		}
		return;
	}
	int n = getgroups(0, NULL);
	host_groups = calloc((size_t)(n > 0 ? n : 1), sizeof *host_groups);
	if (host_groups && n >= 0)
		nhost_groups = getgroups(n, host_groups);
}

static void put_groups(struct cfgbuf *b)
{
	if (host_groups && nhost_groups >= 0) {
		_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is u32");
		put(b, PCFG_GROUPS, host_groups,
		    sizeof *host_groups * (size_t)nhost_groups);
	}
}

static bool at_or_beneath(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(p, dir, n) == 0 && (p[n] == 0 || p[n] == '/');
}

/* Where the world's tree binds mount i: at its host path, except a host
 * directory in /dev, /proc or /sys (--dev-bind /dev X), which the tree
 * makes anew with the world's nodes, procfs and narrowed sysfs: such one goes to a directory
 * of the world's scratch area instead, so both are there. */
static const char *world_tree_path(int i)
{
	const struct mountspec *m = &mounts[i];
	if (m->proc || m->devfs ||
	    !(at_or_beneath(m->host, "/dev") || at_or_beneath(m->host, "/proc") ||
	      at_or_beneath(m->host, "/sys")))
		return m->host;
	char *at = malloc(strlen(tmproot) + 24);
	sprintf(at, "%s/mnt-%d", tmproot, i);
	/* made here, on the host: where the scratch area is no tmpfs of
	 * the tree's (TMPDIR outside /tmp) the tree cannot make it without
	 * covering the scratch area's other mounts */
	mkdir(at, 0755);
	return at;
}

/* With namespaces, the world's mount tree replaces the host's; the mount
 * fds are opened again inside it, so that ".." from one cannot climb
 * into the host's tree. */
static int enter_world_tree(struct run_opts *o)
{
	if (!ns_active)
		return 0;
	char hostcwd[PATH_MAX];
	if (!getcwd(hostcwd, sizeof hostcwd))
		strcpy(hostcwd, "/");
	struct ns_mount nm[sizeof mounts / sizeof mounts[0]];
	for (int i = 0; i < nmounts; i++)
		nm[i] = (struct ns_mount){ mounts[i].host, world_tree_path(i),
					   mounts[i].ro, mounts[i].proc,
					   mounts[i].tmpfs, mounts[i].size,
					   mounts[i].dev, mounts[i].devfs,
					   mounts[i].overlay };
	if (ns_build_world(nm, nmounts, area, o->net) < 0)
		return -1;
	for (int i = 0; i < nmounts; i++) {
		if (nm[i].at != mounts[i].host) {
			free(mounts[i].host);
			mounts[i].host = (char *)nm[i].at;
		}
		close(mounts[i].fd);
		mounts[i].fd = open(mounts[i].host,
				    O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (mounts[i].fd < 0) {
			fprintf(stderr, "picos: cannot mount %s: %s\n",
				mounts[i].host, strerror(errno));
			return -1;
		}
	}
	if (chdir(hostcwd) < 0 && chdir("/") < 0)
		return -1;
	return 0;
}

/* The bounding set the launcher runs with: the guest's starts as it (before
 * the world keeps only the host capabilities it needs, caps.c), so a guest
 * root has what a native root started here would have.  Read by run_world
 * before the init exists: a new user namespace starts with a full set. */
static uint64_t launcher_bset;

static uint64_t host_cap_bset(void)
{
	uint64_t set = 0;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r)
			set |= 1ULL << c;
	}
	return set;
}

/* In the exec door's child: the configuration is a joining process's
 * (world_start_joiner), which writes its pid in the world to
 * join_report_fd. */
static bool joining;
static int join_report_fd = -1;

static int build_config(struct run_opts *o, const char *cwd, int world_fd,
			int trace_fd, int msg_fd)
{
	struct cfgbuf b = { 0 };
	uint32_t magic = PICOS_CONFIG_MAGIC;
	put(&b, PCFG_MAGIC, &magic, sizeof magic);
	put_str(&b, PCFG_EXE, o->argv[0]);
	for (int i = 0; i < o->argc; i++)
		put_str(&b, PCFG_ARG, o->argv[i]);
	if (!o->clear_env)
		for (char **e = environ; *e; e++) {
			/* --env K=V replaces an inherited K. */
			bool replaced = false;
			for (int k = 0; k < o->nenv_set && !replaced; k++) {
				size_t kl = strcspn(o->env_set[k], "=") + 1;
				replaced = strncmp(*e, o->env_set[k], kl) == 0;
			}
			if (!replaced)
				put_str(&b, PCFG_ENV, *e);
		}
	for (int k = 0; k < o->nenv_set; k++)
		put_str(&b, PCFG_ENV, o->env_set[k]);
	put_str(&b, PCFG_CWD, cwd);
	for (int i = 0; i < nmounts; i++) {
		if (mounts[i].scratch) {
			put_i32(&b, PCFG_SCRATCH_FD, mounts[i].fd);
			continue;
		}
		size_t gl = strlen(mounts[i].guest) + 1;
		size_t len = sizeof(struct pcfg_mount) + gl;
		struct pcfg_mount *m = calloc(1, len);
		m->host_fd = mounts[i].fd;
		m->flags = (mounts[i].ro ? PCFG_MOUNT_RDONLY : 0) |
			   (mounts[i].proc ? PCFG_MOUNT_PROC : 0) |
			   (mounts[i].sock ? PCFG_MOUNT_SOCKET : 0) |
			   (mounts[i].devfs ? PCFG_MOUNT_DEVFS : 0);
		memcpy(m->guest_path, mounts[i].guest, gl);
		put(&b, PCFG_MOUNT, m, len);
		free(m);
	}
	/* Without the host's network the world can make no raw socket and
	 * configure no interface (caps.c keeps neither capability), so its
	 * guests' bounding set has neither, as a container's that drops
	 * them: their capget and /proc status say what they can do. */
	uint64_t net_caps = (1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN);
	struct pcfg_identity id = {
		.uid = o->uid >= 0 ? (uint32_t)o->uid : getuid(),
		.gid = o->gid >= 0 ? (uint32_t)o->gid : getgid(),
		.cap_bset = o->net == NET_OPT_HOST ? launcher_bset
						   : launcher_bset & ~net_caps,
	};
	if (o->cap_bset_given)
		id.cap_bset &= o->cap_bset;
	put(&b, PCFG_IDENTITY, &id, sizeof id);
	if (o->caps_given) {
		struct pcfg_caps c = { o->cap_eff, o->cap_prm, o->cap_inh, o->cap_amb };
		put(&b, PCFG_CAPS, &c, sizeof c);
	}
	put_groups(&b);
	char host[65] = "picos";
	if (o->hostname)
		snprintf(host, sizeof host, "%s", o->hostname);
	else
		gethostname(host, sizeof host);
	put_str(&b, PCFG_HOSTNAME, host);
	put_i32(&b, PCFG_WORLD_FD, world_fd);
	put_i32(&b, PCFG_TRACE_FD, trace_fd);
	put_i32(&b, PCFG_STDIO_FD, msg_fd);
	/* The guest inherits the launcher's umask; the provider applies it
	 * itself, so its own host umask is 0 (start_provider). */
	mode_t um = umask(0);
	umask(um);
	uint32_t gum = (uint32_t)um;
	put(&b, PCFG_UMASK, &gum, sizeof gum);
	uint32_t flags = (o->trace ? PCFG_F_TRACE : 0) | (o->stats ? PCFG_F_STATS : 0) |
			 (joining ? PCFG_F_JOIN : 0);
	/* PICOS_NO_PATCH=1 does what --no-patch does (a whole test suite) */
	const char *np = getenv("PICOS_NO_PATCH");
	if (o->no_patch || (np && strcmp(np, "0") && *np))
		flags |= PCFG_F_NO_PATCH;
	const char *dc = getenv("PICOS_DCACHE");
	if (o->no_dcache || (dc && !strcmp(dc, "0")))
		flags |= PCFG_F_NO_DCACHE;
	if (o->net == NET_OPT_HOST)
		flags |= PCFG_F_NET_HOST;
	else if (o->net == NET_OPT_NONE)
		flags |= PCFG_F_NET_NONE;
	if (ns_active)
		flags |= PCFG_F_IPC_NS;
	if (o->cwd)
		flags |= PCFG_F_CWD_GIVEN;
	put(&b, PCFG_FLAGS, &flags, sizeof flags);
	if (joining && join_report_fd >= 0)
		put_i32(&b, PCFG_JOIN_FD, join_report_fd);
	put(&b, PCFG_END, NULL, 0);

	int fd = memfd_create("picos-config", MFD_ALLOW_SEALING);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len) {
		fprintf(stderr, "picos: cannot write the world configuration\n");
		return -1;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	free(b.p);
	return fd;
}

static int image_memfd(void)
{
	int fd = memfd_create("picos-provider", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	size_t n = (size_t)(picos_provider_image_end - picos_provider_image);
	if (write(fd, picos_provider_image, n) != (ssize_t)n)
		return -1;
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	return fd;
}

static void restore_relayed_signals(void);

static void keep_fd(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFD, 0);
}

static bool strictly_beneath(const char *p, const char *dir)
{
	if (strcmp(dir, "/") == 0)
		return strcmp(p, "/") != 0;
	size_t n = strlen(dir);
	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* The world's Landlock rules.  A writable mount is the user's grant as a
 * whole: one rule.  A read-only mount is covered less the host paths the
 * guest never sees through it: those other mounts shadow with another
 * host directory (its guest path beneath this mount's), and beneath the
 * host's "/" also /tmp (the
 * world has its own), /dev (only the device nodes landlock.c names and
 * the inherited terminals), /proc (a mount of its own) and /sys (only the
 * host entries the world's /sys keeps, include/picos/worldsys.h, are
 * read, so a raw read of the rest is refused in the flat mode too).
 * --bind-socket mounts need none: connecting is no Landlock right. */
static void landlock_rules(struct ll_paths *l)
{
	for (int i = 0; i < nmounts; i++) {
		const struct mountspec *m = &mounts[i];
		/* A --dev mount needs none either: the host's /dev, of which
		 * landlock.c allows the world's nodes, wherever it shows. */
		if (m->sock)
			continue;
		/* (its names listed: beneath a --root nothing else covers
		 * /dev, say for an OCI container's /dev) */
		if (m->devfs) {
			ll_paths_add(l, "/dev", LL_LIST);
			continue;
		}
		if (!m->ro) {
			ll_paths_add_fd(l, m->host, m->fd, LL_WRITE);
			continue;
		}
		const char *excl[sizeof mounts / sizeof mounts[0] + 4];
		/* (the scratch directory has no guest path: below none) */
		int n = 0;
		if (strcmp(m->host, "/") == 0) {
			excl[n++] = "/tmp";
			excl[n++] = "/dev";
			excl[n++] = "/proc";
			excl[n++] = "/sys";
#define LL_SYS_TREE(p) ll_paths_add(l, p, LL_READ);
#define LL_SYS_EMPTY(p)
			PICOS_WORLD_SYS(LL_SYS_TREE, LL_SYS_EMPTY)
#undef LL_SYS_TREE
#undef LL_SYS_EMPTY
		}
		size_t gl = strcmp(m->guest, "/") == 0 ? 0 : strlen(m->guest);
		for (int j = 0; j < nmounts; j++) {
			if (j == i || mounts[j].scratch ||
			    !strictly_beneath(mounts[j].guest, m->guest))
				continue;
			char *h = malloc(strlen(m->host) + strlen(mounts[j].guest) + 1);
			sprintf(h, "%s%s", strcmp(m->host, "/") ? m->host : "",
				mounts[j].guest + gl);
			/* A mount of the very directory this one shows there
			 * (the working directory bound at its own path) hides
			 * nothing of the host's: no need to cover around it,
			 * a rule per entry of every directory on its way. */
			if (strcmp(mounts[j].host, h) == 0) {
				free(h);
				continue;
			}
			excl[n++] = h;
		}
		ll_paths_cover(l, m->host, m->fd, excl, n);
	}
	ll_paths_add_inherited_ttys(l);
	/* With namespaces /dev/pts is a devpts instance of the world's own
	 * (ns.c): the ptys the world makes, only.  In the flat mode it is
	 * the host's, with the user's other terminals: no rule, so a world
	 * cannot open a pty it makes there either (docs/security). */
	if (ns_active)
		ll_paths_add(l, "/dev/pts", LL_DEVICE);
	/* With namespaces /dev/console is the terminal picos runs on, bound
	 * there by ns.c (the host's pty, which the world's /dev/pts does not
	 * hold): the same node as the inherited terminal. */
	struct stat cs;
	if (ns_active && stat("/dev/console", &cs) == 0 && S_ISCHR(cs.st_mode))
		ll_paths_add(l, "/dev/console", LL_DEVICE);
}

/* OCI containers: the world's exec door (oci_exec.c), through which
 * `picos exec` adds processes to the running world.  Pid 1 forks it
 * (with CLONE_PARENT: a child of the init) once it is in the world's
 * Landlock domain and before its seccomp filter: the processes the door
 * starts must share that domain with the container's, or Landlock's
 * signal scope would keep them from signalling each other; and they
 * exec the provider image, which the providers' filter forbids.  The
 * door is not dumpable (the world holds no CAP_SYS_PTRACE, so it cannot
 * trace it or read its memory or fds), never maps the world region,
 * and its pid goes to the init (door_pid_pipe) so the world's end kills
 * it.  The init tells it the ends of the processes it started
 * (reaper_exec_fd, the other end of door_status_fd). */
static void start_provider(int image_fd, int cfg_fd, const int *keep, int nkeep,
			   int net, struct picos_world *w);
static struct run_opts *door_opts;
static const char *door_cwd;
static int door_status_fd = -1, door_pid_pipe = -1;
static struct picos_world *door_world;

static void start_exec_door(void)
{
	fflush(NULL);
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0) {
		setsid(); /* not in the container's session or terminal */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		munmap(door_world, PICOS_WORLD_SIZE);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		close(door_pid_pipe);
		/* pid 1's fds (its configuration, its message fd) are not
		 * the joiners' (they keep theirs: start_provider) */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		exec_door_run(door_opts, door_cwd, door_status_fd);
	}
	int32_t p = pid > 0 ? (int32_t)pid : 0;
	if (write(door_pid_pipe, &p, sizeof p) != sizeof p && pid > 0)
		kill((pid_t)pid, SIGKILL);
}

/* In the exec door's child: the processes it starts are already in the
 * world's Landlock domain, with its capabilities and no_new_privs (the
 * door's); they take the providers' seccomp filter and the image. */
static int join_image_fd = -1, join_world_fd = -1, join_trace_fd = -1;

void world_start_joiner(struct run_opts *eo, const char *cwd, int report_fd)
{
	/* its own messages go to its own stderr, not the container's */
	int msg_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	joining = true;
	join_report_fd = report_fd;
	/* its own supplementary groups (its process.json's), swapped
	 * around its own gid: the world's were the container's */
	if (eo->groups_given) {
		free(host_groups);
		host_groups = NULL;
		nhost_groups = -1;
		read_host_groups(eo);
	}
	int cfg_fd = build_config(eo, cwd, join_world_fd, join_trace_fd, msg_fd);
	if (cfg_fd < 0)
		_exit(125);
	int keep[] = { join_world_fd, join_trace_fd, msg_fd, report_fd };
	/* (no start-up steps: the door has no world region to stamp) */
	start_provider(join_image_fd, cfg_fd, keep, 4, eo->net, NULL);
	_exit(125);
}

/* In the child: lock down and become the provider.  The fds the
 * configuration names must survive the exec. */
static void start_provider(int image_fd, int cfg_fd, const int *keep, int nkeep,
			   int net, struct picos_world *w)
{
	umask(0); /* the guest's umask is the provider's (PCFG_UMASK) */
	for (int i = 0; i < nmounts; i++)
		keep_fd(mounts[i].fd);
	for (int i = 0; i < nkeep; i++)
		keep_fd(keep[i]);
	keep_fd(cfg_fd);
	/* RLIMIT_NOFILE stays the caller's: the guest's starts as it, and
	 * the provider makes its own room (rlimit_nofile_init). */
	if (joining)
		goto filter; /* the door did the rest: start_exec_door */
	if (sandbox_limit_caps(net == NET_OPT_HOST) < 0)
		_exit(125);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("picos: no_new_privs");
		_exit(125);
	}
	w->boot_ns[PICOS_BOOT_CAPS] = mono_ns();
	struct ll_paths lp = { 0 };
	landlock_rules(&lp);
	int r = sandbox_landlock(lp.v, lp.n, net == NET_OPT_NONE);
	if (r < 0)
		_exit(125);
	w->boot_ns[PICOS_BOOT_LANDLOCK] = mono_ns();
	if (r == 1 && getenv("PICOS_DEBUG"))
		fprintf(stderr, "picos: this kernel has no Landlock; running "
				"with seccomp only\n");
	if (door_opts) {
		join_image_fd = image_fd;
		start_exec_door();
	}
filter:
	/* The allowlist has no brk: a free() after it is loaded (libseccomp
	 * releasing its filter) must not shrink the heap, or this process
	 * dies of SIGSYS before the provider starts. */
	mallopt(M_TRIM_THRESHOLD, -1);
	if (sandbox_seccomp(net != NET_OPT_NONE, ns_active) < 0)
		_exit(125);
	if (w)
		w->boot_ns[PICOS_BOOT_SECCOMP] = mono_ns(); /* the vDSO: no call */
	char cfg[16];
	snprintf(cfg, sizeof cfg, "%d", cfg_fd);
	char *argv[] = { "picos-provider", cfg, NULL };
	char *envp[] = { NULL };
	syscall(SYS_execveat, image_fd, "", argv, envp, AT_EMPTY_PATH);
	fprintf(stderr, "picos: cannot start the provider image: %s\n",
		strerror(errno));
	_exit(125);
}

/* The terminal the picos command runs in the foreground of: its stdin and
 * stdout, the same terminal, its controlling terminal with picos's group
 * in the foreground (-1: none).  Not in a pipeline (`picos run -- ls |
 * less`), whose other programs share picos's group and the terminal, so
 * the world must not take it from them.  It is handed to the world: the
 * guest's pid 1 leads a host
 * process group of its own, made the terminal's foreground group before
 * the provider starts, so the terminal's ^C, ^Z and ^\ reach the world's
 * foreground group and never picos or the world's init; guest process
 * groups are host ones (src/kernel/proc/sys_id.c).  When the world ends
 * the user's group (picos's) gets the terminal back. */
static int fg_tty = -1;
static pid_t fg_user;

static void tty_find(void)
{
	struct stat in, out;
	if (isatty(0) && isatty(1) && fstat(0, &in) == 0 && fstat(1, &out) == 0 &&
	    in.st_rdev == out.st_rdev && tcgetpgrp(0) == getpgrp())
		fg_tty = 0, fg_user = getpgrp();
}

/* With SIGTTOU blocked, as a shell does: the caller may be in the
 * background. */
static void tty_set_fg(pid_t pgrp)
{
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGTTOU);
	sigprocmask(SIG_BLOCK, &s, &old);
	if (tcsetpgrp(fg_tty, pgrp) < 0 && getenv("PICOS_DEBUG"))
		perror("picos: tcsetpgrp");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The init's word that the guest's pid 1 stopped (reaper_stop_fd): a
 * pipe whose read end wakes the picos command with SIGIO. */
static int stop_pipe[2] = { -1, -1 };

static void on_sigio(int sig)
{
	(void)sig; /* only ends the wait, which then reads the pipe */
}

static void tty_watch_stops(void)
{
	if (fg_tty < 0 || pipe2(stop_pipe, O_CLOEXEC) < 0)
		return;
	struct sigaction sa = { .sa_handler = on_sigio }; /* no SA_RESTART */
	sigaction(SIGIO, &sa, NULL);
	fcntl(stop_pipe[0], F_SETOWN, getpid());
	fcntl(stop_pipe[0], F_SETFL, O_NONBLOCK | O_ASYNC);
}

/* The guest's pid 1 stopped (^Z on the terminal it was handed, or any
 * stop): as a job would, picos stops too, with the terminal back with
 * its own group, so the user's shell says "Stopped" and takes it.  When
 * the shell continues picos (fg, or bg), the world's foreground group
 * is continued, and gets the terminal back if picos is in the
 * foreground again (fg). */
static void tty_world_stopped(void)
{
	char b[16];
	if (read(stop_pipe[0], b, sizeof b) <= 0)
		return;
	pid_t world_fg = tcgetpgrp(fg_tty);
	if (world_fg <= 0 || world_fg == fg_user)
		return;
	tty_set_fg(fg_user);
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigaction(SIGTSTP, &dfl, &old);
	raise(SIGTSTP);
	sigaction(SIGTSTP, &old, NULL);
	if (tcgetpgrp(fg_tty) == getpgrp())
		tty_set_fg(world_fg);
	kill(-world_fg, SIGCONT);
}

/* In the picos command: the world's init, once forked (0 after it is
 * reaped: the pid may then be reused). */
static volatile pid_t world_pid;

/* In the world's init: SIGTERM and SIGHUP go to the guest's pid 1, never
 * through the table or its lock (reaper_relay).  Before pid 1 exists
 * there is nothing to end but the init itself. */
static void forward(int sig)
{
	if (!reaper_relay(sig))
		_exit(128 + sig);
}

/* In the init: the exec door's pid (from pid 1, before it execs) and
 * the init's end of the door's reports.  Without a door (it could not
 * be forked) exec finds no one at the socket. */
static void take_exec_door(struct run_opts *o, int *pipe_fds, int *sp)
{
	close(pipe_fds[1]);
	close(sp[1]);
	close(o->exec_sock);
	int32_t door = 0;
	while (read(pipe_fds[0], &door, sizeof door) < 0 && errno == EINTR)
		;
	close(pipe_fds[0]);
	if (door > 0) {
		reaper_helper(door);
		reaper_exec_fd = sp[0];
		/* a door that is gone makes the reports fail, not the init */
		signal(SIGPIPE, SIG_IGN);
	} else {
		close(sp[0]);
	}
}

/* The world's init: sets up the world (mounts, world region, provider
 * image), starts the guest's pid 1 and reaps every pico process until the
 * world is empty.  Returns picos's exit status.  It runs in its own host
 * process, the host parent of every pico process, so the process the user
 * started (run_world) never reads the world region. */
static int world_init(struct run_opts *o)
{
	char *cwd = NULL;
	int status = 125;
	uint64_t init_ns = mono_ns(), tree_ns;
	if (setup_mounts(o, &cwd) < 0)
		goto out;
	int trace_fd = -1;
	if (o->trace) {
		trace_fd = o->trace_file
				   ? open(o->trace_file,
					  O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)
				   : dup(2);
		if (trace_fd < 0) {
			fprintf(stderr, "picos: cannot open trace file %s: %s\n",
				o->trace_file, strerror(errno));
			goto out;
		}
	}
	int msg_fd = dup(2);
	if (enter_world_tree(o) < 0) {
		ns_give_up();
		goto out;
	}
	tree_ns = mono_ns();
	int world_fd = memfd_create("picos-world", 0);
	if (world_fd < 0 || ftruncate(world_fd, PICOS_WORLD_SIZE) < 0) {
		fprintf(stderr, "picos: cannot create the world region\n");
		goto out;
	}
	struct picos_world *w = mmap(NULL, PICOS_WORLD_SIZE,
				     PROT_READ | PROT_WRITE, MAP_SHARED, world_fd, 0);
	if (w == MAP_FAILED) {
		fprintf(stderr, "picos: cannot map the world region\n");
		goto out;
	}
	w->magic = PICOS_WORLD_MAGIC;
	reaper_init(w, o->max_procs);
	int cfg_fd = build_config(o, cwd, world_fd, trace_fd, msg_fd);
	int image_fd = image_memfd();
	if (cfg_fd < 0 || image_fd < 0) {
		fprintf(stderr, "picos: cannot prepare the provider image\n");
		goto out;
	}
	w->boot_ns[PICOS_BOOT_MAIN] = picos_main_ns;
	w->boot_ns[PICOS_BOOT_INIT] = init_ns;
	w->boot_ns[PICOS_BOOT_TREE] = tree_ns;
	w->boot_ns[PICOS_BOOT_IMAGE] = mono_ns();

	/* The init's Landlock scope must exist before pid 1 does: pid 1
	 * nests its domain inside it, so the init may signal the world and
	 * the world may not signal the init (src/sandbox/init.c). */
	if (sandbox_init_scope() < 0)
		goto out;
	/* A SIGTERM between the fork and reaper_track waits for the latter. */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGHUP);
	sigprocmask(SIG_BLOCK, &term, &old);
	int door_pipe[2] = { -1, -1 }, door_sp[2] = { -1, -1 };
	if (o->exec_sock > 0 &&
	    (pipe2(door_pipe, O_CLOEXEC) < 0 ||
	     socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
			door_sp) < 0)) {
		perror("picos: exec door");
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("picos: fork");
		goto out;
	}
	if (pid == 0 && o->exec_sock > 0) {
		door_opts = o;
		door_cwd = cwd;
		door_world = w;
		door_status_fd = door_sp[1];
		door_pid_pipe = door_pipe[1];
		join_world_fd = world_fd;
		join_trace_fd = trace_fd;
	}
	if (pid == 0) {
		/* The guest's pid 1 gets back the dispositions picos was
		 * started with (run_world saved them): an ignored signal
		 * stays ignored for the guest, as across exec. */
		sigprocmask(SIG_SETMASK, &old, NULL);
		restore_relayed_signals();
		if (fg_tty >= 0 && setpgid(0, 0) == 0)
			tty_set_fg(getpgrp());
		int keep[] = { world_fd, trace_fd, msg_fd };
		w->boot_ns[PICOS_BOOT_FORK] = mono_ns();
		start_provider(image_fd, cfg_fd, keep, 3, o->net, w);
	}
	reaper_track(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	w->tasks[0].host_pid = pid;
	close(cfg_fd);
	close(image_fd);
	if (o->exec_sock > 0)
		take_exec_door(o, door_pipe, door_sp);
	/* From here on the init only reaps and reads the world region, which
	 * the guest writes: it runs under its own seccomp filter. */
	if (sandbox_init_seccomp(getpid() == 1) < 0) {
		kill(pid, SIGKILL);
		goto out;
	}
	if (o->wait_all)
		reaper_wait_all();
	int ws = reaper_run(w, pid);
	uint64_t end_ns = mono_ns();
	if (WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		status = 128 + WTERMSIG(ws);
	if (o->stats) {
		/* the call table last: it ends with its total, as strace -c */
		print_boot(w, end_ns, stderr);
		print_stats(w, stderr);
	}
out:
	free(cwd);
	return status;
}

/* Like system(3): the terminal's SIGINT/SIGQUIT go to the guest, whose
 * status then decides ours; SIGTERM and SIGHUP are relayed to it. */
static const int relayed[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
static struct sigaction relayed_orig[4];

static void restore_relayed_signals(void)
{
	for (int i = 0; i < 4; i++)
		sigaction(relayed[i], &relayed_orig[i], NULL);
}

static void relay_signals(void (*term)(int))
{
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, term);
	signal(SIGHUP, term);
}

/* The picos command's SIGTERM/SIGHUP policy: the first is relayed to the
 * world's init, which relays it to the guest's pid 1 (whose exit status
 * becomes ours).  A world still there TERM_GRACE_S seconds later, or at a
 * second SIGTERM/SIGHUP, is killed: SIGKILL to the init, then every
 * leftover pico process as our orphan (end_orphans).  This needs nothing
 * from the world region and nothing from the init. */
#define TERM_GRACE_S 5
static volatile sig_atomic_t terms;
/* Under an engine (the OCI commands) the engine decides when a world
 * that did not end at SIGTERM is killed (podman stop's timeout): no
 * grace period of our own. */
static bool term_grace = true;

static void kill_init(int sig)
{
	(void)sig;
	if (world_pid > 0)
		kill(world_pid, SIGKILL);
}

static void on_term(int sig)
{
	if (world_pid <= 0)
		return;
	if (terms++ == 0) {
		kill(world_pid, sig);
		if (term_grace)
			alarm(TERM_GRACE_S);
	} else {
		kill_init(sig);
	}
}

/* Waits for the world's init to end, reaping anything else; returns its
 * wait status.  The init is reaped only after the signal handlers that
 * name it are blocked and world_pid is cleared, so they never signal a
 * reused pid. */
static int wait_for_init(pid_t init)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED | __WALL | WNOWAIT) < 0) {
			if (errno != EINTR)
				return -1;
			if (stop_pipe[0] >= 0)
				tty_world_stopped();
			continue;
		}
		if (si.si_pid == init)
			break;
		waitpid(si.si_pid, NULL, __WALL);
	}
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	world_pid = 0;
	alarm(0);
	int ws;
	while (waitpid(init, &ws, __WALL) < 0)
		if (errno != EINTR)
			return -1;
	return ws;
}

/* The host children left when the world's init is gone: pico processes
 * it did not reap (it crashed, or was killed), adopted by us as their
 * subreaper.  They are all the world's: kill and reap them. */
static void end_orphans(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
	for (;;) {
		FILE *f = fopen(path, "r");
		int pid, n = 0;
		while (f && fscanf(f, "%d", &pid) == 1) {
			kill(pid, SIGKILL);
			n++;
		}
		if (f)
			fclose(f);
		while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
			n++;
		if (n == 0 && waitpid(-1, NULL, __WALL) < 0)
			return; /* ECHILD: nothing left */
	}
}

/* Each --overlay's work directory: overlayfs wants an empty one on
 * UPPER's file system, so it is made beside UPPER (whose parent must be
 * writable) by the picos command, which removes it when the run ends
 * whatever became of the world. */
static int make_overlay_workdirs(struct run_opts *o)
{
	for (int i = 0; i < o->noverlays; i++) {
		struct overlay_opt *ov = &o->overlays[i];
		char *upper = realpath(ov->upper, NULL);
		struct stat st;
		if (!upper || stat(upper, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "picos: --overlay: upper %s: %s\n", ov->upper,
				upper ? "Not a directory" : strerror(errno));
			free(upper);
			return -1;
		}
		char *slash = strrchr(upper, '/');
		ov->work = malloc(strlen(upper) + 24);
		sprintf(ov->work, "%.*s/.picos-work-XXXXXX",
			(int)(slash - upper), upper);
		free(upper);
		if (!mkdtemp(ov->work)) {
			fprintf(stderr, "picos: --overlay: cannot make a work "
					"directory beside %s: %s\n",
				ov->upper, strerror(errno));
			free(ov->work);
			ov->work = NULL;
			return -1;
		}
	}
	return 0;
}

static void remove_overlay_workdirs(const struct run_opts *o)
{
	for (int i = 0; i < o->noverlays; i++)
		if (o->overlays[i].work)
			nftw(o->overlays[i].work, rm_entry, 32,
			     FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* --home: the guest's $HOME (guest_home), set in its environment as an
 * --env HOME would (o->env_set has room: --home is no --env). */
static int find_guest_home(struct run_opts *o)
{
	if (!o->home)
		return 0;
	const char *h = NULL;
	int slot = o->nenv_set; /* the --env HOME it replaces, if any */
	for (int k = 0; k < o->nenv_set; k++)
		if (!strncmp(o->env_set[k], "HOME=", 5))
			h = o->env_set[slot = k] + 5;
	if (!h && !o->clear_env)
		h = getenv("HOME");
	if (!h || h[0] != '/') {
		struct passwd *pw = getpwuid(o->uid >= 0 ? (uid_t)o->uid : getuid());
		h = pw && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	if (!h) {
		fprintf(stderr, "picos: --home: no home directory known (name one "
				"with --env HOME=DIR)\n");
		return -1;
	}
	guest_home = normalize(h);
	if (!strcmp(guest_home, "/")) {
		fprintf(stderr, "picos: --home: the home directory cannot be /\n");
		return -1;
	}
	char *env = malloc(strlen(guest_home) + 6);
	sprintf(env, "HOME=%s", guest_home);
	o->env_set[slot] = env;
	if (slot == o->nenv_set)
		o->nenv_set++;
	return 0;
}

int run_world(struct run_opts *o)
{
	int status = 125;
	if (find_guest_home(o) < 0)
		return status;
	if (make_tmpdir() < 0)
		return status;
	if (make_overlay_workdirs(o) < 0)
		goto out;
	for (int i = 0; i < 4; i++)
		sigaction(relayed[i], NULL, &relayed_orig[i]);
	/* Orphaned pico processes come to us, not to the host's init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	term_grace = !o->no_term_grace;
	relay_signals(on_term);
	read_host_groups(o);
	launcher_bset = host_cap_bset();
	tty_find();
	tty_watch_stops();
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGHUP);
	/* Once more, flat, if the init could not build the namespaces
	 * (--ns=auto only; it started nothing). */
	bool flat = false;
	sigprocmask(SIG_SETMASK, NULL, &old);
again:;
	/* A SIGTERM during the fork is taken once world_pid is set. */
	sigprocmask(SIG_BLOCK, &term, NULL);
	pid_t init = flat ? ns_fork_flat() : ns_fork_init(o);
	if (init < 0) /* said why */
		goto out;
	if (init == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
		if (stop_pipe[0] >= 0) {
			close(stop_pipe[0]);
			signal(SIGIO, SIG_DFL);
			reaper_stop_fd = stop_pipe[1];
		}
		relay_signals(forward);
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(world_init(o));
	}
	world_pid = init;
	signal(SIGALRM, kill_init);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int ws = wait_for_init(init);
	if (ws != -1 && WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	else if (ws != -1 && WIFSIGNALED(ws))
		status = 128 + WTERMSIG(ws);
	end_orphans();
	if (fg_tty >= 0)
		tty_set_fg(fg_user);
	if (!flat && terms == 0 && ns_init_gave_up()) {
		flat = true;
		sigprocmask(SIG_SETMASK, &old, NULL); /* wait_for_init blocked */
		goto again;
	}
out:
	remove_overlay_workdirs(o);
	remove_tmpdir();
	return status;
}
