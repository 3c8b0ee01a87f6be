/* Path resolution at the edges: ".." from a mount root and from "/",
 * absolute symlinks, relative symlinks that climb with many "../",
 * symlink chains, loops and limits.  Under picos "/" is the host root
 * read-only, the start directory and /tmp are mounts of their own; every
 * check here is what native Linux answers, so a walk that escaped a
 * mount's host directory (or stopped at it) shows up as a different
 * inode. */
#include "tap.h"
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[256], real[PATH_MAX], home[PATH_MAX], home_parent[PATH_MAX];

#define BIG (2 * PATH_MAX + 64)

static const char *at(const char *name)
{
	static char bufs[8][BIG];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

/* True when both paths resolve (following symlinks) to the same inode. */
static bool same(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool same_fd(int fd, const char *b)
{
	struct stat sa, sb;
	if (fd < 0 || fstat(fd, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* chdir(path), then getcwd must be `want`. */
static bool cwd_is(const char *path, const char *want)
{
	char buf[PATH_MAX];
	if (chdir(path) != 0 || !getcwd(buf, sizeof buf))
		return false;
	if (strcmp(buf, want) != 0) {
		printf("#   getcwd: %s, want %s\n", buf, want);
		return false;
	}
	return true;
}

static char *ups(int n, const char *tail)
{
	static char buf[BIG];
	buf[0] = 0;
	for (int i = 0; i < n; i++)
		strcat(buf, "../");
	strcat(buf, tail);
	return buf;
}

static void test_dotdot(void)
{
	ok(same("/..", "/"), "\"/..\" is \"/\"");
	ok(same("/../../..", "/"), "\"/../../..\" is \"/\"");
	ok(same("/../../etc", "/etc"), "\"/../../etc\" is \"/etc\"");
	ok(same("/etc/../../../etc/.", "/etc"), "\"/etc/../../../etc/.\" is \"/etc\"");
	ok(same("/tmp/..", "/"), "\"/tmp/..\" is \"/\"");
	ok(same("/tmp/../tmp", "/tmp"), "\"/tmp/../tmp\" is \"/tmp\"");
	ok(same("/tmp/../../../tmp", "/tmp"), "\"/tmp/../../../tmp\" is \"/tmp\"");
	ok(same(at("a/b/c/../../../.."), "/tmp"), "climbing out of the scratch dir reaches /tmp");
	ok(same(at("a/b/c/../../../../.."), "/"), "climbing out of /tmp reaches /");
	ok(same(at("a/b/c/../../../../../../../tmp"), "/tmp"), "climbing above / and back to /tmp");
	ok(same("..", home_parent), "\"..\" of the start directory is its parent");
	char p[BIG];
	snprintf(p, sizeof p, "%s/..", home);
	ok(same(p, home_parent), "\"<start>/..\" is its parent");
	snprintf(p, sizeof p, "%s/../%s", home, strrchr(home, '/') + 1);
	ok(same(p, home), "\"<start>/../<start's name>\" is the start directory");

	/* The cwd follows "..": across mounts, and never above "/". */
	ok(cwd_is("..", home_parent), "chdir(\"..\") from the start directory");
	ok(cwd_is(home, home), "chdir back");
	ok(cwd_is("/tmp", "/tmp") && cwd_is("..", "/"), "chdir(\"..\") from /tmp is /");
	ok(cwd_is("..", "/") && cwd_is("../../..", "/"), "chdir(\"..\") from / stays at /");
	ok(cwd_is("/tmp/../tmp/.", "/tmp"), "chdir(\"/tmp/../tmp/.\")");
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	int up = openat(fd, "..", O_RDONLY | O_DIRECTORY);
	ok(same_fd(up, "/"), "openat(/tmp fd, \"..\") is /");
	close(up);
	up = openat(fd, "../../../..", O_RDONLY | O_DIRECTORY);
	ok(same_fd(up, "/"), "openat(/tmp fd, \"../../../..\") is /");
	close(up);
	close(fd);
	ok(cwd_is(home, home), "chdir home");
}

static void test_symlinks(void)
{
	char want[BIG];
	ok(same(at("abs_tmp"), "/tmp"), "absolute symlink to /tmp");
	ok(same(at("abs_root"), "/"), "absolute symlink to /");
	ok(same(at("abs_root/etc"), "/etc"), "through an absolute symlink to /");
	ok(same(at("abs_c"), at("a/b/c")), "absolute symlink into the scratch tree");
	ok(same(at("rel_c"), at("a/b/c")), "relative symlink");
	ok(same(at("rel_c/.."), at("a/b")), "\"..\" after a symlink is the target's parent");
	ok(same(at("abs_c/../.."), at("a")), "\"../..\" after an absolute symlink");
	ok(same(at("a/b/c/up_tmp"), "/tmp"), "a relative symlink climbing 20 levels reaches /tmp");
	ok(same(at("a/b/c/up_etc"), "/etc"), "a relative symlink climbing 20 levels reaches /etc");
	ok(same(at("a/b/c/up_root"), "/"), "a relative symlink of 20 \"..\" is /");
	ok(same(at("a/b/c/up_home"), home), "a relative symlink climbing to the start directory");
	ok(same(at("a/b/c/up_tmp/.."), "/"), "\"..\" after a climbing symlink");
	ok(same(at("a/b/c/up_home/.."), home_parent), "\"..\" after a symlink to the start directory");
	ok(same(at("d2/c"), at("a/b/c")), "a chain through two directory symlinks");
	ok(same(at("d3"), at("a/b/c")), "a symlink that leaves the scratch dir and comes back");
	ok(same(at("a/b/c/ring"), "/tmp"), "a climbing symlink through other symlinks");
	ok(same(at("home_link"), home), "an absolute symlink to the start directory");
	ok(same(at("home_link/.."), home_parent), "\"..\" after it");

	/* chdir resolves to the real path. */
	snprintf(want, sizeof want, "%s/a/b/c", real);
	ok(cwd_is(at("abs_c"), want), "chdir through an absolute symlink");
	ok(cwd_is(at("rel_c"), want), "chdir through a relative symlink");
	ok(cwd_is(at("d2/c"), want), "chdir through a symlink chain");
	ok(cwd_is(at("d3"), want), "chdir through a symlink that climbs out and back");
	ok(cwd_is("up_tmp", "/tmp"), "relative chdir through a climbing symlink");
	ok(cwd_is(at("a/b/c/up_home"), home), "chdir through a symlink to the start directory");
	ok(cwd_is(at("a/b/c/up_root"), "/"), "chdir through a symlink to /");
	ok(cwd_is(at("home_link/.."), home_parent), "chdir through a symlink, then \"..\"");
	ok(cwd_is(home, home), "chdir home");

	/* realpath (glibc walks with readlink). */
	char buf[PATH_MAX];
	ok(realpath(at("d3"), buf) && !strcmp(buf, want), "realpath of a symlink chain");
	ok(realpath(at("a/b/c/up_tmp"), buf) && !strcmp(buf, "/tmp"),
	   "realpath of a climbing symlink (%s)", buf);
	ok(realpath(at("a/b/c/up_home/.."), buf) && !strcmp(buf, home_parent),
	   "realpath through the start directory's \"..\"");

	/* *at calls relative to a directory fd. */
	int dfd = open(at("a/b/c"), O_RDONLY | O_DIRECTORY);
	int fd = openat(dfd, "up_tmp", O_RDONLY | O_DIRECTORY);
	ok(same_fd(fd, "/tmp"), "openat(dirfd, climbing symlink)");
	close(fd);
	fd = openat(dfd, ups(20, "etc"), O_RDONLY | O_DIRECTORY);
	ok(same_fd(fd, "/etc"), "openat(dirfd, 20 \"..\" then etc)");
	close(fd);
	struct stat st;
	ok(fstatat(dfd, "up_etc", &st, 0) == 0 && S_ISDIR(st.st_mode), "fstatat(dirfd, up_etc)");
	close(dfd);
}

static void test_limits(void)
{
	struct stat st;
	/* MAXSYMLINKS is 40 for a whole lookup. */
	ok(stat(at("n1"), &st) == 0 && S_ISREG(st.st_mode), "a chain of 40 symlinks resolves");
	fails_with(stat(at("n0"), &st), ELOOP, "a chain of 41 symlinks");
	ok(lstat(at("n0"), &st) == 0 && S_ISLNK(st.st_mode), "lstat of the chain's head");
	fails_with(open(at("n0"), O_RDONLY), ELOOP, "open of a chain of 41 symlinks");
	fails_with(chdir(at("n0")), ELOOP, "chdir through a chain of 41 symlinks");
	fails_with(stat(at("loop"), &st), ELOOP, "a symlink to itself");
	fails_with(stat(at("loop/x"), &st), ELOOP, "a symlink loop in the middle");
	fails_with(stat(at("loopa"), &st), ELOOP, "a loop through a directory part");

	/* 4095 bytes is the longest path; 4096 is ENAMETOOLONG. */
	char *p = malloc(8192);
	snprintf(p, 8192, "%s/", dir);
	size_t n = strlen(p);
	const char *tail = "a/b/c/file";
	size_t pad = 4095 - n - strlen(tail);
	if (pad % 2)
		p[n++] = '/', pad--;
	for (; pad; pad -= 2)
		p[n++] = '.', p[n++] = '/';
	strcpy(p + n, tail);
	ok(strlen(p) == 4095 && stat(p, &st) == 0 && S_ISREG(st.st_mode),
	   "a 4095-byte path resolves (%zu)", strlen(p));
	memmove(p + 1, p, strlen(p) + 1);
	p[0] = '/';
	fails_with(stat(p, &st), ENAMETOOLONG, "a 4096-byte path");
	fails_with(chdir(p), ENAMETOOLONG, "chdir of a 4096-byte path");
	memset(p, 'x', 8000);
	p[8000] = 0;
	fails_with(open(p, O_RDONLY), ENAMETOOLONG, "an 8000-byte path");
	snprintf(p, 8192, "%s/", dir);
	memset(p + strlen(p), 'y', 256);
	p[strlen(dir) + 1 + 256] = 0;
	fails_with(stat(p, &st), ENAMETOOLONG, "a 256-byte component");
	free(p);

	/* ENOTDIR and ENOENT. */
	fails_with(stat(at("a/b/c/file/x"), &st), ENOTDIR, "a file used as a directory");
	fails_with(stat(at("a/b/c/file/"), &st), ENOTDIR, "a file with a trailing slash");
	fails_with(stat(at("a/b/c/file/."), &st), ENOTDIR, "\"file/.\"");
	fails_with(stat(at("a/b/c/file/.."), &st), ENOTDIR, "\"file/..\"");
	fails_with(stat(at("a/b/c/file/../file"), &st), ENOTDIR, "\"file/../file\"");
	fails_with(stat(at("flink/x"), &st), ENOTDIR, "a symlink to a file used as a directory");
	fails_with(stat(at("flink/."), &st), ENOTDIR, "\"symlink-to-file/.\"");
	fails_with(stat(at("flink/.."), &st), ENOTDIR, "\"symlink-to-file/..\"");
	ok(same(at("rel_c/."), at("a/b/c")), "\"symlink-to-dir/.\" is the directory");
	fails_with(stat(at("dang"), &st), ENOENT, "a dangling relative symlink");
	fails_with(stat(at("dang_abs"), &st), ENOENT, "a dangling absolute symlink");
	fails_with(stat(at("a/b/c/up_dang"), &st), ENOENT, "a dangling climbing symlink");
	fails_with(stat(at("dang/.."), &st), ENOENT, "\"dangling/..\"");
	fails_with(stat(at("missing/.."), &st), ENOENT, "\"missing/..\"");
	ok(lstat(at("dang"), &st) == 0 && S_ISLNK(st.st_mode), "lstat of a dangling symlink");
	fails_with(chdir(at("dang")), ENOENT, "chdir through a dangling symlink");
	fails_with(chdir(at("flink")), ENOTDIR, "chdir through a symlink to a file");
	char buf[PATH_MAX];
	ok(getcwd(buf, sizeof buf) && !strcmp(buf, home), "failed chdirs leave the cwd alone");
}

static const char *links[][2] = {
	{ "abs_tmp", "/tmp" },
	{ "abs_root", "/" },
	{ "rel_c", "a/b/c" },
	{ "d1", "a" },
	{ "d2", "d1/b" },
	{ "flink", "a/b/c/file" },
	{ "dang", "nowhere" },
	{ "dang_abs", "/nonexistent-picos-conf-dir/x" },
	{ "loop", "loop" },
	{ "loopa", "loopb/x" },
	{ "loopb", "loopa/y" },
};

int main(void)
{
	char p[BIG];
	snprintf(dir, sizeof dir, "%s", tap_scratch("escape"));
	ok(getcwd(home, sizeof home) != NULL, "getcwd at start");
	snprintf(home_parent, sizeof home_parent, "%s", home);
	*strrchr(home_parent, '/') = 0;
	if (!home_parent[0])
		strcpy(home_parent, "/");
	ok(mkdir(dir, 0755) == 0 && realpath(dir, real), "mkdir scratch");
	ok(mkdir(at("a"), 0755) == 0 && mkdir(at("a/b"), 0755) == 0 &&
		   mkdir(at("a/b/c"), 0755) == 0,
	   "mkdir a/b/c");
	int fd = open(at("a/b/c/file"), O_CREAT | O_WRONLY, 0644);
	ok(fd >= 0, "create a/b/c/file");
	close(fd);
	int bad = 0;
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		bad += symlink(links[i][1], at(links[i][0])) != 0;
	snprintf(p, sizeof p, "%s/a/b/c", real);
	bad += symlink(p, at("abs_c")) != 0;
	bad += symlink(home, at("home_link")) != 0;
	snprintf(p, sizeof p, "../%s/d2/c", strrchr(dir, '/') + 1);
	bad += symlink(p, at("d3")) != 0;
	bad += symlink(ups(20, "tmp"), at("a/b/c/up_tmp")) != 0;
	bad += symlink(ups(20, "etc"), at("a/b/c/up_etc")) != 0;
	bad += symlink(ups(20, ""), at("a/b/c/up_root")) != 0;
	bad += symlink(ups(20, home + 1), at("a/b/c/up_home")) != 0;
	bad += symlink(ups(20, "nonexistent-picos-conf-dir"), at("a/b/c/up_dang")) != 0;
	bad += symlink("../../../d2/c/up_tmp", at("a/b/c/ring")) != 0;
	/* n0 -> n1 -> ... -> n40 -> a/b/c/file */
	for (int i = 0; i <= 40; i++) {
		char name[16], target[32];
		snprintf(name, sizeof name, "n%d", i);
		if (i < 40)
			snprintf(target, sizeof target, "n%d", i + 1);
		else
			snprintf(target, sizeof target, "a/b/c/file");
		bad += symlink(target, at(name)) != 0;
	}
	ok(bad == 0, "create the symlinks");

	test_dotdot();
	test_symlinks();
	test_limits();

	ok(chdir(home) == 0, "chdir home");
	bad = 0;
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		bad += unlink(at(links[i][0])) != 0;
	const char *more[] = { "abs_c", "home_link", "d3", "a/b/c/up_tmp", "a/b/c/up_etc",
			       "a/b/c/up_root", "a/b/c/up_home", "a/b/c/up_dang",
			       "a/b/c/ring", "a/b/c/file" };
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		bad += unlink(at(more[i])) != 0;
	for (int i = 0; i <= 40; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", i);
		bad += unlink(at(name)) != 0;
	}
	ok(bad == 0, "unlink the scratch files");
	ok(rmdir(at("a/b/c")) == 0 && rmdir(at("a/b")) == 0 && rmdir(at("a")) == 0 &&
		   rmdir(dir) == 0,
	   "cleanup");
	return tap_done();
}
