/* Namespaces for a world (--ns=auto|on|off, PICOS_NS).
 *
 * Where the host allows it, the world's init is cloned into new mount,
 * pid, network, IPC and UTS namespaces (owned by a new user namespace
 * unless picos runs as root).  Host calls a hostile guest makes directly then see only
 * the world: a mount tree holding just the world's mounts (bound at their
 * host paths, so mount fds, realpaths and Landlock rules keep the same
 * strings), a fresh procfs listing only the world's processes, a /dev of
 * the device nodes Landlock allows, a network namespace of its own, and
 * pids that name only pico processes.  The flat mode (no namespaces) is
 * picos as it was; docs/security/30-namespaces.md says what each enforces.
 */
#include "picos.h"
#include <picos/worldsys.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

bool ns_active;
static int ns_chosen;
/* The init's word to picos that it could not build the world's
 * namespaces and, under auto, that picos should run the world flat:
 * written by the init (gave_up[1]), read by picos (gave_up[0]). */
static int gave_up[2] = { -1, -1 };

/* Under auto a failure to build the namespaces is no error (picos then
 * runs the world flat): its messages show only under PICOS_DEBUG. */
static bool loud(void)
{
	return ns_chosen == NS_OPT_ON || getenv("PICOS_DEBUG");
}

/* --ns wins over PICOS_NS; auto when neither says. */
static int ns_choice(const struct run_opts *o)
{
	if (o->ns != NS_OPT_UNSET)
		return o->ns;
	const char *e = getenv("PICOS_NS");
	if (e && !strcmp(e, "on"))
		return NS_OPT_ON;
	if (e && !strcmp(e, "off"))
		return NS_OPT_OFF;
	return NS_OPT_AUTO;
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Root (when it needs a user namespace: no CAP_SYS_ADMIN) maps the whole
 * id range onto itself, so guest root keeps root's access to files and a
 * later host identity change can name any id.  Any other user can map
 * only its own uid and gid, to the same numbers, so getuid() and the
 * owners of its own files stay as they are (ids it cannot map show as the
 * overflow id 65534). */
static int write_id_maps(pid_t pid)
{
	char map[64];
	if (geteuid() == 0) {
		return write_file(pid, "uid_map", "0 0 4294967295\n") < 0 ||
			       write_file(pid, "gid_map", "0 0 4294967295\n") < 0
			       ? -1
			       : 0;
	}
	snprintf(map, sizeof map, "%u %u 1\n", geteuid(), geteuid());
	if (write_file(pid, "uid_map", map) < 0)
		return -1;
	/* An unprivileged gid_map needs setgroups denied first. */
	if (write_file(pid, "setgroups", "deny\n") < 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof map, "%u %u 1\n", getegid(), getegid());
	return write_file(pid, "gid_map", map);
}

/* Root (with CAP_SYS_ADMIN) makes the namespaces without a user
 * namespace: guest root then keeps the host powers only the initial user
 * namespace grants and Linux root has (mlock past RLIMIT_MEMLOCK, negative
 * nice, CLOCK_*_ALARM timers, raised hard limits), which the conformance
 * suite checks against native root; the capability layer (sandbox/caps.c)
 * decides what root keeps.  Everyone else needs a user namespace to make
 * the others. */
static pid_t clone_init(unsigned long flags, bool *userns)
{
	pid_t pid = -1;
	*userns = false;
	if (geteuid() == 0)
		pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	if (pid < 0) {
		*userns = true;
		pid = (pid_t)syscall(SYS_clone, flags | CLONE_NEWUSER, NULL,
				     NULL, NULL, 0);
	}
	return pid;
}

bool ns_give_up(void)
{
	if (!ns_active || ns_chosen != NS_OPT_AUTO || gave_up[1] < 0)
		return false;
	if (getenv("PICOS_DEBUG"))
		fprintf(stderr, "picos: the world's namespaces could not be "
				"built; running the world flat\n");
	return write(gave_up[1], "f", 1) == 1;
}

bool ns_init_gave_up(void)
{
	char c;
	bool r = gave_up[0] >= 0 && read(gave_up[0], &c, 1) == 1;
	if (gave_up[0] >= 0)
		close(gave_up[0]);
	gave_up[0] = -1;
	return r;
}

pid_t ns_fork_flat(void)
{
	pid_t pid = fork();
	if (pid < 0)
		perror("picos: fork");
	return pid;
}

/* The world's network namespace, made by a child of the init while the
 * init builds the mount tree: a new network namespace costs the host
 * about 0.8 ms (every network subsystem's per-namespace set-up), the
 * tree as long, and the two need nothing of each other.  The maker makes
 * it (and brings up lo for --net=loopback), says so on net_pipe and
 * waits; the init enters it through the maker's pidfd (net_join) before
 * anything of the world runs, and lets the maker go. */
static pid_t net_maker = -1;
static int net_pipe[2] = { -1, -1 }; /* maker -> init: 'y' or 'n' */
static int net_hold[2] = { -1, -1 }; /* init -> maker: its end lets it go */
static int loopback_up(void);
static int fail(const char *what, const char *path);

static void net_make(int net)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	close(net_pipe[0]);
	close(net_hold[1]);
	char ok = 'n';
	if (unshare(CLONE_NEWNET) < 0) {
		if (loud())
			fprintf(stderr, "picos: namespace: cannot create the "
					"world's network: %s\n", strerror(errno));
	} else if (net != NET_OPT_LOOPBACK || loopback_up() == 0) {
		ok = 'y';
	}
	if (write(net_pipe[1], &ok, 1) == 1) {
		char c;
		while (read(net_hold[0], &c, 1) < 0 && errno == EINTR)
			;
	}
	_exit(0);
}

static void net_start(int net)
{
	if (pipe2(net_pipe, O_CLOEXEC) < 0)
		return;
	if (pipe2(net_hold, O_CLOEXEC) < 0) {
		close(net_pipe[0]);
		close(net_pipe[1]);
		net_pipe[0] = -1;
		return;
	}
	net_maker = fork();
	if (net_maker == 0)
		net_make(net);
	close(net_pipe[1]);
	close(net_hold[0]);
}

/* Into the maker's network namespace: 0, or -1 (said why when loud). */
static int net_join(void)
{
	char ok = 'n';
	ssize_t n = -1;
	if (net_maker > 0)
		while ((n = read(net_pipe[0], &ok, 1)) < 0 && errno == EINTR)
			;
	int r = -1;
	if (n == 1 && ok == 'y') {
		int pfd = (int)syscall(SYS_pidfd_open, net_maker, 0);
		r = pfd < 0 ? -1 : setns(pfd, CLONE_NEWNET);
		if (r < 0)
			fail("cannot enter the world's network", "namespace");
		if (pfd >= 0)
			close(pfd);
	} else if (net_maker <= 0 || n != 1) {
		fail("cannot start the world's network", "namespace");
	}
	if (net_pipe[0] >= 0)
		close(net_pipe[0]);
	if (net_hold[1] >= 0)
		close(net_hold[1]);
	net_pipe[0] = net_hold[1] = -1;
	if (net_maker > 0)
		waitpid(net_maker, NULL, 0);
	net_maker = -1;
	return r;
}

pid_t ns_fork_init(const struct run_opts *o)
{
	int choice = ns_chosen = ns_choice(o);
	if (choice == NS_OPT_OFF)
		return ns_fork_flat();
	if (choice == NS_OPT_AUTO && pipe2(gave_up, O_CLOEXEC | O_NONBLOCK) < 0)
		gave_up[0] = gave_up[1] = -1;
	/* (the network namespace is made beside the mount tree: net_start) */
	unsigned long flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID |
			      CLONE_NEWUTS | SIGCHLD;
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		perror("picos: pipe");
		return -1;
	}
	/* A raw clone: the child continues here like a fork's, once picos
	 * has written its id maps. */
	bool userns;
	pid_t pid = clone_init(flags, &userns);
	int e = errno;
	if (pid == 0) {
		close(go[1]);
		/* When picos dies the init goes, and with it (pid 1 of its
		 * namespace) the whole world. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		char c; /* EOF: picos died before letting us go */
		if (read(go[0], &c, 1) != 1)
			_exit(125);
		close(go[0]);
		if (gave_up[0] >= 0)
			close(gave_up[0]);
		gave_up[0] = -1;
		ns_active = true;
		if (o->net != NET_OPT_HOST)
			net_start(o->net);
		return 0;
	}
	if (gave_up[1] >= 0)
		close(gave_up[1]);
	gave_up[1] = -1;
	close(go[0]);
	if (pid < 0) {
		close(go[1]);
		if (choice == NS_OPT_ON) {
			fprintf(stderr, "picos: cannot create the world's "
					"namespaces: %s\n", strerror(e));
			return -1;
		}
		if (getenv("PICOS_DEBUG"))
			fprintf(stderr, "picos: no namespaces (%s); running "
					"the world flat\n", strerror(e));
		return ns_fork_flat();
	}
	if (userns && write_id_maps(pid) < 0) {
		fprintf(stderr, "picos: cannot map the world's user ids: %s\n",
			strerror(errno));
		close(go[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return -1;
	}
	if (write(go[1], "g", 1) != 1) { /* cannot fail: the init holds go[0] */
		perror("picos: cannot start the world's init");
		close(go[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return -1;
	}
	close(go[1]);
	return pid;
}

/* --- the world's mount tree ------------------------------------------ */

/* The device nodes Landlock allows (src/sandbox/landlock.c `devices[]`,
 * less /dev/ptmx and /dev/pts, which come from a devpts of the world's
 * own).  Keep the two lists in step. */
static const char *const dev_nodes[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
	"/dev/urandom", "/dev/tty",
};

static char newroot[PATH_MAX];
/* st_dev of the tmpfs instances the world's tree is built of: only in
 * these may a mount point be created (never on a host file system). */
static dev_t ours[80];
static char *ours_path[80];
static int nours;

static int fail(const char *what, const char *path)
{
	if (loud())
		fprintf(stderr, "picos: namespace: %s %s: %s\n", what, path,
			strerror(errno));
	return -1;
}

static int mount_tmpfs(const char *at, const char *mode)
{
	if (nours == (int)(sizeof ours / sizeof ours[0])) {
		errno = ENOSPC;
		return fail("too many mount points for", at);
	}
	char opts[32];
	snprintf(opts, sizeof opts, "mode=%s,size=64k", mode);
	if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return fail("cannot mount a tmpfs on", at);
	struct stat st;
	if (stat(at, &st) < 0)
		return fail("cannot stat", at);
	ours[nours] = st.st_dev;
	ours_path[nours++] = strdup(at);
	return 0;
}

static bool is_ours(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	for (int i = 0; i < nours; i++)
		if (ours[i] == st.st_dev)
			return true;
	return false;
}

/* Makes directory `path` (inside the new root) exist.  A missing
 * component is created where the tree is a tmpfs of ours; elsewhere the
 * parent is the bare directory under a host mount point that the world
 * does not mount (say /home on its own file system), which a small tmpfs
 * then covers. */
static int make_dir(char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return -1;
	*slash = 0;
	int r = make_dir(path);
	if (r == 0 && !is_ours(path))
		r = mount_tmpfs(path, "755");
	*slash = '/';
	if (r < 0)
		return -1;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return fail("cannot make mount point", path);
	return 0;
}

/* mount_setattr(2); glibc's <sys/mount.h> and <linux/mount.h> clash. */
struct ns_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define NS_ATTR_RDONLY 0x1
#define NS_ATTR_NOSUID 0x2
#define NS_ATTR_NODEV 0x4
#define NS_ATTR_NOEXEC 0x8
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* Flags on `at` and every mount below it (the kernel only ever adds
 * them here: flags a user namespace inherits locked stay).  `dev`: no
 * nodev (--dev-bind). */
static int restrict_tree(const char *at, bool ro, bool dev)
{
	struct ns_mount_attr a = {
		.attr_set = NS_ATTR_NOSUID | (dev ? 0 : NS_ATTR_NODEV) |
			    (ro ? NS_ATTR_RDONLY : 0),
	};
	if (syscall(SYS_mount_setattr, AT_FDCWD, at, AT_RECURSIVE, &a,
		    sizeof a) < 0)
		return fail("cannot restrict", at);
	return 0;
}

/* Binds host directory `src` at `at` with what is mounted below it (a
 * user namespace may not bind a mount apart from the host mounts on it,
 * which it inherits locked); read-only ones become read-only, and all
 * nosuid, and nodev unless `dev` (--dev-bind). */
static int bind_tree(const char *src, const char *at, bool ro, bool dev)
{
	if (mount(src, at, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("cannot bind", src);
	return restrict_tree(at, ro, dev);
}

/* A host device node on an empty file of our /dev (its own mount keeps
 * the host's flags: nodev would make it useless). */
static int bind_node(const char *src, const char *at)
{
	int fd = open(at, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return fail("cannot make", at);
	close(fd);
	if (mount(src, at, NULL, MS_BIND, NULL) < 0)
		return fail("cannot bind", src);
	return 0;
}

/* --tmpfs: a tmpfs of the world's own (not one of `ours`: the guest's
 * files live there), limited to `size` bytes (0: Linux's default, half
 * of RAM), which the kernel then enforces (ENOSPC). */
static int mount_sized_tmpfs(const char *at, unsigned long long size)
{
	char opts[48] = "mode=755";
	if (size)
		snprintf(opts, sizeof opts, "mode=755,size=%llu", size);
	if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return fail("cannot mount a tmpfs on", at);
	return 0;
}

/* --overlay: an overlayfs of LOWER and UPPER at `at`.  Inside a user
 * namespace overlayfs needs `userxattr` (its xattrs in user.overlay.*),
 * which root without one does not. */
static int mount_overlay(const char *at, const struct overlay_opt *ov)
{
	char opts[3 * PATH_MAX + 64];
	const char *paths[] = { ov->lower, ov->upper, ov->work };
	for (int i = 0; i < 3; i++)
		if (strpbrk(paths[i], ",:\\")) {
			errno = EINVAL;
			return fail("--overlay: a ',', ':' or '\\' in", paths[i]);
		}
	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s",
		 ov->lower, ov->upper, ov->work);
	if (mount("overlay", at, "overlay", MS_NOSUID | MS_NODEV, opts) == 0)
		return 0;
	strcat(opts, ",userxattr");
	if (mount("overlay", at, "overlay", MS_NOSUID | MS_NODEV, opts) == 0)
		return 0;
	return fail("cannot mount an overlay on", at);
}

/* `path` inside the new root; an empty string (which every later call
 * refuses) when too long. */
static void in_root(char *out, const char *path)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s%s", newroot,
			     strcmp(path, "/") ? path : "") >= PATH_MAX)
		out[0] = 0;
}

/* /dev: a tmpfs of ours with bind mounts of the allowed host nodes and a
 * devpts instance of the world's own for /dev/pts and /dev/ptmx. */
static int make_dev(void)
{
	char dev[PATH_MAX], p[PATH_MAX];
	in_root(dev, "/dev");
	if (make_dir(dev) < 0 || mount_tmpfs(dev, "755") < 0)
		return -1;
	for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
		struct stat st;
		if (stat(dev_nodes[i], &st) < 0)
			continue;
		in_root(p, dev_nodes[i]);
		if (bind_node(dev_nodes[i], p) < 0)
			return -1;
	}
	/* /dev/console: the terminal picos runs on, as a container runtime
	 * binds the container's terminal there; none without one. */
	const char *tty = isatty(0) ? ttyname(0) : NULL;
	if (tty) {
		in_root(p, "/dev/console");
		if (bind_node(tty, p) < 0)
			return -1;
	}
	/* The links every /dev has, into the world's procfs. */
	static const char *const links[][2] = {
		{ "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		in_root(p, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			return fail("cannot make", p);
	}
	/* The world's /dev/shm is a mount of its own (the guest's mount
	 * table); the directory is there for listings of /dev. */
	in_root(p, "/dev/shm");
	if (mkdir(p, 01777) < 0)
		return fail("cannot make", p);
	in_root(p, "/dev/mqueue"); /* the same for the world's queues */
	if (mkdir(p, 01777) < 0)
		return fail("cannot make", p);
	in_root(p, "/dev/pts");
	if (mkdir(p, 0755) < 0 ||
	    mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		return fail("cannot mount a devpts on", p);
	char ptmx[PATH_MAX];
	in_root(ptmx, "/dev/ptmx");
	strcat(p, "/ptmx");
	return bind_node(p, ptmx);
}

/* /sys: a tmpfs of ours with just the host sysfs entries of
 * include/picos/worldsys.h, each bound read-only, nosuid, nodev and
 * noexec (so even a root world writes no host attribute), and its empty
 * directories; what the host lacks is left out.  Raw host calls then find
 * no other host device, driver or firmware entry either. */
static int sys_tree(const char *path)
{
	char p[PATH_MAX];
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	in_root(p, path);
	if (make_dir(p) < 0 || bind_tree(path, p, true, false) < 0)
		return -1;
	struct ns_mount_attr a = { .attr_set = NS_ATTR_NOEXEC };
	if (syscall(SYS_mount_setattr, AT_FDCWD, p, AT_RECURSIVE, &a,
		    sizeof a) < 0)
		return fail("cannot make noexec", p);
	return 0;
}

static int sys_empty(const char *path)
{
	char p[PATH_MAX];
	in_root(p, path);
	return make_dir(p);
}

static int make_sys(void)
{
	char sys[PATH_MAX];
	in_root(sys, "/sys");
	if (make_dir(sys) < 0 || mount_tmpfs(sys, "755") < 0)
		return -1;
#define SYS_TREE(p) if (sys_tree(p) < 0) return -1;
#define SYS_EMPTY(p) if (sys_empty(p) < 0) return -1;
	PICOS_WORLD_SYS(SYS_TREE, SYS_EMPTY)
#undef SYS_TREE
#undef SYS_EMPTY
	return 0;
}

/* The directories every world has, over what the root mount shows:
 * /tmp (the host's hidden under an empty tmpfs; the world's private tmp
 * is bound inside it at its host path), /dev, a procfs of the world's pid
 * namespace, and a narrowed /sys (make_sys) when the root mount is the
 * host's. */
static int make_system_dirs(bool host_root)
{
	char p[PATH_MAX];
	in_root(p, "/tmp");
	if (make_dir(p) < 0 || (!is_ours(p) && mount_tmpfs(p, "755") < 0))
		return -1;
	if (make_dev() < 0)
		return -1;
	/* Read-only, as the world mounts /proc: not even a world started by
	 * root writes /proc/sys. */
	in_root(p, "/proc");
	if (make_dir(p) < 0 ||
	    mount("proc", p, "proc",
		  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail("cannot mount a procfs on", p);
	/* The host's /sys narrowed to what programs size themselves by
	 * (glibc's get_nprocs, lscpu, the JVM), over the host sysfs the
	 * root's bind brought; a world on a root of its own keeps that
	 * tree's /sys. */
	return host_root ? make_sys() : 0;
}

/* The host's file systems mounted below / come with the root's bind:
 * each is covered by an empty tmpfs (world mounts inside are bound again
 * on top), except what make_system_dirs makes (/sys included: its tmpfs
 * covers the host's sysfs and the file systems on it). */
static bool kept_or_remade(const char *rel)
{
	static const char *const dirs[] = { "/sys", "/proc", "/dev", "/tmp" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		size_t n = strlen(dirs[i]);
		if (!strncmp(rel, dirs[i], n) && (!rel[n] || rel[n] == '/'))
			return true;
	}
	return false;
}

static int cover_host_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail("cannot read", "/proc/self/mountinfo");
	size_t rl = strlen(newroot);
	char line[4 * PATH_MAX], mp[PATH_MAX];
	int r = 0;
	while (r == 0 && fgets(line, sizeof line, f)) {
		/* Field 5 is the mount point (octal escapes for blanks: such
		 * a path matches no directory and is left as it is). */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    strncmp(mp, newroot, rl) || mp[rl] != '/' ||
		    kept_or_remade(mp + rl))
			continue;
		struct stat st;
		if (stat(mp, &st) < 0 || !S_ISDIR(st.st_mode) || is_ours(mp))
			continue; /* under a mount already covered */
		r = mount_tmpfs(mp, "755");
	}
	fclose(f);
	return r;
}

static int by_host_path(const void *a, const void *b)
{
	const struct ns_mount *x = a, *y = b;
	return strcmp(x->at, y->at);
}

/* Brings `lo` up in the world's network namespace: --net=loopback is a
 * loopback of the world's own, where no packet can leave. */
static int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	int r = s < 0 ? -1 : ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (r < 0)
		fprintf(stderr, "picos: namespace: cannot bring up lo: %s\n",
			strerror(errno));
	if (s >= 0)
		close(s);
	return r;
}

int ns_mount_mqueue(const char *dir)
{
	if (!ns_active)
		return -1;
	/* (private first, as ns_build_world makes it: never the host's) */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    (mkdir(dir, 01777) < 0 && errno != EEXIST))
		return -1;
	return mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL);
}

int ns_mount_scratch(const char *dir)
{
	if (!ns_active)
		return -1;
	/* (private first, as ns_build_world makes it: never the host's) */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mkdir(dir, 0700) < 0)
		return fail("cannot make", dir);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=700") < 0)
		return fail("cannot mount a tmpfs on", dir);
	return 0;
}

int ns_build_world(const struct ns_mount *mnts, int n, const char *scratch,
		   int net)
{
	if (!ns_active)
		return 0;
	/* Nothing done here may reach the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("cannot make private", "/");
	snprintf(newroot, sizeof newroot, "%s/root", scratch);
	if (mkdir(newroot, 0755) < 0 || mount_tmpfs(newroot, "755") < 0)
		return fail("cannot make", newroot);
	struct ns_mount *m = calloc((size_t)n + 1, sizeof *m);
	memcpy(m, mnts, sizeof *m * (size_t)n);
	/* Parents before children: sorted by path, "/" first. */
	qsort(m, (size_t)n, sizeof *m, by_host_path);
	bool host_root = n > 0 && !strcmp(m[0].at, "/");
	if (host_root && (bind_tree("/", newroot, m[0].ro, m[0].dev) < 0 ||
			  cover_host_mounts() < 0))
		return -1;
	if (make_system_dirs(host_root) < 0)
		return -1;
	char p[PATH_MAX];
	for (int i = host_root ? 1 : 0; i < n; i++) {
		if (m[i].proc || m[i].devfs)
			continue; /* the procfs and /dev above */
		in_root(p, m[i].at);
		if (make_dir(p) < 0)
			return -1;
		int r = m[i].overlay ? mount_overlay(p, m[i].overlay)
			: m[i].tmpfs ? mount_sized_tmpfs(p, m[i].size)
				     : bind_tree(m[i].host, p, m[i].ro, m[i].dev);
		if (r < 0)
			return -1;
	}
	free(m);
	/* Our tmpfs instances hold only mount points: read-only from now.
	 * One a world mount covers (--dev-bind /dev /dev) is out of reach;
	 * the remount would land on the world mount. */
	for (int i = 0; i < nours; i++) {
		struct stat st;
		if (stat(ours_path[i], &st) == 0 && st.st_dev == ours[i])
			mount(NULL, ours_path[i], NULL,
			      MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
				      MS_NODEV,
			      NULL);
	}
	if (chdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("cannot pivot to", newroot);
	/* The host's tree was stacked under the new root: detach it. */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return fail("cannot detach the host's tree from", newroot);
	return net == NET_OPT_HOST ? 0 : net_join();
}
