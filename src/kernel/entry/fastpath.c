/* The fast path: patched call sites (design brief, section 3).
 *
 * Every guest `syscall` first takes the slow path: Syscall User Dispatch
 * raises SIGSYS, the handler serves the call and sigreturns, about 2 us
 * on this VM.  After a call served that way, the site it came from is
 * rewritten when it has the common shape
 *
 *	b8 NN NN NN NN		mov $nr, %eax
 *	0f 05			syscall
 *
 * into a 7-byte `jmp *SLOT` (ff 24 25 + the slot's 32-bit address): an
 * indirect jump through a qword slot below 2 GiB to a stub of the site's
 * own, which sets %eax and %rcx (the stub) and jumps to fast_entry
 * (fastpath.S).  No signal, no sigreturn: the entry builds the same frame
 * as the SIGSYS path, fast_dispatch calls the same dispatcher, and the
 * exit returns to the instruction after the old `syscall` with %rcx and
 * %r11 as that instruction leaves them.
 *
 * What the fast path cannot finish (a call outside fast_call's list, a
 * signal to deliver, a restart, a remote request or ptrace stop left for
 * the call's end) goes through the door: a real `syscall` in the stub
 * area with FAST_DOOR_NR, whose SIGSYS the handler serves from the
 * thread's saved frame (fast_door_take), so the slow path does it with
 * the host context it needs.  A restart then goes back to the stub's own
 * `syscall` (the site's copy of the call) instead of two bytes back.
 *
 * The slots sit at 0x0b0f0000-0x0b0fffff: bytes 2 and 3 of every slot
 * address are 0f 0b, so a jump into the middle of a patched site lands
 * on a `ud2`, whose SIGILL the fault handler turns into the site's
 * `syscall` (fast_mid_site), as gVisor's systrap does.
 *
 * Only private executable mappings the provider recorded are patched,
 * the page's protections restored exactly after.  While other threads may
 * run the site, the bytes change as Linux's text_poke_bp changes kernel
 * text: an int3 over the first byte, then the other six, then the first,
 * each step made visible to every CPU with membarrier's core sync; a
 * thread that meets the int3 runs the site's call from its stub
 * (fast_int3_site).  Without membarrier's core sync, only a process with
 * one thread patches.  A vfork child never patches (its parent restores
 * the provider's memory, slot count included).  Sites of other shapes (musl's
 * `mov %reg,%eax; syscall`, Go's) stay on the slow path.  `--no-patch`
 * turns patching off. */
#include "../kernel.h"
#include "entry.h"
#include "thread.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "../signal/signal.h"
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/mman.h>
#include <stddef.h>
#include <picos/layout.h>

_Static_assert(offsetof(struct pico_thread, ncaught) == 8, "intr.S, fastpath.S");
_Static_assert(offsetof(struct pico_thread, fast_ret) == PT_FAST_RET, "fastpath.S");
_Static_assert(offsetof(struct pico_thread, altstack) == PT_ALTSTACK, "fastpath.S");

#define FAST_TABLE PICOS_FAST_BASE /* 8192 qword slots */
#define FAST_SLOTS 8192
#define FAST_HDR (FAST_TABLE + FAST_SLOTS * 8) /* fast_entry's address, the door */
#define FAST_DOOR (FAST_HDR + 16)
#define FAST_STUBS (FAST_HDR + 64)
#define STUB_SIZE 48
#define FAST_END RT_ALIGN_UP(FAST_STUBS + FAST_SLOTS * STUB_SIZE, RT_PAGE_SIZE)
/* A stub: mov $nr,%eax; lea stub(%rip),%rcx; jmp *HDR; then the slow
 * door (the site's `syscall`) and a jump back through the return qword. */
#define STUB_DOOR 18
#define STUB_RET 26

enum { FAST_NONE, FAST_BEFORE, FAST_AFTER };

extern char fast_entry[], fast_exit_begin[], fast_exit_end[], fast_door[];
uint64_t fast_door_addr; /* read by fastpath.S */
uint64_t fast_area_end;	 /* 0 until the area is mapped (guest_range_ok) */
bool fast_patch_off;	 /* --no-patch */
static int nslots;	 /* slots in use since the last exec */
static bool area_failed;

/* The calls the fast path serves: those that need nothing of the host
 * context (no new task, no new image, no sigreturn, no temporary signal
 * mask; rt_sigprocmask leaves through the door when it changed the
 * mask).  Anything else goes through the door. */
static bool fast_call(long nr)
{
	switch (nr) {
	case __NR_read: case __NR_write: case __NR_pread64: case __NR_pwrite64:
	case __NR_readv: case __NR_writev: case __NR_lseek: case __NR_close:
	case __NR_fstat: case __NR_stat: case __NR_lstat: case __NR_newfstatat:
	case __NR_statx: case __NR_open: case __NR_openat: case __NR_getdents64:
	case __NR_fcntl: case __NR_dup: case __NR_dup2: case __NR_dup3:
	case __NR_getpid: case __NR_gettid: case __NR_getppid: case __NR_getuid:
	case __NR_geteuid: case __NR_getgid: case __NR_getegid:
	case __NR_getcwd: case __NR_brk: case __NR_mmap: case __NR_munmap:
	case __NR_mprotect: case __NR_madvise: case __NR_futex:
	case __NR_clock_gettime: case __NR_gettimeofday: case __NR_time:
	case __NR_sched_yield: case __NR_getrandom: case __NR_access:
	case __NR_faccessat: case __NR_faccessat2: case __NR_readlink:
	case __NR_readlinkat: case __NR_uname: case __NR_ioctl: case __NR_pipe2:
	case __NR_epoll_ctl: case __NR_epoll_wait: case __NR_poll:
	case __NR_recvfrom: case __NR_sendto: case __NR_recvmsg:
	case __NR_sendmsg: case __NR_socket: case __NR_connect:
	case __NR_accept4: case __NR_bind: case __NR_listen:
	case __NR_getsockname: case __NR_getpeername: case __NR_setsockopt:
	case __NR_getsockopt: case __NR_unlink: case __NR_unlinkat:
	case __NR_mkdir: case __NR_mkdirat: case __NR_rename:
	case __NR_renameat2: case __NR_fchmod: case __NR_fsync:
	case __NR_ftruncate: case __NR_umask: case __NR_chdir:
	case __NR_fchdir: case __NR_getrusage: case __NR_sysinfo:
	case __NR_rt_sigaction: case __NR_rt_sigprocmask:
	case __NR_getxattr: case __NR_lgetxattr: case __NR_fgetxattr:
	case __NR_listxattr: case __NR_llistxattr: case __NR_flistxattr:
	case __NR_select: case __NR_nanosleep: case __NR_clock_nanosleep:
	case __NR_pipe: case __NR_socketpair: case __NR_shutdown:
	case __NR_fdatasync: case __NR_symlink: case __NR_symlinkat:
	case __NR_link: case __NR_linkat: case __NR_rmdir: case __NR_chmod:
	case __NR_fchmodat: case __NR_utimensat: case __NR_getpgrp:
	case __NR_getpgid: case __NR_getsid: case __NR_getgroups:
	case __NR_getresuid: case __NR_getresgid: case __NR_prlimit64:
	case __NR_getrlimit: case __NR_sched_getaffinity: case __NR_statfs:
	case __NR_fstatfs: case __NR_epoll_create1: case __NR_eventfd2:
	case __NR_timerfd_settime: case __NR_timerfd_gettime:
		return true;
	default:
		return false;
	}
}

static bool in_area(uint64_t a)
{
	return fast_area_end && a >= FAST_TABLE && a < fast_area_end;
}

/* Maps the slot table, the header and the stubs, read and execute only
 * but while the provider writes them. */
static bool map_area(void)
{
	long r = host_mmap(FAST_TABLE, FAST_END - FAST_TABLE,
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (host_is_err(r) || (uint64_t)r != FAST_TABLE) {
		area_failed = true; /* the guest has memory there: no patching */
		return false;
	}
	*(uint64_t *)FAST_HDR = (uint64_t)fast_entry;
	static const unsigned char door[] = { 0x0f, 0x05, 0x0f, 0x0b }; /* syscall; ud2 */
	rt_memcpy((void *)FAST_DOOR, door, sizeof door);
	host_mprotect(FAST_TABLE, FAST_END - FAST_TABLE, PROT_READ | PROT_EXEC);
	fast_door_addr = FAST_DOOR;
	fast_area_end = FAST_END;
	return true;
}

static void put32(unsigned char *p, uint32_t v)
{
	rt_memcpy(p, &v, 4);
}

/* Stub i for a site returning to `ret` with call `nr`. */
static uint64_t make_stub(int i, long nr, uint64_t ret)
{
	uint64_t s = FAST_STUBS + (uint64_t)i * STUB_SIZE;
	unsigned char b[STUB_SIZE];
	rt_memset(b, 0xcc, sizeof b);
	b[0] = 0xb8; /* mov $nr, %eax */
	put32(b + 1, (uint32_t)nr);
	b[5] = 0x48, b[6] = 0x8d, b[7] = 0x0d; /* lea -12(%rip), %rcx */
	put32(b + 8, (uint32_t)-12);
	b[12] = 0xff, b[13] = 0x25; /* jmp *FAST_HDR(%rip) */
	put32(b + 14, (uint32_t)(FAST_HDR - (s + 18)));
	b[STUB_DOOR] = 0x0f, b[STUB_DOOR + 1] = 0x05; /* syscall */
	b[20] = 0xff, b[21] = 0x25; /* jmp *ret(%rip) */
	put32(b + 22, 0);
	rt_memcpy(b + STUB_RET, &ret, 8);
	/* (execute stays on: other threads may be in other stubs) */
	host_mprotect(FAST_TABLE, FAST_END - FAST_TABLE,
		      PROT_READ | PROT_WRITE | PROT_EXEC);
	rt_memcpy((void *)s, b, sizeof b);
	((uint64_t *)FAST_TABLE)[i] = s;
	host_mprotect(FAST_TABLE, FAST_END - FAST_TABLE, PROT_READ | PROT_EXEC);
	return s;
}

#define MEMBARRIER_SYNC_CORE 32		/* ..._PRIVATE_EXPEDITED_SYNC_CORE */
#define MEMBARRIER_REGISTER_SYNC_CORE 64 /* its registration */

static int synced_pid; /* the host process registered for core sync */
static uint64_t patching_site, patching_stub;

/* Whether every CPU running this process's threads can be made to see
 * new code (registered once per host process: a fork is a new one). */
static bool core_sync_ready(void)
{
	int me = gproc()->host_pid;
	if (synced_pid != me &&
	    host_syscall2(__NR_membarrier, MEMBARRIER_REGISTER_SYNC_CORE, 0) == 0)
		synced_pid = me;
	return synced_pid == me;
}

static void core_sync(bool threads)
{
	if (threads)
		host_syscall2(__NR_membarrier, MEMBARRIER_SYNC_CORE, 0);
}

/* Rewrites the 7 bytes at `site` (within one recorded vma `v`) into a
 * jump through slot i (whose stub is ready): int3 first, the jump's tail,
 * then its first byte. */
static void write_site(uint64_t site, const struct vma *v, int i,
		       uint64_t stub, bool threads)
{
	uint64_t lo = RT_ALIGN_DOWN(site, RT_PAGE_SIZE);
	uint64_t hi = RT_ALIGN_UP(site + 7, RT_PAGE_SIZE);
	unsigned char jmp[7] = { 0xff, 0x24, 0x25 };
	put32(jmp + 3, (uint32_t)(FAST_TABLE + (uint64_t)i * 8));
	if (host_mprotect(lo, hi - lo, v->prot | PROT_WRITE) < 0)
		return; /* the slot stays unused */
	patching_site = site, patching_stub = stub;
	volatile unsigned char *p = (volatile unsigned char *)site;
	p[0] = 0xcc;
	core_sync(threads);
	for (int k = 1; k < 7; k++)
		p[k] = jmp[k];
	core_sync(threads);
	p[0] = jmp[0];
	core_sync(threads);
	patching_site = 0;
	host_mprotect(lo, hi - lo, v->prot);
}

/* Sites that trapped once (a direct-mapped table of their return
 * addresses): a site is patched when it traps again.  Patching costs a
 * few host calls (protections, core syncs), more than one trap; a site
 * a short-lived program runs once is not worth it. */
#define SEEN_SLOTS 1024
static uint64_t seen[SEEN_SLOTS];

static bool seen_before(uint64_t ret)
{
	uint64_t *e = &seen[(ret ^ (ret >> 12)) % SEEN_SLOTS];
	if (*e == ret)
		return true;
	*e = ret;
	return false;
}

void fast_try_patch(uint64_t ret, long nr)
{
	struct pico_thread *t = current();
	if (fast_patch_off || area_failed || !fast_call(nr) ||
	    nslots == FAST_SLOTS || proc.vfork_child || t->pt_tracer ||
	    t->seccomp_mode || !seen_before(ret))
		return;
	uint64_t site = ret - 7;
	unsigned char b[7];
	uint32_t imm;
	if (copy_from_user(b, (const void *)site, sizeof b) < 0)
		return;
	rt_memcpy(&imm, b + 1, 4);
	if (b[0] != 0xb8 || imm != (uint32_t)nr || b[5] != 0x0f || b[6] != 0x05)
		return;
	/* one patcher at a time: the slot count and the area's protections
	 * are the memory's, shared by its threads */
	provider_lock();
	const struct vma *v = mm_find(site);
	bool threads = gproc()->nthreads != 1 || proc.vm_users != 1;
	unsigned char again[7];
	bool ok = v && site + 7 <= v->end && (v->prot & PROT_EXEC) &&
		  (v->flags & MAP_TYPE) == MAP_PRIVATE &&
		  (!threads || core_sync_ready()) &&
		  (fast_area_end || map_area()) &&
		  copy_from_user(again, (const void *)site, 7) == 0 &&
		  rt_memcmp(again, b, 7) == 0; /* no other thread patched it */
	if (ok) {
		int i = nslots++;
		write_site(site, v, i, make_stub(i, nr, ret), threads);
	}
	provider_unlock();
}

void fast_exec_reset(void)
{
	nslots = 0; /* the old program's sites are gone */
	rt_memset(seen, 0, sizeof seen);
}

/* The stub's return address, or 0 for an address that is no stub. */
static uint64_t stub_ret(uint64_t stub)
{
	if (!in_area(stub) || stub < FAST_STUBS ||
	    (stub - FAST_STUBS) % STUB_SIZE ||
	    (stub - FAST_STUBS) / STUB_SIZE >= (uint64_t)nslots)
		return 0;
	uint64_t r;
	rt_memcpy(&r, (const void *)(stub + STUB_RET), 8);
	return r;
}

/* From fastpath.S, with the frame it pushed (rip: the stub): 0 to go
 * back to the guest, else through the door. */
int fast_dispatch(struct pico_frame *f)
{
	struct pico_thread *t = current();
	uint64_t stub = f->rip, ret = stub_ret(stub);
	if (!ret)
		die_by_signal(SIGSEGV); /* a jump to fast_entry from elsewhere */
	/* as the `syscall` instruction leaves them */
	f->rip = f->rcx = ret;
	f->r11 = f->eflags;
	t->fast_stub = stub;
	if (popts.stats)
		__atomic_fetch_add(&popts.world->fast_calls, 1, __ATOMIC_RELAXED);
	if (!fast_call((long)f->orig_rax) || t->ncaught || t->seccomp_mode ||
	    t->pt_tracer) {
		/* the slow path runs it, from this frame */
		t->fast_frame = *f;
		t->fast_state = FAST_BEFORE;
		return 1;
	}
	/* (no door is taken while the call runs: the frame is saved once,
	 * after it, for the exit's door) */
	t->fast_state = FAST_NONE;
	t->uc = NULL;
	t->frame_set = false;
	t->in_fast = true;
	uint64_t mask = t->sigmask;
	pico_dispatch(f);
	t->in_fast = false;
	if (t->fast_mask_closed && t->sigmask == mask) {
		/* An interruptible wait closed the mask behind it: the
		 * guest's again (a signal it lets through lands here, in the
		 * provider, and is caught). */
		t->fast_mask_closed = false;
		uint64_t m = host_mask_of(t->sigmask);
		host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &m, 0, 8);
	}
	/* A new mask goes on the host with the slow path's sigreturn, so
	 * the signals it unblocks come one at a time, in the host's order,
	 * each to its own handler (caught here they would all be stacked
	 * at once). */
	bool new_mask = t->sigmask != mask || t->fast_mask_closed;
	t->fast_mask_closed = false;
	f->r11 &= ~R11_SERVED_MARK;
	t->fast_frame = *f;
	t->fast_state = FAST_AFTER;
	if (new_mask || t->frame_set || t->ncaught || (t->deferred & ~t->sigmask) ||
	    t->remote_npending || t->pt_pending || t->restore_mask ||
	    is_restart_code((long)f->rax))
		return 1;
	t->fast_ret = f->rip;
	return 0;
}

bool fast_door_take(const struct ucontext *uc, struct pico_frame *f,
		    bool *dispatch)
{
	struct pico_thread *t = current();
	const struct sigcontext *sc = &uc->uc_mcontext;
	if (!fast_door_addr || sc->rip != fast_door_addr + 2 ||
	    (uint32_t)sc->rax != FAST_DOOR_NR || t->fast_state == FAST_NONE)
		return false;
	*f = t->fast_frame;
	*dispatch = t->fast_state == FAST_BEFORE;
	t->fast_state = FAST_NONE;
	t->rewind_rip = t->fast_stub + STUB_DOOR; /* the site's own `syscall` */
	return true;
}

void fast_exit_redirect(struct ucontext *uc)
{
	uint64_t ip = uc->uc_mcontext.rip;
	if (ip >= (uint64_t)fast_exit_begin && ip < (uint64_t)fast_exit_end)
		uc->uc_mcontext.rip = (uint64_t)fast_door;
}

/* The stub of the patched (or being patched: int3 first) site at
 * `site`, or 0. */
static uint64_t stub_of_site(uint64_t site)
{
	unsigned char b[7];
	if (!fast_area_end || copy_from_user(b, (const void *)site, 7) < 0 ||
	    (b[0] != 0xff && b[0] != 0xcc) || b[1] != 0x24 || b[2] != 0x25)
		return 0;
	uint32_t slot;
	rt_memcpy(&slot, b + 3, 4);
	if (slot < FAST_TABLE || slot >= FAST_TABLE + (uint64_t)nslots * 8)
		return 0;
	uint64_t stub = ((const uint64_t *)FAST_TABLE)[(slot - FAST_TABLE) / 8];
	return stub_ret(stub) ? stub : 0;
}

bool fast_mid_site(struct ucontext *uc)
{
	uint64_t ip = uc->uc_mcontext.rip;
	unsigned char ud2[2];
	uint64_t stub = copy_from_user(ud2, (const void *)ip, 2) == 0 &&
				ud2[0] == 0x0f && ud2[1] == 0x0b
			? stub_of_site(ip - 5)
			: 0;
	if (!stub)
		return false;
	/* the site's `syscall`, with the registers the jump came with */
	uc->uc_mcontext.rip = stub + STUB_DOOR;
	return true;
}

bool fast_int3_site(struct ucontext *uc)
{
	uint64_t site = uc->uc_mcontext.rip - 1;
	uint64_t stub = site == patching_site ? patching_stub : stub_of_site(site);
	if (!stub)
		return false;
	/* the int3 took the place of `mov $nr,%eax`: the call, from the stub */
	uint32_t nr;
	rt_memcpy(&nr, (const void *)(stub + 1), 4);
	uc->uc_mcontext.rax = nr;
	uc->uc_mcontext.rip = stub + STUB_DOOR;
	return true;
}
