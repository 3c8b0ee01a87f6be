/* --stats: the per-syscall table printed when a run ends, in the layout
 * of `strace -c`. */
#include "picos.h"
#include <picos/world.h>
#include <stdio.h>
#include <stdbool.h>
#include <time.h>

static const char *const names[PICOS_NR_SYSCALLS] = {
#define SC(nr, name, ...) [nr] = #name,
#define NI(nr, name, ...) [nr] = #name,
#include "../kernel/entry/syscalls.def"
#undef SC
#undef NI
};

/* The world region is the guest's to write (docs/security/20-launcher.md):
 * the counters are copied once, and only the copy is summed, sorted and
 * divided, so a guest changing them meanwhile cannot make a zero divisor
 * or an inconsistent sort. */
struct row {
	int nr;
	struct picos_sc_stat s;
};

static bool before(const struct row *a, const struct row *b)
{
	if (a->s.ns != b->s.ns)
		return a->s.ns > b->s.ns;
	return a->s.calls > b->s.calls;
}

/* Which calls the slow path served (they trapped, or a patched site
 * handed them over before they ran), most first: what the fast path
 * left (docs/performance.md).  The
 * rows are the copy, each trapped count bounded by its calls. */
static void print_trapped(struct row *rows, int n, FILE *out)
{
	static struct row t[PICOS_NR_SYSCALLS];
	int m = 0;
	for (int k = 0; k < n; k++) {
		struct row r = rows[k];
		if (r.s.trapped > r.s.calls)
			r.s.trapped = r.s.calls;
		if (!r.s.trapped)
			continue;
		int j = m++;
		for (; j > 0 && t[j - 1].s.trapped < r.s.trapped; j--)
			t[j] = t[j - 1];
		t[j] = r;
	}
	if (!m)
		return;
	fprintf(out, "slow path:");
	for (int j = 0; j < m; j++)
		fprintf(out, " %s %llu", names[t[j].nr] ? names[t[j].nr] : "?",
			(unsigned long long)t[j].s.trapped);
	fprintf(out, "\n");
}

void print_stats(const struct picos_world *w, FILE *out)
{
	static struct row rows[PICOS_NR_SYSCALLS];
	int n = 0;
	uint64_t total_ns = 0, total_calls = 0, total_err = 0;
	for (int i = 0; i < PICOS_NR_SYSCALLS; i++) {
		struct row r = {
			.nr = i,
			.s.calls = __atomic_load_n(&w->stats[i].calls, __ATOMIC_RELAXED),
			.s.errors = __atomic_load_n(&w->stats[i].errors, __ATOMIC_RELAXED),
			.s.ns = __atomic_load_n(&w->stats[i].ns, __ATOMIC_RELAXED),
			.s.trapped = __atomic_load_n(&w->stats[i].trapped, __ATOMIC_RELAXED),
		};
		if (!r.s.calls)
			continue;
		/* insertion sort: at most 512 rows, and no allocation */
		int k = n++;
		for (; k > 0 && before(&r, &rows[k - 1]); k--)
			rows[k] = rows[k - 1];
		rows[k] = r;
		total_ns += r.s.ns;
		total_calls += r.s.calls;
		total_err += r.s.errors;
	}
	/* any process of the world may have written it: bounded by the total */
	uint64_t fast = __atomic_load_n(&w->fast_calls, __ATOMIC_RELAXED);
	if (fast > total_calls)
		fast = total_calls;
	fprintf(out, "fast path: %llu of %llu calls (%.1f%%) served through patched sites, %llu by the slow path (trapped)\n",
		(unsigned long long)fast, (unsigned long long)total_calls,
		total_calls ? 100.0 * (double)fast / (double)total_calls : 0.0,
		(unsigned long long)(total_calls - fast));
	print_trapped(rows, n, out);
	fprintf(out, "%% time     seconds  usecs/call     calls    errors syscall\n");
	fprintf(out, "------ ----------- ----------- --------- --------- ----------------\n");
	for (int k = 0; k < n; k++) {
		const struct picos_sc_stat *s = &rows[k].s;
		double pct = total_ns ? 100.0 * (double)s->ns / (double)total_ns : 0;
		char err[24] = "";
		if (s->errors)
			snprintf(err, sizeof err, "%llu", (unsigned long long)s->errors);
		const char *nm = names[rows[k].nr] ? names[rows[k].nr] : "?";
		fprintf(out, "%6.2f %11.6f %11llu %9llu %9s %s\n", pct,
			(double)s->ns / 1e9,
			(unsigned long long)(s->ns / 1000 / s->calls),
			(unsigned long long)s->calls, err, nm);
	}
	fprintf(out, "------ ----------- ----------- --------- --------- ----------------\n");
	char err[24] = "";
	if (total_err)
		snprintf(err, sizeof err, "%llu", (unsigned long long)total_err);
	fprintf(out, "100.00 %11.6f %11llu %9llu %9s total\n",
		(double)total_ns / 1e9,
		(unsigned long long)(total_calls ? total_ns / 1000 / total_calls : 0),
		(unsigned long long)total_calls, err);
}

uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The start-up's steps, each from the one before; a stamp that is
 * missing (a step not taken) or out of order (the guest can write the
 * region) is shown as such, never subtracted. */
static const char *const boot_names[PICOS_BOOT_STAMPS] = {
	[PICOS_BOOT_INIT] = "launcher, world's init made (namespaces)",
	[PICOS_BOOT_TREE] = "file tree (mounts, private /tmp)",
	[PICOS_BOOT_IMAGE] = "world region, configuration, image memfd",
	[PICOS_BOOT_FORK] = "pid 1 forked",
	[PICOS_BOOT_CAPS] = "capabilities, no_new_privs",
	[PICOS_BOOT_LANDLOCK] = "Landlock rules and domain",
	[PICOS_BOOT_SECCOMP] = "seccomp filter",
	[PICOS_BOOT_PROVIDER] = "exec of the provider image",
	[PICOS_BOOT_GUEST] = "provider boot and program load",
};

void print_boot(const struct picos_world *w, uint64_t end_ns, FILE *out)
{
	uint64_t t[PICOS_BOOT_STAMPS];
	for (int i = 0; i < PICOS_BOOT_STAMPS; i++)
		t[i] = __atomic_load_n(&w->boot_ns[i], __ATOMIC_RELAXED);
	fprintf(out, "start-up, ms from the previous step:\n");
	for (int i = 1; i < PICOS_BOOT_STAMPS; i++) {
		if (!t[i] || !t[i - 1] || t[i] < t[i - 1])
			fprintf(out, "  %8s  %s\n", "-", boot_names[i]);
		else
			fprintf(out, "  %8.3f  %s\n", (double)(t[i] - t[i - 1]) / 1e6,
				boot_names[i]);
	}
	uint64_t g = t[PICOS_BOOT_GUEST];
	if (g && g >= t[0] && end_ns >= g)
		fprintf(out, "  %8.3f  total to the guest's first instruction\n"
			     "  %8.3f  the guest, until pid 1 was reaped\n",
			(double)(g - t[0]) / 1e6, (double)(end_ns - g) / 1e6);
}
