/* The length of an x86-64 instruction, for fastscan.c: decoding a
 * function forward from its start tells which bytes start instructions,
 * so a `mov $nr,%eax; syscall` found by its bytes is known to be those
 * two instructions and not the tail of a longer one.
 *
 * Only the length is worked out, never the meaning, and only for what
 * compilers and glibc's assembly emit in 64-bit code: legacy prefixes,
 * REX, the one-, two- and three-byte opcode maps, VEX and EVEX.  Anything
 * else (an opcode invalid in 64-bit mode, 3DNow!, XOP, AMX's or FP16's
 * maps, a prefix that changes a branch's width) is -1, which ends the
 * decoding of that function: a site there is left to trap.  Pure code,
 * no provider state: tests/unit/test_x86len.c checks it against objdump. */
#include "x86len.h"

enum {
	K = 1,	 /* known (0: unknown here, -1) */
	M = 2,	 /* a ModRM byte (and SIB, displacement) */
	I8 = 4,	 /* an 8-bit immediate */
	I16 = 8, /* a 16-bit immediate */
	IZ = 16, /* a 32-bit immediate, 16-bit under a 66 prefix */
	BAD = 0
};

/* What each opcode of the one-byte map takes.  (A table, not a switch:
 * the provider builds without jump tables, and a search decodes whole
 * functions; 0xb8-0xbf, 0xa0-0xa3, 0xe8, 0xe9, 0xf6, 0xf7, 0x8f, 0x0f
 * and VEX are worked out in x86_insn_len.) */
static const unsigned char one_map[256] = {
	/* add, or, adc, sbb, and, sub, xor, cmp: r/m forms, al/eax imm */
	[0x00 ... 0x03] = K | M, [0x04] = K | I8, [0x05] = K | IZ,
	[0x08 ... 0x0b] = K | M, [0x0c] = K | I8, [0x0d] = K | IZ,
	[0x10 ... 0x13] = K | M, [0x14] = K | I8, [0x15] = K | IZ,
	[0x18 ... 0x1b] = K | M, [0x1c] = K | I8, [0x1d] = K | IZ,
	[0x20 ... 0x23] = K | M, [0x24] = K | I8, [0x25] = K | IZ,
	[0x28 ... 0x2b] = K | M, [0x2c] = K | I8, [0x2d] = K | IZ,
	[0x30 ... 0x33] = K | M, [0x34] = K | I8, [0x35] = K | IZ,
	[0x38 ... 0x3b] = K | M, [0x3c] = K | I8, [0x3d] = K | IZ,
	[0x50 ... 0x5f] = K,	     /* push, pop */
	[0x63] = K | M,		     /* movsxd */
	[0x68] = K | IZ, [0x69] = K | M | IZ, [0x6a] = K | I8, [0x6b] = K | M | I8,
	[0x6c ... 0x6f] = K,	     /* ins, outs */
	[0x70 ... 0x7f] = K | I8,	     /* jcc rel8 */
	[0x80] = K | M | I8, [0x81] = K | M | IZ, [0x83] = K | M | I8,
	[0x84 ... 0x8f] = K | M,	     /* test, xchg, mov, lea, pop r/m */
	[0x90 ... 0x99] = K,	     /* xchg, cwde, cdq */
	[0x9b ... 0x9f] = K,	     /* fwait, pushf, popf, sahf, lahf */
	[0xa4 ... 0xa7] = K, [0xa8] = K | I8, [0xa9] = K | IZ, [0xaa ... 0xaf] = K,
	[0xb0 ... 0xb7] = K | I8,
	[0xc0] = K | M | I8, [0xc1] = K | M | I8, [0xc2] = K | I16, [0xc3] = K,
	[0xc6] = K | M | I8, [0xc7] = K | M | IZ, [0xc8] = K | I16 | I8, [0xc9] = K,
	[0xca] = K | I16, [0xcb] = K, [0xcc] = K, [0xcd] = K | I8, [0xcf] = K,
	[0xd0 ... 0xd3] = K | M, [0xd7] = K, [0xd8 ... 0xdf] = K | M, /* shifts, x87 */
	[0xe0 ... 0xe7] = K | I8, [0xeb] = K | I8, [0xec ... 0xef] = K,
	[0xf1] = K, [0xf4] = K, [0xf5] = K, [0xf8 ... 0xfd] = K,
	[0xfe] = K | M, [0xff] = K | M,
};

/* The two-byte map (0f xx). */
static const unsigned char two_map[256] = {
	[0x00 ... 0x03] = K | M, [0x0d] = K | M,
	[0x05 ... 0x09] = K, [0x0b] = K,		 /* syscall ... ud2 */
	[0x10 ... 0x1f] = K | M, [0x20 ... 0x23] = K | M, [0x28 ... 0x2f] = K | M,
	[0x30 ... 0x35] = K, [0x37] = K,		 /* wrmsr ... getsec */
	[0x40 ... 0x6f] = K | M, [0x70 ... 0x73] = K | M | I8, /* pshuf*, shifts by imm */
	[0x74 ... 0x76] = K | M, [0x77] = K, [0x79 ... 0x7f] = K | M,
	[0x80 ... 0x8f] = K | IZ,				 /* jcc rel32 */
	[0x90 ... 0x9f] = K | M,
	[0xa0 ... 0xa2] = K, [0xa3] = K | M, [0xa4] = K | M | I8, [0xa5] = K | M,
	[0xa8 ... 0xaa] = K, [0xab] = K | M, [0xac] = K | M | I8, [0xad ... 0xaf] = K | M,
	[0xb0 ... 0xb9] = K | M, [0xba] = K | M | I8, [0xbb ... 0xc1] = K | M,
	[0xc2] = K | M | I8, [0xc3] = K | M, [0xc4 ... 0xc6] = K | M | I8, [0xc7] = K | M,
	[0xc8 ... 0xcf] = K,				 /* bswap */
	[0xd0 ... 0xff] = K | M,
};

static unsigned char one_byte(unsigned char op)
{
	return one_map[op];
}

static unsigned char two_byte(unsigned char op)
{
	return two_map[op];
}

/* An opcode of map 1 (0f), 2 (0f 38) or 3 (0f 3a) under a VEX or EVEX
 * prefix: all take ModRM, map 3 an imm8 too; vzeroupper/vzeroall (map 1,
 * 77) take nothing. */
static unsigned char vex_map(int map, unsigned char op)
{
	switch (map) {
	case 1:
		if (op == 0x77)
			return K;
		return two_byte(op) == BAD ? BAD : K | (two_byte(op) & I8) | M;
	case 2: return K | M;
	case 3: return K | M | I8;
	default: return BAD;
	}
}

/* The bytes ModRM (at p, with n bytes there) adds: itself, SIB and the
 * displacement; -1 when they are not all there. */
static int modrm_len(const unsigned char *p, size_t n)
{
	if (n < 1)
		return -1;
	int mod = p[0] >> 6, rm = p[0] & 7, len = 1;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (n < 2)
			return -1;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		len += 4; /* %rip-relative */
	}
	len += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	return (size_t)len <= n ? len : -1;
}

/* The length from the opcode's last byte on (at p: ModRM or immediate),
 * given what the opcode takes. */
static int operands(const unsigned char *p, size_t n, unsigned char what,
		    bool opsize16)
{
	int len = 0;
	if (!(what & K))
		return -1;
	if (what & M) {
		len = modrm_len(p, n);
		if (len < 0)
			return -1;
	}
	len += what & I8 ? 1 : 0;
	len += what & I16 ? 2 : 0;
	len += what & IZ ? (opsize16 ? 2 : 4) : 0;
	return (size_t)len <= n ? len : -1;
}

/* VEX (c4, c5) or EVEX (62) at p, after any prefixes. */
static int vex_len(const unsigned char *p, size_t n)
{
	int pre, map;
	if (p[0] == 0xc5) {
		pre = 2, map = 1;
	} else if (p[0] == 0xc4) {
		if (n < 3)
			return -1;
		pre = 3, map = p[1] & 0x1f;
	} else {
		if (n < 4 || (p[1] & 0x08) || !(p[2] & 0x04))
			return -1; /* reserved bits as EVEX wants them */
		pre = 4, map = p[1] & 0x07;
	}
	if ((size_t)pre >= n)
		return -1;
	unsigned char what = vex_map(map, p[pre]);
	int rest = operands(p + pre + 1, n - (size_t)pre - 1, what, false);
	return rest < 0 ? -1 : pre + 1 + rest;
}

/* The legacy prefixes: segment, operand and address size, lock, rep. */
static const bool prefix_map[256] = {
	[0x26] = true, [0x2e] = true, [0x36] = true, [0x3e] = true, [0x64] = true,
	[0x65] = true, [0x66] = true, [0x67] = true, [0xf0] = true, [0xf2] = true,
	[0xf3] = true,
};

static bool legacy_prefix(unsigned char b)
{
	return prefix_map[b];
}

int x86_insn_len(const unsigned char *p, size_t n)
{
	size_t i = 0;
	bool opsize16 = false, addr32 = false, rexw = false;
	if (n > 15)
		n = 15;
	while (i < n && legacy_prefix(p[i])) {
		opsize16 |= p[i] == 0x66;
		addr32 |= p[i++] == 0x67;
	}
	if (i < n && (p[i] & 0xf0) == 0x40)
		rexw = p[i++] & 8;
	if (i >= n)
		return -1;
	unsigned char op = p[i++];
	const unsigned char *q = p + i;
	size_t left = n - i;
	int rest;
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		/* (nothing before these: a REX, 66, f2 or f3 there is an
		 * invalid encoding, and compilers put no other prefix) */
		rest = i > 1 ? -1 : vex_len(p, n);
		return rest;
	}
	if (op >= 0xb8 && op <= 0xbf) {
		rest = rexw ? 8 : opsize16 ? 2 : 4; /* mov $imm,%reg */
	} else if (op >= 0xa0 && op <= 0xa3) {
		rest = addr32 ? 4 : 8; /* mov moffs */
	} else if (op == 0x8f && left >= 1 && ((q[0] >> 3) & 7)) {
		rest = -1; /* AMD's XOP, not pop */
	} else if (op == 0xe8 || op == 0xe9) {
		rest = opsize16 ? -1 : 4; /* call, jmp rel32 */
	} else if (op == 0xf6 || op == 0xf7) {
		/* test takes an immediate, not, neg, mul, div do not */
		if (left < 1)
			return -1;
		unsigned char what = K | M;
		if (((q[0] >> 3) & 7) < 2)
			what |= op == 0xf6 ? I8 : IZ;
		rest = operands(q, left, what, opsize16 && !rexw);
	} else if (op == 0x0f) {
		if (left < 1)
			return -1;
		unsigned char op2 = q[0];
		if (op2 == 0x38 || op2 == 0x3a) {
			rest = operands(q + 2, left >= 2 ? left - 2 : 0,
					op2 == 0x38 ? K | M : K | M | I8, false);
			rest = left < 2 || rest < 0 ? -1 : 2 + rest;
		} else if (op2 >= 0x80 && op2 <= 0x8f && opsize16) {
			rest = -1;
		} else {
			rest = operands(q + 1, left - 1, two_byte(op2), false);
			rest = rest < 0 ? -1 : 1 + rest;
		}
	} else {
		rest = operands(q, left, one_byte(op), opsize16 && !rexw);
	}
	if (rest < 0 || (size_t)rest > left)
		return -1;
	return (int)i + rest;
}
