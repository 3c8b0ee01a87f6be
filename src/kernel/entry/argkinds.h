/* Argument and return kinds named by the syscall table (syscalls.def).
 * The tracer decodes arguments by these; the coverage generator only needs
 * the names.  Plain enum: shared by the provider and hosted tools. */
#ifndef PICOS_ARGKINDS_H
#define PICOS_ARGKINDS_H

enum sc_status { ST_FULL, ST_PARTIAL, ST_MISSING };
/* The lock class of a call (syscalls.def): what the dispatcher takes. */
enum sc_lock { LOCK_BIG, LOCK_FD, LOCK_MM, LOCK_NONE };

enum arg_kind {
	_ = 0,	   /* no argument */
	A_INT,	   /* signed decimal */
	A_UINT,	   /* unsigned decimal */
	A_HEX,	   /* hexadecimal */
	A_PTR,	   /* pointer: NULL or 0x... */
	A_FD,	   /* file descriptor */
	A_DIRFD,   /* dirfd: AT_FDCWD or a number */
	A_PATH,	   /* input string (path) */
	A_STR,	   /* input string */
	A_IBUF,	   /* input buffer, length in the next argument */
	A_OBUF,	   /* output buffer, length is the return value */
	A_SIZE,	   /* size_t */
	A_OFF,	   /* off_t */
	A_OFLAGS,  /* open flags */
	A_MODE,	   /* file mode, octal */
	A_ATFLAGS, /* AT_* flags */
	A_PROT,	   /* PROT_* */
	A_MFLAGS,  /* MAP_* */
	A_SIG,	   /* signal number */
	A_WHENCE,  /* SEEK_* */
	A_OSTAT,   /* struct stat out */
	A_IOV,	   /* struct iovec array, count in the next argument */
	A_CLOCK,   /* clock id */
	A_AMODE,   /* access mode F_OK/R_OK/W_OK/X_OK */
	A_FCNTL,   /* fcntl command */
	A_IOCTL,   /* ioctl request */
	A_HOW,	   /* sigprocmask how */
	A_ARGV,	   /* string array */
	A_SOCKADDR, /* input socket address, length in the next argument */
	A_FAMILY,  /* address family AF_* */
	A_KIND_COUNT
};

enum ret_kind {
	R_INT,	/* decimal or -1 ERRNO */
	R_HEX,	/* address or -1 ERRNO */
	R_NONE, /* does not return (exit) */
};

#endif
