/* Where the provider lives in every pico process.
 *
 * The provider image is linked at PICOS_PROVIDER_BASE.  Everything the
 * provider maps for itself (heap, per-thread areas, the world region) is
 * carved out of the reserved window [PICOS_PROVIDER_BASE, PICOS_PROVIDER_END).
 * The window sits 2 TiB below the top of the 47-bit user half: above where
 * Linux places PIE programs (0x55...) and Go's first arena hint (0xc0...),
 * and below the range the host kernel randomises the stack and mmap base
 * into (the top 1 TiB), so neither ever lands on it.  The guest can never
 * map, unmap or change memory inside it. */
#ifndef PICOS_LAYOUT_H
#define PICOS_LAYOUT_H

#define PICOS_PROVIDER_BASE 0x7e0000000000UL
#define PICOS_PROVIDER_SIZE 0x400000000UL /* 16 GiB reserved, PROT_NONE */
#define PICOS_PROVIDER_END (PICOS_PROVIDER_BASE + PICOS_PROVIDER_SIZE)

/* Inside the window: the image first, then the world region, then heap. */
#define PICOS_IMAGE_MAX 0x1000000UL /* 16 MiB for text+data+bss */
#define PICOS_WORLD_ADDR (PICOS_PROVIDER_BASE + PICOS_IMAGE_MAX)
#define PICOS_HEAP_BASE (PICOS_PROVIDER_BASE + 0x10000000UL)

/* The end of the provider heap: the last 4 GiB of the window stay
 * reserved and unused. */
#define PICOS_HEAP_END (PICOS_PROVIDER_END - 0x100000000UL)

/* The fast path's slot table and stubs (src/kernel/entry/fastpath.c),
 * mapped at the first patched call site: below 2 GiB for the 32-bit
 * absolute jumps, and at slot addresses whose bytes 2 and 3 are 0f 0b
 * (ud2).  The guest's memory calls refuse it like the window. */
#define PICOS_FAST_BASE 0x0b0f0000UL

/* The top of the user half on x86-64 with 4-level paging. */
#define PICOS_USER_TOP 0x800000000000UL

#endif
