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
 * the provider's memory, slot count included).
 *
 * Other shapes are patched the same way (match_site): a site is the
 * instructions the jump displaces, one or two then the `syscall`, copied
 * into its stub, which runs them before it enters; the call number is
 * then whatever %eax holds.  glibc's openat (`mov $-100,%edi; syscall`),
 * its read (`xor %eax,%eax` after a long nop), Go's `mov $nr,%rax`.  A
 * register the site loads must hold that value at the trap, which tells
 * an instruction from bytes inside a longer one.  Every later
 * instruction start inside a site becomes a `ud2` (the jump's own 0f 0b
 * at offset 5, filler after it), so a jump there, or a restart's return
 * to the `syscall`, goes on from the same instruction in the stub.  Sites
 * whose `syscall` number comes from a register loaded further back (Go's
 * Syscall6, musl's `mov %rdi,%rax` wrappers) stay on the slow path.
 * `--no-patch` turns patching off. */
#include "../kernel.h"
#include "entry.h"
#include "thread.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "../signal/signal.h"
#include <asm/sigcontext.h>
#include <asm/stat.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/mman.h>
#include <stddef.h>
#include <picos/layout.h>
#include <picos/world.h>

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
/* A stub: the instructions the patch displaced from the site (up to
 * STUB_PRE bytes, padded with nops), lea stub(%rip),%rcx; jmp *HDR; then
 * the slow door (the site's `syscall`), a jump back through the return
 * qword, and what the stub knows of its site: the site's length and
 * which of its offsets begin an instruction. */
#define STUB_PRE 10
#define STUB_ENTER STUB_PRE
#define STUB_DOOR 23
#define STUB_RET 31
#define STUB_LEN 39
#define STUB_BOUNDS 40
#define SITE_MAX (STUB_PRE + 2)

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
static bool fast_call(long nr, const struct pico_frame *f)
{
	switch (nr) {
	/* (with a temporary signal mask they need the slow path) */
	case __NR_epoll_pwait: case __NR_epoll_pwait2:
		return f->r8 == 0;
	case __NR_ppoll:
		return f->r10 == 0;
	case __NR_pselect6:
		return f->r9 == 0;
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

static void put32(unsigned char *p, uint32_t v)
{
	rt_memcpy(p, &v, 4);
}

/* The shape of a patchable site: `len` bytes ending with its `syscall`;
 * bit n of `bounds` is set when an instruction of the site begins at
 * offset n (the `syscall` included). */
struct site {
	uint64_t addr;
	int len;
	uint16_t bounds;
};

static void area_writable(bool w)
{
	/* (execute stays on: other threads may be in other stubs) */
	host_mprotect(FAST_TABLE, FAST_END - FAST_TABLE,
		      PROT_READ | PROT_EXEC | (w ? PROT_WRITE : 0));
}

/* Stub i for `site` (whose bytes, up to its `syscall`, are `pre`), the
 * area writable. */
static uint64_t fill_stub(int i, const struct site *site,
			  const unsigned char *pre)
{
	uint64_t s = FAST_STUBS + (uint64_t)i * STUB_SIZE;
	uint64_t ret = site->addr + (uint64_t)site->len;
	unsigned char b[STUB_SIZE];
	rt_memset(b, 0xcc, sizeof b);
	rt_memset(b, 0x90, STUB_PRE); /* nop */
	rt_memcpy(b, pre, (size_t)site->len - 2);
	unsigned char *e = b + STUB_ENTER;
	e[0] = 0x48, e[1] = 0x8d, e[2] = 0x0d; /* lea stub(%rip), %rcx */
	put32(e + 3, (uint32_t)-(STUB_ENTER + 7));
	e[7] = 0xff, e[8] = 0x25; /* jmp *FAST_HDR(%rip) */
	put32(e + 9, (uint32_t)(FAST_HDR - (s + STUB_ENTER + 13)));
	b[STUB_DOOR] = 0x0f, b[STUB_DOOR + 1] = 0x05; /* syscall */
	b[STUB_DOOR + 2] = 0xff, b[STUB_DOOR + 3] = 0x25; /* jmp *ret(%rip) */
	put32(b + STUB_DOOR + 4, 0);
	rt_memcpy(b + STUB_RET, &ret, 8);
	b[STUB_LEN] = (unsigned char)site->len;
	rt_memcpy(b + STUB_BOUNDS, &site->bounds, 2);
	rt_memcpy((void *)s, b, sizeof b);
	((uint64_t *)FAST_TABLE)[i] = s;
	return s;
}

static uint64_t make_stub(int i, const struct site *site,
			  const unsigned char *pre)
{
	area_writable(true);
	uint64_t s = fill_stub(i, site, pre);
	area_writable(false);
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

/* The bytes that replace a site: the 7-byte jump through slot i, then
 * a `ud2` at every later instruction start and int3 elsewhere.  Bytes 5
 * and 6 of the jump are the slot address's 0f 0b, a `ud2` too; no site
 * has an instruction start at offsets 1 to 4 or 6 (match_site). */
static void site_bytes(const struct site *site, int i, unsigned char *out)
{
	rt_memset(out, 0xcc, (size_t)site->len);
	out[0] = 0xff, out[1] = 0x24, out[2] = 0x25; /* jmp *SLOT */
	put32(out + 3, (uint32_t)(FAST_TABLE + (uint64_t)i * 8));
	for (int k = 7; k < site->len - 1; k++)
		if (site->bounds & (1u << k))
			out[k] = 0x0f, out[k + 1] = 0x0b;
}

/* Rewrites `site` (within one recorded vma `v`) into a jump through slot
 * i (whose stub is ready): int3 first, the rest, then the first byte. */
static void write_site(const struct site *site, const struct vma *v, int i,
		       uint64_t stub, bool threads)
{
	uint64_t lo = RT_ALIGN_DOWN(site->addr, RT_PAGE_SIZE);
	uint64_t hi = RT_ALIGN_UP(site->addr + (uint64_t)site->len, RT_PAGE_SIZE);
	unsigned char bytes[SITE_MAX];
	site_bytes(site, i, bytes);
	if (host_mprotect(lo, hi - lo, v->prot | PROT_WRITE) < 0)
		return; /* the slot stays unused */
	patching_site = site->addr, patching_stub = stub;
	volatile unsigned char *p = (volatile unsigned char *)site->addr;
	p[0] = 0xcc;
	core_sync(threads);
	for (int k = 1; k < site->len; k++)
		p[k] = bytes[k];
	core_sync(threads);
	p[0] = bytes[0];
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

/* The value of general register r (the x86 encoding's number, 0-15)
 * in frame f. */
static uint64_t reg_of(const struct pico_frame *f, int r)
{
	switch (r) {
	case 0: return f->orig_rax;
	case 1: return f->rcx;
	case 2: return f->rdx;
	case 3: return f->rbx;
	case 4: return f->rsp;
	case 5: return f->rbp;
	case 6: return f->rsi;
	case 7: return f->rdi;
	case 8: return f->r8;
	case 9: return f->r9;
	case 10: return f->r10;
	case 11: return f->r11;
	case 12: return f->r12;
	case 13: return f->r13;
	case 14: return f->r14;
	default: return f->r15;
	}
}

/* `b8+r imm32` (mov $imm32,%r32) at p, its register holding the value it
 * loads at the `syscall` (f: the registers there, %eax the call number).
 * The value check is what tells an instruction from the tail of a longer
 * one that happens to hold the same bytes. */
static bool mov_imm32(const unsigned char *p, const struct pico_frame *f,
		      int *reg)
{
	if (p[0] < 0xb8 || p[0] > 0xbf)
		return false;
	uint32_t imm;
	rt_memcpy(&imm, p + 1, 4);
	*reg = p[0] - 0xb8;
	return !f || reg_of(f, *reg) == imm; /* (zero-extended) */
}

/* `48/49 c7 c0+r imm32` (mov $simm32,%r64), checked as mov_imm32. */
static bool mov_simm64(const unsigned char *p, const struct pico_frame *f)
{
	if ((p[0] != 0x48 && p[0] != 0x49) || p[1] != 0xc7 ||
	    (p[2] & 0xf8) != 0xc0)
		return false;
	int32_t imm;
	rt_memcpy(&imm, p + 3, 4);
	return !f || reg_of(f, (p[0] & 1) * 8 + (p[2] & 7)) == (uint64_t)(int64_t)imm;
}

/* `31 /r` with both operands one register below r8 (xor %r32,%r32),
 * the register zero at the `syscall`. */
static bool xor_self(const unsigned char *p, const struct pico_frame *f)
{
	int r = p[1] & 7;
	return p[0] == 0x31 && (p[1] & 0xc0) == 0xc0 && ((p[1] >> 3) & 7) == r &&
	       (!f || reg_of(f, r) == 0);
}

/* Long nops compilers pad with before a site: 5, 7 and 8 bytes. */
static int long_nop(const unsigned char *p)
{
	static const unsigned char n5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const unsigned char n7[] = { 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	static const unsigned char n8[] = { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 };
	if (rt_memcmp(p, n8, 8) == 0)
		return 8;
	if (rt_memcmp(p, n7, 7) == 0)
		return 7;
	return rt_memcmp(p, n5, 5) == 0 ? 5 : 0;
}

/* The SITE_MAX bytes before `ret` into b; those of an unreadable page
 * before the `syscall`'s (a site at the start of a mapping) read as int3,
 * which no shape takes. */
static bool bytes_before(uint64_t ret, unsigned char *b)
{
	if (ret < SITE_MAX)
		return false;
	if (copy_from_user(b, (const void *)(ret - SITE_MAX), SITE_MAX) == 0)
		return true;
	uint64_t page = RT_ALIGN_DOWN(ret - 2, RT_PAGE_SIZE);
	if (page <= ret - SITE_MAX)
		return false;
	uint64_t skip = page - (ret - SITE_MAX);
	rt_memset(b, 0xcc, skip);
	return copy_from_user(b + skip, (const void *)page, SITE_MAX - skip) == 0;
}

/* Whether the SITE_MAX bytes `b` before `ret` end with a site of a shape
 * the fast path patches, and which (*site); with f NULL (a site known
 * from the world's table, fast_map_file) without the register checks.  A site is one or two
 * instructions then the `syscall`, moved whole into the stub; the jump
 * that replaces them takes 7 bytes, so its first instruction is 5 bytes
 * long (the next then starts on the jump's 0f 0b) or at least 7.  The
 * shapes: glibc's, Go's and musl's call sites.
 *	mov $imm32,%r32; syscall		(b8+r: glibc, Go, musl)
 *	mov $simm32,%r64; syscall		(REX.W c7: Go)
 *	mov $imm32,%r32; xor %r32,%r32; syscall	(glibc)
 *	long nop; xor %r32,%r32; syscall	(glibc: read) */
static bool match_site(const unsigned char *b, uint64_t ret,
		       const struct pico_frame *f, struct site *site)
{
	const unsigned char *sc = b + SITE_MAX - 2;
	int reg;
	if (sc[0] != 0x0f || sc[1] != 0x05)
		return false;
	int len = 0;
	uint16_t bounds = 0;
	if (mov_imm32(sc - 5, f, &reg))
		len = 7;
	else if (mov_simm64(sc - 7, f))
		len = 9;
	else if (xor_self(sc - 2, f)) {
		int n = long_nop(sc - 10) == 8 ? 8 : long_nop(sc - 9) == 7 ? 7 : 0;
		if (!n && long_nop(sc - 7) == 5)
			n = 5;
		if (!n && mov_imm32(sc - 7, f, &reg) && reg != ((sc[-1]) & 7))
			n = 5;
		if (n)
			len = n + 4, bounds = (uint16_t)(1u << n);
	}
	if (!len)
		return false;
	site->addr = ret - (uint64_t)len;
	site->len = len;
	site->bounds = (uint16_t)(bounds | (1u << (len - 2)));
	return true;
}

/* The world's table of patched sites by file (world.h): a site patched
 * after a trap is recorded under its file; a process that maps the file
 * later patches every site recorded there at once (fast_map_file), so
 * the processes of a build or a shell loop, each a new exec of the same
 * programs and libraries, do not each trap at every site. */
static struct picos_fast_file *known_file(uint32_t idx)
{
	if (!popts.world || idx == 0 || idx > PICOS_FAST_FILES)
		return NULL;
	return &popts.world->fast_files[idx - 1];
}

struct file_key {
	uint64_t dev, ino, size, mtime_ns;
	uint32_t uid;
};

static bool file_key_of(int fd, struct file_key *k)
{
	struct stat st;
	if (host_syscall2(__NR_fstat, fd, &st) < 0)
		return false;
	k->dev = st.st_dev, k->ino = st.st_ino, k->size = (uint64_t)st.st_size;
	k->mtime_ns = (uint64_t)st.st_mtime * 1000000000u + st.st_mtime_nsec;
	k->uid = ident.euid;
	return true;
}

static bool same_file(const volatile struct picos_fast_file *f,
		      const struct file_key *k)
{
	return f->dev == k->dev && f->ino == k->ino && f->size == k->size &&
	       f->mtime_ns == k->mtime_ns && f->uid == k->uid;
}

/* The table's entry for key k (index + 1), claimed if new; 0 when the
 * table is full or another process is claiming the slot. */
static uint32_t file_entry(const struct file_key *k)
{
	struct picos_fast_file *files = popts.world->fast_files;
	int free_at = -1;
	for (int i = 0; i < PICOS_FAST_FILES; i++) {
		uint32_t st = __atomic_load_n(&files[i].state, __ATOMIC_ACQUIRE);
		if (st == 2 && same_file(&files[i], k))
			return (uint32_t)i + 1;
		if (st == 0 && free_at < 0)
			free_at = i;
	}
	uint32_t zero = 0;
	if (free_at < 0 ||
	    !__atomic_compare_exchange_n(&files[free_at].state, &zero, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	struct picos_fast_file *f = &files[free_at];
	f->dev = k->dev, f->ino = k->ino, f->size = k->size;
	f->mtime_ns = k->mtime_ns, f->uid = k->uid;
	__atomic_store_n(&f->nsites, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->state, 2, __ATOMIC_RELEASE);
	return (uint32_t)free_at + 1;
}

/* Records a site just patched at file offset `off` of file `idx`. */
static void remember_site(uint32_t idx, uint64_t off, const struct site *site,
			  const unsigned char *bytes)
{
	struct picos_fast_file *f = known_file(idx);
	if (!f || off > UINT32_MAX)
		return;
	uint32_t known = __atomic_load_n(&f->nsites, __ATOMIC_ACQUIRE);
	for (uint32_t j = 0; j < known && j < PICOS_FAST_FILE_SITES; j++)
		if (f->site[j].off == off)
			return; /* another process recorded it */
	uint32_t n = __atomic_fetch_add(&f->nsites, 1, __ATOMIC_RELAXED);
	if (n >= PICOS_FAST_FILE_SITES)
		return;
	struct picos_fast_site *e = &f->site[n];
	e->off = (uint32_t)off;
	rt_memcpy(e->bytes, bytes, (size_t)site->len);
	__atomic_store_n(&e->len, (uint8_t)site->len, __ATOMIC_RELEASE);
}

/* Whether entry e of a known file is a site at `addr` of the fresh
 * mapping v, as the bytes there show (the entry may be anything: the
 * guest can write the table); *site then. */
static bool known_site(const struct picos_fast_site *e, uint64_t addr,
		       const struct vma *v, struct site *site)
{
	int len = __atomic_load_n(&e->len, __ATOMIC_ACQUIRE);
	unsigned char b[SITE_MAX];
	if (len < 7 || len > SITE_MAX || addr < v->start ||
	    addr + (uint64_t)len > v->end ||
	    !bytes_before(addr + (uint64_t)len, b))
		return false;
	return rt_memcmp(b + SITE_MAX - len, (const void *)e->bytes, (size_t)len) == 0 &&
	       match_site(b, addr + (uint64_t)len, NULL, site) &&
	       site->len == len;
}

/* A private executable mapping of host fd `fd` at [start, end), file
 * offset `off`, just made: notes its file, and patches the sites the
 * world knows in it.  No thread runs code in a mapping being made, so
 * the bytes are written without the int3 steps. */
void fast_map_file(uint64_t start, uint64_t end, int fd, uint64_t off)
{
	struct file_key k;
	if (fast_patch_off || area_failed || proc.vfork_child || !popts.world ||
	    !file_key_of(fd, &k))
		return;
	uint32_t idx = file_entry(&k);
	if (!idx)
		return;
	mm_set_file(start, end, idx, off);
	const struct vma *v = mm_find(start);
	struct picos_fast_file *f = known_file(idx);
	uint32_t n = __atomic_load_n(&f->nsites, __ATOMIC_ACQUIRE);
	if (!v || n == 0 || current()->seccomp_mode || current()->pt_tracer)
		return;
	if (n > PICOS_FAST_FILE_SITES)
		n = PICOS_FAST_FILE_SITES;
	bool opened = false;
	for (uint32_t j = 0; j < n && nslots < FAST_SLOTS; j++) {
		struct site site;
		uint64_t eoff = f->site[j].off;
		if (eoff < off || eoff - off >= end - start ||
		    !known_site(&f->site[j], start + (eoff - off), v, &site))
			continue;
		if (!opened) {
			if ((!fast_area_end && !map_area()) ||
			    host_mprotect(start, end - start, v->prot | PROT_WRITE) < 0)
				return;
			area_writable(true);
			opened = true;
		}
		unsigned char pre[SITE_MAX], bytes[SITE_MAX];
		rt_memcpy(pre, (const void *)site.addr, (size_t)site.len);
		int i = nslots++;
		fill_stub(i, &site, pre);
		site_bytes(&site, i, bytes);
		rt_memcpy((void *)site.addr, bytes, (size_t)site.len);
	}
	if (opened) {
		area_writable(false);
		host_mprotect(start, end - start, v->prot);
	}
}

/* Records the site of a call the slow path served, when it lies in a
 * file mapping, for the processes that map the file later. */
static void remember_trapped(const struct site *site, const unsigned char *pre)
{
	const struct vma *v = mm_find(site->addr);
	if (v && v->fast_file && site->addr + (uint64_t)site->len <= v->end &&
	    (v->prot & PROT_EXEC))
		remember_site(v->fast_file, v->file_off + (site->addr - v->start),
			      site, pre);
}

/* After a call the slow path served from `ret` (f: the registers at the
 * `syscall`): its site is recorded for the world when first seen, and
 * patched when it traps again. */
void fast_try_patch(uint64_t ret, const struct pico_frame *f)
{
	struct pico_thread *t = current();
	long nr = (long)f->orig_rax;
	if (fast_patch_off || area_failed || !fast_call(nr, f) ||
	    nslots == FAST_SLOTS || proc.vfork_child || t->pt_tracer ||
	    t->seccomp_mode)
		return;
	unsigned char b[SITE_MAX];
	struct site site;
	if (!bytes_before(ret, b) || !match_site(b, ret, f, &site))
		return;
	const unsigned char *pre = b + SITE_MAX - site.len;
	bool again = seen_before(ret);
	/* one patcher at a time: the slot count and the area's protections
	 * are the memory's, shared by its threads */
	provider_lock();
	if (!again) {
		remember_trapped(&site, pre);
		provider_unlock();
		return;
	}
	const struct vma *v = mm_find(site.addr);
	bool threads = gproc()->nthreads != 1 || proc.vm_users != 1;
	unsigned char now[SITE_MAX];
	bool ok = v && ret <= v->end && (v->prot & PROT_EXEC) &&
		  (v->flags & MAP_TYPE) == MAP_PRIVATE &&
		  (!threads || core_sync_ready()) &&
		  (fast_area_end || map_area()) &&
		  copy_from_user(now, (const void *)site.addr, (size_t)site.len) == 0 &&
		  rt_memcmp(now, pre, (size_t)site.len) == 0; /* no other thread patched it */
	if (ok) {
		int i = nslots++;
		write_site(&site, v, i, make_stub(i, &site, pre), threads);
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
	if (!fast_call((long)f->orig_rax, f) || t->ncaught || t->seccomp_mode ||
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
	if (slot < FAST_TABLE || slot >= FAST_TABLE + (uint64_t)nslots * 8 ||
	    slot % 8)
		return 0;
	uint64_t stub = ((const uint64_t *)FAST_TABLE)[(slot - FAST_TABLE) / 8];
	uint64_t ret = stub_ret(stub);
	return ret && ret - *(const unsigned char *)(stub + STUB_LEN) == site
		       ? stub
		       : 0;
}

/* A `ud2` at ip inside a patched site, where one of the site's
 * instructions began (a jump into the middle of the site, or a return
 * to its `syscall` to restart it): on with that instruction in the
 * stub, with the registers as they are. */
bool fast_mid_site(struct ucontext *uc)
{
	uint64_t ip = uc->uc_mcontext.rip;
	unsigned char ud2[2];
	if (copy_from_user(ud2, (const void *)ip, 2) < 0 || ud2[0] != 0x0f ||
	    ud2[1] != 0x0b)
		return false;
	for (int off = 5; off < SITE_MAX; off++) {
		uint64_t stub = stub_of_site(ip - (uint64_t)off);
		uint16_t bounds;
		if (!stub)
			continue;
		rt_memcpy(&bounds, (const void *)(stub + STUB_BOUNDS), 2);
		if (!(bounds & (1u << off)))
			return false;
		int len = *(const unsigned char *)(stub + STUB_LEN);
		uc->uc_mcontext.rip = off == len - 2 ? stub + STUB_DOOR
						     : stub + (uint64_t)off;
		return true;
	}
	return false;
}

bool fast_int3_site(struct ucontext *uc)
{
	uint64_t site = uc->uc_mcontext.rip - 1;
	uint64_t stub = site == patching_site ? patching_stub : stub_of_site(site);
	if (!stub)
		return false;
	/* the int3 took the place of the site's first byte: the site's
	 * instructions, from the stub */
	uc->uc_mcontext.rip = stub;
	return true;
}
