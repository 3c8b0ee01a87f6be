/* stat, lstat and statx of "dir/name" right after what changes what a
 * directory path names: renames of the directory and of its ancestors,
 * rmdir and mkdir again, a directory replaced by a symlink, permission
 * and credential changes, changes made by another process (fork, vfork)
 * and by other threads.  Under picos these are the directory cache's
 * invalidation rules (src/kernel/fs/dcache.c); natively they are just
 * what Linux does. */
#include "tap.h"
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static char D[256];
#define P(name) tap_join(D, name)

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static int stat_errno(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? 0 : errno;
}

static ino_t statx_ino(const char *path, int flags)
{
	struct statx sx;
	return statx(AT_FDCWD, path, flags, STATX_INO, &sx) == 0 ? sx.stx_ino
								  : 0;
}

/* stat a few times first, so a cache would hold the directory. */
static void warm(const char *path)
{
	for (int i = 0; i < 3; i++)
		(void)ino_of(path);
}

static void test_rename_dir(void)
{
	mkdir(P("a"), 0755);
	tap_put(P("a/f"), "a");
	ino_t i = ino_of(P("a/f"));
	warm(P("a/f"));
	succeeds(rename(P("a"), P("b")), "rename the directory");
	ok(stat_errno(P("a/f")) == ENOENT, "the old path is gone (stat)");
	ok(statx_ino(P("a/f"), 0) == 0, "the old path is gone (statx)");
	ok(ino_of(P("b/f")) == i, "the new path names the same file");
	/* an ancestor two levels up */
	mkdir(P("x"), 0755);
	mkdir(P("x/y"), 0755);
	tap_put(P("x/y/f"), "x");
	warm(P("x/y/f"));
	succeeds(rename(P("x"), P("x2")), "rename an ancestor");
	ok(stat_errno(P("x/y/f")) == ENOENT, "under the old ancestor: ENOENT");
	ok(ino_of(P("x2/y/f")) != 0, "under the new ancestor: found");
	/* renamed back over the same name: the same directory again */
	succeeds(rename(P("x2"), P("x")), "rename it back");
	ok(ino_of(P("x/y/f")) != 0, "found again under the first name");
}

static void test_rmdir_mkdir(void)
{
	mkdir(P("r"), 0755);
	tap_put(P("r/old"), "o");
	warm(P("r/old"));
	unlink(P("r/old"));
	succeeds(rmdir(P("r")), "rmdir");
	ok(stat_errno(P("r/old")) == ENOENT, "a name under a removed directory");
	succeeds(mkdir(P("r"), 0755), "mkdir the same name");
	tap_put(P("r/new"), "n");
	ok(ino_of(P("r/new")) != 0, "a file in the new directory is found");
	ok(stat_errno(P("r/old")) == ENOENT, "the old file stays gone");
}

static void test_symlinks(void)
{
	mkdir(P("s"), 0755);
	tap_put(P("s/f"), "s");
	mkdir(P("t"), 0755);
	tap_put(P("t/f"), "t");
	ino_t tf = ino_of(P("t/f"));
	warm(P("s/f"));
	/* the directory becomes a symlink to another one */
	succeeds(rename(P("s"), P("s_old")), "move the directory away");
	succeeds(symlink("t", P("s")), "a symlink in its place");
	ok(ino_of(P("s/f")) == tf, "the path now goes through the symlink");
	ok(statx_ino(P("s/f"), AT_SYMLINK_NOFOLLOW) == tf,
	   "statx goes through it too");
	/* a final symlink: stat follows, lstat does not */
	symlink("t/f", P("fl"));
	struct stat st;
	ok(lstat(P("fl"), &st) == 0 && S_ISLNK(st.st_mode), "lstat of a symlink");
	ok(stat(P("fl"), &st) == 0 && st.st_ino == tf, "stat follows it");
	ok(statx_ino(P("fl"), 0) == tf, "statx follows it");
	ok(statx_ino(P("fl"), AT_SYMLINK_NOFOLLOW) != tf &&
		   statx_ino(P("fl"), AT_SYMLINK_NOFOLLOW) != 0,
	   "statx with AT_SYMLINK_NOFOLLOW does not");
	symlink("nothing", P("dangling"));
	ok(stat_errno(P("dangling")) == ENOENT, "stat of a dangling symlink");
	ok(lstat(P("dangling"), &st) == 0, "lstat of a dangling symlink");
	symlink("loop2", P("loop1"));
	symlink("loop1", P("loop2"));
	ok(stat_errno(P("loop1/f")) == ELOOP, "a symlink loop on the way");
	/* an absolute symlink on the way */
	char target[300];
	snprintf(target, sizeof target, "%s/t", D);
	symlink(target, P("abs"));
	ok(ino_of(P("abs/f")) == tf, "an absolute symlink on the way");
}

static void test_errors(void)
{
	tap_put(P("file"), "f");
	mkdir(P("dir"), 0755);
	ok(stat_errno(P("file/x")) == ENOTDIR, "a file on the way: ENOTDIR");
	ok(stat_errno(P("file/")) == ENOTDIR, "a file with a trailing slash");
	ok(stat_errno(P("dir/")) == 0, "a directory with a trailing slash");
	ok(stat_errno(P("nodir/x")) == ENOENT, "a missing directory: ENOENT");
	ok(stat_errno(P("dir/nofile")) == ENOENT, "a missing name: ENOENT");
	/* a directory deeper than a short cache key */
	char deep[600] = "";
	int n = snprintf(deep, sizeof deep, "%s", D);
	while (n < 400) {
		n += snprintf(deep + n, sizeof deep - (size_t)n, "/%s",
			      "a_long_directory_name_x");
		mkdir(deep, 0755);
	}
	snprintf(deep + n, sizeof deep - (size_t)n, "/f");
	tap_put(deep, "d");
	warm(deep);
	ok(ino_of(deep) != 0, "a file under a %d-byte directory path", n);
	ok(unlink(deep) == 0 && stat_errno(deep) == ENOENT,
	   "gone once unlinked");
}

static void test_permissions(void)
{
	mkdir(P("p"), 0755);
	tap_put(P("p/f"), "p");
	warm(P("p/f"));
	chmod(P("p"), 0);
	int e = stat_errno(P("p/f"));
	if (geteuid() == 0)
		ok(e == 0, "root searches a mode-0 directory");
	else
		ok(e == EACCES, "a mode-0 directory: EACCES (got %d)", e);
	chmod(P("p"), 0755);
	ok(stat_errno(P("p/f")) == 0, "searchable again after chmod");
	if (geteuid() != 0) {
		ok(1, "# SKIP credential change needs root");
		return;
	}
	/* a child that gives up root loses its search right on 0700 */
	chmod(P("p"), 0700);
	warm(P("p/f"));
	pid_t pid = fork();
	if (pid == 0) {
		int before = stat_errno(P("p/f"));
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		int after = stat_errno(P("p/f"));
		_exit(before == 0 && after == EACCES ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "after setuid the walk is the new user's (EACCES)");
	chmod(P("p"), 0755);
}

static void test_other_process(void)
{
	mkdir(P("c"), 0755);
	tap_put(P("c/f"), "c");
	warm(P("c/f"));
	pid_t pid = fork();
	if (pid == 0)
		_exit(rename(P("c"), P("c2")) == 0 ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a child renamed it");
	ok(stat_errno(P("c/f")) == ENOENT, "the parent sees the child's rename");
	ok(ino_of(P("c2/f")) != 0, "and finds the new name");

	/* a vfork child stats through its parent's memory, then renames */
	mkdir(P("v"), 0755);
	tap_put(P("v/f"), "v");
	warm(P("v/f"));
	static char from[300], to[300];
	snprintf(from, sizeof from, "%s", P("v"));
	snprintf(to, sizeof to, "%s", P("v2"));
	pid = vfork();
	if (pid == 0) {
		struct stat st;
		if (stat(tap_join(from, "f"), &st) != 0)
			_exit(2);
		_exit(syscall(SYS_rename, from, to) == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a vfork child stat'ed and renamed it");
	ok(stat_errno(P("v/f")) == ENOENT, "the parent sees the vfork child's rename");
	ok(ino_of(P("v2/f")) != 0, "and finds the new name");
}

static volatile int stop_threads;
static int thread_bad;

static void *stat_loop(void *arg)
{
	const char *path = arg;
	for (int i = 0; i < 2000 && !stop_threads; i++)
		if (stat_errno(path) != 0)
			__atomic_fetch_add(&thread_bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *rename_th(void *arg)
{
	(void)arg;
	rename(P("th"), P("th3"));
	return NULL;
}

static void test_threads(void)
{
	static char paths[4][300];
	pthread_t th[4];
	mkdir(P("th"), 0755);
	mkdir(P("th2"), 0755);
	for (int i = 0; i < 4; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s/f%d", D,
			 i % 2 ? "th" : "th2", i);
		tap_put(paths[i], "x");
	}
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, stat_loop, paths[i]);
	/* meanwhile: renames elsewhere void the caches again and again */
	for (int i = 0; i < 200; i++) {
		rename(P("th_a"), P("th_b"));
		mkdir(P("th_a"), 0755);
		rmdir(P("th_b"));
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ok(thread_bad == 0, "4 threads' stats under renames: %d failed",
	   thread_bad);
	rmdir(P("th_a"));
	/* a thread renames what the others stat */
	tap_put(P("th/g"), "g");
	warm(P("th/g"));
	pthread_t r;
	pthread_create(&r, NULL, rename_th, NULL);
	pthread_join(r, NULL);
	ok(stat_errno(P("th/g")) == ENOENT, "another thread's rename is seen");
}


/* Once the new name of a renamed directory resolves, the old one must
 * not: a watcher stats old/f until new/f appears, then old/f once more.
 * The renames come from another thread, then from another process. */
struct window {
	volatile int round, go;
};

static void window_rename(struct window *w, int rounds, const char *tag)
{
	char a[300], b[300], f[320];
	for (int r = 0; r < rounds; r++) {
		snprintf(a, sizeof a, "%s/%sa%d", D, tag, r);
		snprintf(b, sizeof b, "%s/%sb%d", D, tag, r);
		snprintf(f, sizeof f, "%s/f", a);
		mkdir(a, 0755);
		tap_put(f, "w");
		w->round = r + 1;
		while (w->go != r + 1)
			;
		usleep(20);
		rename(a, b);
	}
}

static int window_watch(struct window *w, int rounds, const char *tag)
{
	char oldp[300], newp[300];
	int bad = 0;
	for (int r = 0; r < rounds; r++) {
		while (w->round != r + 1)
			;
		snprintf(oldp, sizeof oldp, "%s/%sa%d/f", D, tag, r);
		snprintf(newp, sizeof newp, "%s/%sb%d/f", D, tag, r);
		warm(oldp);
		w->go = r + 1;
		for (;;) {
			(void)stat_errno(oldp);
			if (stat_errno(newp) == 0) {
				bad += stat_errno(oldp) == 0;
				break;
			}
		}
	}
	return bad;
}

static struct window *thread_window;
#define WINDOW_ROUNDS 300

static void *window_thread(void *arg)
{
	(void)arg;
	window_rename(thread_window, WINDOW_ROUNDS, "wt");
	return NULL;
}

static void test_window(void)
{
	struct window *w = mmap(NULL, sizeof *w, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		ok(0, "mmap");
		return;
	}
	thread_window = w;
	pthread_t t;
	pthread_create(&t, NULL, window_thread, NULL);
	int bad = window_watch(w, WINDOW_ROUNDS, "wt");
	pthread_join(t, NULL);
	ok(bad == 0, "a thread's renames: the old name never outlives the new (%d)",
	   bad);
	w->round = w->go = 0;
	pid_t pid = fork();
	if (pid == 0) {
		window_rename(w, WINDOW_ROUNDS, "wp");
		_exit(0);
	}
	bad = window_watch(w, WINDOW_ROUNDS, "wp");
	int status;
	waitpid(pid, &status, 0);
	ok(bad == 0, "another process's renames: the old name never outlives the new (%d)",
	   bad);
	munmap(w, sizeof *w);
}

/* Credentials are a thread's: after one thread alone gives up root
 * (the raw call, not libc's broadcast), it may not search a 0700
 * directory, even right after a root thread walked it. */
static char cred_file[300];
static volatile int cred_phase;

static void *low_thread(void *arg)
{
	(void)arg;
	if (syscall(SYS_setresuid, 65534, 65534, 65534) != 0)
		return (void *)-1L;
	cred_phase = 1;
	while (cred_phase != 2)
		;
	return (void *)(long)stat_errno(cred_file);
}

static void test_thread_creds(void)
{
	if (geteuid() != 0) {
		ok(1, "# SKIP a thread's own credentials need root");
		return;
	}
	mkdir(P("tc"), 0700);
	mkdir(P("tc/d"), 0755);
	snprintf(cred_file, sizeof cred_file, "%s", P("tc/d/f"));
	tap_put(cred_file, "c");
	pthread_t t;
	pthread_create(&t, NULL, low_thread, NULL);
	while (cred_phase != 1)
		;
	warm(cred_file); /* root's walk */
	cred_phase = 2;
	void *res;
	pthread_join(t, &res);
	ok((long)res == EACCES,
	   "a thread that alone gave up root: EACCES under 0700 (got %ld)",
	   (long)res);
}

/* readlink, getxattr and lgetxattr go through the same cache. */
static void test_readlink_xattr(void)
{
	mkdir(P("rx"), 0755);
	tap_put(P("rx/f"), "f");
	symlink("f", P("rx/l"));
	char buf[64];
	for (int i = 0; i < 3; i++)
		(void)readlink(P("rx/l"), buf, sizeof buf);
	ssize_t n = readlink(P("rx/l"), buf, sizeof buf);
	ok(n == 1 && buf[0] == 'f', "readlink of a symlink");
	errno = 0;
	ok(readlink(P("rx/f"), buf, sizeof buf) < 0 && errno == EINVAL,
	   "readlink of a file: EINVAL");
	int xattrs = setxattr(P("rx/f"), "user.k", "v", 1, 0) == 0;
	if (xattrs) {
		ok(getxattr(P("rx/l"), "user.k", buf, sizeof buf) == 1,
		   "getxattr follows a final symlink");
		errno = 0;
		ok(lgetxattr(P("rx/l"), "user.k", buf, sizeof buf) < 0 &&
			   errno == ENODATA,
		   "lgetxattr does not (ENODATA)");
		ok(lgetxattr(P("rx/f"), "user.k", buf, sizeof buf) == 1,
		   "lgetxattr of the file");
	} else {
		ok(1, "# SKIP no user xattrs here (%s)", strerror(errno));
	}
	succeeds(rename(P("rx"), P("rx2")), "rename their directory");
	errno = 0;
	ok(readlink(P("rx/l"), buf, sizeof buf) < 0 && errno == ENOENT,
	   "readlink under the old name: ENOENT");
	errno = 0;
	ok(lgetxattr(P("rx/f"), "user.k", buf, sizeof buf) < 0 &&
		   errno == ENOENT,
	   "lgetxattr under the old name: ENOENT");
	errno = 0;
	ok(getxattr(P("rx/l"), "user.k", buf, sizeof buf) < 0 &&
		   errno == ENOENT,
	   "getxattr under the old name: ENOENT");
	ok(readlink(P("rx2/l"), buf, sizeof buf) == 1,
	   "readlink under the new name");
}

/* A thread that ended leaves its provider area to the next one: a
 * thread made by a thread without root must not inherit what a root
 * thread walked. */
static void *root_walker(void *arg)
{
	(void)arg;
	warm(cred_file);
	return NULL;
}

static void *low_child(void *arg)
{
	(void)arg;
	return (void *)(long)stat_errno(cred_file);
}

static void *low_maker(void *arg)
{
	(void)arg;
	if (syscall(SYS_setresuid, 65534, 65534, 65534) != 0)
		return (void *)-1L;
	cred_phase = 3;
	while (cred_phase != 4)
		;
	long worst = 0;
	for (int i = 0; i < 4; i++) {
		pthread_t c;
		void *r;
		pthread_create(&c, NULL, low_child, NULL);
		pthread_join(c, &r);
		if ((long)r != EACCES)
			worst = (long)r;
	}
	return (void *)(worst ? worst : EACCES);
}

static void test_thread_reuse(void)
{
	if (geteuid() != 0) {
		ok(1, "# SKIP a thread's own credentials need root");
		return;
	}
	pthread_t low;
	pthread_create(&low, NULL, low_maker, NULL);
	while (cred_phase != 3)
		;
	for (int i = 0; i < 4; i++) { /* root threads walk and end */
		pthread_t w;
		pthread_create(&w, NULL, root_walker, NULL);
		pthread_join(w, NULL);
	}
	cred_phase = 4;
	void *res;
	pthread_join(low, &res);
	ok((long)res == EACCES,
	   "threads made without root after root threads ended: EACCES (got %ld)",
	   (long)res);
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	(void)st;
	(void)f;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int main(void)
{
	snprintf(D, sizeof D, "%s", tap_scratch("dcache"));
	if (mkdir(D, 0755) != 0) {
		perror(D);
		return 1;
	}
	test_rename_dir();
	test_rmdir_mkdir();
	test_symlinks();
	test_errors();
	test_readlink_xattr();
	test_permissions();
	test_other_process();
	test_threads();
	test_window();
	test_thread_creds();
	test_thread_reuse();
	ok(nftw(D, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "cleanup");
	return tap_done();
}
