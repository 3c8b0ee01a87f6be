/* The world region: memory shared by the launcher and every pico process
 * of one run.  This issue keeps the per-syscall statistics here, so the
 * launcher can print them when the run ends; later issues add the process
 * table.  Counters are updated with atomic adds. */
#ifndef PICOS_WORLD_H
#define PICOS_WORLD_H

#include <stdint.h>

#define PICOS_NR_SYSCALLS 512
#define PICOS_WORLD_MAGIC 0x574f524cu /* "WORL" */

struct picos_sc_stat {
	uint64_t calls;
	uint64_t errors;
	uint64_t ns; /* total time spent serving the call */
};

struct picos_world {
	uint32_t magic;
	uint32_t pad;
	struct picos_sc_stat stats[PICOS_NR_SYSCALLS];
};

#define PICOS_WORLD_SIZE \
	((sizeof(struct picos_world) + 4095UL) & ~4095UL)

#endif
