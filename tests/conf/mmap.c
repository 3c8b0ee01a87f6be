/* mmap, munmap, mprotect, msync, mincore, madvise: success and error
 * paths, file mappings, and the provider window of picos (which natively
 * is ordinary free address space). */
#include "tap.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
/* The provider window of picos (include/picos/layout.h). */
#define WIN 0x7e0000000000UL

static void *map(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

static int mapped(uintptr_t a)
{
	unsigned char v;
	return mincore((void *)a, PAGE, &v) == 0;
}

static void test_anon(void)
{
	char *p = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
	ok(p != MAP_FAILED && ((uintptr_t)p & (PAGE - 1)) == 0, "anonymous mapping");
	ok(p[0] == 0 && p[3 * PAGE - 1] == 0, "it is zero-filled");
	memset(p, 7, 3 * PAGE);
	ok(munmap(p + PAGE, PAGE) == 0, "unmap the middle page");
	ok(mapped((uintptr_t)p) && !mapped((uintptr_t)p + PAGE) &&
		   mapped((uintptr_t)p + 2 * PAGE),
	   "only the middle page is gone");
	ok(munmap(p, 3 * PAGE) == 0, "unmap the whole range, hole included");
	ok(!mapped((uintptr_t)p), "gone");
	ok(munmap(p, 3 * PAGE) == 0, "unmapping unmapped memory succeeds");

	fails_with(mmap(NULL, 0, RW, ANON, -1, 0), EINVAL, "mmap of length 0");
	fails_with(mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL,
		   "neither MAP_SHARED nor MAP_PRIVATE");
	fails_with(map(NULL, PAGE, RW, ANON, -1, 1), EINVAL, "an unaligned offset");
	fails_with(mmap((void *)(0x10000000 + 1), PAGE, RW, ANON | MAP_FIXED, -1, 0),
		   EINVAL, "MAP_FIXED at an unaligned address");
	fails_with(mmap(NULL, ~0UL - 100, RW, ANON, -1, 0), ENOMEM,
		   "a length that overflows when rounded");
	fails_with(mmap(NULL, 1UL << 50, PROT_NONE, ANON | MAP_NORESERVE, -1, 0), ENOMEM,
		   "a length larger than the address space");
	fails_with(mmap((void *)0x7ffffffff000UL, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0),
		   ENOMEM, "MAP_FIXED past the end of the user half");

	/* MAP_FIXED replaces, MAP_FIXED_NOREPLACE does not. */
	p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
	p[0] = 1;
	char *q = mmap(p, PAGE, RW, ANON | MAP_FIXED, -1, 0);
	ok(q == p && p[0] == 0, "MAP_FIXED replaces a mapping");
	fails_with(mmap(p, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST,
		   "MAP_FIXED_NOREPLACE over a mapping");
	munmap(p, 2 * PAGE);
	q = mmap(p, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	ok(q == p, "MAP_FIXED_NOREPLACE on free memory");
	munmap(q, PAGE);

	fails_with(munmap(p + 1, PAGE), EINVAL, "munmap at an unaligned address");
	fails_with(munmap(p, 0), EINVAL, "munmap of length 0");
	fails_with(munmap((void *)0x800000000000UL, PAGE), EINVAL,
		   "munmap past the user half");
	fails_with(munmap((void *)0x7ffffffff000UL, 2 * PAGE), EINVAL,
		   "munmap running past the user half");
}

static void test_mprotect(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ, ANON, -1, 0);
	ok(mprotect(p, PAGE, RW) == 0, "mprotect to read-write");
	p[0] = 1;
	ok(p[0] == 1, "now writable");
	ok(mprotect(p, 0, RW) == 0, "mprotect of length 0");
	ok(mprotect((void *)WIN + PAGE, 0, RW) == 0, "mprotect of length 0 anywhere");
	fails_with(mprotect(p + 1, PAGE, RW), EINVAL, "mprotect at an unaligned address");
	fails_with(mprotect(p, PAGE, 0x100), EINVAL, "mprotect with bad prot bits");
	fails_with(mprotect(p, PAGE, PROT_GROWSDOWN | PROT_GROWSUP), EINVAL,
		   "mprotect with GROWSDOWN|GROWSUP");
	munmap(p, 2 * PAGE);
	fails_with(mprotect(p, PAGE, RW), ENOMEM, "mprotect of unmapped memory");
	fails_with(mprotect(p, ~0UL - PAGE, RW), ENOMEM, "mprotect of a wrapping range");
	fails_with(mprotect((void *)0x7ffffffff000UL, 2 * PAGE, RW), ENOMEM,
		   "mprotect past the user half");
}

static void test_file(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/file", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	char buf[2 * PAGE];
	memset(buf, 'a', sizeof buf);
	memcpy(buf + PAGE, "second", 6);
	ok(fd >= 0 && write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "a two-page file");

	char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ok(p != MAP_FAILED && p[0] == 'a' && !memcmp(p + PAGE, "second", 6),
	   "MAP_PRIVATE of a file");
	munmap(p, 2 * PAGE);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	ok(p != MAP_FAILED && !memcmp(p, "second", 6), "at an offset");
	munmap(p, PAGE);

	/* Three pages of address space, the last one left unmapped. */
	p = mmap(NULL, 3 * PAGE, PROT_NONE, ANON, -1, 0);
	munmap(p + 2 * PAGE, PAGE);
	p = mmap(p, 2 * PAGE, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	ok(p != MAP_FAILED, "MAP_SHARED read-write");
	memcpy(p, "shared", 6);
	ok(msync(p, 2 * PAGE, MS_SYNC) == 0, "msync MS_SYNC");
	ok(msync(p, PAGE, MS_ASYNC) == 0, "msync MS_ASYNC");
	ok(msync(p, PAGE, MS_INVALIDATE) == 0, "msync MS_INVALIDATE");
	ok(msync(p, 0, MS_SYNC) == 0, "msync of length 0");
	char rb[8] = { 0 };
	ok(pread(fd, rb, 6, 0) == 6 && !memcmp(rb, "shared", 6),
	   "a shared write reaches the file");
	fails_with(msync(p, PAGE, MS_ASYNC | MS_SYNC), EINVAL, "msync MS_ASYNC|MS_SYNC");
	fails_with(msync(p, PAGE, 0x100), EINVAL, "msync with a bad flag");
	fails_with(msync(p + 1, PAGE, MS_SYNC), EINVAL, "msync at an unaligned address");
	fails_with(msync(p, 3 * PAGE, MS_SYNC), ENOMEM, "msync running into unmapped memory");
	munmap(p, 2 * PAGE);
	fails_with(msync(p, PAGE, MS_SYNC), ENOMEM, "msync of unmapped memory");
	fails_with(msync(p, -2 * PAGE, MS_SYNC), ENOMEM, "msync of a wrapping range");
	ok(msync(p, ~0UL, MS_SYNC) == 0, "msync of a length that rounds to 0");

	/* Access modes. */
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES,
		   "mapping a write-only fd");
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES,
		   "sharing a write-only fd");
	fails_with(mmap(NULL, PAGE, RW, MAP_SHARED, ro, 0), EACCES,
		   "PROT_WRITE MAP_SHARED of a read-only fd");
	p = mmap(NULL, PAGE, RW, MAP_PRIVATE, ro, 0);
	ok(p != MAP_FAILED, "PROT_WRITE MAP_PRIVATE of a read-only fd");
	if (p != MAP_FAILED) {
		p[0] = 'z';
		munmap(p, PAGE);
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE, ro, 0);
	ok(p != MAP_FAILED, "MAP_SHARED_VALIDATE");
	munmap(p, PAGE);
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x200, ro, 0),
		   EOPNOTSUPP, "MAP_SHARED_VALIDATE with an unknown flag");
	fails_with(mmap(NULL, PAGE, PROT_READ, 0, ro, 0), EINVAL, "a file mapping without a type");
	close(wo);
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EBADF, "a closed fd");
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF, "fd -1");
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 9999, 0), EBADF, "fd 9999");
	fails_with(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, 9999, 0), EBADF,
		   "the fd is checked before the length");
	fails_with(map(NULL, PAGE, PROT_READ, MAP_PRIVATE, 9999, 1), EINVAL,
		   "the offset is checked before the fd");
	ok(mmap(NULL, PAGE, RW, ANON, 9999, 0) != MAP_FAILED,
	   "MAP_ANONYMOUS ignores the fd");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fails_with(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV,
		   "mapping a directory");
	close(dfd);
	close(ro);
	close(fd);
	unlink(path);
}

static void test_mincore_madvise(void)
{
	unsigned char vec[8];
	char *p = mmap(NULL, 5 * PAGE, RW, ANON, -1, 0);
	munmap(p + 4 * PAGE, PAGE);
	p[0] = 1;
	p[2 * PAGE] = 1;
	memset(vec, 0xff, sizeof vec);
	ok(mincore(p, 4 * PAGE, vec) == 0, "mincore");
	ok((vec[0] & 1) && (vec[2] & 1), "touched pages are resident");
	ok(vec[4] == 0xff, "mincore writes one byte per page");
	ok(mincore(p, 4 * PAGE - 100, vec) == 0, "mincore of an unaligned length");
	ok(mincore(p, 0, NULL) == 0, "mincore of length 0");
	fails_with(mincore(p + 1, PAGE, vec), EINVAL, "mincore at an unaligned address");
	fails_with(mincore(p, PAGE, NULL), EFAULT, "mincore into NULL");
	fails_with(mincore(p, PAGE, (void *)1), EFAULT, "mincore into a bad pointer");
	fails_with(mincore(p, PAGE, (void *)0xffff800000000000UL), EFAULT,
		   "mincore into a kernel address");
	fails_with(mincore((void *)0x7ffffffff000UL, 2 * PAGE, vec), ENOMEM,
		   "mincore past the user half");
	fails_with(mincore(p, 5 * PAGE, vec), ENOMEM, "mincore running into unmapped memory");

	ok(madvise(p, 4 * PAGE, MADV_DONTNEED) == 0, "MADV_DONTNEED");
	ok(p[0] == 0 && p[2 * PAGE] == 0, "the pages read back as zero");
	ok(madvise(p, 4 * PAGE, MADV_NORMAL) == 0, "MADV_NORMAL");
	ok(madvise(p, 4 * PAGE, MADV_WILLNEED) == 0, "MADV_WILLNEED");
	ok(madvise(p, 0, MADV_NORMAL) == 0, "madvise of length 0");
	fails_with(madvise(p, PAGE, 12345), EINVAL, "madvise with a bad advice");
	fails_with(madvise(p + 1, PAGE, MADV_NORMAL), EINVAL, "madvise at an unaligned address");
	fails_with(madvise(p, -1UL, MADV_NORMAL), EINVAL, "madvise of a length that wraps");
	fails_with(madvise(p, 5 * PAGE, MADV_NORMAL), ENOMEM,
		   "madvise running into unmapped memory");
	munmap(p, 4 * PAGE);
	fails_with(mincore(p, PAGE, vec), ENOMEM, "mincore of unmapped memory");
	fails_with(madvise(p, PAGE, MADV_NORMAL), ENOMEM, "madvise of unmapped memory");
	fails_with(madvise(p, PAGE, 12345), EINVAL, "madvise checks the advice first");
}

/* The provider window: natively free address space, under picos memory
 * in use that the guest can never map over, change or look into. */
static void test_window(void)
{
	unsigned char vec[4];
	int r;

	char *p = mmap((void *)WIN, PAGE, RW, ANON | MAP_FIXED, -1, 0);
	ok(p == (void *)WIN || (p == MAP_FAILED && errno == ENOMEM),
	   "MAP_FIXED at 0x7e0000000000 succeeds, or fails with ENOMEM");
	if (p != MAP_FAILED) {
		p[0] = 1;
		munmap(p, PAGE);
	}
	p = mmap((void *)(WIN + PAGE), PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	ok(p == (void *)(WIN + PAGE) || (p == MAP_FAILED && errno == EEXIST),
	   "MAP_FIXED_NOREPLACE at 0x7e0000001000 succeeds, or fails with EEXIST");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	fails_with(mmap((void *)(WIN + 1), PAGE, RW, ANON | MAP_FIXED, -1, 0), EINVAL,
		   "MAP_FIXED at an unaligned address there");
	fails_with(mmap((void *)WIN, PAGE, RW, MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL,
		   "a MAP_FIXED request without a type there");

	/* A range straddling the window's start: all or nothing. */
	p = mmap((void *)(WIN - PAGE), 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0);
	ok(p == (void *)(WIN - PAGE) || (p == MAP_FAILED && errno == ENOMEM),
	   "MAP_FIXED across 0x7e0000000000 succeeds, or fails with ENOMEM");
	if (p != MAP_FAILED)
		munmap(p, 2 * PAGE);
	ok(!mapped(WIN - PAGE), "and leaves nothing mapped below it");

	/* A hint there is only a hint. */
	p = mmap((void *)(WIN + 16 * PAGE), PAGE, RW, ANON, -1, 0);
	ok(p != MAP_FAILED, "a hint at 0x7e0000010000 maps somewhere");
	if (p != MAP_FAILED) {
		p[0] = 1;
		munmap(p, PAGE);
	}

	/* Calls that find nothing mapped there. */
	fails_with(mprotect((void *)WIN, PAGE, PROT_READ), ENOMEM, "mprotect at 0x7e0000000000");
	fails_with(mprotect((void *)(WIN + PAGE), PAGE, 0x100), EINVAL,
		   "mprotect with bad prot bits there");
	fails_with(mincore((void *)WIN, PAGE, vec), ENOMEM, "mincore at 0x7e0000000000");
	fails_with(mincore((void *)(WIN + 1), PAGE, vec), EINVAL,
		   "mincore at an unaligned address there");
	fails_with(msync((void *)WIN, PAGE, MS_SYNC), ENOMEM, "msync at 0x7e0000000000");
	fails_with(msync((void *)WIN, PAGE, MS_SYNC | MS_ASYNC), EINVAL,
		   "msync with bad flags there");
	fails_with(madvise((void *)WIN, PAGE, MADV_NORMAL), ENOMEM, "madvise at 0x7e0000000000");
	fails_with(madvise((void *)WIN, PAGE, MADV_DONTNEED), ENOMEM,
		   "MADV_DONTNEED at 0x7e0000000000");
	fails_with(madvise((void *)WIN, PAGE, 12345), EINVAL, "bad advice there");
	fails_with(mremap((void *)WIN, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT,
		   "mremap from 0x7e0000000000");
	fails_with(mremap((void *)WIN, PAGE, 0, MREMAP_MAYMOVE), EINVAL,
		   "mremap to length 0 from there");

	/* A mapping just below the window, and calls running into it. */
	p = mmap((void *)(WIN - 2 * PAGE), 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	ok(p == (void *)(WIN - 2 * PAGE), "map the two pages below 0x7e0000000000");
	if (p != MAP_FAILED) {
		p[0] = 1;
		memset(vec, 0xee, sizeof vec);
		fails_with(mincore(p, 3 * PAGE, vec), ENOMEM, "mincore running into it");
		ok(vec[0] == 1 && vec[2] == 0xee, "the pages before were reported");
		fails_with(madvise(p, 3 * PAGE, MADV_DONTNEED), ENOMEM,
			   "MADV_DONTNEED running into it");
		ok(p[0] == 0, "the pages before were advised");
		fails_with(msync(p, 3 * PAGE, MS_ASYNC), ENOMEM, "msync running into it");
		unsigned char *g = (unsigned char *)(WIN - 100);
		memset(g, 0, 100);
		ok(getrandom(g, 200, 0) == 100, "getrandom stops at it");
		void *q = mremap(p, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE);
		ok(q != MAP_FAILED, "mremap growing into it moves or grows");
		if (q != MAP_FAILED)
			p = q;
		munmap(p, 3 * PAGE);
		p = mmap(NULL, PAGE, RW, ANON, -1, 0);
		p[0] = 'm';
		q = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(WIN + PAGE));
		ok(q == (void *)(WIN + PAGE) || (q == MAP_FAILED && errno == ENOMEM),
		   "mremap MREMAP_FIXED to 0x7e0000001000 succeeds, or fails with ENOMEM");
		if (q == MAP_FAILED) {
			ok(p[0] == 'm', "the source is intact");
			munmap(p, PAGE);
		} else {
			ok(((char *)q)[0] == 'm', "the moved page has the data");
			munmap(q, PAGE);
		}
	}
	r = munmap((void *)WIN, PAGE);
	ok(r == 0 || errno == EINVAL, "munmap at 0x7e0000000000 succeeds, or fails with EINVAL");
	ok(getpid() > 0 && write(1, "# still running\n", 16) == 16,
	   "the program still runs");
}

static void test_mremap(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
	memset(p, 'x', 2 * PAGE);
	fails_with(mremap(p, PAGE, 2 * PAGE, 0), ENOMEM,
		   "growing in place into the rest of the mapping");
	char *q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED && q[0] == 'x' && q[2 * PAGE - 1] == 'x' && q[8 * PAGE - 1] == 0,
	   "grow with MREMAP_MAYMOVE keeps the data");
	q = mremap(q, 8 * PAGE, PAGE, 0);
	ok(q != MAP_FAILED && q[0] == 'x', "shrink in place");
	ok(!mapped((uintptr_t)q + PAGE), "the tail is unmapped");

	char *t = mmap(NULL, 4 * PAGE, PROT_NONE, ANON, -1, 0);
	char *r = mremap(q, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t + PAGE);
	ok(r == t + PAGE && r[0] == 'x', "MREMAP_FIXED moves to the target");
	ok(!mapped((uintptr_t)q), "the source is unmapped");
	ok(mapped((uintptr_t)t) && mapped((uintptr_t)t + 2 * PAGE),
	   "the rest of the target mapping stays");
	munmap(t, 4 * PAGE);

	p = mmap(NULL, PAGE, RW, ANON, -1, 0);
	p[0] = 'd';
	q = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	ok(q != MAP_FAILED && q != p && q[0] == 'd', "MREMAP_DONTUNMAP moves the data");
	ok(mapped((uintptr_t)p) && p[0] == 0, "and leaves the source mapped and empty");
	munmap(p, PAGE);
	munmap(q, PAGE);

	p = mmap(NULL, PAGE, RW, ANON, -1, 0);
	fails_with(mremap(p, PAGE, PAGE, 0x100), EINVAL, "mremap with a bad flag");
	fails_with(mremap(p, PAGE, 2 * PAGE, MREMAP_FIXED, (void *)0x10000000), EINVAL,
		   "MREMAP_FIXED without MREMAP_MAYMOVE");
	fails_with(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP), EINVAL,
		   "MREMAP_DONTUNMAP with a new length");
	fails_with(mremap(p, PAGE, 0, MREMAP_MAYMOVE), EINVAL, "mremap to length 0");
	fails_with(mremap(p + 1, PAGE, PAGE, MREMAP_MAYMOVE), EINVAL,
		   "mremap at an unaligned address");
	fails_with(mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + 1), EINVAL,
		   "MREMAP_FIXED to an unaligned address");
	fails_with(mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p), EINVAL,
		   "MREMAP_FIXED onto the source");
	munmap(p, PAGE);
	fails_with(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT,
		   "mremap of unmapped memory");
}

int main(void)
{
	const char *dir = tap_scratch("mmap");
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	test_anon();
	test_mprotect();
	test_file(dir);
	test_mincore_madvise();
	test_mremap();
	test_window();
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
