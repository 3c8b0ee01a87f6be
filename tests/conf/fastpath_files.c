/* Call sites in a file's executable mapping, run by one process and
 * then by new processes (fork + exec) that map the same file: picos
 * records the sites one process patched and patches them in a later
 * mapping of the file at once.  The calls must give the same results
 * whoever maps the file; a file changed in place since (other code at
 * the same offset, size and modification time put back) must run its
 * new code. */
#include "tap.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

typedef long (*fn0)(void);

enum { GETPID_AT = 0, EDI_AT = 64, NOP_AT = 128, READ_AT = 192 };

/* getpid sites of three shapes: mov $39,%eax; syscall / mov $7,%edi;
 * syscall after %eax is set / a long nop, mov, syscall */
static const unsigned char getpid_site[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 };
static const unsigned char getppid_site[] = { 0xb8, 110, 0, 0, 0, 0x0f, 0x05, 0xc3 };
static const unsigned char edi_site[] = { 0xb8, 39, 0, 0, 0, 0xbf, 7, 0, 0, 0,
					  0x0f, 0x05, 0xc3 };
static const unsigned char nop_site[] = { 0x0f, 0x1f, 0x44, 0, 0, 0xb8, 39, 0, 0, 0,
					  0x0f, 0x05, 0xc3 };
/* read with its result check: 99 when it fails */
static const unsigned char read_site[] = { 0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0, 0xf0,
					   0xff, 0xff, 0x77, 0x01, 0xc3, 0xb8, 99, 0,
					   0, 0, 0xc3 };
typedef long (*fn3)(long, long, long);

static int write_code(const char *path, const unsigned char *first, size_t n)
{
	unsigned char page[4096];
	memset(page, 0xcc, sizeof page);
	memcpy(page + GETPID_AT, first, n);
	memcpy(page + EDI_AT, edi_site, sizeof edi_site);
	memcpy(page + NOP_AT, nop_site, sizeof nop_site);
	memcpy(page + READ_AT, read_site, sizeof read_site);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, page, sizeof page);
	close(fd);
	return w == (ssize_t)sizeof page ? 0 : -1;
}

/* Maps the file and counts right results of `n` calls of each site:
 * the first site must give `want`, the others getpid. */
static long run_sites(const char *path, long want, int n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (code == MAP_FAILED)
		return -1;
	long right = 0, pid = getpid();
	for (int i = 0; i < n; i++) {
		right += ((fn0)(void *)(code + GETPID_AT))() == want;
		right += ((fn0)(void *)(code + EDI_AT))() == pid;
		right += ((fn0)(void *)(code + NOP_AT))() == pid;
		char c;
		right += ((fn3)(void *)(code + READ_AT))(-1, (long)&c, 1) == 99;
	}
	munmap(code, 4096);
	return right;
}

/* A new process (fork + exec of this program) maps the file and runs
 * its sites; its exit status: 0 when every call was right. */
static int in_new_process(const char *self, const char *path, const char *what)
{
	pid_t c = fork();
	if (c == 0) {
		execl(self, self, what, path, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	if (argc == 3) {
		long want = strcmp(argv[1], "ppid") == 0 ? getppid() : getpid();
		return run_sites(argv[2], want, 100) == 400 ? 0 : 1;
	}
	char path[64];
	snprintf(path, sizeof path, "fastpath_files.%d.bin", (int)getpid());
	ok(write_code(path, getpid_site, sizeof getpid_site) == 0, "the code file written");
	ok(run_sites(path, getpid(), 3) == 12, "the file's sites, three calls each");
	for (int i = 0; i < 3; i++)
		ok(in_new_process(argv[0], path, "pid") == 0,
		   "a new process mapping the file: 100 calls of each site right (%d)", i);

	/* the same file, other code at the first site, its size and
	 * modification time as before */
	struct stat st;
	ok(stat(path, &st) == 0, "stat of the code file");
	ok(write_code(path, getppid_site, sizeof getppid_site) == 0, "the file rewritten");
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	ok(utimensat(AT_FDCWD, path, times, 0) == 0, "its modification time put back");
	ok(in_new_process(argv[0], path, "ppid") == 0,
	   "a new process runs the file's new code at the old offset");
	ok(unlink(path) == 0, "the code file removed");
	return tap_done();
}
