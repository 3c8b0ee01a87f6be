/* Guest signals: dispositions, the mask, delivery on frames in the guest's
 * ABI, and the interruptible host calls that blocking system calls use.
 *
 * The guest's signal mask is the host's while guest code runs (it is put in
 * the host ucontext's uc_sigmask on every return to the guest), so the host
 * kernel keeps blocked signals pending and queues real-time ones for us.
 * While the provider serves a call every asynchronous host signal is
 * blocked; a call that may block opens a window (intr_call) in which the
 * guest's mask is the host's, and a signal caught there is recorded in the
 * thread's `caught` list and delivered on the way out (signal_exit). */
#ifndef PICOS_SIGNAL_H
#define PICOS_SIGNAL_H

#include "../kernel.h"
#include "../entry/frame.h"
#include <asm/siginfo.h>
#include <asm/signal.h>

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Linux's internal restart codes: a handler returns one of these when a
 * signal interrupted it; signal_exit turns it into a restart or -EINTR. */
#define ERESTARTSYS 512		  /* restart if the handler has SA_RESTART */
#define ERESTARTNOINTR 513	  /* always restart */
#define ERESTARTNOHAND 514	  /* restart only if no handler ran */
#define ERESTART_RESTARTBLOCK 516 /* as NOHAND (sleeps loop themselves) */

/* Signals a fault raises: never blocked on the host. */
#define SYNC_SIGNALS                                                      \
	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGFPE) | \
	 SIGBIT(SIGTRAP) | SIGBIT(SIGSYS))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

struct ucontext;

/* The host mask that stands for a guest mask. */
uint64_t host_mask_of(uint64_t guest_mask);

/* Installs the provider's handler for every catchable asynchronous host
 * signal. */
void signal_install_async(void);

/* A host call that a signal may interrupt: the guest's mask is the host's
 * for its duration, and a signal arriving anywhere in it (even just before
 * the `syscall` instruction) makes it return -EINTR. */
long intr_call(long nr, long a, long b, long c, long d, long e, long f);
/* A wait whose host call takes the mask itself (ppoll, pselect6,
 * epoll_pwait): a signal caught before it, in the provider code of a
 * call from a patched site, where the host's mask is the guest's, makes
 * it return -EINTR too, instead of waiting with the signal left for the
 * call's end. */
long intr_wait(long nr, long a, long b, long c, long d, long e, long f);
#define intr_call3(nr, a, b, c) \
	intr_call((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define intr_call4(nr, a, b, c, d) \
	intr_call((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* After a host call returned -EINTR: true when a caught signal will run a
 * guest handler or end the process, so the call must return (with one of
 * the restart codes); false when every caught signal was ignored, and the
 * call should simply go on.  Ignored signals are dropped. */
bool signal_interrupts(void);
/* Is r one of the -ERESTART* codes a call returns to be restarted? */
bool is_restart_code(long r);

/* On every way out of the provider to the guest: restart or -EINTR for
 * an interrupted call, then frames for the caught signals, and the guest's
 * mask as the host mask to return with.  `f` has been written to `uc`. */
void signal_exit(struct pico_frame *f, struct ucontext *uc);
/* The size of the FPU state a host signal frame holds at `fp`. */
size_t signal_fpstate_size(const void *fp);
/* Publishes a thread's blocked signals for other processes' /proc
 * (proc/view.c): in its process's table slot for the first thread, in
 * its thread slot for the others. */
struct pico_thread;
void signal_publish_blocked(struct pico_thread *t);
/* Fault-class signals sent while blocked, held by the provider (the
 * host cannot block them): the set, and taking one out of `set`. */
uint64_t signal_deferred(void);
bool signal_take_deferred(uint64_t set, int *sig, siginfo_t *info);

/* A host signal that arrived while guest code ran (uc is guest context). */
void signal_from_guest(int sig, siginfo_t *info, struct ucontext *uc);

/* A fault in guest code: to the guest's handler, or the default action. */
void signal_fault(int sig, siginfo_t *info, struct ucontext *uc);

/* The default action of a signal. */
enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGN, SIGDFL_STOP, SIGDFL_CONT };
enum sig_default sig_default_action(int sig);

/* Ends this pico process by `sig`, as the host reports it to the
 * launcher (and so to the guest parent). */
__attribute__((noreturn)) void die_by_signal(int sig);

/* execve: handlers back to SIG_DFL (ignored stay ignored), no altstack. */
void signal_exec_reset(void);
/* Publishes TF_NOCLDWAIT/TF_NOCLDSTOP from the SIGCHLD disposition. */
void signal_publish_chld(void);

/* execve: the new program starts with the FPU in its initial state. */
void signal_fpu_reset(struct ucontext *uc);

/* A siginfo the guest queues (rt_sigqueueinfo, rt_tgsigqueueinfo,
 * pidfd_send_signal) carries what the guest chose, which the receiving
 * provider must not read as the host's own: ids in a code the host fills
 * in for kill and tgkill (SI_USER, SI_TKILL: only to oneself may they be
 * forged) and the codes the provider reads itself (SIGSYS's system call
 * entry and stop request, a fault's, the fd of SIGIO-style siginfo).  A
 * si_pid of a live world process in SI_USER/SI_TKILL is turned into the
 * host's ids (and back on delivery, as the host's own); anything else is
 * marked so delivery leaves it alone.  The mark sits in si_stime, which
 * the host's own siginfo of those codes leaves zero (a signalfd record
 * does not carry it). */
/* sys_kill.c: Linux's kill permission for guest pid or tid `id`: 0,
 * -EPERM, or 0 for no such task (the sender reports that). */
long may_signal_id(int id, int sig);
/* may_signal_id's answer for a signal the world's pid 1 does not take
 * (no handler for it): allowed, and not sent. */
#define SIGNAL_DROPPED 1
void signal_mark_forged(int sig, siginfo_t *info);
/* Whether a siginfo carries that mark (a tracer's SI_PICOS_STOP never
 * does). */
bool signal_marked(const siginfo_t *info);
/* Sent by a process or a timer (si_code <= 0, or queued with a kernel's
 * code and marked), not raised by the kernel for the task itself. */
bool signal_sent(const siginfo_t *info);

/* SIGIO-style siginfo (si_code POLL_IN..POLL_HUP, sent for O_ASYNC
 * files with F_SETSIG and for lease breaks) names the host fd the host
 * registered in si_fd; the guest must see its own fd.  Faults and
 * SIGCHLD use the same si_code numbers for other layouts. */
bool signal_carries_fd(int sig, const siginfo_t *info);

/* Host siginfo -> guest siginfo (pids and uids, si_fd); false to drop
 * it. */
bool signal_translate(int sig, siginfo_t *info);
/* A doorbell: the init's (SI_USER from it) or an ending child's
 * (SI_PICOS_CHLD), whose change the table tells. */
bool signal_doorbell(const siginfo_t *info);

#endif
