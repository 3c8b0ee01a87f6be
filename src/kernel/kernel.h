/* Common declarations for every part of the provider (the library kernel
 * that lives inside each pico process).  Freestanding: only the compiler's
 * headers and Linux uapi headers are included. */
#ifndef PICOS_KERNEL_H
#define PICOS_KERNEL_H

#include "../rt/rt.h"
#include "../rt/host.h"
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/types.h>
#include <picos/layout.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define PICOS_PATH_MAX 4096

/* Messages from the provider itself go to the launcher's stderr. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints one line and ends this pico process with the given signal status. */
__attribute__((noreturn)) void kfatal_signal(int sig, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints one line and exits this pico process with `code`. */
__attribute__((noreturn)) void kdie(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* entry/biglock.c: held while a thread serves a call (see there), in the
 * mode of the call's lock class: exclusive (provider_lock) or shared. */
void provider_lock(void);
void provider_unlock(void);
void provider_lock_shared(void);
void provider_unlock_shared(void);
/* The modes a thread holds it in (pico_thread.holds_lock). */
enum { PL_NONE = 0, PL_SHARED = 1, PL_EXCL = 2 };
void provider_lock_mode(int mode);
void provider_unlock_mode(int mode);
/* True while the calling thread serves a call under the shared side: a
 * call that meets state only the exclusive side guards returns
 * -EPICO_EXCL (before it changed anything), and the dispatcher runs it
 * again exclusive. */
bool provider_lock_is_shared(void);
#define EPICO_EXCL 4000
/* A call from a patched site that the slow path must run after all
 * (nothing changed yet): the fast path takes it through the door. */
#define EPICO_SLOW 4001
/* The directory cache cannot answer: take the whole walk (fs/dcache.c). */
#define EPICO_MISS 4002

/* fs/dcache.c: the directory cache's switch (--no-dcache), what voids it
 * around a call, and its emptying before a clone that shares the memory
 * with another host fd table. */
struct pico_frame;
extern bool dcache_off;
/* returns the call's class, for dcache_call_end after the call */
int dcache_call_begin(unsigned long nr, const struct pico_frame *f);
void dcache_call_end(int cls);
void dcache_flush(void);
void dcache_thread_new(void);
/* Takes the lock exclusive only if it is free: from a signal handler,
 * where the interrupted code of the same thread may hold it. */
bool provider_trylock(void);
/* In a forked child (one thread): the provider lock held exclusive by
 * the caller, the subsystem locks free. */
void provider_lock_reset_after_fork(void);
/* Around a wait: let go of the provider lock if this call holds it. */
void provider_lock_drop(void);
void provider_lock_retake(void);
/* The subsystem locks: short futex mutexes (biglock.c). */
void kmutex_lock(uint32_t *m);
void kmutex_unlock(uint32_t *m);
void fdtable_lock_reset(void); /* fs/file.c */
void mm_lock_reset(void);      /* mm/mm.c */
/* A host call that may wait, made without the provider lock. */
long host_call_unlocked(long nr, long a, long b, long c, long d, long e,
			long f);

/* mm/kmalloc.c: the provider heap (inside the provider window). */
void kmalloc_init(void);
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);
char *kstrdup(const char *s);
/* Maps `len` bytes of fresh provider memory (page granular, zeroed). */
void *kmap_pages(size_t len);
void kunmap_pages(void *p, size_t len);

/* mm/uaccess: every guest pointer goes through these.  They return 0 or
 * -EFAULT (never crash) for NULL, unmapped, kernel-half and provider
 * addresses. */
long copy_from_user(void *dst, const void *usrc, size_t n);
long copy_to_user(void *udst, const void *src, size_t n);
/* A guest struct timespec (the kernel's __kernel_timespec). */
struct kts {
	long sec, nsec;
};
/* Copies a timespec in: -EFAULT, or -EINVAL unless it is a valid time
 * (sec and nsec not negative, nsec below a second), as Linux checks. */
long kts_from_user(struct kts *ts, const void *uts);

/* Atomic compare-and-exchange of an aligned guest word: the old value
 * (zero-extended) or -EFAULT. */
long cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t new);
long clear_user(void *udst, size_t n);
/* Copies a string of at most `max` bytes including the NUL.  Returns its
 * length, -EFAULT, or -ENAMETOOLONG when no NUL is found within `max`. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);
/* True when [addr, addr+len) is a range the guest may name at all. */
bool guest_range_ok(uint64_t addr, uint64_t len);
/* the end of the fast path's area, 0 while it is not mapped */
extern uint64_t fast_area_end;
/* An address the host always refuses with -EFAULT: the kernel half. */
#define HOST_FAULT_ADDR 0xffff800000000000UL
/* A guest pointer for a host call that reads or writes [p, p+len) itself:
 * p when the guest may name that range, else HOST_FAULT_ADDR, so the host
 * still makes its own argument checks in their Linux order and answers
 * -EFAULT where the access would have faulted. */
static inline void *user_ptr_for_host(const void *p, uint64_t len)
{
	return guest_range_ok((uint64_t)p, len) ? (void *)p
						: (void *)HOST_FAULT_ADDR;
}
/* Copies a guest path into `dst` (PICOS_PATH_MAX): -EFAULT, -ENAMETOOLONG,
 * and -ENOENT for the empty string unless allow_empty. */
long copy_path_from_user(char *dst, const char *upath, bool allow_empty);

/* Host identity of the provider process (for stat ownership mapping). */
struct identity {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t host_uid, host_gid;
	uint32_t map_uid, map_gid; /* the guest's starting ids: the host's */
	/* Started by root (with CAP_SETUID and CAP_SETGID): the host process
	 * takes the guest's ids too, and the host checks them (sys_id.c).
	 * Otherwise the provider checks identities the host does not
	 * enforce (fs/perm.c). */
	bool host_ids;
};
extern struct identity ident;
uint32_t ident_uid_to_guest(uint32_t host_uid);
uint32_t ident_gid_to_guest(uint32_t host_gid);
uint32_t ident_uid_to_host(uint32_t guest_uid);
uint32_t ident_gid_to_host(uint32_t guest_gid);
/* Whether the guest set its supplementary groups (setgroups). */
bool ident_groups_changed(void);

#endif
