/* The CAP_SYS_NICE rule for real-time and deadline policies (sched_rt.c). */
#ifndef PICOS_SCHED_RT_H
#define PICOS_SCHED_RT_H

#include "../kernel.h"

/* Whether the calling guest thread is refused (EPERM) giving guest thread
 * `pid` (0: itself) `policy` at priority `prio`. */
bool sched_rt_denied(int pid, int policy, int prio);

#endif
