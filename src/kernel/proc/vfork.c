/* vfork with Linux's shared-memory semantics.
 *
 * A vfork child (vfork, or clone/clone3 with CLONE_VM|CLONE_VFORK as
 * glibc's posix_spawn makes) shares the parent's memory until it execs or
 * exits, and the parent waits.  picos makes it a host
 * clone(CLONE_VM|CLONE_VFORK): the child really runs in the parent's
 * address space, so what it writes to guest memory (posix_spawn's error
 * word, vfork's variables) is the parent's.  But the provider lives in
 * that address space too, and the child's own provider state (its fd
 * table, pid, signal state, the provider stack it runs on) must not become
 * the parent's.  So the parent copies the provider's writable state (its
 * .data/.bss and the heap in use, the provider stacks included) aside
 * before the clone, and puts it back when the host lets it go on.
 *
 * The child's exec cannot load a new program into the shared space: it
 * first moves into an address space of its own (a host fork that takes
 * over its table entry), and the borrowed one goes back to the parent. */
#include "proc.h"
#include "remote.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include <asm/signal.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <picos/world.h>

extern char __provider_data_start[], __provider_image_end[];

long vfork_clone(long flags, int *ptid, void *vstack, void (*restore)(void *),
		 void *arg);

struct vsnap {
	uint64_t data_len, heap_len;
	unsigned char *copy; /* data, then heap */
};

static uint64_t snap_mapped; /* bytes of the snapshot area mapped */

/* Runs on the vfork stack, after the child let go of the memory. */
static void restore(void *arg)
{
	struct vsnap *s = arg;
	rt_memcpy(__provider_data_start, s->copy, s->data_len);
	rt_memcpy((void *)PICOS_HEAP_BASE, s->copy + s->data_len, s->heap_len);
}

static long map_snap(uint64_t len)
{
	if (len <= snap_mapped)
		return 0;
	long r = host_mmap(PICOS_SNAP_BASE, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (host_is_err(r))
		return -ENOMEM;
	snap_mapped = len;
	return 0;
}

long vfork_host(int *host_pid_slot)
{
	/* The descriptor and the stack live in the snapshot area, which
	 * the child never writes. */
	uint64_t data_len = (uint64_t)(__provider_image_end - __provider_data_start);
	uint64_t heap_len = kmalloc_heap_end() - PICOS_HEAP_BASE;
	uint64_t hdr = PICOS_VFORK_STACK_SIZE + 4096;
	if (map_snap(RT_ALIGN_UP(hdr + data_len + heap_len, RT_PAGE_SIZE)) < 0)
		return -ENOMEM;
	struct vsnap *s = (struct vsnap *)(PICOS_SNAP_BASE + PICOS_VFORK_STACK_SIZE);
	s->data_len = data_len;
	s->heap_len = heap_len;
	s->copy = (unsigned char *)(PICOS_SNAP_BASE + hdr);
	rt_memcpy(s->copy, __provider_data_start, data_len);
	rt_memcpy(s->copy + data_len, (void *)PICOS_HEAP_BASE, heap_len);
	void *vstack = (void *)(PICOS_SNAP_BASE + PICOS_VFORK_STACK_SIZE);
	uint64_t mask = doorbells_hold();
	long r = vfork_clone(CLONE_VM | CLONE_VFORK | CLONE_PARENT |
				     CLONE_PARENT_SETTID | SIGCHLD,
			     host_pid_slot, vstack, restore, s);
	doorbells_release(mask); /* in both: back on their own stacks */
	return r;
}

/* In the vfork child, at exec (past every check that can fail): move to
 * an address space of its own.  The new host process takes over this
 * guest process's table entry (the host writes its pid there before it
 * runs), and the borrowing host process ends, which lets the parent go
 * on; the launcher no longer knows its host pid and ignores its end. */
long vfork_detach(void)
{
	long r = task_rehost(); /* the borrower ends there */
	if (r == 0)
		proc.vfork_child = false;
	return r;
}
