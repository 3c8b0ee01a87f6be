/* Capabilities: capget and capset (the three header versions, the version
 * probe, other pids and threads), the capability options of prctl
 * (bounding set, ambient set, securebits, keepcaps), and how the sets move
 * with uid changes and execve (capabilities(7)).  Raw syscalls throughout
 * (glibc's set*id wrappers broadcast to every thread).  Checks that change
 * the caller's sets run in forked children.  A root run has capabilities
 * and an unprivileged one none: the cases branch on the starting uid, and
 * both must pass natively.  `caps expect EFF PRM INH AMB` is the helper
 * the exec checks run: it exits 0 when its own sets are those. */
#include "tap.h"
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#define KEEP (-1)
#define BIT(c) (1ULL << (c))
#define FS_CAPS (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER))

struct sets {
	uint64_t eff, prm, inh;
};

static long capget_v(uint32_t version, int pid, struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = { version, pid };
	return syscall(SYS_capget, &h, d);
}

static int get_sets(int pid, struct sets *s)
{
	struct __user_cap_data_struct d[2];
	if (capget_v(_LINUX_CAPABILITY_VERSION_3, pid, d) < 0)
		return -1;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static long set_sets(const struct sets *s)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh },
		{ (uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32),
		  (uint32_t)(s->inh >> 32) },
	};
	return syscall(SYS_capset, &h, d);
}

static struct sets mine(void)
{
	struct sets s = { ~0ULL, ~0ULL, ~0ULL };
	get_sets(0, &s);
	return s;
}

static uint64_t bounding(void)
{
	uint64_t b = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			b |= BIT(c);
	return b;
}

/* ---- children report through rok() (tap.h) ---- */

static void in_child(void (*fn)(void), const char *what)
{
	int p[2];
	if (pipe(p) < 0) {
		ok(0, "%s: pipe", what);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		rep_fd = p[1];
		fn();
		_exit(0);
	}
	close(p[1]);
	struct rec r;
	int n = 0, st = -1;
	while (read(p[0], &r, sizeof r) == sizeof r && ++n)
		ok(r.pass, "%s: %.120s", what, r.what);
	close(p[0]);
	int reaped = pid > 0 && waitpid(pid, &st, 0) == pid;
	ok(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0,
	   "%s: child ran %d checks and exited 0 (status %#x)", what, n, st);
}

static void rfails(long r, int e, int want, const char *wname, const char *what)
{
	if (r == -1 && e == want)
		rok(1, "%s fails with %s", what, wname);
	else
		rok(0, "%s fails with %s (got %ld, errno %d %s)", what, wname, r, e,
		    strerror(e));
}
#define RFAILS(expr, err, what)                                            \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		rfails(r_, errno, err, #err, what);                        \
	} while (0)

static void rreturns(long got, int e, long want, const char *what)
{
	if (got == want)
		rok(1, "%s returns %ld", what, want);
	else
		rok(0, "%s returns %ld (got %ld, errno %d)", what, want, got, e);
}
#define RRETURNS(expr, want, what)                                         \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		rreturns(r_, errno, (want), what);                         \
	} while (0)
#define RSUCCEEDS(expr, what) RRETURNS(expr, 0, what)

/* Checks this thread's sets. */
static void rsets(uint64_t eff, uint64_t prm, uint64_t inh, const char *what)
{
	struct sets s = mine();
	rok(s.eff == eff && s.prm == prm && s.inh == inh,
	    "%s: eff %#llx prm %#llx inh %#llx (got %#llx %#llx %#llx)", what,
	    (unsigned long long)eff, (unsigned long long)prm,
	    (unsigned long long)inh, (unsigned long long)s.eff,
	    (unsigned long long)s.prm, (unsigned long long)s.inh);
}

/* Runs this program as `caps expect ...` and checks it exits 0. */
static const char *self;
static void rexec_expect(uint64_t eff, uint64_t prm, uint64_t inh,
			 uint64_t amb, const char *what)
{
	char a[4][32];
	snprintf(a[0], 32, "%llx", (unsigned long long)eff);
	snprintf(a[1], 32, "%llx", (unsigned long long)prm);
	snprintf(a[2], 32, "%llx", (unsigned long long)inh);
	snprintf(a[3], 32, "%llx", (unsigned long long)amb);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "expect", a[0], a[1], a[2], a[3], (char *)NULL);
		_exit(99);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	rok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "%s: after execve eff %s prm %s inh %s amb %s (status %#x)", what,
	    a[0], a[1], a[2], a[3], st);
}

static int expect_main(char **argv)
{
	struct sets s = mine();
	uint64_t amb = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			amb |= BIT(c);
	uint64_t want[4];
	for (int i = 0; i < 4; i++)
		want[i] = strtoull(argv[2 + i], NULL, 16);
	if (s.eff == want[0] && s.prm == want[1] && s.inh == want[2] &&
	    amb == want[3])
		return 0;
	fprintf(stderr, "expect: got eff %llx prm %llx inh %llx amb %llx\n",
		(unsigned long long)s.eff, (unsigned long long)s.prm,
		(unsigned long long)s.inh, (unsigned long long)amb);
	return 1;
}

/* ---- whoever we are ---- */

static void header_versions(void)
{
	struct __user_cap_data_struct d[2];
	struct __user_cap_header_struct h = { 0x12345, 0 };
	ok(syscall(SYS_capget, &h, NULL) == 0 &&
		   h.version == _LINUX_CAPABILITY_VERSION_3,
	   "capget(bad version, NULL) is the probe: 0, version %#x written back",
	   h.version);
	h.version = 0x12345;
	fails_with(syscall(SYS_capget, &h, d), EINVAL, "capget(bad version, data)");
	ok(h.version == _LINUX_CAPABILITY_VERSION_3, "and writes the version back");
	h.version = 0x12345;
	fails_with(syscall(SYS_capset, &h, d), EINVAL, "capset(bad version)");
	ok(h.version == _LINUX_CAPABILITY_VERSION_3, "capset writes it back too");
	h.version = _LINUX_CAPABILITY_VERSION_3;
	ok(syscall(SYS_capget, &h, NULL) == 0, "capget(v3, NULL) returns 0");
	fails_with(syscall(SYS_capget, (void *)8, d), EFAULT, "capget(bad header)");
	fails_with(capget_v(_LINUX_CAPABILITY_VERSION_3, 0, (void *)8), EFAULT,
		   "capget(bad data)");
	fails_with(capget_v(_LINUX_CAPABILITY_VERSION_3, -1, d), EINVAL,
		   "capget(pid -1)");

	struct sets s = mine();
	memset(d, 0xa5, sizeof d);
	ok(capget_v(_LINUX_CAPABILITY_VERSION_1, 0, d) == 0 &&
		   d[0].effective == (uint32_t)s.eff &&
		   d[0].permitted == (uint32_t)s.prm && d[1].effective == 0xa5a5a5a5,
	   "capget v1 fills one 32-bit word per set");
	memset(d, 0xa5, sizeof d);
	ok(capget_v(_LINUX_CAPABILITY_VERSION_2, 0, d) == 0 &&
		   d[1].effective == (uint32_t)(s.eff >> 32) &&
		   d[1].inheritable == (uint32_t)(s.inh >> 32),
	   "capget v2 fills two");
	struct sets byme;
	ok(get_sets(getpid(), &byme) == 0 && byme.eff == s.eff &&
		   byme.prm == s.prm && byme.inh == s.inh,
	   "capget(getpid()) is capget(0)");
}

/* A process sharing the caller's memory (clone(CLONE_VM)) has the
 * caller's sets, which capget from the caller shows. */
static atomic_int vm_go;

static int vm_wait(void *arg)
{
	(void)arg;
	while (!atomic_load(&vm_go))
		usleep(1000);
	return 0;
}

static void vm_child(void)
{
	size_t size = 256 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		return;
	atomic_store(&vm_go, 0);
	pid_t pid = clone(vm_wait, stack + size, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD,
			  NULL);
	struct sets me = mine(), ch = { 1, 1, 1 };
	int r = get_sets(pid, &ch);
	ok(pid > 0 && r == 0 && ch.eff == me.eff && ch.prm == me.prm && ch.inh == me.inh,
	   "capget(CLONE_VM child) shows the sets it was made with (%d, errno %d, eff %#llx)",
	   r, r ? errno : 0, (unsigned long long)ch.eff);
	atomic_store(&vm_go, 1);
	waitpid(pid, NULL, 0);
	munmap(stack, size);
}

static void other_pids(void)
{
	/* A child that ended and was reaped: no such process. */
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	struct sets s;
	fails_with(get_sets(gone, &s), ESRCH, "capget(reaped child)");

	/* A live child shows its own sets, also once it changed them. */
	int go[2], back[2];
	if (pipe(go) < 0 || pipe(back) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		struct sets t = mine();
		t.eff &= ~BIT(CAP_CHOWN);
		long r = set_sets(&t);
		if (write(back[1], &r, sizeof r) < 0 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	long r = -1;
	if (read(back[0], &r, sizeof r) != sizeof r)
		r = -2;
	struct sets me = mine(), ch;
	ok(r == 0 && get_sets(pid, &ch) == 0 &&
		   ch.eff == (me.eff & ~BIT(CAP_CHOWN)) && ch.prm == me.prm &&
		   ch.inh == me.inh,
	   "capget(live child) shows the child's sets (eff %#llx)",
	   (unsigned long long)ch.eff);
	/* capset on anyone else: EPERM (the sets are those it has). */
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)me.eff, (uint32_t)me.prm, (uint32_t)me.inh },
		{ (uint32_t)(me.eff >> 32), (uint32_t)(me.prm >> 32),
		  (uint32_t)(me.inh >> 32) },
	};
	fails_with(syscall(SYS_capset, &h, d), EPERM, "capset(a child's pid)");
	if (write(go[1], "x", 1) < 0)
		perror("write");
	waitpid(pid, NULL, 0);
	close(go[0]), close(go[1]), close(back[0]), close(back[1]);
	h.pid = 0;
	fails_with(syscall(SYS_capset, &h, (void *)8), EFAULT, "capset(bad data)");
	vm_child();
}

/* A thread's own sets: capset in a thread changes that thread only, and
 * capget of its tid shows them. */
static int thread_tid;
static long thread_r = -1;
static int thread_pipe[2];
static void *thread_fn(void *arg)
{
	(void)arg;
	thread_tid = (int)syscall(SYS_gettid);
	struct sets t = mine();
	t.eff = 0;
	thread_r = set_sets(&t);
	char c = 'x';
	if (write(thread_pipe[1], &c, 1) < 0 || read(thread_pipe[0], &c, 1) < 0)
		thread_r = -3;
	return NULL;
}

static void per_thread(void)
{
	pthread_t th;
	int tp[2];
	if (pipe(thread_pipe) < 0 || pipe(tp) < 0)
		return;
	/* The thread writes to thread_pipe[1] and waits on its own read end
	 * only after the main thread read that byte back. */
	int go[2] = { thread_pipe[0], tp[1] };
	thread_pipe[0] = tp[0];
	pthread_create(&th, NULL, thread_fn, NULL);
	char c;
	if (read(go[0], &c, 1) < 0)
		perror("read");
	struct sets me = mine(), t;
	ok(thread_r == 0 && get_sets(thread_tid, &t) == 0 && t.eff == 0 &&
		   t.prm == me.prm,
	   "capget(thread's tid) shows the thread's sets");
	ok(me.eff == me.prm || getuid() != 0,
	   "the main thread's effective set is unchanged");
	if (write(go[1], "x", 1) < 0)
		perror("write");
	pthread_join(th, NULL);
	close(go[0]), close(go[1]), close(thread_pipe[0]), close(thread_pipe[1]);
}

static void prctl_common(void)
{
	fails_with(prctl(PR_CAPBSET_READ, CAP_LAST_CAP + 1, 0, 0, 0), EINVAL,
		   "PR_CAPBSET_READ(CAP_LAST_CAP + 1)");
	ok(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 1,
	   "CAP_CHOWN is in the bounding set");
	ok(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == 0, "no securebits at start");
	ok(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0, "keepcaps off at start");
	fails_with(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL, "PR_SET_KEEPCAPS(2)");
	ok(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) == 0,
	   "CAP_CHOWN is not ambient");
	fails_with(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 999, 0, 0), EINVAL,
		   "PR_CAP_AMBIENT_IS_SET(999)");
	fails_with(prctl(PR_CAP_AMBIENT, 99, CAP_CHOWN, 0, 0), EINVAL,
		   "PR_CAP_AMBIENT with an unknown operation");
	fails_with(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL,
		   "PR_CAP_AMBIENT_CLEAR_ALL with an argument");
	ok(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0,
	   "PR_CAP_AMBIENT_CLEAR_ALL");
	fails_with(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 1, 0),
		   EINVAL, "PR_CAP_AMBIENT_LOWER with arg4");
}

/* In a child: keepcaps set and cleared. */
static void keepcaps(void)
{
	RSUCCEEDS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "PR_SET_KEEPCAPS(1)");
	RRETURNS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1, "PR_GET_KEEPCAPS");
	RRETURNS(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS,
		 "PR_GET_SECUREBITS shows SECBIT_KEEP_CAPS");
	RSUCCEEDS(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "PR_SET_KEEPCAPS(0)");
	RRETURNS(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0, "securebits clear again");
}

/* Linux 6.14's exec securebits (8 and 10, locks 9 and 11) need no
 * privilege: only they may change without CAP_SETPCAP, and a call must
 * change something.  Run where the kernel knows them (picos always does). */
static void exec_securebits(void)
{
	struct sets s = mine();
	s.eff &= ~BIT(CAP_SETPCAP);
	RSUCCEEDS(set_sets(&s), "dropping CAP_SETPCAP from effective");
	RFAILS(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS(0) without CAP_SETPCAP");
	RSUCCEEDS(prctl(PR_SET_SECUREBITS, 1 << 8, 0, 0, 0),
		  "PR_SET_SECUREBITS(EXEC_RESTRICT_FILE)");
	RFAILS(prctl(PR_SET_SECUREBITS, 1 << 8, 0, 0, 0), EPERM,
	       "the same again (no change)");
	RFAILS(prctl(PR_SET_SECUREBITS, (1 << 8) | SECBIT_KEEP_CAPS, 0, 0, 0), EPERM,
	       "adding SECBIT_KEEP_CAPS with it");
	RSUCCEEDS(prctl(PR_SET_SECUREBITS, (1 << 10) | (1 << 11), 0, 0, 0),
		  "PR_SET_SECUREBITS(EXEC_DENY_INTERACTIVE, locked), clearing bit 8");
	RRETURNS(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), (1 << 10) | (1 << 11),
		 "PR_GET_SECUREBITS");
	RFAILS(prctl(PR_SET_SECUREBITS, 1 << 11, 0, 0, 0), EPERM,
	       "clearing a locked bit");
}

static int kernel_knows_exec_securebits(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(prctl(PR_SET_SECUREBITS, 1 << 8, 0, 0, 0) == 0 ? 0 : 1);
	int st = -1;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- not root: no capabilities, no way to get any ---- */

static void unprivileged(void)
{
	rsets(0, 0, 0, "an unprivileged process");
	struct sets s = { 0, BIT(CAP_CHOWN), 0 };
	RFAILS(set_sets(&s), EPERM, "capset raising permitted");
	s = (struct sets){ BIT(CAP_CHOWN), 0, 0 };
	RFAILS(set_sets(&s), EPERM, "capset effective outside permitted");
	s = (struct sets){ 0, 0, BIT(CAP_CHOWN) };
	RFAILS(set_sets(&s), EPERM, "capset inheritable without CAP_SETPCAP");
	s = (struct sets){ 0, 0, 0 };
	RSUCCEEDS(set_sets(&s), "capset of the empty sets");
	RFAILS(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0), EPERM,
	       "PR_CAPBSET_DROP without CAP_SETPCAP");
	RFAILS(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS without CAP_SETPCAP");
	RFAILS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), EPERM,
	       "PR_CAP_AMBIENT_RAISE of a capability not permitted");
	RFAILS(syscall(SYS_sethostname, "x", 1), EPERM,
	       "sethostname without CAP_SYS_ADMIN");
	rexec_expect(0, 0, 0, 0, "an unprivileged execve");
}

/* ---- root ---- */

static uint64_t B; /* the bounding set at start */

static void root_start(void)
{
	rsets(B, B, 0, "root starts with the bounding set");
	/* capset: permitted may shrink, effective within it. */
	struct sets s = { B & ~BIT(CAP_CHOWN), B, 0 };
	RSUCCEEDS(set_sets(&s), "capset dropping CAP_CHOWN from effective");
	rsets(B & ~BIT(CAP_CHOWN), B, 0, "after it");
	s.eff = B;
	RSUCCEEDS(set_sets(&s), "capset raising it again (still permitted)");
	s = (struct sets){ B & ~BIT(CAP_KILL), B & ~BIT(CAP_KILL), 0 };
	RSUCCEEDS(set_sets(&s), "capset dropping CAP_KILL from permitted");
	s.prm = B;
	RFAILS(set_sets(&s), EPERM, "capset raising permitted back");
	s = (struct sets){ B, B & ~BIT(CAP_KILL), 0 };
	RFAILS(set_sets(&s), EPERM, "capset effective outside permitted");
	/* Inheritable: with CAP_SETPCAP anything in the bounding set. */
	s = (struct sets){ B & ~BIT(CAP_KILL), B & ~BIT(CAP_KILL), BIT(CAP_KILL) };
	RSUCCEEDS(set_sets(&s), "capset inheritable outside permitted with CAP_SETPCAP");
	s.eff &= ~BIT(CAP_SETPCAP);
	s.inh = BIT(CAP_KILL) | BIT(CAP_CHOWN);
	RSUCCEEDS(set_sets(&s), "capset inheritable within permitted without CAP_SETPCAP");
	s.inh = 0;
	RSUCCEEDS(set_sets(&s), "capset dropping inheritable");
	s.inh = BIT(CAP_KILL);
	RFAILS(set_sets(&s), EPERM,
	       "capset inheritable outside permitted without CAP_SETPCAP");
	RFAILS(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0), EPERM,
	       "PR_CAPBSET_DROP without CAP_SETPCAP in effective");
	RFAILS(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS without CAP_SETPCAP in effective");
}

static void root_bounding(void)
{
	RSUCCEEDS(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0),
		  "PR_CAPBSET_DROP(CAP_SYS_BOOT)");
	RRETURNS(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0), 0,
		 "CAP_SYS_BOOT is out of the bounding set");
	RFAILS(prctl(PR_CAPBSET_DROP, 99, 0, 0, 0), EINVAL, "PR_CAPBSET_DROP(99)");
	rsets(B, B, 0, "dropping from the bounding set leaves the others");
	/* Inheritable may not gain what is neither inheritable nor bounding. */
	struct sets s = { B, B, BIT(CAP_SYS_BOOT) };
	RFAILS(set_sets(&s), EPERM, "capset inheritable outside the bounding set");
	/* An execve as root: permitted is the bounding set again. */
	rexec_expect(B & ~BIT(CAP_SYS_BOOT), B & ~BIT(CAP_SYS_BOOT), 0, 0,
		     "a root execve");
}

static void root_ambient(void)
{
	uint64_t nb = BIT(CAP_NET_BIND_SERVICE);
	RFAILS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0),
	       EPERM, "PR_CAP_AMBIENT_RAISE of a capability not inheritable");
	struct sets s = { B, B, nb };
	RSUCCEEDS(set_sets(&s), "capset CAP_NET_BIND_SERVICE inheritable");
	RSUCCEEDS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0),
		  "PR_CAP_AMBIENT_RAISE(CAP_NET_BIND_SERVICE)");
	RRETURNS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0),
		 1, "it is ambient");
	RSUCCEEDS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_BIND_SERVICE, 0, 0),
		  "PR_CAP_AMBIENT_LOWER");
	RRETURNS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0),
		 0, "it is not ambient");
	RSUCCEEDS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0),
		  "raised again");
	/* Dropping it from inheritable drops it from ambient. */
	s.inh = 0;
	RSUCCEEDS(set_sets(&s), "capset dropping it from inheritable");
	RRETURNS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0),
		 0, "which takes it out of ambient");
	/* Keep caps across a switch to a user, with an ambient capability:
	 * the user's execve keeps exactly that one. */
	s.inh = nb;
	RSUCCEEDS(set_sets(&s), "inheritable again");
	RSUCCEEDS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "PR_SET_KEEPCAPS(1)");
	RSUCCEEDS(syscall(SYS_setresuid, 1000, 1000, 1000), "setresuid to a user");
	rsets(0, B, nb, "keepcaps kept permitted, effective is empty");
	RRETURNS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0),
		 0, "the switch to a user cleared ambient");
	RSUCCEEDS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0),
		  "raised as the user");
	rexec_expect(nb, nb, nb, nb, "a user's execve with one ambient capability");
	RSUCCEEDS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
		  "PR_CAP_AMBIENT_CLEAR_ALL");
	rexec_expect(0, 0, nb, 0, "a user's execve without ambient");
	s = (struct sets){ BIT(CAP_SETUID), B, nb };
	RSUCCEEDS(set_sets(&s), "capset CAP_SETUID effective as the user");
	RSUCCEEDS(syscall(SYS_setresuid, 2000, 2000, 2000),
		  "setresuid to another user with CAP_SETUID");
	RRETURNS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1, "keepcaps still on");
}

static void root_setuid(void)
{
	/* Without keepcaps, leaving root empties permitted and effective. */
	RSUCCEEDS(syscall(SYS_setresuid, 1000, 1000, 1000), "setresuid(1000 x3)");
	rsets(0, 0, 0, "no capabilities left");
	RFAILS(syscall(SYS_setuid, 0), EPERM, "setuid(0) after that");
}

static void root_euid(void)
{
	RSUCCEEDS(syscall(SYS_setresuid, KEEP, 1000, KEEP), "setresuid(-1,1000,-1)");
	rsets(0, B, 0, "euid 1000: effective empty, permitted kept");
	RFAILS(syscall(SYS_sethostname, "x", 1), EPERM,
	       "sethostname without CAP_SYS_ADMIN in effective");
	RSUCCEEDS(syscall(SYS_setresuid, KEEP, 0, KEEP), "setresuid(-1,0,-1)");
	rsets(B, B, 0, "euid 0 again: effective is permitted");
	/* The fsuid moves the filesystem capabilities of effective. */
	RRETURNS(syscall(SYS_setfsuid, 1000), 0, "setfsuid(1000)");
	struct sets s = mine();
	rok((s.eff & FS_CAPS) == 0 && (s.eff & BIT(CAP_KILL)) && s.prm == B,
	    "fsuid 1000: CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER leave effective");
	RRETURNS(syscall(SYS_setfsuid, 0), 1000, "setfsuid(0)");
	rsets(B, B, 0, "fsuid 0: they are back");
	/* NO_SETUID_FIXUP: the uid changes leave the sets alone. */
	RSUCCEEDS(prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0),
		  "PR_SET_SECUREBITS(SECBIT_NO_SETUID_FIXUP)");
	RSUCCEEDS(syscall(SYS_setresuid, 1000, 1000, 1000), "setresuid(1000 x3)");
	rsets(B, B, 0, "with NO_SETUID_FIXUP the sets stay");
}

/* glibc's setresuid changes every thread; so do the capability sets. */
static int idle_pipe[2];
static volatile int idle_tid;
static void *idle(void *arg)
{
	(void)arg;
	char c;
	idle_tid = (int)syscall(SYS_gettid);
	if (read(idle_pipe[0], &c, 1) < 0)
		perror("read");
	return NULL;
}

static void root_setxid_threads(void)
{
	pthread_t t;
	if (pipe(idle_pipe) < 0 || pthread_create(&t, NULL, idle, NULL) != 0) {
		rok(0, "set-up");
		return;
	}
	while (!idle_tid)
		usleep(1000);
	struct sets s;
	rok(get_sets(idle_tid, &s) == 0 && s.eff == B && s.prm == B,
	    "the other thread starts with root's sets");
	RSUCCEEDS(setresuid(1000, 1000, 1000), "glibc setresuid(1000 x3)");
	rsets(0, 0, 0, "the caller has none");
	rok(get_sets(idle_tid, &s) == 0 && s.eff == 0 && s.prm == 0,
	    "the other thread has none either (eff %#llx prm %#llx)",
	    (unsigned long long)s.eff, (unsigned long long)s.prm);
	if (write(idle_pipe[1], "x", 1) < 0)
		perror("write");
	pthread_join(t, NULL);
}

static void root_securebits(void)
{
	RFAILS(prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS with an unknown bit");
	RSUCCEEDS(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED,
			0, 0, 0),
		  "PR_SET_SECUREBITS(KEEP_CAPS | KEEP_CAPS_LOCKED)");
	RRETURNS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1, "PR_GET_KEEPCAPS");
	RFAILS(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM,
	       "PR_SET_KEEPCAPS(0) when locked");
	RFAILS(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS changing a locked bit");
	RFAILS(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0), EPERM,
	       "PR_SET_SECUREBITS undoing a lock");
	/* keepcaps does not survive an execve (the lock does). */
	RSUCCEEDS(prctl(PR_SET_SECUREBITS,
			SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NOROOT,
			0, 0, 0),
		  "PR_SET_SECUREBITS adding SECBIT_NOROOT");
	/* NOROOT: root's execve gives no capabilities. */
	rexec_expect(0, 0, 0, 0, "a root execve with SECBIT_NOROOT");
}

/* `caps ids R E S`: exits 0 when getresuid gives those. */
static int ids_main(char **argv)
{
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	return r == strtoul(argv[2], NULL, 10) && e == strtoul(argv[3], NULL, 10) &&
			       s == strtoul(argv[4], NULL, 10)
		       ? 0
		       : 1;
}

/* execve copies the effective uid to the saved one; with no root id left
 * the new program has no capabilities. */
static void root_exec_ids(void)
{
	RSUCCEEDS(syscall(SYS_setresuid, 1000, 2000, 3000),
		  "setresuid(1000, 2000, 3000)");
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "ids", "1000", "2000", "2000", (char *)NULL);
		_exit(99);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	rok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "after execve getresuid gives 1000/2000/2000 (status %#x)", st);
	rexec_expect(0, 0, 0, 0, "an execve with no root id");
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "expect") == 0)
		return expect_main(argv);
	if (argc == 5 && strcmp(argv[1], "ids") == 0)
		return ids_main(argv);
	self = argv[0];
	B = bounding();
	printf("# running as uid %u, bounding set %#llx\n", getuid(),
	       (unsigned long long)B);
	header_versions();
	other_pids();
	per_thread();
	prctl_common();
	in_child(keepcaps, "keepcaps");
	if (kernel_knows_exec_securebits())
		in_child(exec_securebits, "exec securebits");
	else
		printf("# the kernel has no exec securebits (before 6.14)\n");
	if (getuid() != 0) {
		in_child(unprivileged, "unprivileged");
	} else {
		in_child(root_start, "root capset");
		in_child(root_bounding, "root bounding set");
		in_child(root_ambient, "root ambient");
		in_child(root_setuid, "root setuid");
		in_child(root_euid, "root euid and fsuid");
		in_child(root_securebits, "root securebits");
		in_child(root_setxid_threads, "root setresuid with threads");
		in_child(root_exec_ids, "root execve ids");
	}
	return tap_done();
}
