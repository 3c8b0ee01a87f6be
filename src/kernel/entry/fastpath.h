/* The fast path's parts: fastpath.c (the stub area, patching, the way
 * in and out), fastsite.c (which code around a `syscall` is a site the
 * fast path can patch) and fastfiles.c (the world's table of sites by
 * file). */
#ifndef PICOS_FASTPATH_H
#define PICOS_FASTPATH_H

#include "../kernel.h"
#include "frame.h"
#include "../mm/mm.h"

/* A site is the instructions a patch displaces: up to SITE_PRE bytes
 * before the `syscall`, the `syscall`, and optionally the result check
 * after it (cmp $-4096,%rax; jcc rel8: SITE_POST bytes). */
#define SITE_PRE 12
#define SITE_POST 8
#define SITE_MAX (SITE_PRE + 2 + SITE_POST)
/* The bytes around a `syscall` a match looks at: the site's, and one
 * more before, where a prefix would change the site's first
 * instruction (the `syscall` at SITE_BACK). */
#define SITE_BACK (SITE_PRE + 1)
#define SITE_AROUND (SITE_BACK + 2 + SITE_POST)

struct site {
	uint64_t addr; /* its first byte */
	int len;       /* its bytes */
	int sc;	       /* the `syscall`'s offset */
	int jmp;       /* where the 7-byte jump goes in the patched site */
	bool post;     /* the result check after the `syscall` is in it */
	uint32_t bounds; /* bit n: an instruction starts at offset n > 0 */
	unsigned char bytes[SITE_MAX]; /* as the program had them */
};

/* The registers at a trapped `syscall`, which a site's instructions
 * must agree with. */
struct trap_regs {
	const struct pico_frame *f;
	const unsigned char *xmm; /* %xmm0-15, 16 bytes each; NULL: unknown */
};

/* fastsite.c: whether the SITE_AROUND bytes `b` around the `syscall` at
 * sc_addr hold a site (r: the registers at the `syscall`, whose values
 * must agree with what the site's instructions load or store; NULL for
 * a site known from the world's table, checked by its bytes alone). */
bool match_site(const unsigned char *b, uint64_t sc_addr,
		const struct trap_regs *r, struct site *site);
/* The SITE_AROUND bytes around the `syscall` at sc_addr; bytes of an
 * unreadable page before or after it read as int3, which no site
 * takes. */
bool bytes_around(uint64_t sc_addr, unsigned char *b);

/* fastpath.c, for fastfiles.c */
extern int fast_nslots;
bool fast_area_ready(void);
bool fast_area_writable(bool w);
/* Stub i for `site` and the patched bytes of the site (the area
 * writable). */
void fast_fill_stub(int i, const struct site *site);
void fast_site_bytes(const struct site *site, int i, unsigned char *out);
#define FAST_SLOTS 8192

/* Whether the fast path serves call nr (fastpath.c). */
bool fast_call(long nr);

/* Stub i for a site found before its first call in v (fastscan.c),
 * which the world records at the site's first call. */
void fast_fill_found(int i, const struct site *site, const struct vma *v);

/* fastfiles.c: records a site patched in v for the world */
void fast_remember(const struct vma *v, const struct site *site);
/* The same in two steps: the entry for the site, and its recording in
 * file idx's record. */
struct picos_fast_site;
bool fast_entry_of(const struct vma *v, const struct site *site,
		   struct picos_fast_site *e);
void fast_remember_entry(uint32_t idx, const struct picos_fast_site *e);
struct picos_fast_file;
/* The world's record of v's file, or NULL. */
struct picos_fast_file *fast_file_of(const struct vma *v);

/* fastscan.c: where a file's code and unwind table are, from its
 * program headers (fd: the file), into its new record f. */
void fast_scan_layout(int fd, struct picos_fast_file *f);
/* The sites found before their first call whose `syscall` is in
 * [lo, hi) of v (f: its file's record), the windows of FOUND_WINDOW bytes
 * of the file around them searched first if `search` and not yet in the
 * world: each of calls the fast path serves, unpatched, checked by its
 * bytes.  At most max into out. */
int fast_found_sites(struct picos_fast_file *f, const struct vma *v, uint64_t lo,
		     uint64_t hi, bool search, struct site *out, int max);
#ifndef FOUND_WINDOW
#define FOUND_WINDOW (16 * RT_PAGE_SIZE)
#endif
/* The most sites a window's search gives at once. */
#define FOUND_MAX 256

#endif
