/* The ELF loader: ET_EXEC, ET_DYN (PIE, static-pie, interpreters). */
#include "proc.h"
#include "../mm/mm.h"
#include <linux/elf.h>
#include <linux/mman.h>
#include <picos/layout.h>

/* Linux's TASK_SIZE on x86-64 with 4-level paging: one guard page below
 * the top of the user half. */
#define ELF_TASK_SIZE (PICOS_USER_TOP - RT_PAGE_SIZE)

/* Linux places a PIE with an interpreter at 2/3 of the 47-bit space plus
 * up to 2^28 random pages (mmap_rnd_bits). */
#define ELF_ET_DYN_BASE 0x555555554000UL
#define ET_DYN_RND_PAGES (1UL << 28)

long elf_check_header(const unsigned char *hdr, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)hdr;
	if (len < sizeof *eh || rt_memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > 65536 / sizeof(Elf64_Phdr))
		return -ENOEXEC;
	return 0;
}

long elf_read_interp(int fd, const unsigned char *hdr, char *interp, size_t n)
{
	const Elf64_Ehdr *eh = (const void *)hdr;
	size_t phsize = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = kmalloc(phsize);
	long r = host_pread(fd, ph, phsize, eh->e_phoff);
	interp[0] = 0;
	if (r != (long)phsize) {
		kfree(ph);
		return r < 0 ? r : -ENOEXEC;
	}
	r = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz == 0 || ph[i].p_filesz > n) {
			r = -ENOEXEC;
			break;
		}
		if (host_pread(fd, interp, ph[i].p_filesz, ph[i].p_offset) !=
		    (long)ph[i].p_filesz) {
			r = -EIO;
			break;
		}
		interp[ph[i].p_filesz - 1] = 0;
		break;
	}
	kfree(ph);
	return r;
}

/* Would Linux map this PT_LOAD segment at `bias`?  Its checks (sizes,
 * the end below TASK_SIZE) come after execve's point of no return, so a
 * segment that fails them kills the process with SIGSEGV there. */
static bool segment_mappable(const Elf64_Phdr *ph, uint64_t bias)
{
	uint64_t k = ph->p_vaddr + bias;
	return ph->p_filesz <= ph->p_memsz && k < ELF_TASK_SIZE &&
	       ph->p_memsz <= ELF_TASK_SIZE &&
	       ELF_TASK_SIZE - ph->p_memsz >= k;
}

/* Does [vaddr, vaddr + memsz), in whole pages, meet the provider's
 * window? */
static bool segment_in_window(const Elf64_Phdr *ph)
{
	uint64_t lo = RT_ALIGN_DOWN(ph->p_vaddr, RT_PAGE_SIZE);
	uint64_t hi = RT_ALIGN_UP(ph->p_vaddr + ph->p_memsz, RT_PAGE_SIZE);
	return lo < PICOS_PROVIDER_END && hi > PICOS_PROVIDER_BASE;
}

long elf_check_segments(int fd, const unsigned char *hdr)
{
	const Elf64_Ehdr *eh = (const void *)hdr;
	if (eh->e_type != ET_EXEC) /* the host picks a base outside it */
		return 0;
	size_t phsize = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = kmalloc(phsize);
	long r = host_pread(fd, ph, phsize, eh->e_phoff);
	if (r != (long)phsize) {
		kfree(ph);
		return r < 0 ? r : -ENOEXEC;
	}
	bool window = false;
	r = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (!segment_mappable(&ph[i], 0)) {
			window = false; /* Linux fails it later: so do we */
			break;
		}
		window |= segment_in_window(&ph[i]);
	}
	if (window)
		r = -ENOMEM;
	kfree(ph);
	return r;
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) |
	       (pf & PF_X ? PROT_EXEC : 0);
}

static uint64_t random_pages(uint64_t npages)
{
	uint64_t r;
	if (!proc_randomize())
		return 0;
	get_random(&r, sizeof r);
	return (r % npages) * RT_PAGE_SIZE;
}

/* Maps one PT_LOAD segment at bias; zero-fills its bss. */
static long map_segment(int fd, const Elf64_Phdr *ph, uint64_t bias)
{
	uint64_t start = RT_ALIGN_DOWN(ph->p_vaddr + bias, RT_PAGE_SIZE);
	uint64_t pad = (ph->p_vaddr + bias) - start;
	uint64_t file_end = ph->p_vaddr + bias + ph->p_filesz;
	uint64_t mem_end = ph->p_vaddr + bias + ph->p_memsz;
	int prot = prot_of(ph->p_flags);
	long r;

	if (ph->p_filesz) {
		uint64_t len = ph->p_filesz + pad;
		/* Writable bss tail on the same page needs write access. */
		r = mm_map(start, len, prot | (ph->p_memsz > ph->p_filesz ? PROT_WRITE : 0),
			   MAP_PRIVATE | MAP_FIXED, fd, ph->p_offset - pad);
		if (host_is_err(r))
			return r;
	}
	if (ph->p_memsz > ph->p_filesz) {
		uint64_t zero_page_end = RT_ALIGN_UP(file_end, RT_PAGE_SIZE);
		/* Like Linux, zero the whole rest of the last file page:
		 * ld.so's early allocator uses it past the bss. */
		if (ph->p_filesz && file_end < zero_page_end)
			rt_memset((void *)file_end, 0, zero_page_end - file_end);
		if (ph->p_filesz && !(prot & PROT_WRITE))
			mm_protect(start, zero_page_end - start, prot);
		uint64_t anon_start = ph->p_filesz ? zero_page_end : start;
		uint64_t anon_end = RT_ALIGN_UP(mem_end, RT_PAGE_SIZE);
		if (anon_end > anon_start) {
			r = mm_map(anon_start, anon_end - anon_start, prot,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				   0);
			if (host_is_err(r))
				return r;
		}
	}
	return 0;
}

long elf_load(int fd, const unsigned char *hdr, size_t hdr_len,
	      bool is_interp, struct elf_image *img)
{
	long r = elf_check_header(hdr, hdr_len);
	if (r < 0)
		return r;
	const Elf64_Ehdr *eh = (const void *)hdr;
	size_t phsize = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = kmalloc(phsize);
	r = host_pread(fd, ph, phsize, eh->e_phoff);
	if (r != (long)phsize) {
		kfree(ph);
		return r < 0 ? r : -ENOEXEC;
	}

	rt_memset(img, 0, sizeof *img);
	uint64_t lo = UINT64_MAX, hi = 0, align = RT_PAGE_SIZE;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			lo = RT_MIN(lo, ph[i].p_vaddr);
			hi = RT_MAX(hi, ph[i].p_vaddr + ph[i].p_memsz);
			if (ph[i].p_align > align &&
			    (ph[i].p_align & (ph[i].p_align - 1)) == 0)
				align = ph[i].p_align;
		} else if (ph[i].p_type == PT_GNU_STACK) {
			img->exec_stack = ph[i].p_flags & PF_X;
		} else if (ph[i].p_type == PT_INTERP && !is_interp) {
			if (ph[i].p_filesz == 0 ||
			    ph[i].p_filesz > sizeof img->interp) {
				r = -ENOEXEC;
				goto out;
			}
			r = host_pread(fd, img->interp, ph[i].p_filesz,
				       ph[i].p_offset);
			if (r != (long)ph[i].p_filesz) {
				r = -EIO;
				goto out;
			}
			img->interp[ph[i].p_filesz - 1] = 0;
		}
	}
	if (lo == UINT64_MAX || hi <= lo) {
		r = -ENOEXEC;
		goto out;
	}
	lo = RT_ALIGN_DOWN(lo, RT_PAGE_SIZE);
	hi = RT_ALIGN_UP(hi, RT_PAGE_SIZE);

	/* Reserve the whole span first so segments land together. */
	uint64_t bias = 0;
	if (eh->e_type == ET_DYN) {
		uint64_t hint = 0;
		int flags = MAP_PRIVATE | MAP_ANONYMOUS;
		if (!is_interp && img->interp[0]) {
			hint = RT_ALIGN_DOWN(ELF_ET_DYN_BASE +
						     random_pages(ET_DYN_RND_PAGES),
					     align);
			flags |= MAP_FIXED_NOREPLACE;
		}
		/* Over-reserve so the base can be aligned to p_align. */
		uint64_t span = hi - lo + (align > RT_PAGE_SIZE ? align : 0);
		long a = mm_map(hint, span, PROT_NONE, flags, -1, 0);
		if (host_is_err(a) && hint) /* taken: let the host choose */
			a = mm_map(0, span, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (host_is_err(a)) {
			r = a;
			goto out;
		}
		uint64_t base = RT_ALIGN_UP((uint64_t)a, align);
		if (base > (uint64_t)a)
			mm_unmap((uint64_t)a, base - (uint64_t)a);
		if ((uint64_t)a + span > base + (hi - lo))
			mm_unmap(base + (hi - lo),
				 (uint64_t)a + span - (base + (hi - lo)));
		bias = base - lo;
	} else {
		long a = mm_map(lo, hi - lo, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				-1, 0);
		if (host_is_err(a)) {
			r = a == -EEXIST ? -ENOMEM : a;
			goto out;
		}
	}

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (!segment_mappable(&ph[i], bias)) {
			r = -EINVAL;
			goto out;
		}
		r = map_segment(fd, &ph[i], bias);
		if (r < 0)
			goto out;
	}

	img->bias = bias;
	img->entry = eh->e_entry + bias;
	img->phnum = eh->e_phnum;
	img->phent = sizeof(Elf64_Phdr);
	img->end = hi + bias;
	img->phdr = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR) {
			img->phdr = ph[i].p_vaddr + bias;
			break;
		}
	}
	if (!img->phdr) {
		for (int i = 0; i < eh->e_phnum; i++) {
			if (ph[i].p_type == PT_LOAD &&
			    eh->e_phoff >= ph[i].p_offset &&
			    eh->e_phoff < ph[i].p_offset + ph[i].p_filesz) {
				img->phdr = ph[i].p_vaddr + bias +
					    (eh->e_phoff - ph[i].p_offset);
				break;
			}
		}
	}
	r = 0;
out:
	kfree(ph);
	return r;
}
