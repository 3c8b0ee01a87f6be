/* The guest mapping list: a sorted array of non-overlapping ranges.
 * Inserting a range first cuts out whatever it overlaps, as mmap does. */
#include "mm.h"
#include <linux/mman.h>

static struct vma *vmas;
static int nvmas, capvmas;

static void insert_at(int i, struct vma v)
{
	if (nvmas == capvmas) {
		int n = capvmas ? capvmas * 2 : 64;
		struct vma *a = kmalloc(sizeof *a * (size_t)n);
		if (nvmas)
			rt_memcpy(a, vmas, sizeof *a * (size_t)nvmas);
		kfree(vmas);
		vmas = a;
		capvmas = n;
	}
	rt_memmove(&vmas[i + 1], &vmas[i], sizeof *vmas * (size_t)(nvmas - i));
	vmas[i] = v;
	nvmas++;
}

/* The part of v from `at` on (a file mapping's offset moves with it). */
static struct vma tail_from(const struct vma *v, uint64_t at)
{
	struct vma t = *v;
	t.start = at;
	t.file_off += at - v->start;
	return t;
}

static void remove_at(int i)
{
	rt_memmove(&vmas[i], &vmas[i + 1],
		   sizeof *vmas * (size_t)(nvmas - i - 1));
	nvmas--;
}

void mm_forget(uint64_t start, uint64_t end)
{
	for (int i = 0; i < nvmas;) {
		struct vma *v = &vmas[i];
		if (v->end <= start || v->start >= end) {
			i++;
			continue;
		}
		if (v->start < start && v->end > end) {
			/* Split in two around the hole. */
			struct vma tail = tail_from(v, end);
			v->end = start;
			insert_at(i + 1, tail);
			return;
		}
		if (v->start < start) {
			v->end = start;
			i++;
		} else if (v->end > end) {
			*v = tail_from(v, end);
			i++;
		} else {
			remove_at(i);
		}
	}
}

void mm_record(uint64_t start, uint64_t end, int prot, int flags)
{
	mm_forget(start, end);
	int i = 0;
	while (i < nvmas && vmas[i].start < start)
		i++;
	struct vma v = { start, end, prot, flags, 0, 0, 0, prot & PROT_WRITE };
	insert_at(i, v);
}

void mm_set_file(uint64_t start, uint64_t end, uint32_t fast_file,
		 uint64_t off)
{
	for (int i = 0; i < nvmas; i++)
		if (vmas[i].start >= start && vmas[i].end <= end) {
			vmas[i].fast_file = fast_file;
			vmas[i].fast_seen = 0;
			vmas[i].file_off = off + (vmas[i].start - start);
		}
}

void mm_set_seen(uint64_t start, uint64_t end, uint32_t seen)
{
	for (int i = 0; i < nvmas; i++)
		if (vmas[i].start >= start && vmas[i].end <= end)
			vmas[i].fast_seen = seen;
}

const struct vma *mm_find(uint64_t addr)
{
	int lo = 0, hi = nvmas;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (vmas[mid].end <= addr)
			lo = mid + 1;
		else if (vmas[mid].start > addr)
			hi = mid;
		else
			return &vmas[mid];
	}
	return NULL;
}

bool mm_covered(uint64_t start, uint64_t end)
{
	uint64_t a = start;
	while (a < end) {
		const struct vma *v = mm_find(a);
		if (!v)
			return false;
		a = v->end;
	}
	return true;
}

/* Changes the protection recorded for [start, end), splitting ranges. */
void mm_set_prot(uint64_t start, uint64_t end, int prot)
{
	for (int i = 0; i < nvmas; i++) {
		struct vma *v = &vmas[i];
		if (v->end <= start || v->start >= end || v->prot == prot)
			continue;
		if (v->start < start) {
			struct vma tail = tail_from(v, start);
			v->end = start;
			insert_at(i + 1, tail);
			continue;
		}
		if (v->end > end) {
			struct vma tail = tail_from(v, end);
			v->end = end;
			insert_at(i + 1, tail);
			v = &vmas[i]; /* insert_at may have moved the array */
		}
		v->prot = prot;
		v->written |= prot & PROT_WRITE;
	}
}

/* Calls fn on each run of recorded ranges that touch, one host call a
 * run: a program's segments and its libraries' lie end to end, split
 * further by protection, and each host call costs a microsecond or two
 * (a dynamic program has 30-40 ranges, in a handful of runs).  False if
 * any call failed. */
static bool each_run(long (*fn)(uint64_t start, uint64_t len, long arg),
		     long arg)
{
	bool ok = true;
	for (int i = 0; i < nvmas;) {
		uint64_t start = vmas[i].start, end = vmas[i].end;
		while (++i < nvmas && vmas[i].start == end)
			end = vmas[i].end;
		ok &= fn(start, end - start, arg) == 0;
	}
	return ok;
}

static long unmap_run(uint64_t start, uint64_t len, long arg)
{
	(void)arg;
	return host_munmap(start, len);
}

static long madvise_run(uint64_t start, uint64_t len, long advice)
{
	return host_syscall3(__NR_madvise, start, len, advice);
}

/* This host process is a fork made while every recorded range was
 * MADV_DONTFORK: it has none of them to unmap. */
static bool guest_not_copied;

/* execve: every mapping the guest had goes (the host stack, which the
 * provider never records, stays for the new program's stack). */
void mm_unmap_all(void)
{
	if (!guest_not_copied)
		each_run(unmap_run, 0);
	guest_not_copied = false;
	nvmas = 0;
}

bool mm_guest_dontfork(bool dontfork)
{
	return each_run(madvise_run, dontfork ? MADV_DONTFORK : MADV_DOFORK);
}

void mm_guest_not_copied(void)
{
	guest_not_copied = true;
}

const struct vma *mm_vmas(int *n)
{
	*n = nvmas;
	return vmas;
}
