/* Sites found before their first call: the call sites in a window of a
 * file's code (FOUND_WINDOW), proved to be whole instructions.
 *
 * Bytes alone do not make an instruction boundary: b8 .. 0f 05 may be
 * the tail of a longer instruction (an immediate, a displacement), which
 * a patch would cut in two.  So a candidate is taken only when decoding
 * its function forward from the function's start (x86len.c) lands on
 * its first instruction.  The function's start and end come from the file's unwind
 * table: PT_GNU_EH_FRAME's sorted table of FDEs, each FDE a function's
 * [pc_begin, pc_begin + pc_range).  A function's first byte is an
 * instruction's, and compilers and glibc's assembly put no data inside
 * a function's range in .text (jump tables go to .rodata), so the decode
 * meets every instruction of it; any byte the decoder does not know ends
 * the decode there, and the sites after it are left to trap.  A Go
 * program has no unwind table but the runtime's own table of functions,
 * .gopclntab, each from its entry to the next one's (the linker pads
 * between them with int3, which decodes).  Code in neither (hand-written
 * code without CFI) is not searched.
 *
 * A site found is any the trap path would take (fastsite.c), checked
 * here by the decode instead of by the registers at a trap: its first
 * byte and each of its instructions' starts are the decode's, and no
 * other.  Its call number is what the decode saw put in %eax before the
 * `syscall` (mov $nr,%eax or xor %eax,%eax, then only moves to other
 * registers or memory); a site whose number is unknown, or one the fast
 * path sends through the door, is left to trap.  (A branch into the
 * middle with another %eax would only take the door: the number chooses
 * which sites are worth a stub, not what runs.)
 *
 * The bytes decoded are the guest's own mapping of the file, read when a
 * call in the window first traps; a mapping that was ever writable (its
 * bytes may be the guest's, not the file's: vma.written) is not
 * searched, nor is the unwind table read from one.  What is found goes
 * to the world's record of the file (world.h picos_fast_file), so each
 * window is searched once in a world; like the rest of that record, a
 * provider checks each entry's bytes before it patches from it. */
#include "fastpath.h"
#include "x86len.h"
#include <linux/elf.h>
#include <linux/mman.h>
#include <picos/world.h>

/* The longest function decoded: the sites past it trap. */
#define FN_MAX 4096

/* Go's function table, .gopclntab (section headers at file offset
 * shoff): its address and size into f, if it has one. */
static void go_table(int fd, const Elf64_Ehdr *eh, struct picos_fast_file *f)
{
	Elf64_Shdr sh[64];
	char names[4096];
	size_t n = eh->e_shnum * sizeof sh[0];
	if (eh->e_shentsize != sizeof sh[0] || eh->e_shnum == 0 || eh->e_shnum > 64 ||
	    eh->e_shstrndx >= eh->e_shnum || host_pread(fd, sh, n, eh->e_shoff) != (long)n)
		return;
	const Elf64_Shdr *str = &sh[eh->e_shstrndx];
	size_t sn = str->sh_size < sizeof names ? str->sh_size : sizeof names - 1;
	if (host_pread(fd, names, sn, str->sh_offset) != (long)sn)
		return;
	names[sn] = 0;
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_name < sn && (sh[i].sh_flags & SHF_ALLOC) &&
		    rt_strcmp(names + sh[i].sh_name, ".gopclntab") == 0 &&
		    sh[i].sh_size >= 72 && sh[i].sh_size < (1u << 30)) {
			f->fn_size = (uint32_t)sh[i].sh_size;
			f->fn_go = 1;
			f->fn_vaddr = sh[i].sh_addr;
		}
}

void fast_scan_layout(int fd, struct picos_fast_file *f)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[16];
	f->fn_vaddr = 0;
	if (host_pread(fd, &eh, sizeof eh, 0) != (long)sizeof eh ||
	    rt_memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof ph[0] || eh.e_phnum == 0 || eh.e_phnum > 16)
		return;
	size_t n = eh.e_phnum * sizeof ph[0];
	if (host_pread(fd, ph, n, eh.e_phoff) != (long)n)
		return;
	uint64_t eh_vaddr = 0, eh_size = 0;
	int text = 0;
	rt_memset(f->text, 0, sizeof f->text);
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_GNU_EH_FRAME) {
			eh_vaddr = ph[i].p_vaddr, eh_size = ph[i].p_filesz;
		} else if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
			   text < PICOS_FAST_TEXTS) {
			f->text[text].off = ph[i].p_offset;
			f->text[text].end = ph[i].p_offset + ph[i].p_filesz;
			f->text[text++].delta = ph[i].p_vaddr - ph[i].p_offset;
		}
	}
	if (!text)
		return;
	if (eh_vaddr && eh_size >= 12 && eh_size < (1u << 30)) {
		f->fn_size = (uint32_t)eh_size;
		f->fn_go = 0;
		f->fn_vaddr = eh_vaddr;
	} else {
		go_table(fd, &eh, f);
	}
}

/* A search of one page: the mapping, where the file's link-time
 * addresses are (bias: an address minus its p_vaddr), its unwind
 * table, and the function the decode is in. */
struct scan {
	const struct vma *v;
	uint64_t bias;
	uint64_t hdr;	 /* the table's address */
	uint32_t count;	 /* its entries */
	uint64_t entries; /* Go's: the first entry's address, and */
	uint64_t text;	  /* the address its entries count from */
	uint64_t fn, fn_end, at; /* the function, and where the decode is */
	bool dead;	 /* the decode of fn stopped */
	long eax;	 /* what %eax holds at `at` by the decode, -1: not known */
	uint32_t last;	 /* the table's entry of the last function looked up */
	uint64_t cie;	 /* the last CIE read, and its pointer encoding */
	int enc;
	unsigned char *buf; /* FN_MAX bytes of fn, from fn */
};

/* Whether [a, a + n) lies in one mapping the guest never wrote. */
static bool pristine(uint64_t a, uint64_t n)
{
	const struct vma *v = mm_find(a);
	return v && !v->written && (v->prot & PROT_READ) &&
	       (v->flags & MAP_TYPE) == MAP_PRIVATE && !(v->flags & MAP_ANONYMOUS) &&
	       a + n <= v->end && a + n > a;
}

static bool read_u32(uint64_t a, uint32_t *x)
{
	return copy_from_user(x, (const void *)a, 4) == 0;
}

/* Go's table (runtime/symtab.go pcHeader, Go 1.18 on): its entries,
 * nfunc + 1 pairs of uint32 (entry - textStart, the function's data),
 * the last one the end of the text. */
static bool go_table_of(struct scan *s, const struct picos_fast_file *f)
{
	struct {
		uint32_t magic;
		uint8_t pad1, pad2, min_lc, ptr_size;
		uint64_t nfunc, nfiles, text_start, names, cus, files, pcs, functab;
	} h;
	if (copy_from_user(&h, (const void *)s->hdr, sizeof h) < 0 ||
	    (h.magic != 0xfffffff0u && h.magic != 0xfffffff1u) || h.pad1 || h.pad2 ||
	    h.min_lc != 1 || h.ptr_size != 8 || h.nfunc == 0 || h.functab >= f->fn_size ||
	    h.nfunc >= (f->fn_size - h.functab) / 8)
		return false;
	s->count = (uint32_t)h.nfunc;
	s->entries = s->hdr + h.functab;
	s->text = h.text_start + s->bias; /* (a link-time address: never relocated here) */
	return true;
}

/* The table of functions: the unwind table's header, version 1, its
 * entries as sdata4 from the table's start; or Go's. */
static bool table_of(struct scan *s, const struct picos_fast_file *f)
{
	unsigned char h[4];
	uint32_t count;
	s->hdr = f->fn_vaddr + s->bias;
	if (!pristine(s->hdr, f->fn_size))
		return false;
	if (f->fn_go)
		return go_table_of(s, f);
	if (copy_from_user(h, (const void *)s->hdr, 4) < 0 || h[0] != 1 || h[2] != 0x03 ||
	    h[3] != 0x3b || ((h[1] & 0x0f) != 0x03 && (h[1] & 0x0f) != 0x0b))
		return false; /* (eh_frame_ptr: a 4-byte form) */
	if (!read_u32(s->hdr + 8, &count) || count > (f->fn_size - 12) / 8)
		return false;
	s->count = count;
	return count > 0;
}

static uint64_t uleb(const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;
	for (int sh = 0; *p < end && sh < 64; sh += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
	*p = end + 1; /* (cut short: the caller sees p past end) */
	return 0;
}

/* The size of a pointer of DWARF encoding `enc`, 0 if unknown here. */
static int enc_size(unsigned char enc)
{
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: return 8;
	case 0x03: case 0x0b: return 4;
	case 0x02: case 0x0a: return 2;
	default: return 0;
	}
}

/* The FDE pointer encoding of the CIE at `cie` (augmentation "z..." with
 * R, P, L, S, B), or -1. */
static int cie_enc(uint64_t cie)
{
	unsigned char c[64];
	if (copy_from_user(c, (const void *)cie, sizeof c) < 0)
		return -1;
	uint32_t len, id;
	rt_memcpy(&len, c, 4), rt_memcpy(&id, c + 4, 4);
	const unsigned char *end = c + (len + 4 < sizeof c ? len + 4 : sizeof c);
	const char *aug = (const char *)c + 9;
	if (len == 0 || len == 0xffffffffu || id != 0 || (c[8] != 1 && c[8] != 3))
		return -1;
	const unsigned char *p = c + 9;
	while (p < end && *p)
		p++;
	if (p >= end)
		return -1;
	p++;
	uleb(&p, end); /* code alignment */
	uleb(&p, end); /* data alignment (sleb: its length is the same) */
	if (c[8] == 1)
		p++;
	else
		uleb(&p, end);
	if (aug[0] == 0)
		return 0x00;
	if (aug[0] != 'z')
		return -1;
	uleb(&p, end); /* the augmentation data's length */
	int enc = 0x00;
	for (const char *a = aug + 1; *a && p < end; a++) {
		switch (*a) {
		case 'R': enc = *p++; break;
		case 'L': p++; break;
		case 'P': {
			int n = enc_size(*p);
			if (!n)
				return -1;
			p += 1 + n;
			break;
		}
		case 'S': case 'B': break;
		default: return -1;
		}
	}
	return p <= end && enc_size((unsigned char)enc) &&
	       ((enc & 0x70) == 0x00 || (enc & 0x70) == 0x10) ? enc : -1;
}

/* The value of the pointer of encoding enc at guest address a (pcrel:
 * from its own link-time address, a - bias). */
static bool read_ptr(uint64_t a, int enc, bool pcrel, uint64_t bias, uint64_t *v)
{
	unsigned char b[8];
	int n = enc_size((unsigned char)enc);
	if (copy_from_user(b, (const void *)a, (size_t)n) < 0)
		return false;
	uint64_t x = 0;
	rt_memcpy(&x, b, (size_t)n);
	if ((enc & 0x08) && n < 8 && (x >> (n * 8 - 1)) & 1)
		x |= ~0ull << (n * 8); /* signed */
	*v = x + (pcrel && (enc & 0x70) == 0x10 ? a - bias : 0);
	return true;
}

/* The function around guest address a in Go's table: from its entry
 * to the next one's (the int3 between them decodes). */
static bool go_function_of(struct scan *s, uint64_t a)
{
	uint32_t lo = 0, hi = s->count, e0, e1;
	uint64_t rel = a - s->text;
	if (a < s->text || rel > UINT32_MAX)
		return false;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (!read_u32(s->entries + 8 * (uint64_t)mid, &e0))
			return false;
		if (e0 <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (!read_u32(s->entries + 8 * (uint64_t)lo, &e0) ||
	    !read_u32(s->entries + 8 * (uint64_t)lo + 8, &e1) || e0 > rel || e1 <= e0 ||
	    e1 - e0 > FN_MAX)
		return false;
	s->fn = s->text + e0, s->fn_end = s->text + e1;
	return s->fn >= s->v->start && s->fn_end <= s->v->end;
}

/* The function around link-time address `va`: s->fn, s->fn_end (guest
 * addresses), by the table's last entry at or before it and its FDE. */
static bool function_of(struct scan *s, uint64_t va, uint64_t hdr_va)
{
	if (s->entries)
		return go_function_of(s, va + s->bias);
	uint32_t lo = 0, hi = s->count;
	int64_t rel = (int64_t)(va - hdr_va);
	int32_t loc;
	/* (the candidates come in order: on from the last function, by
	 * doubling steps, then halving) */
	if (s->last < s->count &&
	    copy_from_user(&loc, (const void *)(s->hdr + 12 + 8 * (uint64_t)s->last), 4) == 0 &&
	    loc <= rel) {
		lo = s->last;
		for (uint32_t step = 1; lo + step < s->count; step *= 2) {
			if (copy_from_user(&loc, (const void *)(s->hdr + 12 + 8 * (uint64_t)(lo + step)),
					   4) < 0)
				return false;
			if (loc > rel) {
				hi = lo + step;
				break;
			}
			lo += step;
		}
	}
	while (hi - lo > 1) { /* the last entry with loc <= rel */
		uint32_t mid = lo + (hi - lo) / 2;
		if (copy_from_user(&loc, (const void *)(s->hdr + 12 + 8 * (uint64_t)mid), 4) < 0)
			return false;
		if (loc <= rel)
			lo = mid;
		else
			hi = mid;
	}
	int32_t e[2];
	uint32_t len, cie_ptr;
	if (copy_from_user(e, (const void *)(s->hdr + 12 + 8 * (uint64_t)lo), 8) < 0 ||
	    e[0] > rel)
		return false;
	s->last = lo;
	uint64_t fde = s->hdr + (uint64_t)(int64_t)e[1];
	if (!pristine(fde, 24) || !read_u32(fde, &len) || !read_u32(fde + 4, &cie_ptr) ||
	    len == 0 || len == 0xffffffffu || cie_ptr == 0 || cie_ptr > fde + 4)
		return false;
	uint64_t cie = fde + 4 - cie_ptr;
	if (cie != s->cie) /* (most FDEs share a CIE or two) */
		s->cie = cie, s->enc = pristine(cie, 64) ? cie_enc(cie) : -1;
	int enc = s->enc;
	uint64_t begin, range;
	if (enc < 0 || !read_ptr(fde + 8, enc, true, s->bias, &begin) ||
	    !read_ptr(fde + 8 + (uint64_t)enc_size((unsigned char)enc), enc & 0x0f, false,
		      s->bias, &range) ||
	    begin != hdr_va + (uint64_t)(int64_t)e[0] || range == 0 || range > FN_MAX)
		return false;
	s->fn = begin + s->bias, s->fn_end = s->fn + range;
	return s->fn >= s->v->start && s->fn_end <= s->v->end;
}

/* What the instruction at p (n bytes) leaves in %eax: its value if it
 * sets it to a constant (mov $imm32,%eax; xor %eax,%eax), `eax` if it
 * is one of the moves and xors that write another register or memory,
 * else -1 (unknown). */
static long eax_after(const unsigned char *p, int n, long eax)
{
	int rex = (p[0] & 0xf0) == 0x40 ? p[0] : 0;
	const unsigned char *q = p + (rex ? 1 : 0);
	int modrm = n > (rex ? 2 : 1) ? q[1] : 0;
	int rm = (modrm & 7) + (rex & 1 ? 8 : 0), reg = ((modrm >> 3) & 7) + (rex & 4 ? 8 : 0);
	if (n == 5 && p[0] == 0xb8)
		return (long)(p[1] | p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24);
	if (n == 2 && (p[0] == 0x31 || p[0] == 0x33) && p[1] == 0xc0)
		return 0;
	if (q[0] >= 0xb8 && q[0] <= 0xbf && (q[0] & 7) + (rex & 1 ? 8 : 0) != 0)
		return eax; /* mov $imm,%other */
	if ((q[0] == 0x89 || q[0] == 0x31 || q[0] == 0xc7) && ((modrm >> 6) != 3 || rm != 0))
		return eax; /* to memory or another register */
	if ((q[0] == 0x8b || q[0] == 0x33) && reg != 0)
		return eax;
	return -1;
}

/* One instruction on in the decode of s->fn: false when it stopped. */
static bool step(struct scan *s)
{
	const unsigned char *p = s->buf + (s->at - s->fn);
	int n = s->dead ? -1 : x86_insn_len(p, s->fn_end - s->at);
	if (n <= 0) {
		s->dead = true;
		return false;
	}
	s->eax = eax_after(p, n, s->eax);
	s->at += (uint64_t)n;
	return true;
}

/* Decodes s->fn, the function around guest address a, from its start
 * (a new one when a is outside it, or behind the decode). */
static bool decode_to(struct scan *s, uint64_t a, const struct picos_fast_file *f)
{
	if (a < s->fn || a >= s->fn_end || a < s->at) {
		s->dead = true, s->fn = s->fn_end = 0;
		if (!function_of(s, a - s->bias, f->fn_vaddr) || a < s->fn ||
		    a >= s->fn_end ||
		    copy_from_user(s->buf, (const void *)s->fn, s->fn_end - s->fn) < 0)
			return false;
		s->at = s->fn, s->dead = false, s->eax = -1;
	}
	while (s->at < a && step(s))
		;
	return !s->dead && s->at == a;
}

/* Whether `site` is made of whole instructions of its function: the
 * decode starts one at its first byte and at each of its bounds, and at
 * none other inside it, and one ends at its end.  *nr: the call number
 * %eax holds at its `syscall`, -1 if not known. */
static bool confirmed(struct scan *s, const struct site *site, long *nr,
		      const struct picos_fast_file *f)
{
	uint32_t starts = 0;
	uint64_t sc = site->addr + (uint64_t)site->sc;
	*nr = -1;
	if (site->addr + (uint64_t)site->len > s->v->end ||
	    !decode_to(s, site->addr, f))
		return false;
	while (s->at < site->addr + (uint64_t)site->len) {
		starts |= 1u << (s->at - site->addr);
		if (s->at == sc)
			*nr = s->eax;
		if (!step(s))
			return false;
	}
	return s->at == site->addr + (uint64_t)site->len && starts == (site->bounds | 1u);
}

/* Appends a site found to the record. */
static void found_add(struct picos_fast_file *f, uint64_t e)
{
	uint32_t n = __atomic_fetch_add(&f->nfound, 1, __ATOMIC_RELAXED);
	if (n < PICOS_FAST_FOUND)
		__atomic_store_n(&f->found[n], e, __ATOMIC_RELEASE);
}

/* The offset of the next `syscall` (0f 05) in b[from, end), or end; a
 * word at a time, by its rarer byte (05). */
static uint64_t next_syscall(const unsigned char *b, uint64_t from, uint64_t end)
{
	const uint64_t ones = 0x0101010101010101ull, fives = 0x0505050505050505ull;
	uint64_t i = from + 1; /* (the 05 after a 0f at from or later) */
	for (; i + 8 <= end; i += 8) {
		uint64_t w;
		__builtin_memcpy(&w, b + i, 8); /* (one load: no call) */
		w ^= fives;
		if (((w - ones) & ~w & (ones << 7)) == 0)
			continue; /* no 05 in these 8 */
		for (uint64_t k = i; k < i + 8; k++)
			if (b[k] == 0x05 && b[k - 1] == 0x0f)
				return k - 1;
	}
	for (; i < end; i++)
		if (b[i] == 0x05 && b[i - 1] == 0x0f)
			return i - 1;
	return end;
}

/* Searches the page at `page` of v (its file's record f) and records
 * what it finds. */
static void search_page(struct scan *s, struct picos_fast_file *f, uint64_t page)
{
	const struct vma *v = s->v;
	unsigned char b[RT_PAGE_SIZE + 1];
	uint64_t end = v->end - page > RT_PAGE_SIZE ? RT_PAGE_SIZE + 1 : RT_PAGE_SIZE;
	if (copy_from_user(b, (const void *)page, end) < 0)
		return;
	for (uint64_t i = 0; (i = next_syscall(b, i, end)) < end; i++) {
		unsigned char around[SITE_AROUND];
		struct site site;
		long nr;
		if (!bytes_around(page + i, around) ||
		    !match_site(around, page + i, NULL, &site) || !confirmed(s, &site, &nr, f) ||
		    nr < 0 || nr > 0xffff)
			continue;
		uint64_t off = v->file_off + (site.addr - v->start);
		found_add(f, off | (uint64_t)site.len << 32 | (uint64_t)site.sc << 40 |
				     (uint64_t)nr << 48);
	}
}

/* Searches the pages [lo, hi) of v (delta: its segment's p_vaddr -
 * p_offset). */
static void search_pages(struct picos_fast_file *f, const struct vma *v, uint64_t delta,
			 uint64_t lo, uint64_t hi)
{
	struct scan s = { .v = v, .dead = true };
	s.bias = v->start - (v->file_off + delta);
	if (!table_of(&s, f) || !(s.buf = kmalloc(FN_MAX)))
		return;
	for (uint64_t p = lo; p < hi; p += RT_PAGE_SIZE)
		search_page(&s, f, p);
	kfree(s.buf);
}

/* Whether the window at file offset `woff` was searched (or is being);
 * claims it for searching when not and `claim`. */
static bool window_known(struct picos_fast_file *f, uint64_t woff, bool claim)
{
	uint32_t want = (uint32_t)(woff / FOUND_WINDOW) + 1;
	uint32_t n = __atomic_load_n(&f->npages, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n && i < PICOS_FAST_PAGES; i++)
		if (__atomic_load_n(&f->page[i], __ATOMIC_ACQUIRE) == want)
			return true;
	if (!claim)
		return false;
	n = __atomic_fetch_add(&f->npages, 1, __ATOMIC_RELAXED);
	if (n >= PICOS_FAST_PAGES)
		return true; /* full: no more searches */
	__atomic_store_n(&f->page[n], want, __ATOMIC_RELEASE);
	return false;
}

/* Whether the record's entry e is a site of v, unpatched, by the bytes
 * there: *site then. */
static bool found_site(uint64_t e, const struct vma *v, struct site *site)
{
	uint64_t off = (uint32_t)e;
	int len = (int)(e >> 32 & 0xff), sc = (int)(e >> 40 & 0xff);
	uint64_t a = v->start + (off - v->file_off);
	unsigned char b[SITE_AROUND];
	return fast_call((long)(e >> 48)) && len <= SITE_MAX && sc <= SITE_PRE &&
	       a + (uint64_t)len <= v->end && bytes_around(a + (uint64_t)sc, b) &&
	       match_site(b, a + (uint64_t)sc, NULL, site) && site->addr == a &&
	       site->len == len;
}

/* The executable segment of f that holds file offset off, or -1. */
static int text_of(const struct picos_fast_file *f, uint64_t off)
{
	for (int i = 0; i < PICOS_FAST_TEXTS; i++)
		if (off >= f->text[i].off && off < f->text[i].end)
			return i;
	return -1;
}

int fast_found_sites(struct picos_fast_file *f, const struct vma *v, uint64_t lo,
		     uint64_t hi, bool search, struct site *out, int max)
{
	if (!f->fn_vaddr || v->written || lo < v->start || hi > v->end || lo >= hi ||
	    v->file_off + (hi - v->start) > UINT32_MAX)
		return 0;
	uint64_t olo = v->file_off + (lo - v->start), ohi = olo + (hi - lo);
	int t = text_of(f, olo);
	if (t < 0)
		return 0;
	for (uint64_t w = RT_ALIGN_DOWN(olo, FOUND_WINDOW); w < ohi; w += FOUND_WINDOW) {
		if (window_known(f, w, search) || !search)
			continue;
		/* (the window's pages in the segment and this mapping) */
		uint64_t a = w > f->text[t].off ? w : f->text[t].off;
		uint64_t b = w + FOUND_WINDOW < f->text[t].end ? w + FOUND_WINDOW : f->text[t].end;
		a = a > v->file_off ? a : v->file_off;
		b = b < v->file_off + (v->end - v->start) ? b : v->file_off + (v->end - v->start);
		a = RT_ALIGN_DOWN(a, RT_PAGE_SIZE), b = RT_ALIGN_UP(b, RT_PAGE_SIZE);
		if (a < b)
			search_pages(f, v, f->text[t].delta, v->start + (a - v->file_off),
				     v->start + (b - v->file_off));
	}
	int n = 0;
	uint32_t nf = __atomic_load_n(&f->nfound, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < nf && i < PICOS_FAST_FOUND && n < max; i++) {
		uint64_t e = __atomic_load_n(&f->found[i], __ATOMIC_ACQUIRE);
		uint64_t off = (uint32_t)e;
		/* (a site is its page's when its `syscall` is there) */
		uint64_t sc_off = off + (e >> 40 & 0xff);
		if (e && sc_off >= olo && sc_off < ohi && off >= v->file_off &&
		    found_site(e, v, &out[n]))
			n++; /* (else patched already, or not a site by its bytes) */
	}
	return n;
}
