/* Which code around a `syscall` is a site the fast path can patch
 * (fastpath.c).
 *
 * A site is the `syscall` with the one or two instructions before it
 * that set it up and, where the bytes before are too few, the result
 * check after it (cmp $-4096,%rax; ja/jbe), all moved into the site's
 * stub.  The patch is a 7-byte `jmp *SLOT` whose bytes 5 and 6 are a
 * `ud2`; any other offset where one of the site's instructions starts
 * must hold int3 (or that ud2), so that a jump or a return there traps
 * and goes on at the same instruction in the stub.  So the jump goes at
 * offset 0 when no instruction starts at offsets 1-4 or 6, or further in
 * behind a 2-byte `jmp` over int3 filler (jump_at).
 *
 * The instructions are read backwards from the `syscall`, which is
 * ambiguous: bytes that decode as `mov $imm32,%edi` may be the tail of a
 * longer instruction.  So each register an instruction of the site loads
 * must hold that value at the trap (the call number in %eax included);
 * the result check is read forwards from the `syscall`'s end, an
 * instruction start. */
#include "fastpath.h"

/* The value of general register r (the x86 encoding's number, 0-15)
 * in frame f (%rax: the call number). */
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

/* `b8+r imm32` (mov $imm32,%r32), its register holding the value at the
 * `syscall` (zero-extended). */
static bool mov_imm32(const unsigned char *p, const struct pico_frame *f,
		      int *reg)
{
	if (p[0] < 0xb8 || p[0] > 0xbf)
		return false;
	uint32_t imm;
	rt_memcpy(&imm, p + 1, 4);
	*reg = p[0] - 0xb8;
	return !f || reg_of(f, *reg) == imm;
}

/* `48/49 c7 c0+r imm32` (mov $simm32,%r64, Go's way). */
static bool mov_simm64(const unsigned char *p, const struct pico_frame *f)
{
	if ((p[0] != 0x48 && p[0] != 0x49) || p[1] != 0xc7 ||
	    (p[2] & 0xf8) != 0xc0)
		return false;
	int32_t imm;
	rt_memcpy(&imm, p + 3, 4);
	return !f || reg_of(f, (p[0] & 1) * 8 + (p[2] & 7)) == (uint64_t)(int64_t)imm;
}

/* `31 /r` with one register below r8 twice (xor %r32,%r32): zero. */
static bool xor_self(const unsigned char *p, const struct pico_frame *f)
{
	int r = p[1] & 7;
	return p[0] == 0x31 && (p[1] & 0xc0) == 0xc0 && ((p[1] >> 3) & 7) == r &&
	       (!f || reg_of(f, r) == 0);
}

/* `REX.W 89 /r` between registers (mov %r64,%r64: Go's Syscall6, musl's
 * `mov %rdi,%rax`): both equal at the `syscall`, neither %rsp nor one
 * the `syscall` overwrites (%rcx, %r11), which the check cannot see. */
static bool mov_reg(const unsigned char *p, const struct pico_frame *f)
{
	if ((p[0] & 0xfa) != 0x48 || p[1] != 0x89 || (p[2] & 0xc0) != 0xc0)
		return false;
	int src = ((p[2] >> 3) & 7) + (p[0] & 4 ? 8 : 0);
	int dst = (p[2] & 7) + (p[0] & 1 ? 8 : 0);
	if (src == 1 || src == 4 || src == 11 || dst == 1 || dst == 4 || dst == 11)
		return false;
	return !f || reg_of(f, src) == reg_of(f, dst);
}

/* `REX.W 89 /r` between registers, unchecked: only after an instruction
 * that was checked, which tells where this one starts. */
static bool mov_reg_after(const unsigned char *p)
{
	return (p[0] & 0xfa) == 0x48 && p[1] == 0x89 && (p[2] & 0xc0) == 0xc0 &&
	       (p[2] & 7) != 4 && !((p[0] & 1) && (p[2] & 7) == 3); /* not to %rsp, %r11 */
}

/* `REX.W 8b /r` loading a register from disp8(%rsp) (musl's sixth
 * argument, Go's old stack arguments): the register holds that stack
 * word at the `syscall`. */
static bool mov_from_stack(const unsigned char *p, const struct pico_frame *f)
{
	if ((p[0] & 0xfb) != 0x48 || p[1] != 0x8b || (p[2] & 0xc7) != 0x44 ||
	    p[3] != 0x24)
		return false;
	int reg = ((p[2] >> 3) & 7) + (p[0] & 4 ? 8 : 0);
	uint64_t word;
	if (!f)
		return true;
	if (reg == 1 || reg == 4 || reg == 11 ||
	    copy_from_user(&word, (const void *)(f->rsp + (uint64_t)(int64_t)(signed char)p[4]),
			   8) < 0)
		return false;
	return reg_of(f, reg) == word;
}

/* `8b /r` loading a 32-bit register from disp8(%rsp) (glibc's
 * multi-threaded wrappers reload an argument saved around the
 * cancellation hook): the register holds that stack dword, zero-extended,
 * at the `syscall`; *reg is the register. */
static bool mov32_from_stack(const unsigned char *p, const struct pico_frame *f,
			     int *reg)
{
	if (p[0] != 0x8b || (p[1] & 0xc7) != 0x44 || p[2] != 0x24)
		return false;
	*reg = (p[1] >> 3) & 7;
	uint32_t word;
	if (!f)
		return true;
	if (*reg == 1 || *reg == 4 ||
	    copy_from_user(&word, (const void *)(f->rsp + (uint64_t)(int64_t)(signed char)p[3]),
			   4) < 0)
		return false;
	return reg_of(f, *reg) == word;
}

/* Whether the byte before an instruction the match reads backwards
 * could be a prefix that makes it another one (a segment, operand size,
 * rep or lock prefix, or a REX byte): such a site is not taken. */
static bool prefix_before(const unsigned char *p)
{
	switch (p[-1]) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return p[-1] >= 0x40 && p[-1] <= 0x4f;
	}
}

/* `REX.W 89 /r` storing a register to (base) (n = 3) or disp8(base)
 * (n = 4), the base neither %rip nor one that needs a SIB byte: that
 * memory holds the register at the `syscall` (glibc's ld.so stores its
 * TCB's self pointers before arch_prctl).  Neither register is %rcx or
 * %r11, which the check cannot see. */
static bool store_reg(const unsigned char *p, int n, const struct pico_frame *f)
{
	int mod = p[2] >> 6, rm = p[2] & 7;
	if ((p[0] & 0xf8) != 0x48 || p[1] != 0x89 || mod != n - 3 || rm == 4 ||
	    (mod == 0 && rm == 5))
		return false;
	int src = ((p[2] >> 3) & 7) + (p[0] & 4 ? 8 : 0);
	int base = rm + (p[0] & 1 ? 8 : 0);
	if (src == 1 || src == 11 || base == 1 || base == 11)
		return false;
	if (!f)
		return true;
	int64_t disp = n == 4 ? (signed char)p[3] : 0;
	uint64_t word;
	return copy_from_user(&word, (const void *)(reg_of(f, base) + (uint64_t)disp),
			      8) == 0 &&
	       word == reg_of(f, src);
}

/* `0f 11 /r` storing %xmm0-7 to disp32(base) (movups, 7 bytes, no
 * prefix: one would make it movss or movsd, which store less), base
 * neither needing a SIB byte nor %rcx: the 16 bytes there hold the
 * register at the `syscall` (glibc's ld.so before set_robust_list). */
static bool movups_store(const unsigned char *p, const struct trap_regs *r)
{
	if (p[0] != 0x0f || p[1] != 0x11 || (p[2] & 0xc0) != 0x80 ||
	    (p[2] & 7) == 4 || (p[2] & 7) == 1 || prefix_before(p))
		return false;
	if (!r)
		return true;
	if (!r->xmm)
		return false;
	int32_t disp;
	rt_memcpy(&disp, p + 3, 4);
	unsigned char m[16];
	uint64_t at = reg_of(r->f, p[2] & 7) + (uint64_t)(int64_t)disp;
	return copy_from_user(m, (const void *)at, 16) == 0 &&
	       rt_memcmp(m, r->xmm + 16 * ((p[2] >> 3) & 7), 16) == 0;
}

/* Long nops compilers pad with: 5, 7 and 8 bytes. */
static int long_nop(const unsigned char *p)
{
	static const unsigned char n5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const unsigned char n7[] = { 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	static const unsigned char n8[] = { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 };
	if (rt_memcmp(p - 8, n8, 8) == 0)
		return 8;
	if (rt_memcmp(p - 7, n7, 7) == 0)
		return 7;
	return rt_memcmp(p - 5, n5, 5) == 0 ? 5 : 0;
}

/* Instructions before the `syscall` a site may take: their length and
 * where inside them a later one starts. */
struct pre {
	int len;
	uint32_t bounds;
};

/* `mov $imm32,%r32` and one or two register stores before the
 * `syscall` (glibc's ld.so: `mov $158,%eax; mov %rbx,(%rbx);
 * mov %rbx,16(%rbx); syscall`), each checked; they add to c[n]. */
static int pre_stores(const unsigned char *sc, const struct pico_frame *f,
		      struct pre *c, int n)
{
	int reg;
	for (int b = 3; b <= 4; b++) {
		if (!store_reg(sc - b, b, f))
			continue;
		if (mov_imm32(sc - b - 5, f, &reg))
			c[n++] = (struct pre){ b + 5, 1u << 5 };
		for (int a = 3; a <= 4 && a + b + 5 <= SITE_PRE; a++)
			if (store_reg(sc - b - a, a, f) &&
			    mov_imm32(sc - b - a - 5, f, &reg))
				c[n++] = (struct pre){ a + b + 5,
						       (1u << 5) | (1u << (5 + a)) };
	}
	return n;
}

/* The choices for the `syscall` at sc, best first (fewer than 20). */
static int pre_choices(const unsigned char *sc, const struct trap_regs *r,
		       struct pre *c)
{
	const struct pico_frame *f = r ? r->f : NULL;
	int n = 0, reg;
	if (mov_imm32(sc - 5, f, &reg))
		c[n++] = (struct pre){ 5, 0 };
	if (mov_simm64(sc - 7, f))
		c[n++] = (struct pre){ 7, 0 };
	if (xor_self(sc - 2, f)) {
		int nop = long_nop(sc - 2);
		if (nop)
			c[n++] = (struct pre){ nop + 2, 1u << nop };
		if (mov_imm32(sc - 7, f, &reg) && reg != (sc[-1] & 7))
			c[n++] = (struct pre){ 7, 1u << 5 };
		if (mov32_from_stack(sc - 6, f, &reg) && reg != (sc[-1] & 7))
			c[n++] = (struct pre){ 6, 1u << 4 }; /* glibc's read */
		c[n++] = (struct pre){ 2, 0 };
	}
	if (mov_reg(sc - 3, f))
		c[n++] = (struct pre){ 3, 0 };
	if (mov_reg_after(sc - 3) && mov_from_stack(sc - 8, f))
		c[n++] = (struct pre){ 8, 1u << 5 }; /* musl's __syscall_cp_c */
	if (mov_from_stack(sc - 5, f) && !prefix_before(sc - 5))
		c[n++] = (struct pre){ 5, 0 }; /* glibc's syscall() */
	if (movups_store(sc - 7, r))
		c[n++] = (struct pre){ 7, 0 };
	return pre_stores(sc, f, c, n);
}

/* The result check after a `syscall` (q: its end): cmp $-4096 or -4095,
 * %rax, then a jcc rel8 whose target is not inside the site (which ends
 * after it). */
static bool post_check(const unsigned char *q, int pre_len)
{
	static const unsigned char cmp[] = { 0x48, 0x3d, 0, 0xf0, 0xff, 0xff };
	if (q[0] != cmp[0] || q[1] != cmp[1] || (q[2] != 0 && q[2] != 1) ||
	    rt_memcmp(q + 3, cmp + 3, 3) != 0 || (q[6] & 0xf0) != 0x70)
		return false;
	int rel = (signed char)q[7];
	/* from the site's end; the site starts pre_len + 2 + 8 before it */
	return rel >= 0 || -rel > pre_len + 2 + SITE_POST;
}

/* Where the 7-byte jump can go in a site of `len` bytes whose
 * instructions start at `bounds`: none at its offsets 0-4 or 6 (5 is
 * its ud2), nor at 1 when a 2-byte jmp at 0 leads to it; -1 if nowhere. */
static int jump_at(int len, uint32_t bounds)
{
	for (int j = 0; j + 7 <= len; j = j ? j + 1 : 2) {
		uint32_t inside = bounds & (0x7fu << j) & ~(1u << (j + 5));
		if (!inside && (j == 0 || !(bounds & 2)))
			return j;
	}
	return -1;
}

/* A site from the `syscall` at sc_addr of choice c, with the result
 * check or without. */
static bool try_site(const unsigned char *b, uint64_t sc_addr,
		     const struct pre *c, bool post, struct site *site)
{
	int len = c->len + 2 + (post ? SITE_POST : 0);
	uint32_t bounds = c->bounds | (1u << c->len);
	if (post)
		bounds |= (1u << (c->len + 2)) | (1u << (c->len + 8));
	int j = jump_at(len, bounds);
	if (j < 0)
		return false;
	site->addr = sc_addr - (uint64_t)c->len;
	site->len = len;
	site->sc = c->len;
	site->jmp = j;
	site->post = post;
	site->bounds = bounds;
	rt_memcpy(site->bytes, b + SITE_BACK - c->len, (size_t)len);
	return true;
}

bool match_site(const unsigned char *b, uint64_t sc_addr,
		const struct trap_regs *r, struct site *site)
{
	const unsigned char *sc = b + SITE_BACK;
	if (sc[0] != 0x0f || sc[1] != 0x05)
		return false;
	struct pre c[20];
	int n = pre_choices(sc, r, c);
	for (int i = 0; i < n; i++)
		if (try_site(b, sc_addr, &c[i], false, site) ||
		    (post_check(sc + 2, c[i].len) &&
		     try_site(b, sc_addr, &c[i], true, site)))
			return true;
	return false;
}

/* Reads [a, a + n) into b, int3 where a page of it is unreadable. */
static void read_or_int3(uint64_t a, unsigned char *b, size_t n)
{
	if (copy_from_user(b, (const void *)a, n) == 0)
		return;
	uint64_t page = RT_ALIGN_UP(a, RT_PAGE_SIZE);
	size_t first = page > a && page < a + n ? (size_t)(page - a) : n;
	if (copy_from_user(b, (const void *)a, first) < 0)
		rt_memset(b, 0xcc, first);
	if (first < n && copy_from_user(b + first, (const void *)page, n - first) < 0)
		rt_memset(b + first, 0xcc, n - first);
}

bool bytes_around(uint64_t sc_addr, unsigned char *b)
{
	if (sc_addr < SITE_BACK)
		return false;
	read_or_int3(sc_addr - SITE_BACK, b, SITE_AROUND);
	return b[SITE_BACK] == 0x0f && b[SITE_BACK + 1] == 0x05;
}
