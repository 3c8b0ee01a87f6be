/* Guest memory: the provider's record of guest mappings and the host calls
 * behind them.  Every guest mapping goes through here, which is where the
 * provider's own window is protected. */
#ifndef PICOS_MM_H
#define PICOS_MM_H

#include "../kernel.h"

struct vma {
	uint64_t start, end; /* page aligned, end exclusive */
	int prot;
	int flags; /* MAP_SHARED/MAP_PRIVATE, MAP_ANONYMOUS, MAP_GROWSDOWN... */
	/* An executable private file mapping: its file in the world's
	 * table of patched sites (index + 1, 0: none) and the file offset
	 * of `start` (fastpath.c) */
	uint32_t fast_file;
	/* how many of that file's recorded sites were looked at for it
	 * (fastfiles.c: a fork patches the ones recorded since) */
	uint32_t fast_seen;
	uint64_t file_off;
	/* it was writable at some time since it was mapped: its bytes may
	 * be the guest's, not its file's (fastscan.c reads none of it) */
	bool written;
};

/* Maps guest memory on the host and records it.  Refuses (-ENOMEM) any
 * range that touches the provider's window or the kernel half. */
long mm_map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
	    uint64_t off);
long mm_unmap(uint64_t addr, uint64_t len);
long mm_protect(uint64_t addr, uint64_t len, int prot);
/* Records a mapping the provider did not make with mm_map (the stack). */
void mm_record(uint64_t start, uint64_t end, int prot, int flags);
/* Notes the file of the mapping at [start, end) (fastpath.c). */
void mm_set_file(uint64_t start, uint64_t end, uint32_t fast_file,
		 uint64_t off);
/* Notes that the mapping at [start, end) was patched with the first
 * `seen` sites of its file (fastfiles.c). */
void mm_set_seen(uint64_t start, uint64_t end, uint32_t seen);
/* Forgets a range (after a host unmap or a move). */
void mm_forget(uint64_t start, uint64_t end);
/* Unmaps every recorded guest mapping (execve). */
void mm_unmap_all(void);
/* Marks every recorded guest mapping MADV_DONTFORK (or back to
 * MADV_DOFORK): a host fork that is about to exec need not copy the old
 * program (task_rehost).  False if the host refused any. */
bool mm_guest_dontfork(bool dontfork);
/* In such a fork's child: the recorded mappings are not there. */
void mm_guest_not_copied(void);
/* The recorded mapping containing addr, or NULL. */
const struct vma *mm_find(uint64_t addr);
/* True when every page of [start, end) is recorded. */
bool mm_covered(uint64_t start, uint64_t end);

/* brk: the program break, emulated over anonymous mappings. */
void mm_brk_init(uint64_t start);

/* Random bytes from the host, for placement and AT_RANDOM. */
void get_random(void *buf, size_t n);


void mm_set_prot(uint64_t start, uint64_t end, int prot);
/* The recorded guest mappings, sorted (valid until the next change). */
const struct vma *mm_vmas(int *n);

/* sys_mlock.c: after mlockall(MCL_FUTURE) a new guest mapping is locked
 * (-EAGAIN when the limit refuses it: the caller unmaps it again);
 * fork and exec forget MCL_FUTURE, as a new mm starts without it. */
long mlock_new_mapping(uint64_t start, uint64_t len);
void mlock_forget_future(void);
#endif
