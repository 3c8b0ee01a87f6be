/* The provider heap.
 *
 * Memory comes from the provider window reserved at start (PROT_NONE):
 * a bump pointer commits pages as needed.  Small blocks use power-of-two
 * size classes with free lists; page-sized and larger blocks are whole
 * page runs, recycled through a free list of runs (same-size runs, such as
 * thread stacks, are the common case).  One spinlock guards it all; no
 * caller holds it across anything but this file's own work. */
#include "../kernel.h"
#include <linux/mman.h>

#define MIN_SHIFT 4  /* 16 bytes */
#define MAX_SHIFT 11 /* 2048 bytes; larger blocks are page runs */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)

struct free_block {
	struct free_block *next;
};

struct run {
	struct run *next;
	size_t len;
};

/* A header before each small block records its class; page runs record
 * their length.  16 bytes keep the payload 16-byte aligned. */
struct header {
	uint64_t size; /* class size, or run length for page runs */
	uint64_t magic;
};
#define MAGIC_SMALL 0x736d616c6cUL
#define MAGIC_RUN 0x72756e2121UL

static struct {
	int lock;
	uint64_t bump;	    /* next unused address */
	uint64_t committed; /* the end of what the host has mapped */
	struct free_block *free[NCLASSES];
	struct run *runs;   /* given back to the host: zero */
	struct run *warm;   /* kfree'd runs kept as they were (WARM_BYTES) */
	size_t warm_bytes;
} heap;

/* kfree keeps up to this much of freed page runs without giving it back
 * to the host: a run a call allocates and frees each time (exec's
 * argument scratch, a vfork child's copies, path buffers) is then
 * reused resident, instead of costing an madvise and its pages' faults
 * again on every call.  A bound on the provider's resident memory too. */
#define WARM_BYTES (256UL << 10)

static void lock(void)
{
	while (__atomic_exchange_n(&heap.lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void unlock(void)
{
	__atomic_store_n(&heap.lock, 0, __ATOMIC_RELEASE);
}

void kmalloc_init(void)
{
	heap.bump = PICOS_HEAP_BASE;
}

/* The heap is mapped from the host COMMIT_CHUNK at a time: memory never
 * touched is not resident, and the host is asked rarely.  That matters
 * beyond speed: a guest may lower RLIMIT_DATA below what its process
 * uses (Linux allows it; later growth fails), after which the host
 * refuses the provider's own growth too, and the provider cannot serve
 * calls without memory. */
#define COMMIT_CHUNK (2UL << 20)

static void *commit(size_t len)
{
	uint64_t a = heap.bump;
	if (a + len > PICOS_HEAP_END)
		kdie(125, "the provider heap is exhausted");
	if (a + len > heap.committed) {
		uint64_t from = RT_MAX(heap.committed, (uint64_t)PICOS_HEAP_BASE);
		uint64_t to = RT_MIN(RT_ALIGN_UP(a + len, COMMIT_CHUNK),
				     (uint64_t)PICOS_HEAP_END);
		long r = host_mmap(from, to - from, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (host_is_err(r))
			kdie(125, "cannot commit provider memory (%ld)", r);
		heap.committed = to;
	}
	heap.bump += len;
	return (void *)a;
}

static void *take_run(size_t len)
{
	for (struct run **p = &heap.runs; *p; p = &(*p)->next) {
		if ((*p)->len == len) {
			struct run *r = *p;
			*p = r->next;
			return r;
		}
	}
	return commit(len);
}

void *kmap_pages(size_t len)
{
	len = RT_ALIGN_UP(len, RT_PAGE_SIZE);
	lock();
	void *p = take_run(len);
	unlock();
	/* A run is zero already (fresh from the host, or given back with
	 * MADV_DONTNEED) but for the list link kunmap_pages wrote: clearing
	 * it all would make every page resident (a thread's 256 KiB
	 * alternate stack, of which a call touches a few pages). */
	rt_memset(p, 0, sizeof(struct run));
	return p;
}

void kunmap_pages(void *p, size_t len)
{
	len = RT_ALIGN_UP(len, RT_PAGE_SIZE);
	/* Give the memory back to the host but keep the address range:
	 * MADV_DONTNEED drops the pages, the run stays on our list. */
	host_syscall3(__NR_madvise, p, len, MADV_DONTNEED);
	struct run *r = p;
	lock();
	r->len = len;
	r->next = heap.runs;
	heap.runs = r;
	unlock();
}

static int class_of(size_t n)
{
	int c = 0;
	while ((1UL << (c + MIN_SHIFT)) < n)
		c++;
	return c;
}

/* A kept run of exactly len bytes, or NULL (under the lock). */
static void *take_warm(size_t len)
{
	for (struct run **p = &heap.warm; *p; p = &(*p)->next) {
		if ((*p)->len == len) {
			struct run *r = *p;
			*p = r->next;
			heap.warm_bytes -= len;
			return r;
		}
	}
	return NULL;
}

/* Keeps a freed run as it is, if the bound allows (under the lock). */
static bool keep_warm(void *p, size_t len)
{
	if (heap.warm_bytes + len > WARM_BYTES)
		return false;
	struct run *r = p;
	r->len = len;
	r->next = heap.warm;
	heap.warm = r;
	heap.warm_bytes += len;
	return true;
}

void *kmalloc(size_t n)
{
	size_t total = n + sizeof(struct header);
	if (total > (1UL << MAX_SHIFT)) {
		size_t len = RT_ALIGN_UP(total, RT_PAGE_SIZE);
		lock();
		struct header *h = take_warm(len);
		if (!h)
			h = take_run(len);
		unlock();
		h->size = len;
		h->magic = MAGIC_RUN;
		return h + 1;
	}
	int c = class_of(total);
	size_t size = 1UL << (c + MIN_SHIFT);
	lock();
	struct free_block *b = heap.free[c];
	if (b) {
		heap.free[c] = b->next;
	} else {
		/* Carve a page into blocks of this class. */
		char *page = commit(RT_PAGE_SIZE);
		for (size_t off = size; off + size <= RT_PAGE_SIZE;
		     off += size) {
			struct free_block *f = (void *)(page + off);
			f->next = heap.free[c];
			heap.free[c] = f;
		}
		b = (void *)page;
	}
	unlock();
	struct header *h = (void *)b;
	h->size = size;
	h->magic = MAGIC_SMALL;
	return h + 1;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);
	rt_memset(p, 0, n);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct header *h = (struct header *)p - 1;
	if (h->magic == MAGIC_RUN) {
		size_t len = h->size;
		h->magic = 0;
		lock();
		bool kept = keep_warm(h, len);
		unlock();
		if (!kept)
			kunmap_pages(h, len);
		return;
	}
	if (h->magic != MAGIC_SMALL)
		kfatal_signal(6, "kfree of a block the heap never gave (%p)", p);
	h->magic = 0;
	int c = class_of(h->size);
	struct free_block *b = (void *)h;
	lock();
	b->next = heap.free[c];
	heap.free[c] = b;
	unlock();
}

char *kstrdup(const char *s)
{
	size_t n = rt_strlen(s) + 1;
	char *d = kmalloc(n);
	rt_memcpy(d, s, n);
	return d;
}

