/* The dispatch array, built from syscalls.def. */
#include "table.h"
#include "../syscalls.h"

/* Handlers keep their natural C signatures (syscalls.h); the dispatcher
 * calls every one with six longs, which the x86-64 ABI makes equivalent:
 * all arguments travel in registers and a callee ignores the extra ones. */
#define HANDLER(fn) ((sc_handler)(void (*)(void))(fn))

#define SC(nr_, name_, fn_, st_, lk_, ret_, note_, a0, a1, a2, a3, a4, a5) \
	[nr_] = { .fn = HANDLER(fn_),                                             \
		  .name = #name_,                                        \
		  .status = ST_##st_,                                    \
		  .lock = LOCK_##lk_,                                    \
		  .ret = ret_,                                           \
		  .args = { a0, a1, a2, a3, a4, a5 } },
#define NI(nr_, name_, ...) \
	[nr_] = { .fn = 0, .name = #name_, .status = ST_MISSING, .ret = R_INT },

const struct sc_entry sc_table[SC_TABLE_SIZE] = {
#include "syscalls.def"
};
