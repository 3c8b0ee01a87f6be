/* The world's table of patchable sites by file (world.h fast_files).
 *
 * A site found in a file mapping when its call first traps is recorded
 * under the file, and a process that maps the file later patches every
 * site recorded there at once, while it maps it (fast_map_file): the
 * processes of a build or a shell loop, each a new exec of the same
 * programs and libraries, do not each trap at every site.  The table is
 * the world region's, which the guest can write, so a provider trusts
 * no entry: each must match the bytes the mapping holds and be a site by
 * those bytes (match_site), or it is skipped.  A file is known by its
 * host identity and the effective uid of the process that recorded it:
 * a process patches only sites its own uid recorded. */
#include "fastpath.h"
#include "entry.h"
#include "thread.h"
#include "../proc/proc.h"
#include <asm/stat.h>
#include <linux/mman.h>
#include <picos/world.h>

struct file_key {
	uint64_t dev, ino, size, mtime_ns;
	uint32_t uid;
};

static struct picos_fast_file *known_file(uint32_t idx)
{
	if (!popts.world || idx == 0 || idx > PICOS_FAST_FILES)
		return NULL;
	return &popts.world->fast_files[idx - 1];
}

struct picos_fast_file *fast_file_of(const struct vma *v)
{
	return known_file(v->fast_file);
}

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

static bool same_file(const struct picos_fast_file *f, const struct file_key *k)
{
	return f->dev == k->dev && f->ino == k->ino && f->size == k->size &&
	       f->mtime_ns == k->mtime_ns && f->uid == k->uid;
}

/* The table's entry for k (index + 1), claimed if new (fd: the file,
 * whose program headers tell where to search for sites); 0 when the
 * table is full or another process is claiming the free entry. */
static uint32_t file_entry(const struct file_key *k, int fd)
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
	fast_scan_layout(fd, f);
	__atomic_store_n(&f->state, 2, __ATOMIC_RELEASE);
	return (uint32_t)free_at + 1;
}

bool fast_entry_of(const struct vma *v, const struct site *site,
		   struct picos_fast_site *e)
{
	uint64_t off = v->file_off + (site->addr - v->start);
	if (!known_file(v->fast_file) || off > UINT32_MAX)
		return false;
	e->off = (uint32_t)off;
	e->len = (uint8_t)site->len;
	e->sc = (uint8_t)site->sc;
	rt_memcpy(e->bytes, site->bytes, (size_t)site->len);
	return true;
}

void fast_remember_entry(uint32_t idx, const struct picos_fast_site *site)
{
	struct picos_fast_file *f = known_file(idx);
	if (!f)
		return;
	uint32_t n = __atomic_load_n(&f->nsites, __ATOMIC_ACQUIRE);
	for (uint32_t j = 0; j < n && j < PICOS_FAST_FILE_SITES; j++)
		if (f->site[j].off == site->off)
			return; /* recorded already */
	n = __atomic_fetch_add(&f->nsites, 1, __ATOMIC_RELAXED);
	if (n >= PICOS_FAST_FILE_SITES)
		return;
	struct picos_fast_site *e = &f->site[n];
	e->off = site->off;
	e->sc = site->sc;
	rt_memcpy(e->bytes, site->bytes, site->len);
	__atomic_store_n(&e->len, site->len, __ATOMIC_RELEASE);
}

void fast_remember(const struct vma *v, const struct site *site)
{
	struct picos_fast_site e;
	if (fast_entry_of(v, site, &e))
		fast_remember_entry(v->fast_file, &e);
}

/* Whether entry e is a site at `addr` in the fresh mapping v, by the
 * bytes there; *site then. */
static bool known_site(const struct picos_fast_site *e, uint64_t addr,
		       const struct vma *v, struct site *site)
{
	int len = __atomic_load_n(&e->len, __ATOMIC_ACQUIRE);
	int sc = e->sc;
	unsigned char b[SITE_AROUND];
	if (len < 7 || len > SITE_MAX || sc > SITE_PRE || addr < v->start ||
	    addr + (uint64_t)len > v->end || !bytes_around(addr + (uint64_t)sc, b))
		return false;
	return match_site(b, addr + (uint64_t)sc, NULL, site) &&
	       site->addr == addr && site->len == len &&
	       rt_memcmp(site->bytes, e->bytes, (size_t)len) == 0;
}

/* Patching a mapping no thread runs: it and the stub area are made
 * writable at the first site, and back after the last. */
struct batch {
	const struct vma *v;
	bool open, failed;
};

static void batch_site(struct batch *b, const struct site *site)
{
	const struct vma *v = b->v;
	if (b->failed || fast_nslots >= FAST_SLOTS)
		return;
	if (!b->open) {
		if (!fast_area_ready() ||
		    host_mprotect(v->start, v->end - v->start, v->prot | PROT_WRITE) < 0) {
			b->failed = true;
			return;
		}
		if (!fast_area_writable(true)) {
			host_mprotect(v->start, v->end - v->start, v->prot);
			b->failed = true;
			return;
		}
		b->open = true;
	}
	unsigned char bytes[SITE_MAX];
	int i = fast_nslots++;
	fast_fill_stub(i, site);
	fast_site_bytes(site, i, bytes);
	rt_memcpy((void *)site->addr, bytes, (size_t)site->len);
}

static void batch_end(struct batch *b)
{
	if (b->open) {
		fast_area_writable(false);
		host_mprotect(b->v->start, b->v->end - b->v->start, b->v->prot);
	}
}

/* Patches the sites of entry f found in the mapping v of file offset
 * `off`, which no thread runs (a mapping being made, or the one thread
 * of a process inside a call), so the bytes are written without the int3
 * steps; an entry whose bytes are not there (patched already, or other
 * code) is skipped.  (Sites found before their first call are among
 * them once one ran: fastpath.c found_used.  Not the others: they cost
 * each exec stubs and checks, the shell loop 1.04x cpu when the found
 * sites of the recorded sites' pages were patched here too.)  Nothing in
 * a mapping that was ever writable: bytes
 * that match an entry there may be the guest's own (an immediate of its
 * new code), not the file's site.  Returns how many entries it looked
 * at. */
static uint32_t patch_known(struct picos_fast_file *f, const struct vma *v,
			    uint64_t off)
{
	uint32_t n = __atomic_load_n(&f->nsites, __ATOMIC_ACQUIRE);
	if (n > PICOS_FAST_FILE_SITES)
		n = PICOS_FAST_FILE_SITES;
	uint64_t span = v->end - v->start;
	struct batch b = { v, false, false };
	if (v->written)
		return n; /* its bytes may be the guest's: see fastscan.c */
	for (uint32_t j = 0; j < n; j++) {
		struct site site;
		uint64_t at = f->site[j].off;
		if (at < off || at - off >= span)
			continue;
		if (known_site(&f->site[j], v->start + (at - off), v, &site))
			batch_site(&b, &site);
	}
	batch_end(&b);
	return n;
}

void fast_map_file(uint64_t start, uint64_t end, int fd, uint64_t off)
{
	struct file_key k;
	struct pico_thread *t = current();
	if (fast_patch_off || proc.vfork_child || !popts.world ||
	    !file_key_of(fd, &k))
		return;
	uint32_t idx = file_entry(&k, fd);
	if (!idx)
		return;
	mm_set_file(start, end, idx, off);
	const struct vma *v = mm_find(start);
	if (v && v->start == start && v->end == end && !t->seccomp_mode &&
	    !t->pt_tracer)
		mm_set_seen(start, end, patch_known(known_file(idx), v, off));
}

/* Before a fork: the sites recorded for this process's files since it
 * mapped them (by its children, most often: code a parent never runs,
 * such as what a child does between fork and exit or exec) are patched
 * in the parent, so each new child starts with them instead of trapping
 * and patching them again in its own copy, which its parent never sees.
 * Only a process with one thread alone in its memory: that thread is in
 * this call, so no code runs in the mappings patched. */
void fast_fork_catch_up(void)
{
	struct pico_thread *t = current();
	if (fast_patch_off || proc.vfork_child || !popts.world ||
	    gproc()->nthreads != 1 || proc.vm_users != 1 || t->seccomp_mode ||
	    t->pt_tracer)
		return;
	int n;
	const struct vma *vs = mm_vmas(&n);
	for (int i = 0; i < n; i++) {
		struct picos_fast_file *f = known_file(vs[i].fast_file);
		if (!f || __atomic_load_n(&f->nsites, __ATOMIC_ACQUIRE) ==
				  vs[i].fast_seen)
			continue;
		/* (patching changes no record: vs stays valid) */
		uint32_t seen = patch_known(f, &vs[i], vs[i].file_off);
		mm_set_seen(vs[i].start, vs[i].end, seen);
	}
}
