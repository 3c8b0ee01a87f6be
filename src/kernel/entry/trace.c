/* The tracer: one strace-style line per system call, decoded from the
 * argument kinds of the syscall table, written with a single host write so
 * lines from several processes never interleave. */
#include "../kernel.h"
#include "entry.h"
#include "../proc/proc.h"
#include <asm/stat.h>
#include <linux/mman.h>

struct flag_name {
	unsigned long bit;
	const char *name;
};

#define F(x) { x, #x }

static const struct flag_name open_flags[] = {
	F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC), F(O_APPEND),
	F(O_NONBLOCK), F(O_DSYNC), F(O_DIRECT), F(O_LARGEFILE),
	F(O_DIRECTORY), F(O_NOFOLLOW), F(O_NOATIME), F(O_CLOEXEC),
	{ __O_SYNC, "__O_SYNC" }, F(O_PATH), { __O_TMPFILE, "__O_TMPFILE" },
	{ FASYNC, "O_ASYNC" }, { 0, 0 }
};

static const struct flag_name prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN),
	F(PROT_GROWSUP), { 0, 0 }
};

static const struct flag_name map_flags[] = {
	F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_32BIT), F(MAP_GROWSDOWN),
	F(MAP_DENYWRITE), F(MAP_EXECUTABLE), F(MAP_LOCKED), F(MAP_NORESERVE),
	F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK), F(MAP_HUGETLB),
	{ 0x100000, "MAP_FIXED_NOREPLACE" }, { 0, 0 }
};

static const struct flag_name at_flags[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW),
	F(AT_NO_AUTOMOUNT), F(AT_EMPTY_PATH), { 0x200, "AT_EACCESS" },
	{ 0, 0 }
};

static void put_flags(struct rt_buf *b, unsigned long v,
		      const struct flag_name *t)
{
	bool any = false;
	for (; t->name; t++) {
		if ((v & t->bit) == t->bit && t->bit) {
			rt_buf_printf(b, "%s%s", any ? "|" : "", t->name);
			v &= ~t->bit;
			any = true;
		}
	}
	if (v || !any)
		rt_buf_printf(b, "%s%#lx", any ? "|" : "", v);
}

/* Provider bytes as a C string literal, escaped as strace does. */
static void put_escaped(struct rt_buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	rt_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\')
			rt_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rt_buf_put(b, "\\n", 2);
		else if (c == '\t')
			rt_buf_put(b, "\\t", 2);
		else if (c < 32 || c >= 127)
			rt_buf_printf(b, "\\%o", c);
		else
			rt_buf_put(b, (const char *)&c, 1);
	}
	rt_buf_put(b, "\"", 1);
}

static void put_string(struct rt_buf *b, const char *ustr, size_t max)
{
	char s[64];
	if (!ustr) {
		rt_buf_printf(b, "NULL");
		return;
	}
	size_t want = RT_MIN(max, sizeof s);
	long n = strncpy_from_user(s, ustr, want);
	bool more = false;
	if (n == -ENAMETOOLONG) {
		n = (long)want;
		more = true;
	} else if (n < 0) {
		rt_buf_printf(b, "%p", ustr);
		return;
	}
	put_escaped(b, s, (size_t)n);
	if (more)
		rt_buf_put(b, "...", 3);
}

/* Buffers are shown like strace: at most 32 bytes, escaped. */
static void put_buffer(struct rt_buf *b, const void *ubuf, long len)
{
	unsigned char s[32];
	if (len < 0)
		len = 0;
	long n = RT_MIN(len, (long)sizeof s);
	if (copy_from_user(s, ubuf, (size_t)n) < 0) {
		rt_buf_printf(b, "%p", ubuf);
		return;
	}
	put_escaped(b, s, (size_t)n);
	if (len > n)
		rt_buf_put(b, "...", 3);
}

static void put_mode(struct rt_buf *b, unsigned long m)
{
	rt_buf_printf(b, "0%lo", m);
}

static void put_stat(struct rt_buf *b, const void *ust)
{
	struct stat st;
	if (copy_from_user(&st, ust, sizeof st) < 0) {
		rt_buf_printf(b, "%p", ust);
		return;
	}
	static const char *types[16] = {
		[1] = "S_IFIFO", [2] = "S_IFCHR", [4] = "S_IFDIR",
		[6] = "S_IFBLK", [8] = "S_IFREG", [10] = "S_IFLNK",
		[12] = "S_IFSOCK",
	};
	const char *ty = types[(st.st_mode >> 12) & 15];
	rt_buf_printf(b, "{st_mode=%s|0%o, st_size=%ld, ...}", ty ? ty : "?",
		      (unsigned)(st.st_mode & 07777), (long)st.st_size);
}

static void put_iov(struct rt_buf *b, const void *uiov, long cnt)
{
	struct {
		void *base;
		size_t len;
	} v;
	rt_buf_put(b, "[", 1);
	for (long i = 0; i < cnt && i < 4; i++) {
		if (copy_from_user(&v, (const char *)uiov + i * 16, 16) < 0) {
			rt_buf_printf(b, "%p", uiov);
			break;
		}
		rt_buf_printf(b, "%s{iov_base=%p, iov_len=%zu}", i ? ", " : "",
			      v.base, v.len);
	}
	if (cnt > 4)
		rt_buf_put(b, ", ...", 5);
	rt_buf_put(b, "]", 1);
}

static const char *lookup(const char *const *names, size_t n, unsigned long v)
{
	return v < n ? names[v] : NULL;
}

static void put_named(struct rt_buf *b, const char *name, long v)
{
	if (name)
		rt_buf_printf(b, "%s", name);
	else
		rt_buf_printf(b, "%ld", v);
}

static const char *const clocks[] = {
	"CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
	"CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW",
	"CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",
	"CLOCK_REALTIME_ALARM", "CLOCK_BOOTTIME_ALARM", NULL, "CLOCK_TAI",
};
static const char *const whences[] = { "SEEK_SET", "SEEK_CUR", "SEEK_END",
				       "SEEK_DATA", "SEEK_HOLE" };
static const char *const fcntls[] = {
	"F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_GETLK",
	"F_SETLK", "F_SETLKW", "F_SETOWN", "F_GETOWN", "F_SETSIG", "F_GETSIG",
};
static const char *const hows[] = { "SIG_BLOCK", "SIG_UNBLOCK",
				    "SIG_SETMASK" };
static const char *const signames[] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS",
};

static void put_ioctl(struct rt_buf *b, unsigned long v)
{
	switch (v) {
	case 0x5401: rt_buf_printf(b, "TCGETS"); return;
	case 0x5402: rt_buf_printf(b, "TCSETS"); return;
	case 0x5403: rt_buf_printf(b, "TCSETSW"); return;
	case 0x5404: rt_buf_printf(b, "TCSETSF"); return;
	case 0x540f: rt_buf_printf(b, "TIOCGPGRP"); return;
	case 0x5413: rt_buf_printf(b, "TIOCGWINSZ"); return;
	case 0x5414: rt_buf_printf(b, "TIOCSWINSZ"); return;
	case 0x541b: rt_buf_printf(b, "FIONREAD"); return;
	case 0x5421: rt_buf_printf(b, "FIONBIO"); return;
	case 0x5450: rt_buf_printf(b, "FIONCLEX"); return;
	case 0x5451: rt_buf_printf(b, "FIOCLEX"); return;
	default: rt_buf_printf(b, "%#lx", v);
	}
}

static const char *const families[] = {
	"AF_UNSPEC", "AF_UNIX", "AF_INET", NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, "AF_INET6", NULL, NULL, NULL, NULL, NULL, "AF_NETLINK",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, "AF_VSOCK",
};

static void put_port(struct rt_buf *b, const unsigned char *p)
{
	rt_buf_printf(b, "htons(%u)", (unsigned)(p[0] << 8 | p[1]));
}

/* As strace shows them: the family by name, then its fields. */
static void put_sockaddr(struct rt_buf *b, const void *ua, long len)
{
	unsigned char sa[128];
	if (len < 2 || len > (long)sizeof sa ||
	    copy_from_user(sa, ua, (size_t)len) < 0) {
		rt_buf_printf(b, "%p", ua);
		return;
	}
	unsigned family = (unsigned)(sa[0] | sa[1] << 8);
	rt_buf_put(b, "{sa_family=", 11);
	put_named(b, lookup(families, RT_ARRAY_SIZE(families), family), family);
	if (family == 1) {
		rt_buf_put(b, ", sun_path=", 11);
		const char *path = (const char *)sa + 2;
		size_t n = (size_t)len - 2;
		if (n > 0 && path[0] == 0) {
			rt_buf_put(b, "@", 1); /* abstract: every byte counts */
			put_escaped(b, path + 1, n - 1);
		} else {
			put_escaped(b, path, rt_strnlen(path, n));
		}
	} else if (family == 2 && len >= 16) {
		rt_buf_put(b, ", sin_port=", 11);
		put_port(b, sa + 2);
		rt_buf_printf(b, ", sin_addr=inet_addr(\"%u.%u.%u.%u\")", sa[4],
			      sa[5], sa[6], sa[7]);
	} else if (family == 10 && len >= 24) {
		rt_buf_put(b, ", sin6_port=", 12);
		put_port(b, sa + 2);
		rt_buf_put(b, ", sin6_addr=\"", 13);
		for (int i = 0; i < 8; i++)
			rt_buf_printf(b, "%s%x", i ? ":" : "",
				      (unsigned)(sa[8 + 2 * i] << 8 | sa[9 + 2 * i]));
		rt_buf_put(b, "\"", 1);
	}
	rt_buf_put(b, "}", 1);
}

static void put_amode(struct rt_buf *b, unsigned long v)
{
	static const struct flag_name t[] = { { 4, "R_OK" }, { 2, "W_OK" },
					      { 1, "X_OK" }, { 0, 0 } };
	if (v == 0)
		rt_buf_printf(b, "F_OK");
	else
		put_flags(b, v, t);
}

static void put_arg(struct rt_buf *b, int kind, const uint64_t *a, int i,
		    long ret, bool returned)
{
	uint64_t v = a[i];
	switch (kind) {
	case A_INT: rt_buf_printf(b, "%d", (int)v); break;
	case A_UINT: rt_buf_printf(b, "%u", (unsigned)v); break;
	case A_FD: rt_buf_printf(b, "%d", (int)v); break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			rt_buf_printf(b, "AT_FDCWD");
		else
			rt_buf_printf(b, "%d", (int)v);
		break;
	case A_PATH:
	case A_STR: put_string(b, (const char *)v, 4096); break;
	case A_IBUF: put_buffer(b, (const void *)v, (long)a[i + 1]); break;
	case A_OBUF:
		if (returned && !host_is_err(ret))
			put_buffer(b, (const void *)v, ret);
		else
			rt_buf_printf(b, "%p", (void *)v);
		break;
	case A_SIZE: rt_buf_printf(b, "%lu", (unsigned long)v); break;
	case A_OFF: rt_buf_printf(b, "%ld", (long)v); break;
	case A_OFLAGS: {
		static const char *const acc[] = { "O_RDONLY", "O_WRONLY",
						   "O_RDWR", "O_ACCMODE" };
		rt_buf_printf(b, "%s", acc[v & 3]);
		if (v & ~3UL) {
			rt_buf_put(b, "|", 1);
			put_flags(b, v & ~3UL, open_flags);
		}
		break;
	}
	case A_MODE: put_mode(b, v); break;
	case A_ATFLAGS:
		if (v)
			put_flags(b, v, at_flags);
		else
			rt_buf_put(b, "0", 1);
		break;
	case A_PROT:
		if (v)
			put_flags(b, v, prot_flags);
		else
			rt_buf_printf(b, "PROT_NONE");
		break;
	case A_MFLAGS: {
		static const char *const type[] = { "0", "MAP_SHARED",
						    "MAP_PRIVATE",
						    "MAP_SHARED_VALIDATE" };
		rt_buf_printf(b, "%s", type[v & 3]);
		if (v & ~3UL) {
			rt_buf_put(b, "|", 1);
			put_flags(b, v & ~3UL, map_flags);
		}
		break;
	}
	case A_SIG:
		put_named(b, lookup(signames, RT_ARRAY_SIZE(signames), v),
			  (long)v);
		break;
	case A_WHENCE:
		put_named(b, lookup(whences, RT_ARRAY_SIZE(whences), v),
			  (long)v);
		break;
	case A_OSTAT:
		if (returned && ret == 0)
			put_stat(b, (const void *)v);
		else
			rt_buf_printf(b, "%p", (void *)v);
		break;
	case A_IOV: put_iov(b, (const void *)v, (long)a[i + 1]); break;
	case A_SOCKADDR:
		if (v)
			put_sockaddr(b, (const void *)v, (long)(int)a[i + 1]);
		else
			rt_buf_put(b, "NULL", 4);
		break;
	case A_FAMILY:
		put_named(b, lookup(families, RT_ARRAY_SIZE(families), v), (long)v);
		break;
	case A_CLOCK:
		put_named(b, lookup(clocks, RT_ARRAY_SIZE(clocks), v), (long)v);
		break;
	case A_AMODE: put_amode(b, v); break;
	case A_FCNTL:
		if (v == 1030)
			rt_buf_printf(b, "F_DUPFD_CLOEXEC");
		else
			put_named(b, lookup(fcntls, RT_ARRAY_SIZE(fcntls), v),
				  (long)v);
		break;
	case A_IOCTL: put_ioctl(b, v); break;
	case A_HOW:
		put_named(b, lookup(hows, RT_ARRAY_SIZE(hows), v), (long)v);
		break;
	case A_PTR:
		if (v)
			rt_buf_printf(b, "%p", (void *)v);
		else
			rt_buf_printf(b, "NULL");
		break;
	default: rt_buf_printf(b, "%#lx", (unsigned long)v); break;
	}
}

/* The call as "name(args)": what a line shows before its result. */
static void put_call(struct rt_buf *b, const struct sc_entry *e,
		     unsigned long nr, const struct pico_frame *f, long ret,
		     bool returned)
{
	const uint64_t a[7] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9,
				0 };

	if (e && e->name)
		rt_buf_printf(b, "%s(", e->name);
	else
		rt_buf_printf(b, "syscall_%lu(", nr);
	if (e && e->status != ST_MISSING) {
		for (int i = 0; i < 6 && e->args[i]; i++) {
			if (i)
				rt_buf_put(b, ", ", 2);
			put_arg(b, e->args[i], a, i, ret, returned);
		}
	} else {
		rt_buf_printf(b, "%#lx, %#lx, %#lx, ...", (unsigned long)a[0],
			      (unsigned long)a[1], (unsigned long)a[2]);
	}
	rt_buf_put(b, ")", 1);
}

void trace_call_text(const struct sc_entry *e, unsigned long nr,
		     const struct pico_frame *f, char *out, size_t size)
{
	struct rt_buf b;
	rt_buf_init(&b, out, size);
	put_call(&b, e, nr, f, 0, false);
}

void trace_syscall(const struct sc_entry *e, unsigned long nr,
		   const struct pico_frame *f, long ret, bool returned,
		   const char *call)
{
	char line[1024];
	struct rt_buf b;
	rt_buf_init(&b, line, sizeof line - 1);

	/* Like strace -f: lines of other processes than pid 1 say whose. */
	if (gproc()->pid != 1)
		rt_buf_printf(&b, "[pid %d] ", gproc()->pid);
	if (call)
		rt_buf_put(&b, call, rt_strlen(call));
	else
		put_call(&b, e, nr, f, ret, returned);
	if (!returned)
		rt_buf_printf(&b, " = ?");
	else if (host_is_err(ret))
		rt_buf_printf(&b, " = -1 %s (%s)", errno_name((int)-ret),
			      errno_text((int)-ret));
	else if (e && e->ret == R_HEX)
		rt_buf_printf(&b, " = %#lx", (unsigned long)ret);
	else
		rt_buf_printf(&b, " = %ld", ret);
	if (returned && (!e || e->status == ST_MISSING))
		rt_buf_printf(&b, " [not implemented]");
	line[b.len++] = '\n';
	host_write(popts.trace_fd, line, b.len);
}
