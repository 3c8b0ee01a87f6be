/* The fast path: patched call sites (design brief, section 3).
 *
 * Every guest `syscall` first takes the slow path: Syscall User Dispatch
 * raises SIGSYS, the handler serves the call and sigreturns, about 2 us
 * on this VM.  After a call served that way, its site (the `syscall` and
 * the instructions around it that fastsite.c recognises, the common
 * `mov $nr,%eax; syscall` first) is rewritten into a 7-byte `jmp *SLOT`
 * (ff 24 25 + the slot's 32-bit address): an indirect jump through a
 * qword slot below 2 GiB to a stub of the site's own, which runs the
 * site's instructions before its `syscall`, sets %rcx (the stub) and
 * jumps to fast_entry (fastpath.S).  No signal, no sigreturn: the entry
 * builds the same frame as the SIGSYS path, fast_dispatch calls the same
 * dispatcher, and the exit returns after the site (or to the stub's copy
 * of the result check the site took) with %rcx and %r11 as `syscall`
 * leaves them.
 *
 * What the fast path cannot finish (a call outside fast_call's list, a
 * signal to deliver, a restart, a remote request or ptrace stop left for
 * the call's end) goes through the door: a real `syscall` in the stub
 * area with FAST_DOOR_NR, whose SIGSYS the handler serves from the
 * thread's saved frame (fast_door_take), so the slow path does it with
 * the host context it needs.  A restart then goes back to the stub's own
 * `syscall` (the site's copy of the call) instead of two bytes back.
 *
 * The slots sit at 0x0b0f0000-0x0b0fffff: bytes 5 and 6 of the jump (2
 * and 3 of the slot address) are 0f 0b, a `ud2`, and every other byte of
 * a patched site is int3.  A jump into a patched site, or a return to an
 * instruction of it, meets one, and the fault handler sends it on at the
 * same instruction in the stub (fast_mid_site, fast_int3_site).
 *
 * Only private executable mappings the provider recorded are patched,
 * the page's protections restored exactly after.  While other threads may
 * run the site, the bytes change as Linux's text_poke_bp changes kernel
 * text: an int3 over the first byte, then the others, then the first,
 * each step made visible to every CPU with membarrier's core sync; a
 * thread that meets the int3 runs the site from its stub.  Without
 * membarrier's core sync, only a process with one thread patches.  A
 * vfork child patches too, in the memory it shares with its parent (it
 * is a task of its parent's provider, vfork.c, and the slots and stubs
 * are the memory's): the calls a build's posix_spawn and vfork children
 * make before their exec (dup2, execve tried along $PATH) then trap once
 * in the world, not in every child.  Sites are recorded for the world by file, and
 * patched at once in a later mapping of the file (fastfiles.c).
 * `--no-patch` turns patching off. */
#include "../kernel.h"
#include "entry.h"
#include "fastpath.h"
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
#include <picos/world.h>

_Static_assert(offsetof(struct pico_thread, ncaught) == 8, "intr.S, fastpath.S");
_Static_assert(offsetof(struct pico_thread, fast_ret) == PT_FAST_RET, "fastpath.S");
_Static_assert(offsetof(struct pico_thread, altstack) == PT_ALTSTACK, "fastpath.S");

#define FAST_TABLE PICOS_FAST_BASE /* FAST_SLOTS qword slots */
#define FAST_HDR (FAST_TABLE + FAST_SLOTS * 8) /* fast_entry's address, the door */
#define FAST_DOOR (FAST_HDR + 16)
#define FAST_STUBS (FAST_HDR + 64)
#define STUB_SIZE 80
#define FAST_END RT_ALIGN_UP(FAST_STUBS + FAST_SLOTS * STUB_SIZE, RT_PAGE_SIZE)
/* A stub: the site's instructions before its `syscall` (at the same
 * offsets, nops after), lea stub(%rip),%rcx; jmp *HDR; the site's own
 * `syscall` (the slow door); then its result check, if the site has
 * one, and the jumps back through the qwords after; and what the stub
 * knows of its site. */
#define STUB_ENTER SITE_PRE
#define STUB_DOOR (STUB_ENTER + 13)
#define STUB_POST (STUB_DOOR + 2) /* after the `syscall`: the fast path returns here */
#define STUB_RETQ 48 /* the site's end */
#define STUB_TGTQ 56 /* its result check's branch target */
#define STUB_SITEQ 64 /* the site's address */
#define STUB_LEN 72
#define STUB_SC 73
#define STUB_BOUNDS 76 /* 4 bytes */
/* (the result check and the two jumps back end before the qwords) */
_Static_assert(STUB_POST + SITE_POST + 12 <= STUB_RETQ, "stub layout");
_Static_assert(SITE_MAX <= sizeof(((struct picos_fast_site *)0)->bytes),
	       "world.h picos_fast_site");

enum { FAST_NONE, FAST_BEFORE, FAST_AFTER };

extern char fast_entry[], fast_exit_begin[], fast_exit_end[], fast_door[];
uint64_t fast_door_addr; /* read by fastpath.S */
uint64_t fast_area_end;	 /* 0 until the area is mapped (guest_range_ok) */
bool fast_patch_off;	 /* --no-patch */
int fast_nslots;	 /* slots in use since the last exec */
static bool area_failed;

/* The calls the fast path serves: those that need nothing of the host
 * context (no new task, no new image, no sigreturn; rt_sigprocmask
 * leaves through the door when it changed the mask, a wait with a
 * temporary mask when a signal came under it).  Anything else goes
 * through the door. */
bool fast_call(long nr)
{
	switch (nr) {
	case __NR_epoll_pwait: case __NR_epoll_pwait2: case __NR_ppoll:
	case __NR_pselect6:
	/* (only to fail at the lookup: EPICO_SLOW when it goes further) */
	case __NR_execve: case __NR_execveat:
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
	case __NR_accept: case __NR_recvmmsg: case __NR_sendmmsg:
	case __NR_sendfile: case __NR_copy_file_range: case __NR_mremap:
	case __NR_msync: case __NR_fadvise64: case __NR_fallocate:
	case __NR_flock: case __NR_getdents: case __NR_truncate:
	case __NR_fchown: case __NR_fchownat: case __NR_chown:
	case __NR_lchown: case __NR_clock_getres: case __NR_times:
	case __NR_getpriority: case __NR_timerfd_create:
	/* a posix_spawn child's POSIX_SPAWN_RESETIDS, a daemon's drop */
	case __NR_setresuid: case __NR_setresgid: case __NR_setuid:
	case __NR_setgid: case __NR_setreuid: case __NR_setregid:
	case __NR_setgroups:
	/* a program's start-up, and a shell's wait */
	case __NR_set_tid_address: case __NR_set_robust_list:
	case __NR_get_robust_list: case __NR_rseq: case __NR_arch_prctl:
	case __NR_sigaltstack: case __NR_wait4:
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

bool fast_area_ready(void)
{
	return !area_failed && (fast_area_end || map_area());
}

/* Whether the area's protections became what was asked: making it
 * writable again counts as new data on the host, which a guest that
 * lowered RLIMIT_DATA below its use makes fail (nothing is patched). */
bool fast_area_writable(bool w)
{
	/* (execute stays on: other threads may be in other stubs) */
	return host_mprotect(FAST_TABLE, FAST_END - FAST_TABLE,
			     PROT_READ | PROT_EXEC | (w ? PROT_WRITE : 0)) == 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	rt_memcpy(p, &v, 4);
}

/* `jmp *q(%rip)` at b[at], q the stub's qword at `q`. */
static void jmp_through(unsigned char *b, int at, int q)
{
	b[at] = 0xff, b[at + 1] = 0x25;
	put32(b + at + 2, (uint32_t)(q - (at + 6)));
}

/* The sites patched before their first call (patch_window), by slot:
 * their file's record (index + 1, 0: not one) and their entry there,
 * recorded at their first call (fast_dispatch).  A process that maps the
 * file later patches them with the sites that trapped, as it maps it:
 * the record holds what ran, not the rest of what the search found. */
#define FOUND_SLOTS 2048
static struct found_slot {
	uint32_t file;
	struct picos_fast_site e;
} found_slots[FOUND_SLOTS];
/* The slots below it may be found sites (since the last exec): the
 * table is not touched above it, so a process that finds nothing (a
 * shell loop's /bin/true, whose sites the world recorded) faults in none
 * of its pages. */
static int found_hi;

void fast_fill_stub(int i, const struct site *site)
{
	if (i < __atomic_load_n(&found_hi, __ATOMIC_RELAXED))
		found_slots[i].file = 0;
	uint64_t s = FAST_STUBS + (uint64_t)i * STUB_SIZE;
	uint64_t end = site->addr + (uint64_t)site->len;
	unsigned char b[STUB_SIZE];
	rt_memset(b, 0xcc, sizeof b);
	rt_memset(b, 0x90, SITE_PRE); /* nop */
	rt_memcpy(b, site->bytes, (size_t)site->sc);
	unsigned char *e = b + STUB_ENTER;
	e[0] = 0x48, e[1] = 0x8d, e[2] = 0x0d; /* lea stub(%rip), %rcx */
	put32(e + 3, (uint32_t)-(STUB_ENTER + 7));
	e[7] = 0xff, e[8] = 0x25; /* jmp *FAST_HDR(%rip) */
	put32(e + 9, (uint32_t)(FAST_HDR - (s + STUB_ENTER + 13)));
	b[STUB_DOOR] = 0x0f, b[STUB_DOOR + 1] = 0x05; /* syscall */
	int at = STUB_POST;
	uint64_t target = 0;
	if (site->post) {
		/* the cmp as it was; its jcc over the jump to the site's end */
		const unsigned char *q = site->bytes + site->sc + 2;
		rt_memcpy(b + at, q, 6);
		b[at + 6] = q[6], b[at + 7] = 6;
		target = end + (uint64_t)(int64_t)(signed char)q[7];
		jmp_through(b, at + 8, STUB_RETQ);
		jmp_through(b, at + 14, STUB_TGTQ);
	} else {
		jmp_through(b, at, STUB_RETQ);
	}
	rt_memcpy(b + STUB_RETQ, &end, 8);
	rt_memcpy(b + STUB_TGTQ, &target, 8);
	rt_memcpy(b + STUB_SITEQ, &site->addr, 8);
	b[STUB_LEN] = (unsigned char)site->len;
	b[STUB_SC] = (unsigned char)site->sc;
	rt_memcpy(b + STUB_BOUNDS, &site->bounds, 4);
	rt_memcpy((void *)s, b, sizeof b);
	((uint64_t *)FAST_TABLE)[i] = s;
}

void fast_fill_found(int i, const struct site *site, const struct vma *v)
{
	fast_fill_stub(i, site);
	if (i >= FOUND_SLOTS)
		return;
	for (int k = found_hi; k < i; k++)
		found_slots[k].file = 0; /* (an old program's) */
	found_slots[i].file = fast_entry_of(v, site, &found_slots[i].e) ? v->fast_file : 0;
	if (found_hi <= i)
		__atomic_store_n(&found_hi, i + 1, __ATOMIC_RELEASE);
}

/* The first call through slot i's stub, a site found before its first
 * call: recorded for the world. */
static void found_used(int i)
{
	if (i >= __atomic_load_n(&found_hi, __ATOMIC_ACQUIRE) || !found_slots[i].file)
		return;
	uint32_t file = found_slots[i].file;
	found_slots[i].file = 0;
	fast_remember_entry(file, &found_slots[i].e);
}

/* A stub in the next slot for `site`: its address, or 0 when the area
 * cannot be written. */
static uint64_t make_stub(const struct site *site, int *slot)
{
	if (!fast_area_writable(true))
		return 0;
	int i = fast_nslots++;
	fast_fill_stub(i, site);
	fast_area_writable(false);
	*slot = i;
	return FAST_STUBS + (uint64_t)i * STUB_SIZE;
}

#define MEMBARRIER_SYNC_CORE 32		/* ..._PRIVATE_EXPEDITED_SYNC_CORE */
#define MEMBARRIER_REGISTER_SYNC_CORE 64 /* its registration */

static int synced_pid; /* the host process registered for core sync */
/* The sites being patched: their first bytes, lengths and stubs, for a
 * thread that meets one's int3 meanwhile (inner_target).  One patcher
 * at a time (the provider lock); static, so a handler that reads them
 * late reads what a later patch wrote, not freed memory. */
static uint64_t patching_site[FOUND_MAX], patching_stub[FOUND_MAX];
static int patching_len[FOUND_MAX];
static int patching_n;

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

/* The bytes that replace a site: the 7-byte jump through slot i (at
 * offset 0, or behind a 2-byte jmp to it), int3 everywhere else. */
void fast_site_bytes(const struct site *site, int i, unsigned char *out)
{
	rt_memset(out, 0xcc, (size_t)site->len);
	unsigned char *j = out + site->jmp;
	if (site->jmp)
		out[0] = 0xeb, out[1] = (unsigned char)(site->jmp - 2); /* jmp */
	j[0] = 0xff, j[1] = 0x24, j[2] = 0x25; /* jmp *SLOT */
	put32(j + 3, (uint32_t)(FAST_TABLE + (uint64_t)i * 8));
}

/* Rewrites the n sites s (writable now) into their jumps through slots
 * i, i + 1, ... (whose stubs are ready), all at once as Linux's
 * text_poke_bp_batch does: an int3 over each first byte, then the other
 * bytes, then the first bytes, each step made visible to every CPU
 * (three core syncs for the lot, not three a site). */
static void poke_sites(const struct site *s, int n, int i, bool threads)
{
	unsigned char bytes[FOUND_MAX][SITE_MAX];
	for (int k = 0; k < n; k++) {
		fast_site_bytes(&s[k], i + k, bytes[k]);
		patching_site[k] = s[k].addr, patching_len[k] = s[k].len;
		patching_stub[k] = FAST_STUBS + (uint64_t)(i + k) * STUB_SIZE;
	}
	__atomic_store_n(&patching_n, n, __ATOMIC_RELEASE);
	for (int k = 0; k < n; k++)
		*(volatile unsigned char *)s[k].addr = 0xcc;
	core_sync(threads);
	for (int k = 0; k < n; k++)
		for (int b = 1; b < s[k].len; b++)
			((volatile unsigned char *)s[k].addr)[b] = bytes[k][b];
	core_sync(threads);
	for (int k = 0; k < n; k++)
		*(volatile unsigned char *)s[k].addr = bytes[k][0];
	core_sync(threads);
	__atomic_store_n(&patching_n, 0, __ATOMIC_RELEASE);
}

/* Rewrites the n sites s (within one recorded vma `v`), the first into
 * its jump through slot i, the next through i + 1 and so on, their
 * pages writable meanwhile. */
static void write_sites(const struct site *s, int n, const struct vma *v, int i,
			bool threads)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int k = 0; k < n; k++) {
		uint64_t a = RT_ALIGN_DOWN(s[k].addr, RT_PAGE_SIZE);
		uint64_t e = RT_ALIGN_UP(s[k].addr + (uint64_t)s[k].len, RT_PAGE_SIZE);
		lo = a < lo ? a : lo, hi = e > hi ? e : hi;
	}
	if (n == 0 || n > FOUND_MAX || host_mprotect(lo, hi - lo, v->prot | PROT_WRITE) < 0)
		return; /* the slots stay unused */
	poke_sites(s, n, i, threads);
	host_mprotect(lo, hi - lo, v->prot);
}

/* After the first trap in a window of FOUND_WINDOW bytes of a file's
 * code (addr: the `syscall`), the other sites found there before their
 * first call (fastscan.c): a program's calls cluster (the wrappers of
 * libc's files sit side by side), and the next ones it makes there no
 * longer trap. */
static void patch_window(const struct vma *v, uint64_t addr, bool threads)
{
	struct picos_fast_file *f = fast_file_of(v);
	uint64_t off = v->file_off + (addr - v->start);
	uint64_t lo = addr - (off - RT_ALIGN_DOWN(off, FOUND_WINDOW));
	uint64_t hi = lo + FOUND_WINDOW;
	lo = lo > v->start ? lo : v->start, hi = hi < v->end ? hi : v->end;
	struct site *s = f ? kmalloc(FOUND_MAX * sizeof *s) : NULL;
	int n = s ? fast_found_sites(f, v, lo, hi, true, s, FOUND_MAX) : 0;
	if (n > 0 && fast_nslots + n <= FAST_SLOTS && fast_area_writable(true)) {
		int first = fast_nslots;
		for (int k = 0; k < n; k++)
			fast_fill_found(fast_nslots++, &s[k], v);
		fast_area_writable(false);
		write_sites(s, n, v, first, threads);
	}
	kfree(s);
}

/* After a call the slow path served from `ret` (f, xmm: the registers at
 * the `syscall`): its site is recorded for the world and patched.  (At the
 * first trap: patching costs a few host calls, about a trap's worth, and
 * waiting for a second trap measured no faster on short programs.) */
void fast_try_patch(uint64_t ret, const struct pico_frame *f,
		    const unsigned char *xmm)
{
	struct pico_thread *t = current();
	long nr = (long)f->orig_rax;
	if (fast_patch_off || area_failed || !fast_call(nr) ||
	    fast_nslots == FAST_SLOTS || t->pt_tracer ||
	    t->seccomp_mode)
		return;
	unsigned char b[SITE_AROUND];
	struct site site;
	struct trap_regs regs = { f, xmm };
	if (!bytes_around(ret - 2, b) || !match_site(b, ret - 2, &regs, &site))
		return;
	/* one patcher at a time: the slot count and the area's protections
	 * are the memory's, shared by its threads */
	provider_lock();
	const struct vma *v = mm_find(site.addr);
	bool in_vma = v && site.addr + (uint64_t)site.len <= v->end &&
		      (v->prot & PROT_EXEC);
	if (in_vma)
		fast_remember(v, &site);
	bool threads = gproc()->nthreads != 1 || proc.vm_users != 1;
	unsigned char now[SITE_MAX];
	bool ok = in_vma && (v->flags & MAP_TYPE) == MAP_PRIVATE &&
		  fast_nslots < FAST_SLOTS && /* (another thread may have filled it) */
		  (!threads || core_sync_ready()) && fast_area_ready() &&
		  copy_from_user(now, (const void *)site.addr, (size_t)site.len) == 0 &&
		  rt_memcmp(now, site.bytes, (size_t)site.len) == 0; /* not patched meanwhile */
	int i;
	uint64_t stub = ok ? make_stub(&site, &i) : 0;
	if (stub) {
		write_sites(&site, 1, v, i, threads);
		patch_window(v, site.addr + (uint64_t)site.sc, threads);
	}
	provider_unlock();
}

void fast_exec_reset(void)
{
	fast_nslots = 0; /* the old program's sites are gone */
	found_hi = 0;
}

/* Whether `stub` is the address of a stub in use. */
static bool stub_ok(uint64_t stub)
{
	return in_area(stub) && stub >= FAST_STUBS &&
	       (stub - FAST_STUBS) % STUB_SIZE == 0 &&
	       (stub - FAST_STUBS) / STUB_SIZE < (uint64_t)fast_nslots;
}

static uint64_t stub_q(uint64_t stub, int at)
{
	uint64_t q;
	rt_memcpy(&q, (const void *)(stub + (uint64_t)at), 8);
	return q;
}

static int stub_byte(uint64_t stub, int at)
{
	return *(const unsigned char *)(stub + (uint64_t)at);
}

/* Where the guest goes on after its call: the stub's result check when
 * the site has one, else the site's end. */
static uint64_t stub_resume(uint64_t stub)
{
	uint64_t site = stub_q(stub, STUB_SITEQ);
	return stub_byte(stub, STUB_SC) + 2 < stub_byte(stub, STUB_LEN)
		       ? stub + STUB_POST
		       : site + (uint64_t)stub_byte(stub, STUB_LEN);
}

/* A call from a patched site that the slow path runs, from frame f:
 * through the door before it ran. */
static int slow_from_site(struct pico_thread *t, const struct pico_frame *f)
{
	t->fast_frame = *f;
	t->fast_state = FAST_BEFORE;
	return 1;
}

/* From fastpath.S, with the frame it pushed (rip: the stub): 0 to go
 * back to the guest, else through the door. */
int fast_dispatch(struct pico_frame *f)
{
	struct pico_thread *t = current();
	uint64_t stub = f->rip;
	if (!stub_ok(stub))
		die_by_signal(SIGSEGV); /* a jump to fast_entry from elsewhere */
	found_used((int)((stub - FAST_STUBS) / STUB_SIZE));
	/* as the `syscall` instruction leaves them (%rcx: the address after
	 * the site's `syscall`) */
	f->rip = stub_resume(stub);
	f->rcx = stub_q(stub, STUB_SITEQ) + (uint64_t)stub_byte(stub, STUB_SC) + 2;
	f->r11 = f->eflags;
	t->fast_stub = stub;
	if (!fast_call((long)f->orig_rax) || t->ncaught || t->seccomp_mode ||
	    t->pt_tracer)
		return slow_from_site(t, f);
	/* (no door is taken while the call runs: the frame is saved once,
	 * after it, for the exit's door) */
	t->fast_state = FAST_NONE;
	t->uc = NULL;
	t->frame_set = false;
	t->in_fast = true;
	uint64_t mask = t->sigmask;
	pico_dispatch(f);
	t->in_fast = false;
	if (f->rax == (uint64_t)-EPICO_SLOW) {
		f->rax = f->orig_rax; /* as it came (fast_entry pushed %rax twice) */
		return slow_from_site(t, f);
	}
	/* (--stats: the calls served here; those the slow path runs count
	 * as trapped) */
	if (popts.stats)
		__atomic_fetch_add(&popts.world->fast_calls, 1, __ATOMIC_RELAXED);
	if (t->fast_mask_closed && t->sigmask == mask) {
		/* An interruptible wait closed the mask behind it: the
		 * guest's again (a signal it lets through lands here, in the
		 * provider, and is caught). */
		t->fast_mask_closed = false;
		uint64_t m = host_mask_of(t->sigmask);
		host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &m, 0, 8);
	}
	if (t->restore_mask && !t->ncaught) {
		/* A wait's temporary mask (pselect6, ppoll, epoll_pwait)
		 * that no signal came under: the guest's again, as the slow
		 * path's exit would put it back.  (A signal it held back
		 * that the guest's lets through is caught once the host's
		 * own mask is back, here or at the exit: through the door,
		 * delivered under the guest's mask.) */
		t->sigmask = t->saved_mask;
		t->restore_mask = false;
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

bool fast_area_syscall_end(uint64_t ip)
{
	if (!fast_door_addr || ip < 2)
		return false;
	if (ip == fast_door_addr + 2)
		return true;
	uint64_t stub = ip - 2 - STUB_DOOR;
	return ip - 2 >= FAST_STUBS + STUB_DOOR && stub_ok(stub);
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

/* The stub of the patched site that starts at `site`, or 0. */
static uint64_t stub_of_site(uint64_t site)
{
	unsigned char b[2 + SITE_MAX];
	uint64_t j = site;
	if (!fast_area_end || copy_from_user(b, (const void *)site, 2) < 0)
		return 0;
	if (b[0] == 0xeb && b[1] <= SITE_MAX - 9)
		j = site + 2 + b[1]; /* behind the 2-byte jmp */
	if (copy_from_user(b, (const void *)j, 7) < 0 || b[0] != 0xff ||
	    b[1] != 0x24 || b[2] != 0x25)
		return 0;
	uint32_t slot;
	rt_memcpy(&slot, b + 3, 4);
	if (slot < FAST_TABLE || slot >= FAST_TABLE + (uint64_t)fast_nslots * 8 ||
	    slot % 8)
		return 0;
	uint64_t stub = ((const uint64_t *)FAST_TABLE)[(slot - FAST_TABLE) / 8];
	return stub_ok(stub) && stub_q(stub, STUB_SITEQ) == site ? stub : 0;
}

/* Where in the stub the instruction of its site at offset `off` is. */
static uint64_t stub_at(uint64_t stub, int off)
{
	int sc = stub_byte(stub, STUB_SC);
	if (off < sc)
		return stub + (uint64_t)off;
	if (off == sc)
		return stub + STUB_DOOR;
	return stub + STUB_POST + (uint64_t)(off - sc - 2);
}

/* The stub address that goes on for the code at `addr`, the start of an
 * instruction of a patched site (or of the site being patched) that now
 * holds a trap: 0 if it is none. */
static uint64_t inner_target(uint64_t addr)
{
	uint64_t stub = 0;
	int off = -1;
	int pn = __atomic_load_n(&patching_n, __ATOMIC_ACQUIRE);
	for (int k = 0; k < pn && k < FOUND_MAX && !stub; k++)
		if (addr >= patching_site[k] && addr - patching_site[k] < (uint64_t)patching_len[k]) {
			stub = patching_stub[k];
			off = (int)(addr - patching_site[k]);
		}
	for (int back = 0; !stub && back < SITE_MAX && (uint64_t)back <= addr; back++)
		if ((stub = stub_of_site(addr - (uint64_t)back)))
			off = back;
	if (!stub || off >= stub_byte(stub, STUB_LEN))
		return 0;
	uint32_t bounds;
	rt_memcpy(&bounds, (const void *)(stub + STUB_BOUNDS), 4);
	if (off && !(bounds & (1u << off)))
		return 0;
	return stub_at(stub, off);
}

/* A `ud2` at ip: a jump into a patched site (or a return to its
 * `syscall` to restart it) that met the jump's own 0f 0b. */
bool fast_mid_site(struct ucontext *uc)
{
	unsigned char ud2[2];
	uint64_t ip = uc->uc_mcontext.rip;
	if (copy_from_user(ud2, (const void *)ip, 2) < 0 || ud2[0] != 0x0f ||
	    ud2[1] != 0x0b)
		return false;
	uint64_t to = inner_target(ip);
	if (!to)
		return false;
	uc->uc_mcontext.rip = to;
	return true;
}

/* An int3 at rip - 1: a site's first byte while it is patched, or one
 * of its instructions' starts: on from the same instruction in the
 * stub, with the registers as they are. */
bool fast_int3_site(struct ucontext *uc)
{
	uint64_t to = inner_target(uc->uc_mcontext.rip - 1);
	if (!to)
		return false;
	uc->uc_mcontext.rip = to;
	return true;
}
