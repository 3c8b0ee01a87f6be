/* --stats: the per-syscall table printed when a run ends, in the layout
 * of `strace -c`. */
#include "picos.h"
#include <picos/world.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const names[PICOS_NR_SYSCALLS] = {
#define SC(nr, name, ...) [nr] = #name,
#define NI(nr, name, ...) [nr] = #name,
#include "../kernel/entry/syscalls.def"
#undef SC
#undef NI
};

static const struct picos_world *sort_world;

static int by_time(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	uint64_t tx = sort_world->stats[x].ns, ty = sort_world->stats[y].ns;
	if (tx != ty)
		return tx < ty ? 1 : -1;
	return sort_world->stats[y].calls > sort_world->stats[x].calls ? 1 : -1;
}

void print_stats(const struct picos_world *w, FILE *out)
{
	int idx[PICOS_NR_SYSCALLS], n = 0;
	uint64_t total_ns = 0, total_calls = 0, total_err = 0;
	for (int i = 0; i < PICOS_NR_SYSCALLS; i++) {
		if (!w->stats[i].calls)
			continue;
		idx[n++] = i;
		total_ns += w->stats[i].ns;
		total_calls += w->stats[i].calls;
		total_err += w->stats[i].errors;
	}
	sort_world = w;
	qsort(idx, (size_t)n, sizeof idx[0], by_time);
	fprintf(out, "%% time     seconds  usecs/call     calls    errors syscall\n");
	fprintf(out, "------ ----------- ----------- --------- --------- ----------------\n");
	for (int k = 0; k < n; k++) {
		const struct picos_sc_stat *s = &w->stats[idx[k]];
		double pct = total_ns ? 100.0 * (double)s->ns / (double)total_ns : 0;
		char err[24] = "";
		if (s->errors)
			snprintf(err, sizeof err, "%llu", (unsigned long long)s->errors);
		const char *nm = names[idx[k]] ? names[idx[k]] : "?";
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
