/* Entry into the provider: host signal handlers, dispatch, tracing. */
#ifndef PICOS_ENTRY_H
#define PICOS_ENTRY_H

#include "frame.h"
#include "thread.h"
#include "table.h"
#include <picos/world.h>

/* Run-wide settings from the world configuration. */
struct provider_opts {
	int msg_fd;   /* host fd for the provider's own messages */
	int trace_fd; /* host fd for --trace, -1 when off */
	bool stats;   /* --stats: count calls, errors and time */
	struct picos_world *world;
};
extern struct provider_opts popts;

/* fastpath.c: patched call sites.  After a call the slow path served:
 * patch its site (`ret` is the address after its `syscall`); at exec:
 * forget the old program's sites; in the SIGSYS handler: a call coming
 * through the door (its frame, and whether it still has to run); in the
 * host signal handlers: a thread leaving the fast path goes through the
 * door instead, and a jump into a patched site's middle (or onto a site
 * being patched) runs the site's call. */
struct ucontext;
struct pico_frame;
extern bool fast_patch_off;
void fast_try_patch(uint64_t ret, const struct pico_frame *f,
		    const unsigned char *xmm);
void fast_exec_reset(void);
void fast_map_file(uint64_t start, uint64_t end, int fd, uint64_t off);
void fast_fork_catch_up(void);
/* Whether ip is just past a `syscall` of the fast path's area (the
 * door's, or a stub's copy of its site's). */
bool fast_area_syscall_end(uint64_t ip);
bool fast_door_take(const struct ucontext *uc, struct pico_frame *f,
		    bool *dispatch);
void fast_exit_redirect(struct ucontext *uc);
bool fast_mid_site(struct ucontext *uc);
bool fast_int3_site(struct ucontext *uc);

/* Installs the provider's host signal handlers (SIGSYS for syscalls,
 * SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP for faults). */
void entry_install_handlers(void);
/* Arms Syscall User Dispatch for the calling host thread: every `syscall`
 * outside the provider's text traps to the SIGSYS handler. */
void entry_arm_sud(void);

/* ptrace.c: the si_code of the host SIGSYS a tracer in this memory rings
 * a tracee with; the tracee's side of a stop (guest: its registers when
 * it was in guest code, else NULL), and a stop left for the end of the
 * call being served. */
#define SI_PICOS_STOP (-42)
/* remote.c: the si_code of the host SIGSYS that rings a thread with a
 * request of another (its slot in si_int). */
#define SI_PICOS_REMOTE (-43)
/* exit_self.c: the si_code of the doorbell an exiting child rings its
 * parent with (its exit signal; the init's doorbell is SI_USER from the
 * init). */
#define SI_PICOS_CHLD (-44)
/* The flags' always-one bit: a call the provider served (and a new
 * thread's first return) goes back to the guest with it clear in r11,
 * which the syscall ABI clobbers; entry.c tells by it a call the host
 * dropped for a pending doorbell from one it answered. */
#define R11_SERVED_MARK 2UL
struct ucontext;
void ptrace_stop_request(struct ucontext *uc, const struct pico_frame *guest);
void ptrace_stop_pending(struct ucontext *uc, const struct pico_frame *f);
void ptrace_area_add(struct pico_thread *t);
void ptrace_area_remove(struct pico_thread *t);
void ptrace_forget_others(void);
bool ptrace_wait(int pid, int options, int *status, long *ret);

struct sigcontext;
void frame_to_sigcontext(const struct pico_frame *f, struct sigcontext *sc);

/* Serves the system call described by `f` and stores its result in f->rax. */
void pico_dispatch(struct pico_frame *f);

/* Formats and writes one trace line. */
/* One trace line.  `call`, when not NULL, is the call's text taken
 * before it ran (trace_call_text): execve's arguments are gone after. */
void trace_syscall(const struct sc_entry *e, unsigned long nr,
		   const struct pico_frame *f, long ret, bool returned,
		   const char *call);
void trace_call_text(const struct sc_entry *e, unsigned long nr,
		     const struct pico_frame *f, char *out, size_t size);

/* Formats an errno value as its symbolic name ("ENOENT"). */
const char *errno_name(int err);
const char *errno_text(int err);

void enter_guest(uint64_t entry, uint64_t sp) __attribute__((noreturn));
void host_sigreturn(void);

#endif
