/* Kernel keyrings: add_key, request_key, keyctl (keyrings(7), keyctl(2)).
 *
 * Raw system calls (glibc has no wrappers).  The test first joins a new
 * anonymous session keyring, so it depends neither on the caller's
 * session nor on what picos gives a world's first process.  Key serials
 * differ between runs and are never printed in check names.  The checks
 * as another uid run when the test runs as root (a child switches to
 * nobody); quotas are checked as nobody only, the user Linux limits. */
#include "tap.h"
#include <linux/keyctl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

typedef int32_t key_serial_t;

static long add_key(const char *type, const char *desc, const void *p,
		    size_t n, key_serial_t ring)
{
	return syscall(SYS_add_key, type, desc, p, n, ring);
}

static long request_key(const char *type, const char *desc,
			const char *callout, key_serial_t dest)
{
	return syscall(SYS_request_key, type, desc, callout, dest);
}

static long kc(int op, unsigned long a, unsigned long b, unsigned long c,
	       unsigned long d)
{
	return syscall(SYS_keyctl, op, a, b, c, d);
}

#define BAD ((void *)16) /* an address that always faults */

/* Checks report to the parent from a child (rep_fd), else print. */
__attribute__((format(printf, 2, 3))) static void chk(int cond, const char *fmt, ...)
{
	char what[120];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (rep_fd >= 0)
		rok(cond, "%s", what);
	else
		tap_ok(cond, "%s", what);
}

static void check_fails(long r, int e, int want, const char *wname,
			const char *what)
{
	chk(r == -1 && e == want, "%s fails with %s%s", what, wname,
	    r == -1 && e == want ? "" : " (got something else)");
	if (!(r == -1 && e == want))
		printf("#   %s: got %ld, errno %d (%s)\n", what, r, e, strerror(e));
}
#define FAILS(expr, err, what)                                             \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		check_fails(r_, errno, err, #err, what);                   \
	} while (0)

static long check_ok(long r, int e, const char *what)
{
	chk(r >= 0, "%s succeeds", what);
	if (r < 0)
		printf("#   %s: errno %d (%s)\n", what, e, strerror(e));
	return r;
}
#define OK(expr, what)                                                     \
	({                                                                 \
		errno = 0;                                                 \
		long r_ = (long)(expr);                                    \
		check_ok(r_, errno, what);                                 \
	})

/* Runs fn in a forked child whose checks come back through a pipe. */
static void in_child(void (*fn)(void *), void *arg, const char *what)
{
	int p[2];
	if (pipe(p) < 0) {
		ok(0, "%s: pipe", what);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		rep_fd = p[1];
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	struct rec r;
	int n = 0, st = -1;
	while (read(p[0], &r, sizeof r) == sizeof r && ++n)
		ok(r.pass, "%s: %.110s", what, r.what);
	close(p[0]);
	int reaped = pid > 0 && waitpid(pid, &st, 0) == pid;
	ok(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0,
	   "%s: child ran %d checks and exited 0 (status %#x)", what, n, st);
}

static key_serial_t ring_id(key_serial_t special, int create)
{
	return (key_serial_t)kc(KEYCTL_GET_KEYRING_ID, (unsigned long)special,
				create, 0, 0);
}

/* The description string of a key ("" when it cannot be described). */
static const char *describe(key_serial_t id)
{
	static char buf[4][512];
	static int i;
	char *b = buf[i++ % 4];
	long n = kc(KEYCTL_DESCRIBE, (unsigned long)id, (unsigned long)b, 512, 0);
	if (n < 0 || n > 512)
		b[0] = 0;
	return b;
}

/* Whether keyring `ring` holds `id`. */
static int ring_has(key_serial_t ring, key_serial_t id)
{
	key_serial_t ids[256];
	long n = kc(KEYCTL_READ, (unsigned long)ring, (unsigned long)ids,
		    sizeof ids, 0);
	for (long i = 0; i < n / 4 && i < 256; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static key_serial_t ses;

/* Linux drops a key's last link after an RCU grace period: a key left
 * without links is gone within a moment. */
static int gone(key_serial_t id)
{
	for (int i = 0; i < 100; i++) {
		if (kc(KEYCTL_DESCRIBE, (unsigned long)id, 0, 0, 0) == -1 &&
		    errno == ENOKEY)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_add_key_errors(void)
{
	char big[4100];
	memset(big, 'd', sizeof big - 1);
	big[sizeof big - 1] = 0;
	FAILS(add_key("user", "k", "x", 1024 * 1024, ses), EINVAL,
	      "add_key with a payload over 1 MiB");
	FAILS(add_key("", "k", "x", 1, ses), EINVAL, "add_key of type \"\"");
	FAILS(add_key(".user", "k", "x", 1, ses), EPERM, "add_key of a dot type");
	FAILS(add_key("0123456789012345678901234567890123", "k", "x", 1, ses),
	      EINVAL, "add_key of a 34-character type");
	FAILS(add_key(BAD, "k", "x", 1, ses), EFAULT, "add_key with a bad type pointer");
	FAILS(add_key("user", BAD, "x", 1, ses), EFAULT,
	      "add_key with a bad description pointer");
	FAILS(add_key("user", big, "x", 1, ses), EINVAL,
	      "add_key with a 4099-byte description");
	FAILS(add_key("user", "k", BAD, 1, ses), EFAULT,
	      "add_key with a bad payload pointer");
	FAILS(add_key("picos_nosuch", "k", "x", 1, ses), ENODEV,
	      "add_key of an unknown type");
	FAILS(add_key("user", "k", NULL, 0, ses), EINVAL,
	      "add_key of a user key without payload");
	static char huge[32768];
	FAILS(add_key("user", "k", huge, sizeof huge, ses), EINVAL,
	      "add_key of a 32768-byte user payload");
	FAILS(add_key("keyring", "r", "x", 1, ses), EINVAL,
	      "add_key of a keyring with a payload");
	FAILS(add_key("keyring", ".r", NULL, 0, ses), EPERM,
	      "add_key of a keyring named with a dot");
	FAILS(add_key("user", NULL, "x", 1, ses), EINVAL,
	      "add_key of a user key without description");
	FAILS(add_key("user", "", "x", 1, ses), EINVAL,
	      "add_key of a user key with an empty description");
	FAILS(add_key("user", "k", "x", 1, 0), EINVAL, "add_key into keyring 0");
	FAILS(add_key("user", "k", "x", 1, 1), ENOKEY, "add_key into serial 1");
	FAILS(add_key("user", "k", "x", 1, KEY_SPEC_GROUP_KEYRING), EINVAL,
	      "add_key into the group keyring");
	FAILS(add_key("user", "k", "x", 1, KEY_SPEC_REQKEY_AUTH_KEY), ENOKEY,
	      "add_key into the request_key authority");
	FAILS(add_key("user", "k", "x", 1, -9), EINVAL,
	      "add_key into special id -9");
	long k = OK(add_key("user", "plain", "x", 1, ses), "add_key of a user key");
	FAILS(add_key("user", "k", "x", 1, (key_serial_t)k), ENOTDIR,
	      "add_key into a user key");
	kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0);
}

static void test_user_key(void)
{
	long k = OK(add_key("user", "picos:k1", "hello", 5, ses), "add_key user picos:k1");
	chk(k > 0, "the serial is positive");
	char want[128];
	snprintf(want, sizeof want, "user;%d;%d;3f010000;picos:k1",
		 (int)getuid(), (int)getgid());
	chk(strcmp(describe((key_serial_t)k), want) == 0,
	    "DESCRIBE gives type;uid;gid;perm;description");
	char buf[64] = "untouched";
	chk(kc(KEYCTL_DESCRIBE, (unsigned long)k, (unsigned long)buf, 4, 0) ==
		    (long)strlen(want) + 1 && strcmp(buf, "untouched") == 0,
	    "DESCRIBE into a short buffer gives the size and copies nothing");
	chk(kc(KEYCTL_DESCRIBE, (unsigned long)k, 0, 0, 0) == (long)strlen(want) + 1,
	    "DESCRIBE without a buffer gives the size");
	FAILS(kc(KEYCTL_DESCRIBE, (unsigned long)k, (unsigned long)BAD, 512, 0),
	      EFAULT, "DESCRIBE into a bad buffer");
	chk(kc(KEYCTL_READ, (unsigned long)k, 0, 0, 0) == 5,
	    "READ without a buffer gives the payload size");
	chk(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, 3, 0) == 5 &&
		    strcmp(buf, "untouched") == 0,
	    "READ into a short buffer gives the size and copies nothing");
	memset(buf, 0, sizeof buf);
	chk(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0) == 5 &&
		    memcmp(buf, "hello", 5) == 0,
	    "READ gives the payload");
	FAILS(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)BAD, 64, 0), EFAULT,
	      "READ into a bad buffer");
	long k2 = add_key("user", "picos:k1", "again", 5, ses);
	chk(k2 == k, "add_key of the same description updates the key");
	memset(buf, 0, sizeof buf);
	kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0);
	chk(memcmp(buf, "again", 5) == 0, "the update replaced the payload");
	OK(kc(KEYCTL_UPDATE, (unsigned long)k, (unsigned long)"new!!!", 6, 0),
	   "UPDATE of the user key");
	chk(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0) == 6 &&
		    memcmp(buf, "new!!!", 6) == 0,
	    "READ gives the updated payload");
	static char page[4097];
	FAILS(kc(KEYCTL_UPDATE, (unsigned long)k, (unsigned long)page, 4097, 0),
	      EINVAL, "UPDATE with 4097 bytes");
	FAILS(kc(KEYCTL_UPDATE, (unsigned long)k, 0, 0, 0), EINVAL,
	      "UPDATE without payload");
	FAILS(kc(KEYCTL_UPDATE, (unsigned long)k, (unsigned long)BAD, 4, 0), EFAULT,
	      "UPDATE with a bad payload pointer");
	FAILS(kc(KEYCTL_UPDATE, (unsigned long)ses, (unsigned long)"x", 1, 0),
	      EOPNOTSUPP, "UPDATE of a keyring");
	FAILS(kc(KEYCTL_UPDATE, 1, (unsigned long)"x", 1, 0), ENOKEY,
	      "UPDATE of serial 1");
	char sec[8] = "zz";
	chk(kc(KEYCTL_GET_SECURITY, (unsigned long)k, (unsigned long)sec, sizeof sec, 0) == 1 &&
		    sec[0] == 0,
	    "GET_SECURITY gives an empty label");
	chk(kc(KEYCTL_GET_SECURITY, (unsigned long)k, 0, 0, 0) == 1,
	    "GET_SECURITY without a buffer gives 1");
	kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0);
	chk(gone((key_serial_t)k), "a key unlinked from everything is gone");
}

static void test_keyrings(void)
{
	long r1 = OK(add_key("keyring", "picos:r1", NULL, 0, ses), "add_key keyring picos:r1");
	long r2 = OK(add_key("keyring", "picos:r2", NULL, 0, (key_serial_t)r1),
		     "add_key keyring picos:r2 inside picos:r1");
	long a = OK(add_key("user", "picos:a", "A", 1, (key_serial_t)r1), "add_key picos:a");
	long b = OK(add_key("user", "picos:b", "B", 1, (key_serial_t)r2), "add_key picos:b");
	char want[128];
	snprintf(want, sizeof want, "keyring;%d;%d;3f010000;picos:r1",
		 (int)getuid(), (int)getgid());
	chk(strcmp(describe((key_serial_t)r1), want) == 0, "DESCRIBE of a keyring");
	key_serial_t ids[8];
	chk(kc(KEYCTL_READ, (unsigned long)r1, 0, 0, 0) == 8,
	    "READ of a keyring of two gives 8 bytes");
	chk(kc(KEYCTL_READ, (unsigned long)r1, (unsigned long)ids, sizeof ids, 0) == 8 &&
		    ((ids[0] == r2 && ids[1] == a) || (ids[0] == a && ids[1] == r2)),
	    "READ of a keyring gives the serials it holds");
	FAILS(kc(KEYCTL_READ, (unsigned long)r1, (unsigned long)ids, 6, 0), EINVAL,
	      "READ of a keyring into 6 bytes");
	chk(kc(KEYCTL_READ, (unsigned long)r1, (unsigned long)ids, 4, 0) == 8,
	    "READ of a keyring into 4 bytes gives the size");

	/* Searches. */
	chk(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
	       (unsigned long)"picos:b", 0) == b,
	    "SEARCH finds a key two keyrings down");
	chk(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"keyring",
	       (unsigned long)"picos:r2", 0) == r2,
	    "SEARCH finds a keyring by name");
	chk(kc(KEYCTL_SEARCH, (unsigned long)r1, (unsigned long)"keyring",
	       (unsigned long)"picos:r1", 0) == r1,
	    "SEARCH matches the keyring it starts from");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		 (unsigned long)"picos:none", 0), ENOKEY, "SEARCH for a missing key");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"picos_nosuch",
		 (unsigned long)"x", 0), ENOKEY, "SEARCH for an unknown type");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)a, (unsigned long)"user",
		 (unsigned long)"x", 0), ENOTDIR, "SEARCH in a user key");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)".user",
		 (unsigned long)"x", 0), EPERM, "SEARCH for a dot type");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user", (unsigned long)BAD, 0),
	      EFAULT, "SEARCH with a bad description");
	long f = kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		    (unsigned long)"picos:b", (unsigned long)r1);
	chk(f == b && ring_has((key_serial_t)r1, (key_serial_t)b),
	    "SEARCH links what it finds into the destination");

	/* request_key searches the process keyrings. */
	chk(request_key("user", "picos:a", NULL, 0) == a,
	    "request_key finds a key in the session keyring's tree");
	FAILS(request_key("user", "picos:none", NULL, 0), ENOKEY,
	      "request_key of a missing key without callout");
	FAILS(request_key("picos_nosuch", "x", NULL, 0), ENOKEY,
	      "request_key of an unknown type");
	FAILS(request_key("keyring", "picos:none", "info", 0), EPERM,
	      "request_key constructing a keyring");
	FAILS(request_key(BAD, "x", NULL, 0), EFAULT, "request_key with a bad type");
	FAILS(request_key("user", BAD, NULL, 0), EFAULT,
	      "request_key with a bad description");
	FAILS(request_key("user", "x", BAD, 0), EFAULT,
	      "request_key with a bad callout");
	FAILS(request_key("user", "x", NULL, KEY_SPEC_GROUP_KEYRING), EINVAL,
	      "request_key into the group keyring");
	chk(request_key("user", "picos:a", NULL, (key_serial_t)r2) == a &&
		    ring_has((key_serial_t)r2, (key_serial_t)a),
	    "request_key links what it finds into the destination");

	/* Links. */
	FAILS(kc(KEYCTL_LINK, (unsigned long)r1, (unsigned long)r2, 0, 0), EDEADLK,
	      "LINK of a keyring into one it holds");
	FAILS(kc(KEYCTL_LINK, (unsigned long)r1, (unsigned long)r1, 0, 0), EDEADLK,
	      "LINK of a keyring into itself");
	FAILS(kc(KEYCTL_LINK, (unsigned long)a, (unsigned long)b, 0, 0), ENOTDIR,
	      "LINK into a user key");
	FAILS(kc(KEYCTL_LINK, 1, (unsigned long)r1, 0, 0), ENOKEY, "LINK of serial 1");
	OK(kc(KEYCTL_LINK, (unsigned long)a, (unsigned long)ses, 0, 0), "LINK into the session keyring");
	chk(ring_has(ses, (key_serial_t)a), "the session keyring holds the link");
	OK(kc(KEYCTL_LINK, (unsigned long)a, (unsigned long)ses, 0, 0), "LINK of a key already linked");
	OK(kc(KEYCTL_UNLINK, (unsigned long)a, (unsigned long)ses, 0, 0), "UNLINK");
	FAILS(kc(KEYCTL_UNLINK, (unsigned long)a, (unsigned long)ses, 0, 0), ENOENT,
	      "UNLINK of a key not linked");
	FAILS(kc(KEYCTL_UNLINK, (unsigned long)a, (unsigned long)b, 0, 0), ENOTDIR,
	      "UNLINK from a user key");
	chk(add_key("user", "picos:a", "A2", 2, (key_serial_t)r2) == a,
	    "add_key of picos:a into another keyring holding it updates it");
	long n1 = OK(add_key("keyring", "picos:n", NULL, 0, (key_serial_t)r2),
		     "add_key of keyring picos:n");
	long n2 = OK(add_key("keyring", "picos:n", NULL, 0, (key_serial_t)r2),
		     "add_key of keyring picos:n again");
	chk(n1 != n2 && ring_has((key_serial_t)r2, (key_serial_t)n2) &&
		    !ring_has((key_serial_t)r2, (key_serial_t)n1),
	    "a new keyring replaces the link to one of the same name");

	/* MOVE. */
	long m = OK(add_key("user", "picos:m", "M", 1, (key_serial_t)r1), "add_key picos:m");
	OK(kc(KEYCTL_MOVE, (unsigned long)m, (unsigned long)r1, (unsigned long)r2, 0),
	   "MOVE from picos:r1 to picos:r2");
	chk(ring_has((key_serial_t)r2, (key_serial_t)m) &&
		    !ring_has((key_serial_t)r1, (key_serial_t)m),
	    "the link moved");
	FAILS(kc(KEYCTL_MOVE, (unsigned long)m, (unsigned long)r1, (unsigned long)r2, 0),
	      ENOENT, "MOVE from a keyring without the key");
	long m2 = add_key("user", "picos:m", "M2", 2, (key_serial_t)r1);
	FAILS(kc(KEYCTL_MOVE, (unsigned long)m2, (unsigned long)r1, (unsigned long)r2,
		 KEYCTL_MOVE_EXCL), EEXIST, "MOVE_EXCL onto a key of the same name");
	FAILS(kc(KEYCTL_MOVE, (unsigned long)m2, (unsigned long)r1, (unsigned long)r2, 2),
	      EINVAL, "MOVE with an unknown flag");

	/* CLEAR. */
	OK(kc(KEYCTL_CLEAR, (unsigned long)r2, 0, 0, 0), "CLEAR of picos:r2");
	chk(kc(KEYCTL_READ, (unsigned long)r2, 0, 0, 0) == 0, "the keyring is empty");
	FAILS(kc(KEYCTL_CLEAR, (unsigned long)a, 0, 0, 0), ENOTDIR, "CLEAR of a user key");
	kc(KEYCTL_UNLINK, (unsigned long)r1, (unsigned long)ses, 0, 0);
	chk(gone((key_serial_t)r2) && gone((key_serial_t)b),
	    "a keyring unlinked from everything is gone, with what it held");
}

static void test_revoke_invalidate(void)
{
	long k = add_key("user", "picos:rev", "R", 1, ses);
	/* A keyring of its own keeps the key alive once revoked and
	 * replaced in the session keyring. */
	long keep = add_key("keyring", "picos:keep", NULL, 0, ses);
	kc(KEYCTL_LINK, (unsigned long)k, (unsigned long)keep, 0, 0);
	OK(kc(KEYCTL_REVOKE, (unsigned long)k, 0, 0, 0), "REVOKE");
	char buf[16];
	FAILS(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0),
	      EKEYREVOKED, "READ of a revoked key");
	FAILS(kc(KEYCTL_DESCRIBE, (unsigned long)k, 0, 0, 0), EKEYREVOKED,
	      "DESCRIBE of a revoked key");
	FAILS(kc(KEYCTL_UPDATE, (unsigned long)k, (unsigned long)"x", 1, 0),
	      EKEYREVOKED, "UPDATE of a revoked key");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		 (unsigned long)"picos:rev", 0), EKEYREVOKED, "SEARCH finding a revoked key");
	FAILS(request_key("user", "picos:rev", NULL, 0), EKEYREVOKED,
	      "request_key finding a revoked key");
	long k2 = add_key("user", "picos:rev", "R2", 2, ses);
	chk(k2 > 0 && k2 != k && ring_has(ses, (key_serial_t)k2) &&
		    !ring_has(ses, (key_serial_t)k),
	    "add_key over a revoked key makes a new key in its place");
	/* Unlink goes by type and description: the revoked key's name. */
	OK(kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0),
	   "UNLINK of the revoked key");
	chk(!ring_has(ses, (key_serial_t)k2),
	    "it removed the link of the same type and description");
	kc(KEYCTL_UNLINK, (unsigned long)keep, (unsigned long)ses, 0, 0);
	k2 = add_key("user", "picos:inv", "I", 1, ses);
	long r = add_key("keyring", "picos:revring", NULL, 0, ses);
	add_key("user", "picos:inring", "I", 1, (key_serial_t)r);
	OK(kc(KEYCTL_REVOKE, (unsigned long)r, 0, 0, 0), "REVOKE of a keyring");
	FAILS(add_key("user", "picos:x", "x", 1, (key_serial_t)r), EKEYREVOKED,
	      "add_key into a revoked keyring");
	kc(KEYCTL_UNLINK, (unsigned long)r, (unsigned long)ses, 0, 0);

	OK(kc(KEYCTL_INVALIDATE, (unsigned long)k2, 0, 0, 0), "INVALIDATE");
	FAILS(kc(KEYCTL_DESCRIBE, (unsigned long)k2, 0, 0, 0), ENOKEY,
	      "DESCRIBE of an invalidated key");
	FAILS(kc(KEYCTL_INVALIDATE, 1, 0, 0, 0), ENOKEY, "INVALIDATE of serial 1");
	FAILS(kc(KEYCTL_REVOKE, 0, 0, 0, 0), EINVAL, "REVOKE of serial 0");
}

static void test_timeout(void)
{
	long k = add_key("user", "picos:exp", "E", 1, ses);
	long u = add_key("user", "picos:upd", "U", 1, ses);
	OK(kc(KEYCTL_SET_TIMEOUT, (unsigned long)k, 1, 0, 0), "SET_TIMEOUT of 1 s");
	OK(kc(KEYCTL_SET_TIMEOUT, (unsigned long)u, 1, 0, 0), "SET_TIMEOUT of another key");
	OK(kc(KEYCTL_UPDATE, (unsigned long)u, (unsigned long)"V", 1, 0),
	   "UPDATE of the other key");
	char buf[8];
	chk(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0) == 1,
	    "the key is readable before it expires");
	usleep(2100 * 1000);
	FAILS(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0),
	      EKEYEXPIRED, "READ of an expired key");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		 (unsigned long)"picos:exp", 0), EKEYEXPIRED, "SEARCH finding an expired key");
	FAILS(request_key("user", "picos:exp", NULL, 0), ENOKEY,
	      "request_key passes an expired key over");
	FAILS(kc(KEYCTL_SET_TIMEOUT, (unsigned long)k, 0, 0, 0), EKEYEXPIRED,
	      "SET_TIMEOUT of an expired key");
	chk(kc(KEYCTL_READ, (unsigned long)u, (unsigned long)buf, sizeof buf, 0) == 1,
	    "an update cleared the other key's timeout");
	kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0);
	kc(KEYCTL_UNLINK, (unsigned long)u, (unsigned long)ses, 0, 0);
}

static void test_perms(void)
{
	long k = add_key("user", "picos:perm", "P", 1, ses);
	FAILS(kc(KEYCTL_SETPERM, (unsigned long)k, 0x40000000, 0, 0), EINVAL,
	      "SETPERM with an unknown bit");
	/* Possessor and owner without Read: possession with Search still
	 * lets the key be read. */
	OK(kc(KEYCTL_SETPERM, (unsigned long)k, 0x3d010000, 0, 0), "SETPERM without Read");
	char buf[8];
	chk(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0) == 1,
	    "a possessed key with Search is readable without Read");
	/* Without possessor Search the key is not possessed. */
	OK(kc(KEYCTL_SETPERM, (unsigned long)k, 0x35210000, 0, 0),
	   "SETPERM without Read and Search");
	FAILS(kc(KEYCTL_READ, (unsigned long)k, (unsigned long)buf, sizeof buf, 0), EACCES,
	      "READ of a key neither readable nor possessed");
	FAILS(kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		 (unsigned long)"picos:perm", 0), EACCES, "SEARCH finding an unsearchable key");
	FAILS(kc(KEYCTL_LINK, (unsigned long)k, (unsigned long)ses, 0, 0), EACCES,
	      "LINK of a key not possessed without owner Link");
	OK(kc(KEYCTL_SETPERM, (unsigned long)k, 0x3f000000, 0, 0),
	   "SETPERM to possessor only");
	chk(kc(KEYCTL_DESCRIBE, (unsigned long)k, 0, 0, 0) > 0,
	    "a possessed key is described with possessor View alone");
	OK(kc(KEYCTL_SETPERM, (unsigned long)k, 0x00000000, 0, 0), "SETPERM to nothing");
	FAILS(kc(KEYCTL_DESCRIBE, (unsigned long)k, 0, 0, 0), EACCES,
	      "DESCRIBE of a key granting nothing");
	FAILS(kc(KEYCTL_GET_SECURITY, (unsigned long)k, 0, 0, 0), ENOKEY,
	      "GET_SECURITY of a key granting nothing");
	FAILS(kc(KEYCTL_SETPERM, (unsigned long)k, 0x3f000000, 0, 0), EACCES,
	      "SETPERM without Setattr");
	FAILS(kc(KEYCTL_REVOKE, (unsigned long)k, 0, 0, 0), EACCES,
	      "REVOKE without Write or Setattr");
	FAILS(kc(KEYCTL_INVALIDATE, (unsigned long)k, 0, 0, 0), EACCES,
	      "INVALIDATE without Search");
	OK(kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0),
	   "UNLINK needs nothing of the key");

	long c = add_key("user", "picos:own", "O", 1, ses);
	chk(kc(KEYCTL_CHOWN, (unsigned long)c, (unsigned long)-1, (unsigned long)-1, 0) == 0,
	    "CHOWN to -1, -1 changes nothing");
	OK(kc(KEYCTL_CHOWN, (unsigned long)c, getuid(), getgid(), 0), "CHOWN to oneself");
	FAILS(kc(KEYCTL_CHOWN, 1, getuid(), (unsigned long)-1, 0), ENOKEY,
	      "CHOWN of serial 1");
	if (getuid() == 0) {
		OK(kc(KEYCTL_CHOWN, (unsigned long)c, 65534, 65534, 0),
		   "CHOWN to nobody as root");
		char want[64];
		snprintf(want, sizeof want, "user;65534;65534;3f010000;picos:own");
		chk(strcmp(describe((key_serial_t)c), want) == 0,
		    "DESCRIBE shows the new owner");
		OK(kc(KEYCTL_CHOWN, (unsigned long)c, 0, 0, 0), "CHOWN back as root");
	} else {
		FAILS(kc(KEYCTL_CHOWN, (unsigned long)c, getuid() + 1, (unsigned long)-1, 0),
		      EACCES, "CHOWN to another uid without CAP_SYS_ADMIN");
	}
	kc(KEYCTL_UNLINK, (unsigned long)c, (unsigned long)ses, 0, 0);
}

static void test_special(void)
{
	FAILS(kc(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_THREAD_KEYRING, 0, 0, 0),
	      ENOKEY, "GET_KEYRING_ID of a missing thread keyring");
	FAILS(kc(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0, 0),
	      ENOKEY, "GET_KEYRING_ID of a missing process keyring");
	key_serial_t t = ring_id(KEY_SPEC_THREAD_KEYRING, 1);
	chk(t > 0 && ring_id(KEY_SPEC_THREAD_KEYRING, 0) == t,
	    "the thread keyring is made on demand and stays");
	key_serial_t p = ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
	chk(p > 0 && p != t && ring_id(KEY_SPEC_PROCESS_KEYRING, 0) == p,
	    "the process keyring is made on demand and stays");
	char want[128];
	snprintf(want, sizeof want, "keyring;%d;%d;3f010000;_tid", (int)getuid(),
		 (int)getgid());
	chk(strcmp(describe(t), want) == 0, "the thread keyring is _tid");
	snprintf(want, sizeof want, "keyring;%d;%d;3f010000;_pid", (int)getuid(),
		 (int)getgid());
	chk(strcmp(describe(p), want) == 0, "the process keyring is _pid");
	key_serial_t u = ring_id(KEY_SPEC_USER_KEYRING, 0);
	key_serial_t us = ring_id(KEY_SPEC_USER_SESSION_KEYRING, 0);
	snprintf(want, sizeof want, "keyring;%d;65534;1f3f0000;_uid.%d",
		 (int)getuid(), (int)getuid());
	chk(u > 0 && strcmp(describe(u), want) == 0, "the user keyring is _uid.UID");
	snprintf(want, sizeof want, "keyring;%d;65534;1f3f0000;_uid_ses.%d",
		 (int)getuid(), (int)getuid());
	chk(us > 0 && strcmp(describe(us), want) == 0,
	    "the user-session keyring is _uid_ses.UID");
	chk(ring_has(us, u), "the user-session keyring holds the user keyring");
	snprintf(want, sizeof want, "keyring;%d;%d;3f030000;_ses", (int)getuid(),
		 (int)getgid());
	chk(strcmp(describe(ses), want) == 0, "the session keyring is _ses");
	FAILS(kc(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_GROUP_KEYRING, 0, 0, 0),
	      EINVAL, "GET_KEYRING_ID of the group keyring");
	FAILS(kc(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_REQUESTOR_KEYRING, 0, 0, 0),
	      ENOKEY, "GET_KEYRING_ID of the requestor keyring");
	FAILS(kc(KEYCTL_GET_KEYRING_ID, 0, 0, 0, 0), EINVAL, "GET_KEYRING_ID of 0");

	/* request_key searches the thread and process keyrings too. */
	long k = add_key("user", "picos:inproc", "P", 1, KEY_SPEC_PROCESS_KEYRING);
	chk(request_key("user", "picos:inproc", NULL, 0) == k,
	    "request_key finds a key in the process keyring");

	/* KEYCTL_SET_REQKEY_KEYRING */
	long old = kc(KEYCTL_SET_REQKEY_KEYRING, (unsigned long)KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0);
	chk(old == KEY_REQKEY_DEFL_DEFAULT, "SET_REQKEY_KEYRING starts at the default");
	chk(kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_SESSION_KEYRING, 0, 0, 0) == old,
	    "SET_REQKEY_KEYRING gives the old setting");
	chk(kc(KEYCTL_SET_REQKEY_KEYRING, (unsigned long)KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0) ==
		    KEY_REQKEY_DEFL_SESSION_KEYRING,
	    "SET_REQKEY_KEYRING keeps the new one");
	FAILS(kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_GROUP_KEYRING, 0, 0, 0), EINVAL,
	      "SET_REQKEY_KEYRING to the group keyring");
	kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_DEFAULT, 0, 0, 0);

	/* Persistent keyrings. */
	long pk = kc(KEYCTL_GET_PERSISTENT, (unsigned long)-1, (unsigned long)ses, 0, 0);
	snprintf(want, sizeof want, "keyring;%d;65534;1f030000;_persistent.%d",
		 (int)getuid(), (int)getuid());
	chk(pk > 0 && strcmp(describe((key_serial_t)pk), want) == 0 &&
		    ring_has(ses, (key_serial_t)pk),
	    "GET_PERSISTENT links _persistent.UID into the keyring");
	chk(kc(KEYCTL_GET_PERSISTENT, getuid(), (unsigned long)ses, 0, 0) == pk,
	    "GET_PERSISTENT of one's own uid gives the same keyring");
	FAILS(kc(KEYCTL_GET_PERSISTENT, (unsigned long)-1, (unsigned long)k, 0, 0), ENOTDIR,
	      "GET_PERSISTENT into a user key");
	kc(KEYCTL_UNLINK, (unsigned long)pk, (unsigned long)ses, 0, 0);

	/* Capabilities and the request_key authority calls. */
	unsigned char caps[4] = { 0xff, 0xff, 0xff, 0xff };
	chk(kc(KEYCTL_CAPABILITIES, (unsigned long)caps, sizeof caps, 0, 0) == 2 &&
		    (caps[0] & KEYCTL_CAPS0_CAPABILITIES) &&
		    (caps[0] & KEYCTL_CAPS0_INVALIDATE) && caps[2] == 0 && caps[3] == 0,
	    "CAPABILITIES gives two bytes and zeroes the rest");
	chk(kc(KEYCTL_ASSUME_AUTHORITY, 0, 0, 0, 0) == 0, "ASSUME_AUTHORITY of 0");
	FAILS(kc(KEYCTL_ASSUME_AUTHORITY, (unsigned long)-1, 0, 0, 0), EINVAL,
	      "ASSUME_AUTHORITY of a special id");
	FAILS(kc(KEYCTL_ASSUME_AUTHORITY, (unsigned long)k, 0, 0, 0), ENOKEY,
	      "ASSUME_AUTHORITY without a request");
	FAILS(kc(KEYCTL_INSTANTIATE, (unsigned long)k, (unsigned long)"x", 1, 0), EPERM,
	      "INSTANTIATE without authority");
	FAILS(kc(KEYCTL_NEGATE, (unsigned long)k, 10, 0, 0), EPERM, "NEGATE without authority");
	FAILS(kc(KEYCTL_REJECT, (unsigned long)k, 10, 0, 0), EINVAL, "REJECT with error 0");
	FAILS(kc(99, 0, 0, 0, 0), EOPNOTSUPP, "an unknown keyctl operation");
}

/* /proc/keys lists the keys the caller may view, /proc/key-users each
 * user's counts against the quota. */
static void test_proc_keys(void)
{
	long k = add_key("user", "picos:proc", "12345", 5, ses);
	kc(KEYCTL_SET_TIMEOUT, (unsigned long)k, 100, 0, 0);
	FILE *f = fopen("/proc/keys", "r");
	char line[512];
	int found = 0, sesline = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned id, perm;
		char flags[16], exp[8], type[16], desc[256];
		int usage, uid, gid;
		if (sscanf(line, "%x %15s %d %7s %x %d %d %15s %255[^\n]", &id, flags,
			   &usage, exp, &perm, &uid, &gid, type, desc) != 9)
			continue;
		if (id == (unsigned)k)
			found = strcmp(flags, "I--Q---") == 0 && usage >= 1 &&
				strcmp(exp, "1m") == 0 && perm == 0x3f010000 &&
				uid == (int)getuid() && strcmp(type, "user") == 0 &&
				strcmp(desc, "picos:proc: 5") == 0;
		if (id == (unsigned)ses)
			sesline = strcmp(type, "keyring") == 0 &&
				  strncmp(desc, "_ses: ", 6) == 0;
	}
	if (f)
		fclose(f);
	ok(found, "/proc/keys shows a user key: flags, timeout, perm, owner, length");
	ok(sesline, "/proc/keys shows the session keyring with its count");
	f = fopen("/proc/key-users", "r");
	int mine = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned uid, usage, n, ni, qn, qmax, qb, qbmax;
		if (sscanf(line, "%u: %u %u/%u %u/%u %u/%u", &uid, &usage, &n, &ni,
			   &qn, &qmax, &qb, &qbmax) == 8 && uid == getuid())
			mine = n >= 2 && qn >= 2 && qb > 0 &&
			       qmax == (getuid() ? 200u : 1000000u) &&
			       qbmax == (getuid() ? 20000u : 25000000u);
	}
	if (f)
		fclose(f);
	ok(mine, "/proc/key-users shows the caller's keys against its quota");
	kc(KEYCTL_UNLINK, (unsigned long)k, (unsigned long)ses, 0, 0);
}

/* Named session keyrings. */
static void test_join(void)
{
	long a = OK(kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"picos-test-ses", 0, 0, 0),
		    "JOIN_SESSION_KEYRING by name");
	chk(ring_id(KEY_SPEC_SESSION_KEYRING, 0) == a, "it is the session keyring");
	char want[128];
	snprintf(want, sizeof want, "keyring;%d;%d;3f130000;picos-test-ses",
		 (int)getuid(), (int)getgid());
	chk(strcmp(describe((key_serial_t)a), want) == 0,
	    "a named session keyring grants its owner View, Read and Link");
	/* The process keyring keeps it alive once it is no session's. */
	kc(KEYCTL_LINK, (unsigned long)a, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
	long b = kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"picos-test-ses", 0, 0, 0);
	chk(b > 0 && b != a, "without Search for its owner it is not found by name again");
	kc(KEYCTL_SETPERM, (unsigned long)a, 0x3f1b0000, 0, 0);
	chk(kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"picos-test-ses", 0, 0, 0) == a,
	    "with Search it is joined by name");
	chk(kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"picos-test-ses", 0, 0, 0) == 0,
	    "joining the session keyring one has gives 0");
	FAILS(kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)".picos", 0, 0, 0), EPERM,
	      "JOIN_SESSION_KEYRING of a dot name");
	FAILS(kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)BAD, 0, 0, 0), EFAULT,
	      "JOIN_SESSION_KEYRING with a bad name");
	/* The test keyrings go with a new anonymous session. */
	kc(KEYCTL_REVOKE, (unsigned long)a, 0, 0, 0);
	ses = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	chk(ses > 0 && ses != a && ses != b, "a new anonymous session keyring");
}

/* ---- inheritance -------------------------------------------------------- */

struct fork_arg {
	key_serial_t ses, key, thread, process;
};

static void forked(void *p)
{
	struct fork_arg *a = p;
	chk(ring_id(KEY_SPEC_SESSION_KEYRING, 0) == a->ses,
	    "a forked child has its parent's session keyring");
	char buf[8];
	chk(kc(KEYCTL_READ, (unsigned long)a->key, (unsigned long)buf, sizeof buf, 0) == 3,
	    "and reads the keys in it");
	FAILS(ring_id(KEY_SPEC_THREAD_KEYRING, 0), ENOKEY, "the thread keyring is not inherited");
	FAILS(ring_id(KEY_SPEC_PROCESS_KEYRING, 0), ENOKEY, "the process keyring is not inherited");
	chk(add_key("user", "picos:fromchild", "C", 1, KEY_SPEC_SESSION_KEYRING) > 0,
	    "the child adds a key to the shared session keyring");
	key_serial_t own = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	chk(own > 0 && own != a->ses, "the child joins a session keyring of its own");
	add_key("user", "picos:childonly", "X", 1, own);
}

static key_serial_t thread_seen[3];

static void *thread_fn(void *arg)
{
	(void)arg;
	thread_seen[0] = ring_id(KEY_SPEC_THREAD_KEYRING, 0);
	thread_seen[1] = ring_id(KEY_SPEC_PROCESS_KEYRING, 0);
	thread_seen[2] = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
	return NULL;
}

static void threads_child(void *p)
{
	(void)p;
	/* No thread keyring: a new thread has none. */
	pthread_t th;
	key_serial_t proc = ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	chk(thread_seen[0] == -1, "a thread of a creator without one has no thread keyring");
	chk(thread_seen[1] == proc, "a thread shares the process keyring");
	chk(thread_seen[2] == ring_id(KEY_SPEC_SESSION_KEYRING, 0),
	    "a thread shares the session keyring");
	key_serial_t mine = ring_id(KEY_SPEC_THREAD_KEYRING, 1);
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	chk(thread_seen[0] > 0 && thread_seen[0] != mine,
	    "a thread of a creator with a thread keyring gets a new one");
}

static int later_rfd;

/* Waits for the first thread's changes, then looks. */
static void *later_fn(void *arg)
{
	(void)arg;
	char c;
	if (read(later_rfd, &c, 1) != 1)
		return NULL;
	thread_seen[1] = ring_id(KEY_SPEC_PROCESS_KEYRING, 0);
	thread_seen[2] = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
	return NULL;
}

static void threads_later_child(void *p)
{
	(void)p;
	/* Keyrings live in each thread's credentials: what the first thread
	 * makes after the second started is its own. */
	pthread_t th;
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	later_rfd = pfd[0];
	key_serial_t s0 = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
	pthread_create(&th, NULL, later_fn, NULL);
	key_serial_t proc = ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
	key_serial_t s1 = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	if (write(pfd[1], "x", 1) != 1)
		return;
	pthread_join(th, NULL);
	chk(proc > 0 && thread_seen[1] == -1,
	    "a process keyring made after a thread started is not that thread's");
	chk(s1 > 0 && s1 != s0 && thread_seen[2] == s0,
	    "a session joined after a thread started is not that thread's");
}

static char *self_exe;

static void exec_child(void *p)
{
	struct fork_arg *a = p;
	ring_id(KEY_SPEC_THREAD_KEYRING, 1);
	ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
	char ses_s[16], fd_s[16];
	snprintf(ses_s, sizeof ses_s, "%d", a->ses);
	snprintf(fd_s, sizeof fd_s, "%d", rep_fd);
	char *argv[] = { self_exe, "--after-exec", ses_s, fd_s, NULL };
	execv(self_exe, argv);
	chk(0, "execv: %s", strerror(errno));
}

static int after_exec(char **argv)
{
	rep_fd = atoi(argv[3]);
	key_serial_t s = (key_serial_t)atoi(argv[2]);
	chk(ring_id(KEY_SPEC_SESSION_KEYRING, 0) == s, "execve keeps the session keyring");
	chk(ring_id(KEY_SPEC_THREAD_KEYRING, 0) == -1 && errno == ENOKEY,
	    "execve clears the thread keyring");
	chk(ring_id(KEY_SPEC_PROCESS_KEYRING, 0) == -1 && errno == ENOKEY,
	    "execve clears the process keyring");
	return 0;
}

/* KEYCTL_SESSION_TO_PARENT, in a child (the test may be its world's
 * init, which never takes a session from a child). */
static void to_parent_child(void *p)
{
	(void)p;
	key_serial_t before = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		key_serial_t mine = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
		long r = kc(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0);
		if (write(pfd[1], &mine, sizeof mine) < 0 || r < 0)
			_exit(1);
		_exit(0);
	}
	key_serial_t theirs = 0;
	int st = -1;
	if (read(pfd[0], &theirs, sizeof theirs) != sizeof theirs)
		theirs = 0;
	waitpid(pid, &st, 0);
	chk(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SESSION_TO_PARENT succeeds in the grandchild");
	/* Linux installs it as the parent next returns to user space. */
	key_serial_t after = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
	chk(theirs > 0 && after == theirs && after != before,
	    "the parent has its child's session keyring");
}

static void test_inheritance(void)
{
	struct fork_arg a = { .ses = ses };
	a.key = (key_serial_t)add_key("user", "picos:inh", "abc", 3, ses);
	ring_id(KEY_SPEC_THREAD_KEYRING, 1);
	ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
	in_child(forked, &a, "fork");
	long c = kc(KEYCTL_SEARCH, (unsigned long)ses, (unsigned long)"user",
		    (unsigned long)"picos:fromchild", 0);
	chk(c > 0, "the parent sees the key its child added");
	FAILS(request_key("user", "picos:childonly", NULL, 0), ENOKEY,
	      "the child's own session keyring is not the parent's");
	in_child(threads_child, NULL, "threads");
	in_child(threads_later_child, NULL, "threads");
	in_child(exec_child, &a, "exec");
	in_child(to_parent_child, NULL, "session to parent");
	kc(KEYCTL_CLEAR, (unsigned long)ses, 0, 0, 0);
}

/* ---- another uid (as root) ---------------------------------------------- */

static key_serial_t root_key;

static void as_nobody(void *p)
{
	(void)p;
	key_serial_t t = ring_id(KEY_SPEC_THREAD_KEYRING, 1);
	if (setgid(65534) < 0 || setuid(65534) < 0) {
		chk(0, "setuid to nobody: %s", strerror(errno));
		return;
	}
	chk(strcmp(describe(t), "keyring;65534;65534;3f010000;_tid") == 0,
	    "the thread keyring follows the filesystem ids");
	char buf[16];
	chk(kc(KEYCTL_READ, (unsigned long)root_key, (unsigned long)buf, sizeof buf, 0) == 4,
	    "root's key in the inherited session keyring is possessed and read");
	FAILS(kc(KEYCTL_SETPERM, (unsigned long)root_key, 0x3f3f3f3f, 0, 0), EACCES,
	      "SETPERM of another user's key");
	FAILS(kc(KEYCTL_CHOWN, (unsigned long)root_key, 65534, (unsigned long)-1, 0), EACCES,
	      "CHOWN of another user's key to oneself");
	key_serial_t u = ring_id(KEY_SPEC_USER_KEYRING, 0);
	chk(strcmp(describe(u), "keyring;65534;65534;1f3f0000;_uid.65534") == 0,
	    "nobody's user keyring is _uid.65534");
	FAILS(kc(KEYCTL_GET_PERSISTENT, 0, (unsigned long)KEY_SPEC_SESSION_KEYRING, 0, 0), EPERM,
	      "GET_PERSISTENT of another uid");
	key_serial_t own = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	chk(strcmp(describe(own), "keyring;65534;65534;3f030000;_ses") == 0,
	    "a session keyring joined as nobody is nobody's");
	FAILS(kc(KEYCTL_DESCRIBE, (unsigned long)root_key, 0, 0, 0), EACCES,
	      "DESCRIBE of root's key, no longer possessed");
	FAILS(kc(KEYCTL_READ, (unsigned long)root_key, (unsigned long)buf, sizeof buf, 0), EACCES,
	      "READ of root's key, no longer possessed");
	FAILS(kc(KEYCTL_LINK, (unsigned long)root_key, (unsigned long)own, 0, 0), EACCES,
	      "LINK of root's key");
	FAILS(kc(KEYCTL_REVOKE, (unsigned long)root_key, 0, 0, 0), EACCES,
	      "REVOKE of root's key");
	FAILS(request_key("user", "picos:root", NULL, 0), ENOKEY,
	      "request_key does not find root's key");
	/* Quotas: nobody may own 200 keys and 20000 bytes. */
	static char big[20001];
	FAILS(add_key("user", "picos:big", big, sizeof big, own), EDQUOT,
	      "add_key past nobody's byte quota");
	int n = 0;
	long r = 0;
	for (n = 0; n < 260; n++) {
		char d[16];
		snprintf(d, sizeof d, "q%d", n);
		if ((r = add_key("user", d, "x", 1, own)) < 0)
			break;
	}
	chk(r == -1 && errno == EDQUOT && n >= 180 && n < 200,
	    "add_key past nobody's key quota fails with EDQUOT");
	if (!(r == -1 && errno == EDQUOT && n >= 180 && n < 200))
		printf("#   made %d keys, then %ld (%s)\n", n, r, strerror(errno));
	kc(KEYCTL_CLEAR, (unsigned long)own, 0, 0, 0);
}

static void test_other_uid(void)
{
	if (getuid() != 0) {
		ok(1, "# SKIP checks as another uid need root");
		return;
	}
	root_key = (key_serial_t)add_key("user", "picos:root", "root", 4, ses);
	in_child(as_nobody, NULL, "nobody");
	OK(kc(KEYCTL_SETPERM, (unsigned long)root_key, 0x3f010001, 0, 0),
	   "SETPERM giving others View");
	kc(KEYCTL_UNLINK, (unsigned long)root_key, (unsigned long)ses, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(argv);
	self_exe = argv[0];
	ses = (key_serial_t)kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	ok(ses > 0, "JOIN_SESSION_KEYRING(NULL) gives a new session keyring");
	ok(ring_id(KEY_SPEC_SESSION_KEYRING, 0) == ses, "GET_KEYRING_ID of the session keyring");
	test_add_key_errors();
	test_user_key();
	test_keyrings();
	test_revoke_invalidate();
	test_timeout();
	test_perms();
	test_special();
	test_proc_keys();
	test_join();
	test_inheritance();
	test_other_uid();
	return tap_done();
}
