/* chroot(2): the lookup's errors before the capability check, EPERM
 * without CAP_SYS_CHROOT; as root (natively, or a picos guest with root
 * identity), in a forked child only: absolute paths and ".." stop at the
 * new root, an absolute symlink resolves inside it, getcwd of a cwd left
 * outside is "(unreachable)...", and the root is kept by a forked child
 * and over exec.  The tree is made under the test's own directory and
 * removed at the end; the test's own root never changes. */
#include "tap.h"
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char tree[400]; /* tap_join's buffers are 512 */

/* After exec inside the root: only the tree's files are there. */
static int inner(void)
{
	return access("/marker", F_OK) == 0 && access(tree, F_OK) < 0 ? 0 : 3;
}

static void make_tree(const char *self)
{
	char cwd[320];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, ".");
	snprintf(tree, sizeof tree, "%s/chroot-tree-%d", cwd, (int)getpid());
	mkdir(tree, 0755);
	mkdir(tap_join(tree, "sub"), 0755);
	tap_put(tap_join(tree, "marker"), "m");
	tap_put(tap_join(tree, "sub/inner"), "i");
	if (symlink("/sub", tap_join(tree, "abs")) < 0)
		perror("symlink");
	/* a copy of this (static) program, to exec inside the root */
	int in = open(self, O_RDONLY), out = open(tap_join(tree, "t"),
						  O_CREAT | O_WRONLY, 0755);
	char buf[65536];
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	close(out);
}

static void remove_tree(void)
{
	const char *files[] = { "marker", "sub/inner", "abs", "t", "made" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		unlink(tap_join(tree, files[i]));
	rmdir(tap_join(tree, "sub"));
	rmdir(tree);
}

static void test_errors(void)
{
	fails_with(syscall(SYS_chroot, NULL), EFAULT, "chroot(NULL)");
	fails_with(syscall(SYS_chroot, (void *)1), EFAULT, "chroot of a bad pointer");
	fails_with(chroot(tap_join(tree, "missing")), ENOENT, "chroot of a missing path");
	fails_with(chroot(tap_join(tree, "marker")), ENOTDIR, "chroot of a file");
	fails_with(chroot(tap_join(tree, "marker/x")), ENOTDIR,
		   "chroot through a file");
	if (geteuid() != 0) {
		/* the permission check comes before the capability one */
		chmod(tap_join(tree, "sub"), 0);
		fails_with(chroot(tap_join(tree, "sub")), EACCES,
			   "chroot of a directory without search permission");
		chmod(tap_join(tree, "sub"), 0755);
		fails_with(chroot(tree), EPERM, "chroot without CAP_SYS_CHROOT");
	}
}

/* In a child: chroot into the tree and look around. */
static void in_root(const char *cwd)
{
	char buf[PATH_MAX + 32];
	rok(chroot(tree) == 0, "chroot into the tree");
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof want, "(unreachable)%s", cwd);
	rok(n > 0 && strcmp(buf, want) == 0,
	    "getcwd of a cwd outside the root is (unreachable)<path>");
	rok(access(tap_join(cwd, "."), F_OK) < 0 || strcmp(cwd, "/") == 0,
	    "the old absolute path is gone");
	rok(chdir("/") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0,
	    "chdir(\"/\"): getcwd is /");
	rok(access("/marker", F_OK) == 0, "/marker is the tree's");
	rok(access("/../../marker", F_OK) == 0, "/../.. stays at the root");
	rok(chdir("../..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0,
	    "chdir(\"../..\") stays at the root");
	struct stat a, b;
	rok(stat("/", &a) == 0 && stat("/..", &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev,
	    "/.. is /");
	rok(access("/abs/inner", F_OK) == 0,
	    "an absolute symlink resolves inside the root");
	rok(chdir("/sub") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/sub") == 0,
	    "getcwd below the root is from it");
	tap_put("/made", "x");
	rok(access("/made", F_OK) == 0, "a file made at /made");
	pid_t p = fork();
	if (p == 0)
		_exit(access("/marker", F_OK) == 0 ? 0 : 1);
	int st;
	rok(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a forked child keeps the root");
	p = fork();
	if (p == 0) {
		execl("/t", "t", "--inner", tree, (char *)NULL);
		_exit(2);
	}
	rok(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the root is kept over exec");
	_exit(0);
}

static void test_root(void)
{
	if (geteuid() != 0) {
		printf("# SKIP chroot itself: not root\n");
		return;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		ok(0, "getcwd");
		return;
	}
	int rfd;
	pid_t p = tap_fork_reporting(&rfd);
	if (p < 0)
		return;
	if (p == 0)
		in_root(cwd);
	tap_collect(rfd);
	int st;
	ok(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the chrooted child exits 0");
	ok(access(tap_join(tree, "made"), F_OK) == 0,
	   "its /made is the tree's made");
	ok(access("/marker", F_OK) < 0, "the parent's root is unchanged");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--inner")) {
		snprintf(tree, sizeof tree, "%.399s", argv[2]);
		return inner();
	}
	make_tree(argv[0]);
	test_errors();
	test_root();
	remove_tree();
	return tap_done();
}
