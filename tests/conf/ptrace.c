/* ptrace from a clone(CLONE_VM) child of its parent's threads, as
 * AddressSanitizer's leak checker does: PTRACE_ATTACH and the SIGSTOP
 * stop seen by waitpid(__WALL), GETREGS and GETREGSET(NT_PRSTATUS) with
 * the thread's stack pointer, PEEKDATA/POKEDATA, DETACH; PTRACE_SEIZE with
 * PTRACE_INTERRUPT and its event stop; a thread spinning in user code and
 * one blocked in a read; the errors (own process EPERM, a second attach
 * EPERM, requests on a thread not traced or not stopped ESRCH, no such
 * pid ESRCH). */
#include "tap.h"
#include <elf.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#define STACK_SIZE (256 * 1024)
#define NCHECK 32

/* The child's results, read by the parent after its end. */
static struct { int pass; char what[96]; } res[NCHECK];
static int nres;

static void cok(int cond, const char *what)
{
	if (nres < NCHECK) {
		res[nres].pass = cond;
		snprintf(res[nres].what, sizeof res[nres].what, "%s", what);
		nres++;
	}
}

static volatile long magic = 0x1234567890abcdefL;
static volatile long poked;
static atomic_int spin_go, spin_ready;
static atomic_long spins;
static volatile uintptr_t spin_sp, reader_sp;
static volatile pid_t spin_tid, reader_tid, parent_pid;
static int fds[2];

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void *spinner(void *arg)
{
	int local;
	spin_sp = (uintptr_t)&local;
	spin_tid = gettid_();
	atomic_store(&spin_ready, 1);
	while (!atomic_load(&spin_go))
		atomic_fetch_add(&spins, 1);
	return arg;
}

static void *reader(void *arg)
{
	int local;
	char b;
	reader_sp = (uintptr_t)&local;
	reader_tid = gettid_();
	if (read(fds[0], &b, 1) != 1)
		return (void *)1;
	return arg;
}

static int near(uintptr_t sp, uintptr_t mark)
{
	return sp <= mark + 4096 && sp + 256 * 1024 >= mark;
}

static void attach_and_look(pid_t tid, uintptr_t mark, const char *who)
{
	char w[96];
	int st = 0;
	snprintf(w, sizeof w, "PTRACE_ATTACH to the %s thread", who);
	cok(ptrace(PTRACE_ATTACH, tid, 0, 0) == 0, w);
	pid_t r;
	do
		r = waitpid(tid, &st, __WALL);
	while (r == -1 && errno == EINTR);
	snprintf(w, sizeof w, "waitpid(__WALL) sees the %s thread stop with SIGSTOP", who);
	cok(r == tid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, w);
	struct user_regs_struct regs;
	memset(&regs, 0, sizeof regs);
	snprintf(w, sizeof w, "PTRACE_GETREGS: %s thread's rsp on its stack", who);
	cok(ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0 && near(regs.rsp, mark), w);
	struct user_regs_struct rs;
	struct iovec iov = { &rs, sizeof rs };
	snprintf(w, sizeof w, "PTRACE_GETREGSET(NT_PRSTATUS) of the %s thread", who);
	cok(ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) == 0 &&
		    iov.iov_len == sizeof rs && near(rs.rsp, mark) &&
		    rs.fs_base == regs.fs_base && rs.fs_base != 0,
	    w);
	errno = 0;
	long word = ptrace(PTRACE_PEEKDATA, tid, (void *)&magic, 0);
	cok(errno == 0 && word == magic, "PTRACE_PEEKDATA reads the word");
	cok(ptrace(PTRACE_POKEDATA, tid, (void *)&poked, (void *)7L) == 0 &&
		    poked == 7,
	    "PTRACE_POKEDATA writes it");
	snprintf(w, sizeof w, "PTRACE_DETACH from the %s thread", who);
	cok(ptrace(PTRACE_DETACH, tid, 0, 0) == 0, w);
	cok(ptrace(PTRACE_GETREGS, tid, 0, &regs) == -1 && errno == ESRCH,
	    "GETREGS after DETACH fails with ESRCH");
}

static int tracer(void *arg)
{
	(void)arg;
	attach_and_look(spin_tid, spin_sp, "spinning");
	attach_and_look(reader_tid, reader_sp, "blocked");

	/* SEIZE does not stop; INTERRUPT does, with an event stop. */
	int st = 0;
	cok(ptrace(PTRACE_SEIZE, spin_tid, 0, 0) == 0, "PTRACE_SEIZE");
	struct user_regs_struct regs;
	cok(ptrace(PTRACE_GETREGS, spin_tid, 0, &regs) == -1 && errno == ESRCH,
	    "GETREGS of a running tracee fails with ESRCH");
	cok(ptrace(PTRACE_SEIZE, spin_tid, 0, 0) == -1 && errno == EPERM,
	    "a second attach fails with EPERM");
	cok(ptrace(PTRACE_INTERRUPT, spin_tid, 0, 0) == 0, "PTRACE_INTERRUPT");
	pid_t r;
	do
		r = waitpid(spin_tid, &st, __WALL);
	while (r == -1 && errno == EINTR);
	cok(r == spin_tid && WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP &&
		    WSTOPSIG(st) == SIGTRAP,
	    "the interrupt is a PTRACE_EVENT_STOP stop");
	cok(ptrace(PTRACE_DETACH, spin_tid, 0, 0) == 0, "DETACH after SEIZE");

	cok(ptrace(PTRACE_ATTACH, getpid(), 0, 0) == -1 && errno == EPERM,
	    "attaching to its own process fails with EPERM");
	cok(ptrace(PTRACE_DETACH, spin_tid, 0, 0) == -1 && errno == ESRCH,
	    "DETACH of a thread not traced fails with ESRCH");
	cok(ptrace(PTRACE_ATTACH, 0x3ffffff0, 0, 0) == -1 && errno == ESRCH,
	    "attaching to no such pid fails with ESRCH");
	return 0;
}

/* Attaches, sees the stop, and ends without detaching. */
static int leaver(void *arg)
{
	(void)arg;
	int st;
	if (ptrace(PTRACE_ATTACH, spin_tid, 0, 0) != 0)
		return 1;
	return waitpid(spin_tid, &st, __WALL) == spin_tid && WIFSTOPPED(st) ? 0 : 2;
}

int main(void)
{
	pthread_t ts, tr;
	parent_pid = getpid();
	if (pipe(fds) || pthread_create(&ts, NULL, spinner, NULL) ||
	    pthread_create(&tr, NULL, reader, NULL))
		return 2;
	while (!atomic_load(&spin_ready) || !reader_tid)
		sched_yield();
	usleep(50000); /* the reader is in its read */
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid = clone(tracer, stack + STACK_SIZE,
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED, NULL);
	ok(pid > 0, "clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED)");
	int st = 0;
	pid_t r;
	do
		r = waitpid(pid, &st, __WALL);
	while (r == -1 && errno == EINTR);
	ok(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the tracer ends (status %#x)", st);
	for (int i = 0; i < nres; i++)
		ok(res[i].pass, "%s", res[i].what);
	pid = clone(leaver, stack + STACK_SIZE,
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED, NULL);
	do
		r = waitpid(pid, &st, __WALL);
	while (r == -1 && errno == EINTR);
	ok(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a tracer attaches and ends without detaching");
	long before = atomic_load(&spins);
	usleep(300000);
	ok(atomic_load(&spins) > before,
	   "its tracee runs again (the tracer's end detached it)");
	atomic_store(&spin_go, 1);
	void *rv = NULL;
	pthread_join(ts, NULL);
	ok(write(fds[1], "x", 1) == 1 && pthread_join(tr, &rv) == 0 && rv == NULL,
	   "the blocked thread's read completes after the detach");
	return tap_done();
}
