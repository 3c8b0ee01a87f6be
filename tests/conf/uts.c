/* uname, gethostname, sethostname and setdomainname.  Names are only
 * changed where the host's cannot be: natively inside a new UTS namespace
 * (root only), under picos in the world (picos provides no unshare). */
#include "tap.h"
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define BAD ((void *)0xffff800000000000UL)

static void change_names(void)
{
	ok(sethostname("picos-conf-uts", 14) == 0, "sethostname");
	char h[65];
	struct utsname u;
	ok(gethostname(h, sizeof h) == 0 && !strcmp(h, "picos-conf-uts"), "gethostname sees it");
	ok(uname(&u) == 0 && !strcmp(u.nodename, "picos-conf-uts"), "uname's nodename too");
	ok(setdomainname("example.test", 12) == 0 && uname(&u) == 0 &&
		   !strcmp(u.domainname, "example.test"),
	   "setdomainname, seen by uname");
	char big[80];
	memset(big, 'x', sizeof big);
	ok(sethostname(big, 64) == 0 && uname(&u) == 0 && strlen(u.nodename) == 64,
	   "a 64-byte name (the longest)");
	fails_with(sethostname(big, 65), EINVAL, "a 65-byte name");
	fails_with(sethostname(big, -1), EINVAL, "a negative length");
	fails_with(sethostname(BAD, 4), EFAULT, "a bad pointer");
	ok(sethostname("", 0) == 0 && uname(&u) == 0 && u.nodename[0] == 0, "an empty name");
	ok(sethostname("again", 5) == 0, "set once more");
	pid_t p = fork();
	if (p == 0) {
		struct utsname c;
		_exit(uname(&c) == 0 && !strcmp(c.nodename, "again") ? 0 : 1);
	}
	int st;
	ok(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a child forked afterwards sees the new name");
}

int main(void)
{
	struct utsname u;
	char h[65];
	ok(uname(&u) == 0 && !strcmp(u.sysname, "Linux"), "uname: Linux");
	ok(gethostname(h, sizeof h) == 0 && !strcmp(h, u.nodename), "gethostname is uname's nodename");
	fails_with(uname(BAD), EFAULT, "uname into a bad pointer");
	if (geteuid() != 0) {
		fails_with(sethostname("x", 1), EPERM, "sethostname as a user");
		fails_with(setdomainname("x", 1), EPERM, "setdomainname as a user");
		return tap_done();
	}
	pid_t p = fork();
	if (p == 0) {
		if (unshare(CLONE_NEWUTS) < 0 && errno != ENOSYS)
			_exit(2);
		change_names();
		_exit(tap_failed ? 1 : 0);
	}
	int st;
	waitpid(p, &st, 0);
	/* The child's checks were numbered in its own copy of the counter. */
	tap_count += 11;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the checks in the child passed");
	return tap_done();
}
