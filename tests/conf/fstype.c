/* sysfs(2): the three options against /proc/filesystems, and the errors;
 * name_to_handle_at: handles of files and fds, the size protocol
 * (EOVERFLOW with the size needed), the mount id as statx reports it, the
 * errors; open_by_handle_at: EBADF for a bad anchor fd, else EPERM for a
 * caller without CAP_DAC_READ_SEARCH (a root run checks it as nobody). */
#include "tap.h"
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BAD ((void *)0xffff800000000000UL)

static long sysfs_(int opt, unsigned long a, unsigned long b) { return syscall(SYS_sysfs, opt, a, b); }

struct fh {
	uint32_t handle_bytes;
	int32_t handle_type;
	unsigned char f_handle[128];
};

static void test_sysfs(void)
{
	/* The kernel's list, in its order. */
	char names[64][32];
	int n = 0;
	FILE *f = fopen("/proc/filesystems", "r");
	char line[128];
	while (f && n < 64 && fgets(line, sizeof line, f)) {
		char *t = strchr(line, '\t');
		char *s = t ? t + 1 : line;
		s[strcspn(s, "\n")] = 0;
		s[31] = 0;
		strcpy(names[n++], s);
	}
	if (f)
		fclose(f);
	ok(n > 0 && sysfs_(3, 0, 0) == n, "sysfs(3): as many types as /proc/filesystems lists");
	int same = 1;
	for (int i = 0; i < n; i++) {
		char buf[64] = "";
		if (sysfs_(2, i, (unsigned long)buf) != 0 || strcmp(buf, names[i]))
			same = 0;
		if (sysfs_(1, (unsigned long)names[i], 0) != i)
			same = 0;
	}
	ok(same, "sysfs(2) names each index, sysfs(1) finds each name's index");
	fails_with(sysfs_(1, (unsigned long)"nosuchfs", 0), EINVAL, "sysfs(1) of an unknown type");
	fails_with(sysfs_(1, (unsigned long)BAD, 0), EFAULT, "sysfs(1) with a bad name pointer");
	char buf[64];
	fails_with(sysfs_(2, n, (unsigned long)buf), EINVAL, "sysfs(2) past the end");
	fails_with(sysfs_(2, 0, (unsigned long)BAD), EFAULT, "sysfs(2) into a bad buffer");
	fails_with(sysfs_(0, 0, 0), EINVAL, "sysfs option 0");
	fails_with(sysfs_(4, 0, 0), EINVAL, "sysfs option 4");
}

static long n2h(int dfd, const char *p, struct fh *h, void *mnt, int flags)
{
	return syscall(SYS_name_to_handle_at, dfd, p, h, mnt, flags);
}

static void test_handles(void)
{
	int fd = open("fstype.tmp", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ok(fd >= 0, "a test file");
	struct fh h = { .handle_bytes = 0 };
	int mnt = -1;
	fails_with(n2h(AT_FDCWD, "fstype.tmp", &h, &mnt, 0), EOVERFLOW, "name_to_handle_at with no room");
	uint32_t need = h.handle_bytes;
	ok(need > 0 && need <= 128 && mnt >= 0, "it says the size it needs (%u) and the mount id", need);
	struct fh h1 = { .handle_bytes = 128 }, h2 = { .handle_bytes = 128 };
	ok(n2h(AT_FDCWD, "fstype.tmp", &h1, &mnt, 0) == 0 && h1.handle_bytes == need,
	   "name_to_handle_at of a path");
	struct statx sx;
	ok(statx(AT_FDCWD, "fstype.tmp", 0, STATX_MNT_ID, &sx) == 0 &&
	   (!(sx.stx_mask & STATX_MNT_ID) || sx.stx_mnt_id == (uint64_t)mnt),
	   "the mount id is statx's");
	ok(n2h(fd, "", &h2, &mnt, AT_EMPTY_PATH) == 0 && h2.handle_bytes == h1.handle_bytes &&
	   h2.handle_type == h1.handle_type && !memcmp(h1.f_handle, h2.f_handle, h1.handle_bytes),
	   "AT_EMPTY_PATH on its fd: the same handle");
	symlink("fstype.tmp", "fstype.lnk");
	ok(n2h(AT_FDCWD, "fstype.lnk", &h2, &mnt, AT_SYMLINK_FOLLOW) == 0 &&
	   !memcmp(h1.f_handle, h2.f_handle, h1.handle_bytes), "AT_SYMLINK_FOLLOW: the target's handle");
	h2.handle_bytes = 128;
	ok(n2h(AT_FDCWD, "fstype.lnk", &h2, &mnt, 0) == 0 &&
	   memcmp(h1.f_handle, h2.f_handle, h1.handle_bytes), "without it: the link's own handle");
	h2.handle_bytes = 129;
	fails_with(n2h(AT_FDCWD, "fstype.tmp", &h2, &mnt, 0), EINVAL, "handle_bytes above 128");
	h2.handle_bytes = 128;
	fails_with(n2h(AT_FDCWD, "fstype.tmp", &h2, &mnt, 0x8000), EINVAL, "an unknown flag");
	fails_with(n2h(AT_FDCWD, "nosuch.file", &h2, &mnt, 0), ENOENT, "a missing path");
	fails_with(n2h(AT_FDCWD, "fstype.tmp", BAD, &mnt, 0), EFAULT, "a bad handle pointer");
	fails_with(n2h(AT_FDCWD, "fstype.tmp", &h2, BAD, 0), EFAULT, "a bad mount id pointer");
	fails_with(n2h(999, "", &h2, &mnt, AT_EMPTY_PATH), EBADF, "AT_EMPTY_PATH on a closed fd");
	fails_with(n2h(AT_FDCWD, "", &h2, &mnt, 0), ENOENT, "an empty path without AT_EMPTY_PATH");

	fails_with(syscall(SYS_open_by_handle_at, 999, &h1, O_RDONLY), EBADF,
		   "open_by_handle_at with a closed mount fd");
	/* Without CAP_DAC_READ_SEARCH: EPERM (as nobody when run as root). */
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		errno = 0;
		long r = syscall(SYS_open_by_handle_at, AT_FDCWD, &h1, O_RDONLY);
		_exit(r == -1 && errno == EPERM ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "open_by_handle_at without the capability: EPERM");
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink("fstype.lnk");
	unlink("fstype.tmp");
}

int main(void)
{
	test_sysfs();
	test_handles();
	return tap_done();
}
