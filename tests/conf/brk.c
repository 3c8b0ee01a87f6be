/* brk: the query, growth, shrinking, refusals (below the start, past the
 * user half, over another mapping, over RLIMIT_DATA). */
#include "tap.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL

static uintptr_t brk_(uintptr_t a)
{
	return (uintptr_t)syscall(SYS_brk, a);
}

int main(void)
{
	uintptr_t cur = brk_(0);
	ok(cur != 0 && cur != (uintptr_t)-1, "brk(0) returns the break (%#lx)",
	   (unsigned long)cur);
	ok(brk_(0) == cur, "brk(0) again returns the same");
	ok(brk_(1) == cur, "brk below the start returns the current break");
	ok(brk_(~0UL) == cur, "brk(-1) returns the current break");
	ok(brk_(0x800000000000UL) == cur, "brk past the user half returns the current break");
	ok(brk_(0xffff800000000000UL) == cur, "brk at a kernel address returns the current break");

	uintptr_t up = cur + (1UL << 20) + 123;
	ok(brk_(up) == up, "grow by 1 MiB (unaligned)");
	ok(brk_(0) == up, "brk(0) returns the new break");
	char *p = (char *)cur;
	memset(p, 0x5a, up - cur);
	ok(p[0] == 0x5a && p[up - cur - 1] == 0x5a, "the new heap is writable");
	unsigned char v;
	ok(mincore((void *)((up + PAGE - 1) & ~(PAGE - 1)), PAGE, &v) == -1 && errno == ENOMEM,
	   "nothing is mapped past the break's page");

	uintptr_t down = cur + 4096 * 3;
	ok(brk_(down) == down, "shrink");
	ok(mincore((void *)((down + PAGE - 1) & ~(PAGE - 1)), PAGE, &v) == -1 &&
		   errno == ENOMEM,
	   "the released pages are unmapped");
	ok(brk_(up) == up, "grow again");
	ok(p[(up - cur) - 1] == 0, "regrown pages are zero");
	ok(brk_(cur) == cur, "back to the start");

	/* The heap does not grow over a mapping, nor up to its edge. */
	uintptr_t base = (cur + PAGE - 1) & ~(PAGE - 1);
	void *m = mmap((void *)(base + 16 * PAGE), PAGE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(m == (void *)(base + 16 * PAGE), "map a page 16 pages past the break");
	if (m != MAP_FAILED) {
		ok(brk_(base + 32 * PAGE) == cur, "brk over it is refused");
		ok(brk_(base + 16 * PAGE) == cur, "brk up to its start is refused");
		ok(brk_(base + 15 * PAGE) == base + 15 * PAGE,
		   "brk one page short of it is allowed");
		ok(brk_(cur) == cur, "back to the start");
		munmap(m, PAGE);
	}

	/* RLIMIT_DATA bounds the heap. */
	struct rlimit orig, rl;
	getrlimit(RLIMIT_DATA, &orig);
	rl.rlim_cur = 16UL << 20;
	rl.rlim_max = orig.rlim_max;
	if (orig.rlim_max >= rl.rlim_cur) {
		ok(setrlimit(RLIMIT_DATA, &rl) == 0, "RLIMIT_DATA to 16 MiB");
		ok(brk_(cur + (32UL << 20)) == cur, "a 32 MiB heap is refused");
		ok(brk_(cur + (4UL << 20)) == cur + (4UL << 20), "a 4 MiB heap is fine");
		ok(brk_(cur) == cur, "back to the start");
		ok(setrlimit(RLIMIT_DATA, &orig) == 0, "RLIMIT_DATA restored");
	}
	ok(brk_(cur + (32UL << 20)) == cur + (32UL << 20), "a 32 MiB heap now");
	ok(brk_(cur) == cur, "back to the start");

	/* sbrk and malloc still work on top. */
	void *s = sbrk(8192);
	ok(s != (void *)-1 && sbrk(0) == (char *)s + 8192, "sbrk");
	ok(sbrk(-8192) == (char *)s + 8192 && sbrk(0) == s, "sbrk back");
	char *q = malloc(100000);
	ok(q != NULL, "malloc");
	memset(q, 1, 100000);
	free(q);
	return tap_done();
}
