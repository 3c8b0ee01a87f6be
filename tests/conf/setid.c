/* The uid/gid setters: setuid, setgid, setreuid, setregid, setresuid,
 * setresgid, setfsuid and setfsgid, read back with getresuid, getresgid
 * and geteuid.  All through raw syscall() (glibc's wrappers broadcast to
 * every thread; the raw calls act on this one only).  Every check that
 * may change an id runs in a forked child, so the parent keeps its ids.
 * Which cases run depends on whether the test starts as root; both runs
 * (root and an unprivileged user) must pass natively. */
#include "tap.h"
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#define KEEP (-1) /* "leave this id alone"; also the invalid id for setuid */

/* Child checks: rok() and struct rec (tap.h). */

/* Runs fn in a forked child, prints its checks and checks that it exited
 * 0 after reporting at least one. */
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

/* Child-side checks: a call fails with an errno, succeeds (returns 0), or
 * returns a given value; the got values are shown only on a mismatch. */
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

/* The real, effective and saved uids (or gids) of this thread. */
static void resuid(uid_t v[3]) { syscall(SYS_getresuid, &v[0], &v[1], &v[2]); }
static void resgid(gid_t v[3]) { syscall(SYS_getresgid, &v[0], &v[1], &v[2]); }

/* Checks getresuid (gids == 0) or getresgid (gids == 1) reads r/e/s. */
static void rids(int gids, unsigned r, unsigned e, unsigned s, const char *what)
{
	unsigned v[3];
	char got[64] = "";
	if (gids)
		resgid(v);
	else
		resuid(v);
	int same = v[0] == r && v[1] == e && v[2] == s;
	if (!same)
		snprintf(got, sizeof got, " (got %u/%u/%u)", v[0], v[1], v[2]);
	rok(same, "%s: getres%cid gives %u/%u/%u%s", what, gids ? 'g' : 'u', r, e,
	    s, got);
}

/* Whoever we are: the no-op forms, and -1 where an id is required. */
static void common(void)
{
	uid_t u[3];
	gid_t g[3];
	resuid(u);
	resgid(g);
	rok((uid_t)syscall(SYS_geteuid) == u[1], "geteuid agrees with getresuid");
	RSUCCEEDS(syscall(SYS_setresuid, KEEP, KEEP, KEEP), "setresuid(-1,-1,-1)");
	rids(0, u[0], u[1], u[2], "after setresuid(-1,-1,-1)");
	RSUCCEEDS(syscall(SYS_setresuid, KEEP, u[0], KEEP), "setresuid(-1,ruid,-1)");
	rids(0, u[0], u[0], u[2], "after setresuid(-1,ruid,-1)");
	RSUCCEEDS(syscall(SYS_setresgid, KEEP, KEEP, KEEP), "setresgid(-1,-1,-1)");
	rids(1, g[0], g[1], g[2], "after setresgid(-1,-1,-1)");
	RFAILS(syscall(SYS_setuid, KEEP), EINVAL, "setuid(-1)");
	RFAILS(syscall(SYS_setgid, KEEP), EINVAL, "setgid(-1)");
	/* The fsuid follows the euid (now the ruid); setfsuid(-1) only reads. */
	RRETURNS(syscall(SYS_setfsuid, KEEP), u[0], "setfsuid(-1) (the euid)");
	RRETURNS(syscall(SYS_setfsuid, KEEP), u[0], "a second setfsuid(-1)");
	RRETURNS(syscall(SYS_setfsgid, KEEP), g[1], "setfsgid(-1)");
	RSUCCEEDS(syscall(SYS_setreuid, KEEP, KEEP), "setreuid(-1,-1)");
	rids(0, u[0], u[0], u[2], "after setreuid(-1,-1)");
	RSUCCEEDS(syscall(SYS_setregid, KEEP, KEEP), "setregid(-1,-1)");
	rids(1, g[0], g[1], g[2], "after setregid(-1,-1)");
}

/* Not root: no way to 0, but moves among one's own ids work. */
static void unprivileged(void)
{
	uid_t uid = getuid(), fs;
	gid_t gid = getgid();
	gid_t none[1] = { 0 };
	RFAILS(syscall(SYS_setgroups, 0, none), EPERM, "setgroups(0) unprivileged");
	RFAILS(syscall(SYS_setgroups, 1, none), EPERM, "setgroups(1, {0}) unprivileged");
	RFAILS(syscall(SYS_setuid, 0), EPERM, "setuid(0)");
	RFAILS(syscall(SYS_setresuid, 0, 0, 0), EPERM, "setresuid(0,0,0)");
	RFAILS(syscall(SYS_setreuid, 0, KEEP), EPERM, "setreuid(0,-1)");
	if (gid != 0)
		RFAILS(syscall(SYS_setresgid, 0, 0, 0), EPERM, "setresgid(0,0,0)");
	else /* all three already 0: a move among one's own ids */
		RSUCCEEDS(syscall(SYS_setresgid, 0, 0, 0), "setresgid(0,0,0) with gid 0");
	rids(0, uid, uid, uid, "after the refused calls");
	RSUCCEEDS(syscall(SYS_setreuid, uid, uid), "setreuid(uid,uid)");
	RSUCCEEDS(syscall(SYS_setuid, uid), "setuid(uid)");
	rids(0, uid, uid, uid, "after setuid(uid)");
	/* setfsuid to an id not ours is ignored; it still returns the old. */
	fs = (uid_t)syscall(SYS_setfsuid, KEEP);
	RRETURNS(syscall(SYS_setfsuid, 0), fs, "setfsuid(0)");
	RRETURNS(syscall(SYS_setfsuid, KEEP), fs, "setfsuid(-1) after it (unchanged)");
	if (gid != 0) {
		RRETURNS(syscall(SYS_setfsgid, 0), gid, "setfsgid(0)");
		RRETURNS(syscall(SYS_setfsgid, KEEP), gid, "setfsgid(-1) after it (unchanged)");
	}
}

/* Root: set three different uids, then act as the unprivileged 1001. */
static void root_resuid(void)
{
	RSUCCEEDS(syscall(SYS_setresuid, 1000, 1001, 1002), "setresuid(1000,1001,1002)");
	rids(0, 1000, 1001, 1002, "after it");
	RRETURNS(syscall(SYS_geteuid), 1001, "geteuid()");
	RRETURNS(syscall(SYS_setfsuid, KEEP), 1001, "setfsuid(-1) (fsuid follows euid)");
	RFAILS(syscall(SYS_setresuid, 0, KEEP, KEEP), EPERM, "setresuid(0,-1,-1) as euid 1001");
	/* An unprivileged setuid takes the real or saved id only. */
	RFAILS(syscall(SYS_setuid, 1001), EPERM, "setuid(1001) (the euid itself) as euid 1001");
	/* Not root any more: setuid sets only the euid, to the real or saved id. */
	RSUCCEEDS(syscall(SYS_setuid, 1002), "setuid(1002) (the saved id)");
	rids(0, 1000, 1002, 1002, "after setuid(1002)");
}

/* Root: setuid sets all three ids, and there is no way back. */
static void root_setuid(void)
{
	RSUCCEEDS(syscall(SYS_setuid, 1000), "setuid(1000) as root");
	rids(0, 1000, 1000, 1000, "after it");
	RFAILS(syscall(SYS_setuid, 0), EPERM, "setuid(0) after it");
	rids(0, 1000, 1000, 1000, "after the refused setuid(0)");
}

/* Root: setreuid with a new real id sets the saved id to the new euid. */
static void root_setreuid(void)
{
	RSUCCEEDS(syscall(SYS_setreuid, 1000, 1001), "setreuid(1000,1001) as root");
	rids(0, 1000, 1001, 1001, "after it");
}

/* Root (the euid decides for gids too): the gid setters. */
static void root_gids(void)
{
	RSUCCEEDS(syscall(SYS_setresgid, 2000, 2001, 2002), "setresgid(2000,2001,2002)");
	rids(1, 2000, 2001, 2002, "after it");
	RSUCCEEDS(syscall(SYS_setgid, 2000), "setgid(2000) as root");
	rids(1, 2000, 2000, 2000, "after it");
	RSUCCEEDS(syscall(SYS_setregid, 3000, 3001), "setregid(3000,3001) as root");
	rids(1, 3000, 3001, 3001, "after it");
	rids(0, 0, 0, 0, "the uids are untouched");
}

/* Root: the supplementary groups, kept sorted. */
static void root_groups(void)
{
	gid_t set[3] = { 500, 30, 9000 }, got[8] = { 0 };
	RSUCCEEDS(syscall(SYS_setgroups, 3, set), "setgroups(3, {500, 30, 9000}) as root");
	RRETURNS(syscall(SYS_getgroups, 0, NULL), 3, "getgroups(0, NULL) counts 3");
	RFAILS(syscall(SYS_getgroups, 2, got), EINVAL, "getgroups into room for 2");
	RRETURNS(syscall(SYS_getgroups, 8, got), 3, "getgroups(8) returns 3");
	rok(got[0] == 30 && got[1] == 500 && got[2] == 9000, "the groups come back sorted (%u %u %u)",
	    got[0], got[1], got[2]);
	RFAILS(syscall(SYS_getgroups, -1, got), EINVAL, "getgroups(-1)");
	RFAILS(syscall(SYS_setgroups, -1, set), EINVAL, "setgroups(-1)");
	RFAILS(syscall(SYS_setgroups, 65537, set), EINVAL, "setgroups(NGROUPS_MAX + 1)");
	RFAILS(syscall(SYS_setgroups, 2, (void *)1), EFAULT, "setgroups from a bad pointer");
	RRETURNS(syscall(SYS_getgroups, 0, NULL), 3, "a failed setgroups keeps the list");
	RFAILS(syscall(SYS_getgroups, 3, (void *)1), EFAULT, "getgroups to a bad pointer");
	RSUCCEEDS(syscall(SYS_setgroups, 0, NULL), "setgroups(0, NULL) empties the list");
	RRETURNS(syscall(SYS_getgroups, 0, NULL), 0, "getgroups counts 0 after it");
}

/* Root: the filesystem ids move on their own. */
static void root_fsids(void)
{
	RRETURNS(syscall(SYS_setfsuid, 1234), 0, "setfsuid(1234) as root");
	RRETURNS(syscall(SYS_setfsuid, KEEP), 1234, "setfsuid(-1) after it");
	rids(0, 0, 0, 0, "the other uids are untouched");
	RRETURNS(syscall(SYS_setfsgid, 2345), 0, "setfsgid(2345) as root");
	RRETURNS(syscall(SYS_setfsgid, KEEP), 2345, "setfsgid(-1) after it");
}

int main(void)
{
	uid_t u0[3], u1[3];
	gid_t g0[3], g1[3];
	resuid(u0);
	resgid(g0);
	printf("# running as uid %u gid %u\n", u0[0], g0[0]);
	in_child(common, "common");
	if (u0[0] != 0) {
		in_child(unprivileged, "unprivileged");
	} else {
		in_child(root_resuid, "root setresuid");
		in_child(root_setuid, "root setuid");
		in_child(root_setreuid, "root setreuid");
		in_child(root_gids, "root gids");
		in_child(root_fsids, "root fsids");
		in_child(root_groups, "root groups");
	}
	resuid(u1);
	resgid(g1);
	ok(memcmp(u0, u1, sizeof u0) == 0 && memcmp(g0, g1, sizeof g0) == 0,
	   "the parent's ids are unchanged");
	return tap_done();
}
