/* rt_sigqueueinfo and rt_tgsigqueueinfo to the caller, its threads and
 * other processes (Linux's order of EFAULT, EPERM, ESRCH and EINVAL, and
 * what the receiver sees), codes the kernel uses for its own signals
 * (SIGSYS's, a fault's) queued by a process, and SA_RESETHAND: the
 * handler goes back to SIG_DFL and the flags stay as they were. */
#include "tap.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static int rt_sigqueueinfo(pid_t pid, int sig, siginfo_t *si)
{
	return (int)syscall(SYS_rt_sigqueueinfo, pid, sig, si);
}

static int rt_tgsigqueueinfo(pid_t tgid, pid_t tid, int sig, siginfo_t *si)
{
	return (int)syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, si);
}

static siginfo_t info_of(int sig, int code, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = 4242;
	si.si_uid = 77;
	si.si_int = value;
	return si;
}

static int wait_sig(int sig, siginfo_t *out)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec ts = { 2, 0 };
	return sigtimedwait(&s, out, &ts);
}

static void sigqueueinfo(void)
{
	siginfo_t si = info_of(SIGUSR1, SI_QUEUE, 11), got;
	fails_with(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (void *)8), EFAULT,
		   "rt_sigqueueinfo with a bad siginfo");
	fails_with(rt_sigqueueinfo(4000000, SIGUSR1, &si), ESRCH, "rt_sigqueueinfo to no process");
	fails_with(rt_sigqueueinfo(getpid(), 99, &si), EINVAL, "rt_sigqueueinfo of signal 99");
	fails_with(rt_sigqueueinfo(4000000, 99, &si), ESRCH, "ESRCH comes before the signal check");
	ok(rt_sigqueueinfo(getpid(), SIGUSR1, &si) == 0, "rt_sigqueueinfo to oneself");
	ok(wait_sig(SIGUSR1, &got) == SIGUSR1 && got.si_code == SI_QUEUE && got.si_int == 11 &&
		   got.si_pid == 4242 && got.si_uid == 77,
	   "arrives with the siginfo as sent");
	siginfo_t k = info_of(SIGUSR1, SI_USER, 12);
	ok(rt_sigqueueinfo(getpid(), SIGUSR1, &k) == 0, "a forged SI_USER to oneself is allowed");
	ok(wait_sig(SIGUSR1, &got) == SIGUSR1 && got.si_code == SI_USER && got.si_pid == 4242,
	   "and arrives as forged");

	pid_t c = fork();
	if (c == 0) {
		siginfo_t a;
		int r = wait_sig(SIGUSR1, &a);
		_exit(r == SIGUSR1 && a.si_code == SI_QUEUE && a.si_int == 13 && a.si_pid == 4242 ? 0 : 1);
	}
	k = info_of(SIGUSR1, SI_USER, 0);
	fails_with(rt_sigqueueinfo(c, SIGUSR1, &k), EPERM, "a forged SI_USER to another process");
	k = info_of(SIGUSR1, SI_TKILL, 0);
	fails_with(rt_sigqueueinfo(c, SIGUSR1, &k), EPERM, "a forged SI_TKILL to another process");
	k = info_of(SIGUSR1, 1, 0);
	fails_with(rt_sigqueueinfo(c, SIGUSR1, &k), EPERM, "a kernel code to another process");
	fails_with(rt_sigqueueinfo(c, 99, &k), EPERM, "EPERM comes before the signal check");
	si = info_of(SIGUSR1, SI_QUEUE, 13);
	ok(rt_sigqueueinfo(c, SIGUSR1, &si) == 0, "rt_sigqueueinfo to a child");
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the child got the siginfo as sent");
}

static volatile pid_t th_tid;
static volatile int th_result = -1;

static void *receiver(void *a)
{
	(void)a;
	th_tid = (pid_t)syscall(SYS_gettid);
	siginfo_t got;
	int r = wait_sig(SIGUSR2, &got);
	th_result = r == SIGUSR2 && got.si_code == SI_QUEUE && got.si_int == 21;
	return NULL;
}

static void tgsigqueueinfo(void)
{
	siginfo_t si = info_of(SIGUSR1, SI_QUEUE, 20), got;
	pid_t me = getpid(), tid = (pid_t)syscall(SYS_gettid);
	fails_with(rt_tgsigqueueinfo(0, tid, SIGUSR1, &si), EINVAL, "rt_tgsigqueueinfo with tgid 0");
	fails_with(rt_tgsigqueueinfo(me, 0, SIGUSR1, &si), EINVAL, "rt_tgsigqueueinfo with tid 0");
	fails_with(rt_tgsigqueueinfo(me, -3, SIGUSR1, (void *)8), EFAULT, "EFAULT for the siginfo before EINVAL for ids");
	fails_with(syscall(SYS_rt_tgsigqueueinfo, me, tid, SIGUSR1, (void *)8), EFAULT,
		   "rt_tgsigqueueinfo with a bad siginfo");
	fails_with(rt_tgsigqueueinfo(me, 4000000, SIGUSR1, &si), ESRCH, "rt_tgsigqueueinfo to no thread");
	fails_with(rt_tgsigqueueinfo(me, tid, 99, &si), EINVAL, "rt_tgsigqueueinfo of signal 99");
	ok(rt_tgsigqueueinfo(me, tid, SIGUSR1, &si) == 0, "rt_tgsigqueueinfo to oneself");
	ok(wait_sig(SIGUSR1, &got) == SIGUSR1 && got.si_int == 20 && got.si_pid == 4242,
	   "arrives with the siginfo as sent");
	siginfo_t k = info_of(SIGUSR1, SI_USER, 0);
	ok(rt_tgsigqueueinfo(me, tid, SIGUSR1, &k) == 0, "a forged SI_USER to the calling thread");
	ok(wait_sig(SIGUSR1, &got) == SIGUSR1 && got.si_code == SI_USER, "arrives as forged");

	pthread_t t;
	pthread_create(&t, NULL, receiver, NULL);
	while (!th_tid)
		usleep(1000);
	fails_with(rt_tgsigqueueinfo(me, th_tid, SIGUSR2, &k), EPERM,
		   "a forged SI_USER to another thread of the process");
	fails_with(rt_tgsigqueueinfo(me + 100000, th_tid, SIGUSR2, &si), ESRCH,
		   "a thread under the wrong tgid");
	si = info_of(SIGUSR2, SI_QUEUE, 21);
	ok(rt_tgsigqueueinfo(me, th_tid, SIGUSR2, &si) == 0, "rt_tgsigqueueinfo to another thread");
	pthread_join(t, NULL);
	ok(th_result == 1, "that thread got it");

	pid_t c = fork();
	if (c == 0) {
		siginfo_t a;
		int r = wait_sig(SIGUSR1, &a);
		_exit(r == SIGUSR1 && a.si_int == 22 ? 0 : 1);
	}
	si = info_of(SIGUSR1, SI_QUEUE, 22);
	ok(rt_tgsigqueueinfo(c, c, SIGUSR1, &si) == 0, "rt_tgsigqueueinfo to a child's thread");
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child got it");
}

static volatile int q_calls, q_code, q_int;

static void on_queued(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	q_calls++;
	q_code = si->si_code;
	q_int = si->si_int;
}

/* Sends `code` for `sig` to oneself with a handler installed: it runs
 * once with the siginfo as sent. */
static int queued_to_self(int sig, int code, int value)
{
	struct sigaction sa = { .sa_sigaction = on_queued, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	q_calls = 0;
	siginfo_t si = info_of(sig, code, value);
	int r = rt_sigqueueinfo(getpid(), sig, &si);
	signal(sig, SIG_DFL);
	return r == 0 && q_calls == 1 && q_code == code && q_int == value;
}

/* The kernel's own codes for SIGSYS (SYS_SECCOMP, SYS_USER_DISPATCH) and
 * for faults may be queued to oneself, any negative code to anyone: the
 * receiver gets a signal like any other, not a system call or a fault. */
static void kernel_codes(void)
{
	ok(queued_to_self(SIGSYS, -42, 31), "SIGSYS with code -42 queued to oneself");
	ok(queued_to_self(SIGSYS, 2 /* SYS_USER_DISPATCH */, 32),
	   "SIGSYS with code SYS_USER_DISPATCH queued to oneself");
	ok(queued_to_self(SIGSYS, 1 /* SYS_SECCOMP */, 33),
	   "SIGSYS with code SYS_SECCOMP queued to oneself");
	ok(queued_to_self(SIGSEGV, SEGV_MAPERR, 34), "SIGSEGV with code SEGV_MAPERR queued to oneself");

	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, &old);
	siginfo_t si = info_of(SIGSEGV, SEGV_ACCERR, 35), got;
	ok(rt_sigqueueinfo(getpid(), SIGSEGV, &si) == 0 && wait_sig(SIGSEGV, &got) == SIGSEGV &&
		   got.si_code == SEGV_ACCERR && got.si_int == 35,
	   "a blocked SIGSEGV with a fault's code stays pending and is taken by sigtimedwait");
	sigprocmask(SIG_SETMASK, &old, NULL);

	pid_t c = fork();
	if (c == 0) {
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGSYS);
		sigprocmask(SIG_BLOCK, &m, NULL);
		kill(getpid(), SIGSTOP);
		siginfo_t a;
		int r = wait_sig(SIGSYS, &a);
		_exit(r == SIGSYS && a.si_code == -42 && a.si_int == 36 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, WUNTRACED);
	si = info_of(SIGSYS, -42, 36);
	ok(rt_sigqueueinfo(c, SIGSYS, &si) == 0, "SIGSYS with code -42 queued to a child");
	kill(c, SIGCONT);
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the child takes it with sigtimedwait as sent");
}

static volatile int h_calls, h_code, h_blocked;

static void h(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	h_calls++;
	h_code = si->si_code;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	h_blocked = sigismember(&cur, sig);
}

static void resethand(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGURG, &sa, NULL);
	siginfo_t si = info_of(SIGURG, SI_QUEUE, 1);
	rt_sigqueueinfo(getpid(), SIGURG, &si);
	ok(h_calls == 1 && h_code == SI_QUEUE, "SA_RESETHAND|SA_SIGINFO handler runs with its siginfo");
	ok(h_blocked == 1, "SA_RESETHAND: the signal is blocked in the handler (no SA_NODEFER implied)");
	sigaction(SIGURG, NULL, &old);
	ok(old.sa_handler == SIG_DFL, "then the handler is SIG_DFL");
	ok((old.sa_flags & (SA_SIGINFO | SA_RESETHAND)) == (SA_SIGINFO | SA_RESETHAND),
	   "and the flags stay, SA_SIGINFO included (%#x)", old.sa_flags);
	kill(getpid(), SIGURG); /* default: ignored */
	ok(h_calls == 1, "a second SIGURG takes the default action");
}

int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	sigqueueinfo();
	tgsigqueueinfo();
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	kernel_codes();
	resethand();
	return tap_done();
}
