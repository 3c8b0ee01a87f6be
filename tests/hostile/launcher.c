/* Hostile guest: attacks the world's init through the world region
 * (docs/security/20-launcher.md).  Run by tests/hostile/launcher.sh, which
 * starts the host processes named as targets and checks the outcome from
 * the host side; this side only writes the table and says what it did
 * ("# ..." lines, "ready" once the attack is in place).
 *
 * It needs no raw host call: the world region is mapped read-write at
 * PICOS_WORLD_ADDR in every pico process, so plain stores reach it.
 *
 *   launcher pdeathsig PID     fake live child with PR_SET_PDEATHSIG and
 *                              host pid PID, orphaned and left at the end
 *   launcher doorbell PID      a real child's parent is a fake task at PID,
 *                              with SIGKILL as the child's exit signal
 *   launcher targets FILE      both of the above for every pid in FILE
 *                              (waits for FILE), then exit 0
 *   launcher lock-exit PID     lock owner PID (not a pico process), exit 7
 *   launcher lock-child        a child exits while a bogus owner holds the
 *                              lock; pid 1 then waits forever
 *   launcher lock-term         pid 1 holds the lock forever and ignores
 *                              SIGTERM
 *   launcher relay PID         pid 1's host pid in the table is PID; then
 *                              wait for SIGTERM
 *   launcher slots N           slots_hi, tids_hi, nprocs, max_procs = N and
 *                              garbage in every other task and thread slot
 *                              while a child exits; exit 5
 *   launcher cycle             an orphan whose ancestors form a cycle
 *   launcher stats             garbage in the --stats counters, changing
 *                              while the world ends */
#include <picos/layout.h>
#include <picos/world.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define W ((struct picos_world *)PICOS_WORLD_ADDR)

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static struct picos_task *by_vpid(int vpid)
{
	for (int i = 0; i < PICOS_MAX_TASKS; i++)
		if (W->tasks[i].vpid == vpid)
			return &W->tasks[i];
	return NULL;
}

/* A new entry in a free slot beyond what the providers use. */
static int next_fake = 40000;
static struct picos_task *fake_task(int ppid, int host_pid)
{
	for (int i = 1; i < PICOS_MAX_TASKS; i++) {
		struct picos_task *t = &W->tasks[i];
		if (t->vpid)
			continue;
		memset(t, 0, sizeof *t);
		t->ppid = ppid;
		t->host_pid = host_pid;
		t->state = TASK_LIVE;
		t->exit_signal = SIGKILL;
		t->pgid = t->sid = 1;
		__atomic_store_n(&t->vpid, next_fake++, __ATOMIC_RELEASE);
		if (W->slots_hi < (uint32_t)i + 1)
			__atomic_store_n(&W->slots_hi, (uint32_t)i + 1, __ATOMIC_RELEASE);
		return t;
	}
	return NULL;
}

/* A child that lives `ms` milliseconds. */
static int child(int ms)
{
	pid_t c = fork();
	if (c == 0) {
		msleep(ms);
		_exit(0);
	}
	return c;
}

/* Fake tasks aimed at `host`: an orphan-to-be with a parent-death signal
 * (its fake parent is the real child `c`), and a parent for the real
 * child `d`, which then rings a doorbell of SIGKILL at `host`. */
static void aim_pdeathsig(int c, int host)
{
	struct picos_task *t = fake_task(c, host);
	if (t)
		t->pdeathsig = SIGKILL;
	printf("# fake child of %d: pdeathsig SIGKILL at host pid %d\n", c, host);
}

static void aim_doorbell(int d, int host)
{
	struct picos_task *p = fake_task(1, host);
	struct picos_task *dt = by_vpid(d);
	if (!p || !dt)
		return;
	dt->ppid = p->vpid;
	dt->exit_signal = SIGKILL;
	printf("# child %d's parent: fake task at host pid %d\n", d, host);
}

static int read_pids(const char *file, int *pids, int max)
{
	FILE *f = NULL;
	for (int i = 0; i < 200 && !f; i++) {
		f = fopen(file, "r");
		if (!f)
			msleep(50);
	}
	int n = 0;
	while (f && n < max && fscanf(f, "%d", &pids[n]) == 1)
		n++;
	if (f)
		fclose(f);
	return n;
}

static int attack_targets(int *pids, int n)
{
	int c = child(300), d = child(300);
	for (int i = 0; i < n; i++)
		aim_pdeathsig(c, pids[i]);
	/* one doorbell per child: the last target gets the rest below */
	if (n > 0)
		aim_doorbell(d, pids[0]);
	for (int i = 1; i < n; i++)
		aim_doorbell(child(300), pids[i]);
	waitpid(c, NULL, 0);
	msleep(600); /* the events are the init's */
	ready();
	return 0; /* and at pid 1's end, kill_world sees the live fakes */
}

static void garbage(void *p, size_t n, unsigned *seed)
{
	unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)rand_r(seed);
}

static int attack_slots(uint32_t n)
{
	int c = child(300);
	unsigned seed = n;
	/* every slot but pid 1's (our own provider still needs that one to
	 * exit cleanly), and every thread slot */
	garbage(&W->tasks[1], sizeof W->tasks - sizeof W->tasks[0], &seed);
	garbage(W->tids, sizeof W->tids, &seed);
	W->slots_hi = n;
	W->tids_hi = n;
	W->nprocs = n;
	W->max_procs = n;
	W->last_pid = (int32_t)n;
	printf("# counts %u, garbage table, child %d exits\n", n, c);
	msleep(700);
	ready();
	return 5;
}

static int attack_cycle(void)
{
	int c = child(300);
	struct picos_task *ct = by_vpid(c);
	struct picos_task *a = fake_task(1, 0), *b = fake_task(1, 0);
	if (!ct || !a || !b)
		return 1;
	a->ppid = b->vpid;
	b->ppid = a->vpid;
	ct->ppid = a->vpid;
	fake_task(c, 0); /* c's orphan: its adopter is looked up */
	printf("# child %d: ancestors %d -> %d -> %d ...\n", c, a->vpid, b->vpid,
	       a->vpid);
	msleep(700);
	ready();
	return 0;
}

/* A child keeps rewriting the counters while pid 1 exits: calls flips
 * between 0 and not, times are huge. */
static int attack_stats(void)
{
	unsigned seed = 1;
	garbage(W->stats, sizeof W->stats, &seed);
	if (fork() == 0) {
		for (uint64_t k = 0;; k++)
			for (int i = 0; i < PICOS_NR_SYSCALLS; i++) {
				W->stats[i].calls = (k + (uint64_t)i) & 1;
				W->stats[i].ns = ~0ULL - k;
			}
	}
	msleep(200);
	ready();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *m = argv[1];
	int arg = argc > 2 ? atoi(argv[2]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "pdeathsig")) {
		int c = child(300);
		aim_pdeathsig(c, arg);
		waitpid(c, NULL, 0);
		msleep(300);
		ready();
		return 0;
	}
	if (!strcmp(m, "doorbell")) {
		aim_doorbell(child(300), arg);
		msleep(700);
		ready();
		return 0;
	}
	if (!strcmp(m, "targets")) {
		int pids[16];
		int n = read_pids(argv[2], pids, 16);
		printf("# %d targets\n", n);
		return attack_targets(pids, n);
	}
	if (!strcmp(m, "lock-exit")) {
		__atomic_store_n(&W->lock, (uint32_t)arg, __ATOMIC_RELEASE);
		ready();
		return 7;
	}
	if (!strcmp(m, "lock-child")) {
		int c = child(300);
		__atomic_store_n(&W->lock, 0x7ffffff0u, __ATOMIC_RELEASE);
		printf("# child %d exits while the lock is held\n", c);
		ready();
		for (;;)
			pause();
	}
	if (!strcmp(m, "lock-term")) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		__atomic_store_n(&W->lock, (uint32_t)W->tasks[0].host_pid,
				 __ATOMIC_RELEASE);
		ready();
		for (;;)
			pause();
	}
	if (!strcmp(m, "relay")) {
		W->tasks[0].host_pid = arg;
		ready();
		for (;;)
			pause();
	}
	if (!strcmp(m, "slots"))
		return attack_slots((uint32_t)strtoul(argv[2], NULL, 0));
	if (!strcmp(m, "cycle"))
		return attack_cycle();
	if (!strcmp(m, "stats"))
		return attack_stats();
	return 2;
}
