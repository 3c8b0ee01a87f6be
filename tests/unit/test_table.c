/* Unit tests of the syscall table: numbers ascend, names are unique, and
 * every name the host's headers know has the host's number. */
#include "../conf/tap.h"
#include <sys/syscall.h>

struct row {
	int nr;
	const char *name;
	int implemented;
	const char *reason; /* a missing call's: why */
};

static const struct row rows[] = {
#define SC(nr, name, fn, st, lk, ret, note, ...) { nr, #name, 1, "" },
#define NI(nr, name, ...) { nr, #name, 0, "" __VA_ARGS__ },
#include "../../src/kernel/entry/syscalls.def"
#undef SC
#undef NI
};

static const struct {
	const char *name;
	int nr;
} known[] = {
	{ "read", SYS_read }, { "openat", SYS_openat }, { "mmap", SYS_mmap },
	{ "execve", SYS_execve }, { "exit_group", SYS_exit_group },
	{ "statx", SYS_statx }, { "openat2", SYS_openat2 },
	{ "faccessat2", SYS_faccessat2 }, { "rseq", SYS_rseq },
	{ "getrandom", SYS_getrandom }, { "clone3", SYS_clone3 },
};

int main(void)
{
	int n = (int)(sizeof rows / sizeof rows[0]);
	int ascending = 1, unique = 1;
	for (int i = 1; i < n; i++) {
		if (rows[i].nr <= rows[i - 1].nr)
			ascending = 0;
		for (int j = 0; j < i; j++)
			if (!strcmp(rows[i].name, rows[j].name))
				unique = 0;
	}
	ok(ascending, "numbers ascend");
	ok(unique, "names are unique");
	ok(rows[n - 1].nr < 512, "fits the dispatch array");
	int unexplained = 0;
	for (int i = 0; i < n; i++)
		if (!rows[i].implemented && !rows[i].reason[0]) {
			printf("# %s is missing without a reason\n", rows[i].name);
			unexplained++;
		}
	ok(unexplained == 0, "every missing call says why");
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		int found = -1;
		for (int i = 0; i < n; i++)
			if (!strcmp(rows[i].name, known[k].name))
				found = rows[i].nr;
		ok(found == known[k].nr, "%s is number %d", known[k].name, known[k].nr);
	}
	return tap_done();
}
