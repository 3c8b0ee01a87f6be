/* The syscall table as data, generated from syscalls.def. */
#ifndef PICOS_TABLE_H
#define PICOS_TABLE_H

#include "argkinds.h"
#include <stdint.h>

typedef long (*sc_handler)(long, long, long, long, long, long);

struct sc_entry {
	sc_handler fn; /* NULL: not implemented, returns -ENOSYS */
	const char *name;
	uint8_t status; /* enum sc_status */
	uint8_t lock;	/* enum sc_lock */
	uint8_t ret;	/* enum ret_kind */
	uint8_t args[6];
};

#define SC_TABLE_SIZE 512
extern const struct sc_entry sc_table[SC_TABLE_SIZE];

#endif
