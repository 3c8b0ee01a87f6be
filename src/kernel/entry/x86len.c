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
	M = 1,	 /* a ModRM byte (and SIB, displacement) */
	I8 = 2,	 /* an 8-bit immediate */
	I16 = 4, /* a 16-bit immediate */
	IZ = 8,	 /* a 32-bit immediate, 16-bit under a 66 prefix */
	BAD = 16 /* unknown here: -1 */
};

/* The one-byte map: 00-3f's ALU pattern is worked out in one_byte(). */
static unsigned char one_byte_rest(unsigned char op)
{
	if (op >= 0x50 && op <= 0x5f)
		return 0; /* push, pop */
	if (op >= 0x70 && op <= 0x7f)
		return I8; /* jcc rel8 */
	if (op >= 0x84 && op <= 0x8f)
		return M; /* test, xchg, mov, lea, pop r/m */
	if (op >= 0x90 && op <= 0x99)
		return 0; /* xchg, cwde, cdq */
	if (op >= 0x9b && op <= 0x9f)
		return 0; /* fwait, pushf, popf, sahf, lahf */
	if (op >= 0xb0 && op <= 0xb7)
		return I8;
	if (op >= 0xd8 && op <= 0xdf)
		return M; /* x87 */
	switch (op) {
	case 0x63: return M;		/* movsxd */
	case 0x68: return IZ;		/* push imm */
	case 0x69: return M | IZ;	/* imul */
	case 0x6a: return I8;
	case 0x6b: return M | I8;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return 0; /* ins, outs */
	case 0x80: case 0x83: return M | I8;
	case 0x81: return M | IZ;
	case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab:
	case 0xac: case 0xad: case 0xae: case 0xaf: return 0; /* string ops */
	case 0xa8: return I8;
	case 0xa9: return IZ;
	case 0xc0: case 0xc1: case 0xc6: return M | I8;
	case 0xc2: case 0xca: return I16; /* ret imm16 */
	case 0xc3: case 0xc9: case 0xcb: case 0xcc: case 0xcf: return 0;
	case 0xc7: return M | IZ;
	case 0xc8: return I16 | I8; /* enter */
	case 0xcd: return I8;	    /* int */
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: return M; /* shifts */
	case 0xd7: return 0; /* xlat */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xeb: return I8;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7: return I8; /* in, out */
	case 0xec: case 0xed: case 0xee: case 0xef: return 0;
	case 0xf1: case 0xf4: case 0xf5: return 0; /* int1, hlt, cmc */
	case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
		return 0; /* clc ... std */
	case 0xfe: case 0xff: return M;
	default: return BAD;
	}
}

static unsigned char one_byte(unsigned char op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3: return M; /* add ... cmp */
		case 4: return I8;
		case 5: return IZ;
		default: return BAD; /* invalid in 64-bit, prefixes, 0f */
		}
	}
	return one_byte_rest(op);
}

/* The two-byte map (0f xx). */
static unsigned char two_byte(unsigned char op)
{
	if ((op >= 0x10 && op <= 0x1f) || (op >= 0x28 && op <= 0x2f) ||
	    (op >= 0x40 && op <= 0x6f) || (op >= 0x74 && op <= 0x76) ||
	    (op >= 0x79 && op <= 0x7f) || (op >= 0x90 && op <= 0x9f) ||
	    (op >= 0xb0 && op <= 0xb9) || (op >= 0xbb && op <= 0xc1) ||
	    op == 0xc3 || op == 0xc7 || op >= 0xd0)
		return M;
	if (op >= 0x70 && op <= 0x73)
		return M | I8; /* pshuf*, shifts by imm */
	if (op >= 0x80 && op <= 0x8f)
		return IZ; /* jcc rel32 (a 66 prefix: -1, in x86_insn_len) */
	if (op >= 0xc8 && op <= 0xcf)
		return 0; /* bswap */
	switch (op) {
	case 0x00: case 0x01: case 0x02: case 0x03: case 0x0d:
	case 0x20: case 0x21: case 0x22: case 0x23:
	case 0xa3: case 0xa5: case 0xab: case 0xad: case 0xae: case 0xaf:
		return M;
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b:
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
	case 0x37: case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8:
	case 0xa9: case 0xaa:
		return 0; /* syscall ... ud2, wrmsr ... getsec, emms, cpuid */
	case 0xa4: case 0xac: case 0xba: case 0xc2: case 0xc4: case 0xc5:
	case 0xc6:
		return M | I8;
	default:
		return BAD;
	}
}

/* An opcode of map 1 (0f), 2 (0f 38) or 3 (0f 3a) under a VEX or EVEX
 * prefix: all take ModRM, map 3 an imm8 too; vzeroupper/vzeroall (map 1,
 * 77) take nothing. */
static unsigned char vex_map(int map, unsigned char op)
{
	switch (map) {
	case 1:
		if (op == 0x77)
			return 0;
		return two_byte(op) == BAD ? BAD : (two_byte(op) & I8) | M;
	case 2: return M;
	case 3: return M | I8;
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
	if (what & BAD)
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

static bool legacy_prefix(unsigned char b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
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
		unsigned char what = M;
		if (((q[0] >> 3) & 7) < 2)
			what |= op == 0xf6 ? I8 : IZ;
		rest = operands(q, left, what, opsize16 && !rexw);
	} else if (op == 0x0f) {
		if (left < 1)
			return -1;
		unsigned char op2 = q[0];
		if (op2 == 0x38 || op2 == 0x3a) {
			rest = operands(q + 2, left >= 2 ? left - 2 : 0,
					op2 == 0x38 ? M : M | I8, false);
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
