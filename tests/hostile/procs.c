/* Other host processes: the runner's canary process (HOSTILE_CANARY_PID,
 * a `sleep 600` of the same user) must be neither signalled, traced, read
 * nor re-limited or re-scheduled, with raw host calls.  The runner checks
 * its nice value, affinity, scheduler, I/O priority, limits and pending
 * signals after the test as well. */
#include "hostile.h"
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <linux/prctl.h>

#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

static long pid;

static int do_kill(void *a)
{
	(void)a;
	return held_if_failed("kill(canary, SIGKILL)",
			      HSC2(__NR_kill, pid, SIGKILL));
}

static int do_kill_stop(void *a)
{
	(void)a;
	return held_if_failed("kill(canary, SIGSTOP)",
			      HSC2(__NR_kill, pid, SIGSTOP));
}

static int do_tgkill(void *a)
{
	(void)a;
	return held_if_failed("tgkill(canary, canary, SIGKILL)",
			      HSC3(__NR_tgkill, pid, pid, SIGKILL));
}

static int do_sigqueue(void *a)
{
	(void)a;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	return held_if_failed("rt_sigqueueinfo(canary, SIGUSR1)",
			      HSC3(__NR_rt_sigqueueinfo, pid, SIGUSR1, &si));
}

static int do_ptrace(void *a)
{
	(void)a;
	return held_if_failed("ptrace(PTRACE_ATTACH, canary)",
			      HSC4(__NR_ptrace, PTRACE_ATTACH, pid, 0, 0));
}

static int do_vm_readv(void *a)
{
	(void)a;
	char buf[16];
	struct iovec l = { buf, sizeof buf }, r = { (void *)0x400000, 16 };
	return held_if_failed("process_vm_readv(canary)",
			      HSC6(__NR_process_vm_readv, pid, &l, 1, &r, 1, 0));
}

static int do_prlimit(void *a)
{
	(void)a;
	struct rlimit rl = { 7, 7 };
	return held_if_failed("prlimit64(canary, RLIMIT_NOFILE, 7)",
			      HSC4(__NR_prlimit64, pid, RLIMIT_NOFILE, &rl, 0));
}

static int do_affinity(void *a)
{
	(void)a;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return held_if_failed("sched_setaffinity(canary, {0})",
			      HSC3(__NR_sched_setaffinity, pid, sizeof set,
				   &set));
}

static int do_scheduler(void *a)
{
	(void)a;
	struct sched_param sp = { 0 };
	return held_if_failed("sched_setscheduler(canary, SCHED_IDLE)",
			      HSC3(__NR_sched_setscheduler, pid, SCHED_IDLE,
				   &sp));
}

static int do_setparam(void *a)
{
	(void)a;
	struct sched_param sp = { 0 };
	return held_if_failed("sched_setparam(canary, 0)",
			      HSC2(__NR_sched_setparam, pid, &sp));
}

static int do_setattr(void *a)
{
	(void)a;
	struct {
		unsigned size, policy;
		unsigned long long flags;
		int nice;
		unsigned prio;
		unsigned long long runtime, deadline, period;
	} at = { 48, SCHED_BATCH, 0, 5, 0, 0, 0, 0 };
	return held_if_failed("sched_setattr(canary, SCHED_BATCH nice 5)",
			      HSC3(__NR_sched_setattr, pid, &at, 0));
}

static int do_setpriority(void *a)
{
	(void)a;
	return held_if_failed("setpriority(PRIO_PROCESS, canary, 19)",
			      HSC3(__NR_setpriority, PRIO_PROCESS, pid, 19));
}

static int do_ioprio(void *a)
{
	(void)a;
	/* IOPRIO_WHO_PROCESS, class IDLE (3) << 13 */
	return held_if_failed("ioprio_set(PROCESS, canary, IDLE)",
			      HSC3(__NR_ioprio_set, 1, pid, 3 << 13));
}

static int do_pidfd(void *a)
{
	(void)a;
	long fd = HSC2(__NR_pidfd_open, pid, 0);
	if (fd < 0)
		return held_if_failed("pidfd_open(canary)", fd);
	return held_if_failed("pidfd_open ok, pidfd_send_signal(SIGKILL)",
			      HSC4(__NR_pidfd_send_signal, fd, SIGKILL, 0, 0));
}

/* PR_SET_MM, which the world's seccomp allows only as PR_SET_MM_MAP
 * (the provider points the host's argv and environ at the guest's):
 * another sub-option, and the map with a new executable, which would
 * give the host process another exe link.  Both act on the pico process
 * alone; neither may pass. */
static int do_set_mm_exe(void *a)
{
	(void)a;
	long fd = hopen("/bin/true", O_RDONLY, 0);
	return held_if_failed("prctl(PR_SET_MM, PR_SET_MM_EXE_FILE)",
			      HSC5(__NR_prctl, PR_SET_MM, PR_SET_MM_EXE_FILE,
				   fd, 0, 0));
}

static int do_set_mm_map_exe(void *a)
{
	(void)a;
	/* the layout from the guest's own stat (the host's fields) */
	FILE *f = fopen("/proc/self/stat", "r");
	char buf[2048] = "";
	if (!f || !fgets(buf, sizeof buf, f))
		return report(1, "no /proc/self/stat to build the map from");
	fclose(f);
	unsigned long v[53] = { 0 };
	char *p = strrchr(buf, ')');
	for (int k = 3; p && k < 53; k++) {
		p = strchr(p + 1, ' ');
		if (p)
			v[k] = strtoul(p + 1, NULL, 10);
	}
	struct prctl_mm_map m = {
		.start_code = v[26], .end_code = v[27], .start_stack = v[28],
		.start_data = v[45], .end_data = v[46], .start_brk = v[47],
		.brk = v[47], .arg_start = v[48], .arg_end = v[49],
		.env_start = v[50], .env_end = v[51],
	};
	m.exe_fd = (uint32_t)hopen("/bin/true", O_RDONLY, 0);
	return held_if_failed("prctl(PR_SET_MM, PR_SET_MM_MAP) with exe_fd",
			      HSC5(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP,
				   (long)&m, sizeof m, 0));
}

int main(void)
{
	hostile_init();
	pid = atol(env_or("HOSTILE_CANARY_PID", "0"));
	if (pid <= 1) {
		printf("Bail out! HOSTILE_CANARY_PID not set\n");
		return 1;
	}
	ATTEMPT("procs.signal", "kill SIGSTOP to the canary process", do_kill_stop, 0);
	ATTEMPT("procs.signal", "rt_sigqueueinfo to the canary process", do_sigqueue, 0);
	ATTEMPT("procs.trace", "ptrace attach to the canary process", do_ptrace, 0);
	ATTEMPT("procs.trace", "process_vm_readv of the canary process", do_vm_readv, 0);
	ATTEMPT("procs.limits", "prlimit64 on the canary process", do_prlimit, 0);
	ATTEMPT("procs.sched", "sched_setaffinity on the canary process", do_affinity, 0);
	ATTEMPT("procs.sched", "sched_setscheduler on the canary process", do_scheduler, 0);
	ATTEMPT("procs.sched", "sched_setparam on the canary process", do_setparam, 0);
	ATTEMPT("procs.sched", "sched_setattr on the canary process", do_setattr, 0);
	ATTEMPT("procs.sched", "setpriority on the canary process", do_setpriority, 0);
	ATTEMPT("procs.sched", "ioprio_set on the canary process", do_ioprio, 0);
	ATTEMPT("procs.signal", "pidfd_open + pidfd_send_signal to the canary",
		do_pidfd, 0);
	ATTEMPT("procs.signal", "tgkill SIGKILL to the canary process", do_tgkill, 0);
	ATTEMPT("procs.mm", "PR_SET_MM_EXE_FILE of its own host process", do_set_mm_exe, 0);
	ATTEMPT("procs.mm", "PR_SET_MM_MAP with a new executable", do_set_mm_map_exe, 0);
	ATTEMPT("procs.signal", "kill SIGKILL to the canary process", do_kill, 0);
	return hostile_done();
}
