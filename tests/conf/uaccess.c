/* Bad guest pointers give EFAULT, never a crash: NULL, address 1, an
 * unmapped page, a kernel-half address and an address in the provider
 * window of picos (natively just unmapped memory), across calls that
 * read from, write to and copy strings from the guest. */
#include "tap.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static struct {
	const char *name;
	void *p;
} bad[] = {
	{ "NULL", NULL },
	{ "address 1", (void *)1 },
	{ "an unmapped page", NULL },
	{ "a kernel address", (void *)0xffff800000000000UL },
	{ "the last user page", (void *)0x7ffffffff000UL },
	{ "0x7e0000001000", (void *)0x7e0000001000UL },
	{ "0x7e0000000000", (void *)0x7e0000000000UL },
};
#define NBAD (sizeof bad / sizeof bad[0])

int main(void)
{
	const char *dir = tap_scratch("uaccess");
	char path[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	ok(fd >= 0 && write(fd, "0123456789", 10) == 10, "a scratch file");

	void *u = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(u, 4096);
	bad[2].p = u;
	void *stack_page = (void *)((uintptr_t)&fd & ~4095UL);

	for (unsigned i = 0; i < NBAD; i++) {
		void *p = bad[i].p;
		const char *n = bad[i].name;
		char what[128];
#define CHECK(expr, call)                                                  \
	do {                                                               \
		snprintf(what, sizeof what, "%s with %s", call, n);       \
		fails_with(expr, EFAULT, what);                            \
	} while (0)
/* For calls where NULL means "no buffer".  (The barrier keeps the
 * compiler from assuming p is not NULL after passing it to a libc
 * function declared nonnull.) */
#define CHECK_NN(expr, call)                                               \
	do {                                                               \
		__asm__ volatile("" : "+r"(p));                            \
		if (p)                                                     \
			CHECK(expr, call);                                 \
	} while (0)
		CHECK(pread(fd, p, 4, 0), "read into");
		CHECK(pwrite(fd, p, 4, 0), "write from");
		CHECK(write(fd, p, 4), "write(2) from");
		CHECK(fstat(fd, p), "fstat into");
		CHECK(syscall(SYS_newfstatat, AT_FDCWD, path, p, 0), "stat into");
		CHECK(syscall(SYS_uname, p), "uname into");
		CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, p), "clock_gettime into");
		CHECK_NN(syscall(SYS_clock_getres, CLOCK_REALTIME, p),
		      "clock_getres into");
		CHECK_NN(syscall(SYS_gettimeofday, p, NULL), "gettimeofday into");
		CHECK(getrandom(p, 16, 0), "getrandom into");
		CHECK(openat(AT_FDCWD, p, O_RDONLY), "openat of a path at");
		CHECK(syscall(SYS_nanosleep, p, NULL), "nanosleep from");
		CHECK(syscall(SYS_getrlimit, RLIMIT_NOFILE, p), "getrlimit into");
		CHECK(syscall(SYS_setrlimit, RLIMIT_NOFILE, p), "setrlimit from");
		CHECK_NN(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p),
		      "prlimit64 into");
		CHECK(sysinfo(p), "sysinfo into");
		CHECK(syscall(SYS_getrusage, RUSAGE_SELF, p), "getrusage into");
		CHECK_NN(syscall(SYS_times, p), "times into");
		CHECK(syscall(SYS_sched_getaffinity, 0, 128, p), "sched_getaffinity into");
		CHECK_NN(syscall(SYS_getcpu, p, NULL, NULL), "getcpu into");
		if ((uintptr_t)p & 3)
			fails_with(syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
				   EINVAL, "futex wait at a misaligned address");
		else
			CHECK(syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
			      "futex wait at");
		CHECK(mincore(stack_page, 4096, p), "mincore into");
		CHECK_NN(syscall(SYS_time, p), "time into");
	}
	/* Zero-length transfers never touch the buffer; only an address
	 * outside the user half is refused. */
	for (unsigned i = 0; i < NBAD; i++) {
		const char *n = bad[i].name;
		if ((uintptr_t)bad[i].p >= 0x800000000000UL) {
			fails_with(pread(fd, bad[i].p, 0, 0), EFAULT, "read of 0 bytes");
			fails_with(getrandom(bad[i].p, 0, 0), EFAULT, "getrandom of 0 bytes");
			continue;
		}
		ok(pread(fd, bad[i].p, 0, 0) == 0, "read of 0 bytes into %s", n);
		ok(getrandom(bad[i].p, 0, 0) == 0, "getrandom of 0 bytes into %s", n);
	}
	close(fd);
	ok(unlink(path) == 0 && rmdir(dir) == 0, "cleanup");
	return tap_done();
}
