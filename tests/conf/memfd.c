/* memfd_create: flags (MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL,
 * MFD_EXEC, bad ones), name checks (length, EFAULT, flags checked first),
 * the file (fstat, ftruncate, read and write, mmap MAP_SHARED seen by read,
 * reopening through /proc/self/fd), the seals (F_ADD_SEALS/F_GET_SEALS:
 * SEAL, SHRINK, GROW, WRITE, FUTURE_WRITE, EXEC) and the fd checks every
 * object gets. */
#include "tap.h"
#include "fdobj.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#define MFD_EXEC 0x10U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

#define BAD ((void *)0xffff800000000000UL)

static int mfd(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static void test_create(void)
{
	fails_with(mfd("x", 0x40), EINVAL, "unknown flag 0x40");
	fails_with(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL, "MFD_EXEC with MFD_NOEXEC_SEAL");
	fails_with(mfd(BAD, 0), EFAULT, "a name at a bad address");
	fails_with(mfd(BAD, 0x40), EINVAL, "bad flags are checked before the name");
	char name[300];
	memset(name, 'n', sizeof name);
	name[249] = 0;
	int fd = mfd(name, 0);
	ok(fd >= 0, "a 249-byte name");
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	fails_with(mfd(name, 0), EINVAL, "a 250-byte name");
	name[299] = 0;
	fails_with(mfd(name, 0), EINVAL, "a 299-byte name");
	/* A long name running into unmapped memory past what Linux reads. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	memset(page, 'p', 4096);
	fails_with(mfd(page + 4096 - 251, 0), EINVAL, "251 readable bytes without a NUL");
	fails_with(mfd(page + 4096 - 249, 0), EFAULT, "249 readable bytes without a NUL");
	munmap(page, 4096);
	fd = mfd("", 0);
	ok(fd >= 0 && strcmp(fd_link(fd), "/memfd: (deleted)") == 0, "an empty name (%s)", fd_link(fd));
	close(fd);
}

static void test_file(void)
{
	int fd = mfd("data", 0);
	ok(fd >= 0, "memfd_create(\"data\", 0)");
	ok(strcmp(fd_link(fd), "/memfd:data (deleted)") == 0, "/proc/self/fd link (%s)", fd_link(fd));
	ok(fcntl(fd, F_GETFL) == (O_RDWR | 0100000), "F_GETFL: O_RDWR|O_LARGEFILE (%x)", fcntl(fd, F_GETFL));
	struct stat st;
	ok(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && st.st_nlink == 0,
	   "fstat: an empty regular file with no links");
	ok(ftruncate(fd, 8192) == 0 && fstat(fd, &st) == 0 && st.st_size == 8192, "ftruncate to 8192");
	ok(pwrite(fd, "hello", 5, 100) == 5, "pwrite");
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(m != MAP_FAILED && memcmp(m + 100, "hello", 5) == 0, "MAP_SHARED mapping sees the write");
	if (m != MAP_FAILED)
		memcpy(m + 4096, "mapped", 6);
	char buf[8] = { 0 };
	ok(pread(fd, buf, 6, 4096) == 6 && memcmp(buf, "mapped", 6) == 0, "read sees a store through the mapping");
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int re = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	ok(re >= 0 && pread(re, buf, 5, 100) == 5 && memcmp(buf, "hello", 5) == 0,
	   "reopened through /proc/self/fd: the same file");
	ok(fcntl(re, F_GET_SEALS) == F_SEAL_SEAL, "F_GET_SEALS without MFD_ALLOW_SEALING: F_SEAL_SEAL");
	fails_with(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "F_ADD_SEALS without MFD_ALLOW_SEALING");
	close(re);

	pid_t pid = fork();
	if (pid == 0)
		_exit(pwrite(fd, "child", 5, 0) == 5 && m[0] == 'c' ? 0 : 1);
	int wst;
	ok(waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) && WEXITSTATUS(wst) == 0 &&
	   m[1] == 'h', "a forked child writes, the parent's shared mapping sees it");
	int got = pass_fd(fd);
	memset(buf, 0, sizeof buf);
	ok(got >= 0 && pread(got, buf, 5, 0) == 5 && memcmp(buf, "child", 5) == 0,
	   "SCM_RIGHTS carries a memfd");
	ok(strcmp(fd_link(got), "/memfd:data (deleted)") == 0, "received fd's /proc link");
	close(got);
	munmap(m, 8192);

	int cl = mfd("cl", MFD_CLOEXEC);
	check_exec(fd, cl, "memfd");
	close(cl);
	close(fd);
}

static void test_seals(void)
{
	int fd = mfd("sealed", MFD_ALLOW_SEALING);
	ok(fcntl(fd, F_GET_SEALS) == 0, "MFD_ALLOW_SEALING: no seals yet");
	fails_with(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL, "F_ADD_SEALS with an unknown seal");
	ftruncate(fd, 4096);
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "F_SEAL_SHRINK");
	fails_with(ftruncate(fd, 100), EPERM, "shrink after F_SEAL_SHRINK");
	ok(ftruncate(fd, 8192) == 0, "grow still allowed");
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0, "F_SEAL_GROW");
	fails_with(ftruncate(fd, 16384), EPERM, "grow after F_SEAL_GROW");
	fails_with(pwrite(fd, "x", 1, 8192), EPERM, "write past the end after F_SEAL_GROW");
	ok(pwrite(fd, "x", 1, 0) == 1, "write inside still allowed");
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(m != MAP_FAILED, "a shared writable mapping");
	fails_with(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "F_SEAL_WRITE with a writable mapping");
	munmap(m, 4096);
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "F_SEAL_WRITE after munmap");
	fails_with(pwrite(fd, "x", 1, 0), EPERM, "write after F_SEAL_WRITE");
	ok(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM,
	   "shared writable mmap after F_SEAL_WRITE: EPERM");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ok(m != MAP_FAILED && m[0] == 'x', "a read-only shared mapping still works");
	munmap(m, 4096);
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0, "F_SEAL_SEAL");
	fails_with(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM, "F_ADD_SEALS after F_SEAL_SEAL");
	ok(fcntl(fd, F_GET_SEALS) == (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
	   "F_GET_SEALS lists them");
	close(fd);

	fd = mfd("future", MFD_ALLOW_SEALING);
	ftruncate(fd, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0, "F_SEAL_FUTURE_WRITE with a mapping");
	fails_with(pwrite(fd, "x", 1, 0), EPERM, "write after F_SEAL_FUTURE_WRITE");
	m[0] = 'y';
	char c = 0;
	ok(pread(fd, &c, 1, 0) == 1 && c == 'y', "the existing mapping still writes");
	munmap(m, 4096);
	close(fd);

	int p[2];
	pipe(p);
	fails_with(fcntl(p[1], F_ADD_SEALS, F_SEAL_SEAL), EINVAL, "F_ADD_SEALS on a pipe's write end");
	fails_with(fcntl(p[0], F_ADD_SEALS, F_SEAL_SEAL), EPERM, "F_ADD_SEALS on a read-only fd");
	fails_with(fcntl(p[0], F_GET_SEALS), EINVAL, "F_GET_SEALS on a pipe");
	close(p[0]);
	close(p[1]);
}

static void test_exec_flags(void)
{
	int fd = mfd("noexec", MFD_NOEXEC_SEAL);
	if (fd < 0) {
		ok(errno == EINVAL, "MFD_NOEXEC_SEAL unknown to this kernel: EINVAL");
		return;
	}
	struct stat st;
	ok(fstat(fd, &st) == 0 && (st.st_mode & 0111) == 0, "MFD_NOEXEC_SEAL: no exec bits");
	int seals = fcntl(fd, F_GET_SEALS);
	ok(seals >= 0 && (seals & F_SEAL_EXEC), "MFD_NOEXEC_SEAL: F_SEAL_EXEC is set (%x)", seals);
	fails_with(fchmod(fd, 0755), EPERM, "fchmod +x after F_SEAL_EXEC");
	close(fd);
	fd = mfd("exec", MFD_EXEC);
	ok(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0777, "MFD_EXEC: mode 0777");
	ok(fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL, "MFD_EXEC without sealing: F_SEAL_SEAL");
	close(fd);
}

/* A memfd holding a copy of this program, made with `flags`. */
static int copy_of_self(unsigned flags)
{
	int in = open("/proc/self/exe", O_RDONLY), m = mfd("self", flags);
	char chunk[65536];
	ssize_t got;
	while (in >= 0 && m >= 0 && (got = read(in, chunk, sizeof chunk)) > 0)
		if (write(m, chunk, (size_t)got) != got)
			break;
	close(in);
	return m;
}

/* Exit status of execveat(fd, "", AT_EMPTY_PATH) running "probe 0" in a
 * child; 100 + errno when the exec fails. */
static int run_memfd_as(int fd, const char *mode)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *av[] = { (char *)mode, (char *)mode, "0", NULL };
		char *ev[] = { NULL };
		syscall(SYS_execveat, fd, "", av, ev, AT_EMPTY_PATH);
		_exit(100 + errno);
	}
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_memfd(int fd) { return run_memfd_as(fd, "probe"); }

/* The image run from a memfd by run_memfd_as(fd, "selfexe"): its
 * /proc/self/exe names the memfd, opens it, and runs it again. */
static void selfexe_main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "selfexe") != 0)
		return;
	char link[256] = { 0 };
	if (readlink("/proc/self/exe", link, sizeof link - 1) < 0 ||
	    strcmp(link, "/memfd:self (deleted)") != 0)
		_exit(2);
	int fd = open("/proc/self/exe", O_RDONLY);
	char elf[4];
	if (fd < 0 || read(fd, elf, 4) != 4 || memcmp(elf, "\177ELF", 4) != 0)
		_exit(3);
	execl("/proc/self/exe", "probe", "probe", "0", (char *)NULL);
	_exit(4);
}

static void test_run(void)
{
	int m = copy_of_self(MFD_EXEC);
	ok(m >= 0 && run_memfd(m) == 0, "execveat(AT_EMPTY_PATH) of an MFD_EXEC memfd still open for writing");
	close(m);
	m = copy_of_self(MFD_EXEC | MFD_CLOEXEC);
	ok(m >= 0 && run_memfd(m) == 0, "fexecve of a close-on-exec memfd holding an ELF program");
	int st = run_memfd_as(m, "selfexe");
	ok(st == 0, "run from a memfd: /proc/self/exe reads /memfd:NAME (deleted), opens it and runs it again (%d)", st);
	close(m);
	m = copy_of_self(MFD_NOEXEC_SEAL);
	if (m >= 0)
		ok(run_memfd(m) == 100 + EACCES, "execveat of an MFD_NOEXEC_SEAL memfd: EACCES");
	close(m);
	m = mfd("script", MFD_EXEC | MFD_CLOEXEC);
	ok(write(m, "#!/bin/sh\nexit 0\n", 18) == 18 && run_memfd(m) == 100 + ENOENT,
	   "a close-on-exec memfd script: ENOENT (its interpreter could not open it)");
	close(m);
}

int main(int argc, char **argv)
{
	fdobj_probe_main(argc, argv);
	selfexe_main(argc, argv);
	test_create();
	test_file();
	test_seals();
	test_exec_flags();
	test_run();
	return tap_done();
}
