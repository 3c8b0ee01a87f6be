/* The classic BPF of seccomp filters: Linux's install-time checks and an
 * interpreter.  Jumps only go forward, so every run ends within `len`
 * steps; the checks make every load, store and jump stay in bounds, so
 * the interpreter needs no checks of its own. */
#include "seccomp_bpf.h"

#define MEMWORDS 16 /* BPF_MEMWORDS: the scratch memory M[] */

/* The instructions seccomp accepts (Linux's seccomp_check_filter list). */
static bool code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_RET | BPF_K: case BPF_RET | BPF_A:
	case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
	case BPF_ST: case BPF_STX:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	default:
		return false;
	}
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* One instruction's own constraints, at `pc` of `len`. */
static bool insn_ok(struct sock_filter *i, uint32_t pc, uint32_t len)
{
	/* The length loads become immediates (Linux does the same). */
	if (i->code == (BPF_LD | BPF_W | BPF_LEN)) {
		i->code = BPF_LD | BPF_IMM;
		i->k = sizeof(struct seccomp_data);
	} else if (i->code == (BPF_LDX | BPF_W | BPF_LEN)) {
		i->code = BPF_LDX | BPF_IMM;
		i->k = sizeof(struct seccomp_data);
	}
	uint16_t c = i->code;
	if (c == (BPF_LD | BPF_W | BPF_ABS)) /* aligned, inside seccomp_data */
		return i->k < sizeof(struct seccomp_data) && !(i->k & 3);
	if (!code_allowed(c))
		return false;
	if (c == (BPF_ALU | BPF_DIV | BPF_K))
		return i->k != 0;
	if (c == (BPF_ALU | BPF_LSH | BPF_K) || c == (BPF_ALU | BPF_RSH | BPF_K))
		return i->k < 32;
	if (c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM) || c == BPF_ST ||
	    c == BPF_STX)
		return i->k < MEMWORDS;
	if (c == (BPF_JMP | BPF_JA))
		return i->k < len - pc - 1;
	if (is_cond_jump(c))
		return pc + i->jt + 1 < len && pc + i->jf + 1 < len;
	return true;
}

/* Every load of M[k] must follow a store to it on each path there
 * (Linux's check_load_and_stores): one mask of valid words per target. */
static bool loads_after_stores(const struct sock_filter *p, uint32_t len)
{
	uint16_t masks[BPF_MAXINSNS];
	for (uint32_t pc = 0; pc < len; pc++)
		masks[pc] = 0xffff;
	uint16_t valid = 0;
	for (uint32_t pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &p[pc];
		valid &= masks[pc];
		if (i->code == BPF_ST || i->code == BPF_STX) {
			valid |= (uint16_t)(1u << i->k);
		} else if (i->code == (BPF_LD | BPF_MEM) ||
			   i->code == (BPF_LDX | BPF_MEM)) {
			if (!(valid & (1u << i->k)))
				return false;
		} else if (i->code == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + i->k] &= valid;
			valid = 0xffff;
		} else if (is_cond_jump(i->code)) {
			masks[pc + 1 + i->jt] &= valid;
			masks[pc + 1 + i->jf] &= valid;
			valid = 0xffff;
		}
	}
	return true;
}

long seccomp_bpf_check(struct sock_filter *prog, uint32_t len)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (uint32_t pc = 0; pc < len; pc++)
		if (!insn_ok(&prog[pc], pc, len))
			return -EINVAL;
	if (BPF_CLASS(prog[len - 1].code) != BPF_RET)
		return -EINVAL;
	return loads_after_stores(prog, len) ? 0 : -EINVAL;
}

uint32_t seccomp_bpf_kernel_len(const struct sock_filter *p, uint32_t len)
{
	uint32_t n = 3; /* clear A, clear X, keep the context pointer */
	for (uint32_t pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &p[pc];
		uint16_t op = BPF_OP(i->code);
		switch (BPF_CLASS(i->code)) {
		case BPF_ALU: /* a division by X checks X == 0 first */
			n += i->code == (BPF_ALU | BPF_DIV | BPF_X) ? 5 : 1;
			break;
		case BPF_RET: /* exit; a constant is moved to A's register first */
			n += BPF_RVAL(i->code) == BPF_K ? 2 : 1;
			break;
		case BPF_JMP:
			if (op == BPF_JA) {
				n += 1;
				break;
			}
			/* A negative immediate goes through a register. */
			if (BPF_SRC(i->code) == BPF_K && (int32_t)i->k < 0)
				n += 1;
			/* One jump when a branch falls through (JSET only
			 * when the false one does), two otherwise. */
			if (i->jf == 0 || (i->jt == 0 && op != BPF_JSET))
				n += 1;
			else
				n += 2;
			break;
		default:
			n += 1;
			break;
		}
	}
	return n;
}

static uint32_t load_word(const struct seccomp_data *d, uint32_t off)
{
	uint32_t v;
	rt_memcpy(&v, (const char *)d + off, sizeof v);
	return v;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t b, bool *div0)
{
	switch (op) {
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_MUL: return a * b;
	case BPF_DIV:
		if (b == 0) {
			*div0 = true;
			return 0;
		}
		return a / b;
	case BPF_AND: return a & b;
	case BPF_OR: return a | b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return a << (b & 31);
	case BPF_RSH: return a >> (b & 31);
	default: return -a; /* BPF_NEG */
	}
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	default: return (a & b) != 0; /* BPF_JSET */
	}
}

uint32_t seccomp_bpf_run(const struct sock_filter *prog,
			 const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[MEMWORDS] = { 0 };
	for (uint32_t pc = 0;; pc++) {
		const struct sock_filter *i = &prog[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			A = BPF_MODE(i->code) == BPF_ABS   ? load_word(d, i->k)
			    : BPF_MODE(i->code) == BPF_MEM ? M[i->k]
							   : i->k;
			break;
		case BPF_LDX:
			X = BPF_MODE(i->code) == BPF_MEM ? M[i->k] : i->k;
			break;
		case BPF_ST:
			M[i->k] = A;
			break;
		case BPF_STX:
			M[i->k] = X;
			break;
		case BPF_ALU: {
			bool div0 = false;
			A = alu(BPF_OP(i->code), A, src, &div0);
			if (div0)
				return 0; /* Linux: division by X == 0 ends with 0 */
			break;
		}
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA)
				pc += i->k;
			else
				pc += jump_taken(BPF_OP(i->code), A, src) ? i->jt
									  : i->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? A : i->k;
		default: /* BPF_MISC */
			if (BPF_MISCOP(i->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		}
	}
}
