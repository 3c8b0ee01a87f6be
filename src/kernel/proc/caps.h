/* The guest's capabilities (capabilities(7)): five sets and the securebits
 * per guest thread (struct guest_caps in entry/thread.h), following the
 * guest's uid changes and execve as Linux does.  They are the provider's
 * bookkeeping only: they decide what the provider itself lets the guest
 * do where it emulates privilege (set*id, sethostname, raising limits),
 * and never give the host process anything. */
#ifndef PICOS_CAPS_H
#define PICOS_CAPS_H

#include "../kernel.h"
#include <linux/capability.h>

struct guest_caps;
struct pico_thread;

#define CAPS_VALID ((1ULL << (CAP_LAST_CAP + 1)) - 1)

/* Boot: the first thread's sets for the world's identity; `bset` is the
 * bounding set the launcher runs with; `oci` (NULL: none) the sets an OCI
 * runtime sets before it execs the program (config.h, PCFG_CAPS). */
struct pcfg_caps;
void caps_init(uint64_t bset, const struct pcfg_caps *oci);
/* Whether the calling thread has `cap` in its effective set. */
bool capable(int cap);
/* The sets of a guest pid or tid (0: the caller), for capget and (later)
 * /proc/PID/status: a thread of this process its own, another process
 * its first thread's (securebits not included); -ESRCH for none. */
long caps_of_id(int id, struct guest_caps *out);
/* Publishes the process's first thread's sets in the world table (capget
 * from another process); after fork, exec and every change.  _of: for
 * another guest process of this memory (a new CLONE_VM child). */
struct gproc;
struct picos_task;
void caps_publish(void);
void caps_publish_of(struct gproc *gp);
/* The same for one entry, from the given sets. */
void caps_publish_task(struct picos_task *k, const struct guest_caps *c);

/* The uid transitions: the old real, effective and saved uids (the new
 * ones are ident's); applied to every thread of the process, since the
 * guest's identity is the process's in picos.  caps_fsuid_changed:
 * after setfsuid. */
void caps_uid_changed(uint32_t old_r, uint32_t old_e, uint32_t old_s);
void caps_fsuid_changed(uint32_t old_fs);
/* execve, past the point of no return: the sets of the new program (no
 * file capabilities: the root and ambient rules). */
void caps_exec(void);

/* Started by root (ident.host_ids): lowers the calling host thread's
 * capability sets to the guest thread's, and sets its keep-caps flag as
 * the guest's says; the host never gains anything here.
 * caps_host_boot: whether the host thread may change its ids. */
void caps_host_sync(void);
void caps_host_keepcaps(void);
bool caps_host_can_setid(void);

/* prctl's capability options; -EINVAL for options that are not. */
bool caps_prctl_option(int option);
long caps_prctl(int option, unsigned long a2, unsigned long a3,
		unsigned long a4, unsigned long a5);

#endif
