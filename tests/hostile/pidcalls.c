/* Host calls that name a process, aimed with raw host system calls at a
 * host process outside the world (HOSTILE_CANARY_PID, a `sleep` the
 * runner started as the same user): its limits, affinity, scheduling
 * policy and parameters, nice value and I/O priority, set and read.  The
 * world's seccomp filter lets these calls name only the caller (pid or
 * who 0), so each attempt's child must die of SIGSYS; the runner checks
 * from the host that the canary's nice, affinity, policy, I/O priority
 * and limits did not change.  Also the same calls with the pid in the
 * low 32 bits of a larger value (the kernel reads an int), the group and
 * user forms of setpriority and ioprio_set, and a control: the calls on
 * the caller itself (pid 0) still work. */
#include "hostile.h"
#include <sched.h>
#include <sys/resource.h>

static long canary;

struct sched_attr_ {
	unsigned size, policy;
	unsigned long long flags;
	int nice;
	unsigned prio;
	unsigned long long runtime, deadline, period;
};

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define IOPRIO_IDLE (3 << 13)

/* The pid a call names: the canary's, or the canary's with bit 32 set. */
static long target(void *wide)
{
	return wide ? (1L << 32) | canary : canary;
}

static int set_limit(void *w)
{
	struct rlimit rl = { 1, 1 };
	return held_if_failed("prlimit64(canary, RLIMIT_NOFILE, {1, 1})",
			      HSC4(__NR_prlimit64, target(w), RLIMIT_NOFILE,
				   &rl, 0));
}

static int get_limit(void *w)
{
	struct rlimit rl;
	return held_if_failed("prlimit64(canary, RLIMIT_NOFILE, NULL, &old)",
			      HSC4(__NR_prlimit64, target(w), RLIMIT_NOFILE, 0,
				   &rl));
}

static int set_affinity(void *w)
{
	unsigned long mask = 1;
	return held_if_failed("sched_setaffinity(canary, cpu 0)",
			      HSC3(__NR_sched_setaffinity, target(w),
				   sizeof mask, &mask));
}

static int get_affinity(void *w)
{
	unsigned long mask[16];
	return held_if_failed("sched_getaffinity(canary)",
			      HSC3(__NR_sched_getaffinity, target(w),
				   sizeof mask, mask));
}

static int set_scheduler(void *w)
{
	struct sched_param sp = { 0 };
	return held_if_failed("sched_setscheduler(canary, SCHED_IDLE)",
			      HSC3(__NR_sched_setscheduler, target(w),
				   SCHED_IDLE, &sp));
}

static int set_param(void *w)
{
	struct sched_param sp = { 0 };
	return held_if_failed("sched_setparam(canary)",
			      HSC2(__NR_sched_setparam, target(w), &sp));
}

static int set_attr(void *w)
{
	struct sched_attr_ a = { .size = sizeof a, .policy = SCHED_BATCH,
				 .nice = 19 };
	return held_if_failed("sched_setattr(canary, SCHED_BATCH, nice 19)",
			      HSC3(__NR_sched_setattr, target(w), &a, 0));
}

static int get_attr(void *w)
{
	struct sched_attr_ a;
	return held_if_failed("sched_getattr(canary)",
			      HSC4(__NR_sched_getattr, target(w), &a, sizeof a,
				   0));
}

static int get_scheduler(void *w)
{
	return held_if_failed("sched_getscheduler(canary)",
			      HSC1(__NR_sched_getscheduler, target(w)));
}

static int get_param(void *w)
{
	struct sched_param sp;
	return held_if_failed("sched_getparam(canary)",
			      HSC2(__NR_sched_getparam, target(w), &sp));
}

static int rr_interval(void *w)
{
	struct timespec ts;
	return held_if_failed("sched_rr_get_interval(canary)",
			      HSC2(__NR_sched_rr_get_interval, target(w), &ts));
}

static int set_nice(void *w)
{
	return held_if_failed("setpriority(PRIO_PROCESS, canary, 19)",
			      HSC3(__NR_setpriority, PRIO_PROCESS, target(w),
				   19));
}

static int get_nice(void *w)
{
	return held_if_failed("getpriority(PRIO_PROCESS, canary)",
			      HSC2(__NR_getpriority, PRIO_PROCESS, target(w)));
}

static int set_nice_user(void *w)
{
	(void)w;
	return held_if_failed("setpriority(PRIO_USER, own uid, 19)",
			      HSC3(__NR_setpriority, PRIO_USER, 0, 19));
}

static int set_nice_group(void *w)
{
	(void)w;
	return held_if_failed("setpriority(PRIO_PGRP, 0, 19)",
			      HSC3(__NR_setpriority, PRIO_PGRP, 0, 19));
}

static int set_ioprio(void *w)
{
	return held_if_failed("ioprio_set(IOPRIO_WHO_PROCESS, canary, idle)",
			      HSC3(__NR_ioprio_set, IOPRIO_WHO_PROCESS,
				   target(w), IOPRIO_IDLE));
}

static int get_ioprio(void *w)
{
	return held_if_failed("ioprio_get(IOPRIO_WHO_PROCESS, canary)",
			      HSC2(__NR_ioprio_get, IOPRIO_WHO_PROCESS,
				   target(w)));
}

static int set_ioprio_user(void *w)
{
	(void)w;
	return held_if_failed("ioprio_set(IOPRIO_WHO_USER, own uid, idle)",
			      HSC3(__NR_ioprio_set, IOPRIO_WHO_USER, 0,
				   IOPRIO_IDLE));
}

static const struct {
	const char *what;
	int (*fn)(void *);
	int narrow_only; /* no pid argument to widen */
} attacks[] = {
	{ "prlimit64 sets the canary's limit", set_limit, 0 },
	{ "prlimit64 reads the canary's limit", get_limit, 0 },
	{ "sched_setaffinity of the canary", set_affinity, 0 },
	{ "sched_getaffinity of the canary", get_affinity, 0 },
	{ "sched_setscheduler of the canary", set_scheduler, 0 },
	{ "sched_setparam of the canary", set_param, 0 },
	{ "sched_setattr of the canary", set_attr, 0 },
	{ "sched_getattr of the canary", get_attr, 0 },
	{ "sched_getscheduler of the canary", get_scheduler, 0 },
	{ "sched_getparam of the canary", get_param, 0 },
	{ "sched_rr_get_interval of the canary", rr_interval, 0 },
	{ "setpriority of the canary", set_nice, 0 },
	{ "getpriority of the canary", get_nice, 0 },
	{ "setpriority of every process of the user", set_nice_user, 1 },
	{ "setpriority of the process group", set_nice_group, 1 },
	{ "ioprio_set of the canary", set_ioprio, 0 },
	{ "ioprio_get of the canary", get_ioprio, 0 },
	{ "ioprio_set of every process of the user", set_ioprio_user, 1 },
};

int main(void)
{
	hostile_init();
	const char *c = getenv("HOSTILE_CANARY_PID");
	canary = c ? atol(c) : 0;
	if (canary <= 0) {
		printf("Bail out! HOSTILE_CANARY_PID not set\n");
		return 1;
	}
	/* Control: the gadget works, and the calls on oneself are allowed. */
	unsigned long mask[16];
	long r = HSC3(__NR_sched_getaffinity, 0, sizeof mask, mask);
	ok(r > 0, "control: raw sched_getaffinity(0) of oneself works (%s)", res(r));
	r = HSC2(__NR_getpriority, PRIO_PROCESS, 0);
	ok(r > 0, "control: raw getpriority(PRIO_PROCESS, 0) works (%s)", res(r));

	char what[200];
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		ATTEMPT("pidcalls", attacks[i].what, attacks[i].fn, NULL);
		if (attacks[i].narrow_only)
			continue;
		snprintf(what, sizeof what, "%s, pid with bit 32 set",
			 attacks[i].what);
		ATTEMPT("pidcalls", what, attacks[i].fn, 1);
	}
	return hostile_done();
}
