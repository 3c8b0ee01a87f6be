/* picos as an OCI runtime: the command line podman (through conmon) and
 * containerd's runc shim call, after runc's.
 *
 * A container is one `picos run` world.  `create` forks the container's
 * process, which waits at a FIFO in the state directory until `start`
 * opens it, then runs the world: the process the engine waits for (the
 * pid in --pid-file) is the picos command itself, whose exit status is
 * the guest pid 1's.  The state directory ($root/ID) holds state.json
 * (bundle, pid and its start time, creation time), the FIFO while the
 * container is created, and a link to the world's scratch area (its
 * TMPDIR, on disk: $TMPDIR or /var/tmp, not the /run tmpfs the state
 * lives in), so that `delete` removes what a killed world left. */
#include "oci.h"
#include <picos/world.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* --- global options and messages ------------------------------------ */

static const char *state_root;
static const char *log_path;
static bool log_json;
static bool debug;

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!log_path) {
		fprintf(stderr, "picos: %s\n", msg);
		return;
	}
	/* the engines read the log to tell the user why a call failed:
	 * runc's line shape, one JSON object per line with --log-format json */
	FILE *f = fopen(log_path, "ae");
	if (f) {
		char when[64];
		time_t t = time(NULL);
		struct tm tm;
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		if (log_json) {
			fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
			json_write_str(f, msg);
			fprintf(f, ",\"time\":\"%s\"}\n", when);
		} else {
			fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
		}
		fclose(f);
	}
	if (strcmp(level, "error") == 0)
		fprintf(stderr, "picos: %s\n", msg);
}

void oci_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

void oci_warn(const char *fmt, ...)
{
	if (!debug && !log_path)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("warning", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2))) static void oci_debug(const char *fmt, ...)
{
	if (!debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("debug", fmt, ap);
	va_end(ap);
}

/* "--name=value" or "--name value" (also "-n value" for a short name). */
static bool take(int argc, char **argv, int *i, const char *name,
		 const char *shortname, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (!strncmp(a, name, n) && a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (strcmp(a, name) && !(shortname && !strcmp(a, shortname)))
		return false;
	*val = *i + 1 < argc ? argv[++*i] : NULL;
	return true;
}

/* The global flags runc has that mean nothing to picos: the ones taking
 * a value, then the switches.  Accepted so engines can pass them. */
static const char *const ignored_with_value[] = {
	"--cgroup-manager", "--rootless", "--criu",
};
static const char *const ignored_switches[] = {
	"--systemd-cgroup", "--no-pivot", "--no-new-keyring",
};

static bool is_ignored_global(int argc, char **argv, int *i)
{
	const char *v;
	for (size_t k = 0; k < sizeof ignored_with_value / sizeof *ignored_with_value; k++)
		if (take(argc, argv, i, ignored_with_value[k], NULL, &v))
			return true;
	for (size_t k = 0; k < sizeof ignored_switches / sizeof *ignored_switches; k++)
		if (!strcmp(argv[*i], ignored_switches[k]))
			return true;
	return false;
}

/* runc's choice: /run for root, the user's runtime directory otherwise
 * (or, without one, a directory of the user's own in /tmp). */
static const char *default_root(void)
{
	static char buf[PATH_MAX];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() == 0)
		return "/run/picos";
	if (xdg && *xdg)
		snprintf(buf, sizeof buf, "%s/picos", xdg);
	else
		snprintf(buf, sizeof buf, "/tmp/picos-oci-%u", (unsigned)geteuid());
	return buf;
}

/* --- the state directory --------------------------------------------- */

static bool valid_id(const char *id)
{
	if (!id || !*id || id[0] == '.' || strlen(id) > 1024)
		return false;
	for (const char *p = id; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

static void state_path(char *out, size_t size, const char *id, const char *file)
{
	snprintf(out, size, "%s/%s%s%s", state_root, id, file ? "/" : "", file ? file : "");
}

struct container {
	char id[1100];
	char *bundle;
	char created[40];
	pid_t pid;
	unsigned long long starttime; /* the pid's, to tell it from a reuse */
	const char *status;           /* "created", "running", "stopped" */
};

/* /proc/PID/stat read into buf, and where its fields after the name
 * begin (the name may hold spaces and parentheses); NULL on failure. */
char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return strrchr(buf, ')');
}

/* Field 22 of /proc/PID/stat, and whether the process is a zombie. */
static int proc_starttime(pid_t pid, unsigned long long *start, bool *zombie)
{
	char buf[1024];
	char *p = proc_stat_fields(pid, buf, sizeof buf);
	if (!p)
		return -1;
	char state;
	if (sscanf(p + 1, " %c", &state) != 1)
		return -1;
	*zombie = state == 'Z' || state == 'X';
	/* after ')': state is field 3; starttime is field 22 */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

static bool container_alive(const struct container *c)
{
	unsigned long long st;
	bool zombie;
	return c->pid > 0 && proc_starttime(c->pid, &st, &zombie) == 0 && !zombie &&
	       st == c->starttime;
}

static int write_state(const char *id, const char *bundle, pid_t pid,
		       unsigned long long start, const char *created)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	state_path(path, sizeof path, id, "state.json");
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f, "{\"bundle\":");
	json_write_str(f, bundle);
	fprintf(f, ",\"pid\":%d,\"starttime\":%llu,\"created\":\"%s\"}\n", pid, start,
		created);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -1;
	return 0;
}

/* Loads container `id`; -1 with the error said when there is none. */
static int load_container(const char *id, struct container *c)
{
	memset(c, 0, sizeof *c);
	if (!valid_id(id)) {
		oci_error("invalid container id '%s'", id ? id : "");
		return -1;
	}
	snprintf(c->id, sizeof c->id, "%s", id);
	char path[PATH_MAX], err[256];
	state_path(path, sizeof path, id, "state.json");
	struct json *s = json_parse_file(path, err, sizeof err);
	if (!s) {
		oci_error("container %s does not exist", id);
		return -1;
	}
	long long pid = 0, start = 0;
	json_int(json_get(s, "pid"), 0, INT_MAX, &pid);
	json_int(json_get(s, "starttime"), 0, LLONG_MAX, &start);
	c->pid = (pid_t)pid;
	c->starttime = (unsigned long long)start;
	const char *b = json_get_str(s, "bundle"), *cr = json_get_str(s, "created");
	c->bundle = strdup(b ? b : "");
	snprintf(c->created, sizeof c->created, "%s", cr ? cr : "");
	json_free(s);
	state_path(path, sizeof path, id, "start.fifo");
	if (!container_alive(c))
		c->status = "stopped";
	else if (access(path, F_OK) == 0)
		c->status = "created";
	else
		c->status = "running";
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_DNR && chmod(path, 0700) == 0)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	else if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_state(const char *id)
{
	char path[PATH_MAX], scratch[PATH_MAX];
	state_path(path, sizeof path, id, "scratch");
	ssize_t n = readlink(path, scratch, sizeof scratch - 1);
	if (n > 0) {
		scratch[n] = 0;
		nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
	state_path(path, sizeof path, id, NULL);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The container's scratch area: a fresh directory on disk, linked from
 * the state directory as "scratch"; its path in out. */
static int make_scratch(const char *id, char *out, size_t size)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/var/tmp";
	snprintf(out, size, "%s/picos-oci-%.64s-XXXXXX", base, id);
	char link[PATH_MAX];
	state_path(link, sizeof link, id, "scratch");
	if (!mkdtemp(out) || symlink(out, link) < 0) {
		oci_error("cannot make a scratch directory in %s: %s", base, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* --- create ---------------------------------------------------------- */

/* runc's console socket protocol: the pty master as SCM_RIGHTS over a
 * connection to the engine's unix socket. */
static int send_console(const char *sock_path, int master)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(sock_path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, sock_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		close(s);
		return -1;
	}
	char name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof name - 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof master);
	ssize_t r = sendmsg(s, &m, MSG_NOSIGNAL);
	close(s);
	return r < 0 ? -1 : 0;
}

/* A pty whose master goes to the engine; the slave's path in `slave`. */
static int make_console(const char *sock_path, const struct oci_spec *s,
			char *slave, size_t size)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, slave, size) != 0) {
		oci_error("cannot make a pty: %s", strerror(errno));
		return -1;
	}
	if (s->rows && s->cols) {
		struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (send_console(sock_path, master) < 0) {
		oci_error("cannot send the pty to console socket %s: %s", sock_path,
			  strerror(errno));
		close(master);
		return -1;
	}
	close(master);
	return 0;
}

/* In the container's process: the pty slave as its stdio and controlling
 * terminal (it leads a session of its own). */
static int take_console(const char *slave)
{
	int fd = open(slave, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -1;
	if (fd > 2)
		close(fd);
	return 0;
}

static void apply_process_limits(const struct oci_spec *s)
{
	for (int i = 0; i < s->nrlimits; i++)
		if (setrlimit((__rlimit_resource_t)s->rlimits[i].resource,
			      &s->rlimits[i].lim) < 0)
			oci_warn("rlimit %d: %s", s->rlimits[i].resource, strerror(errno));
	if (s->umask >= 0)
		umask((mode_t)s->umask);
	if (s->oom_given) {
		FILE *f = fopen("/proc/self/oom_score_adj", "we");
		if (f) {
			fprintf(f, "%d\n", s->oom_score_adj);
			fclose(f);
		}
	}
}

/* A unix socket at $STATE/ID/exec.sock, named through the directory's
 * fd (/proc/self/fd/N/exec.sock): an engine's state root can be longer
 * than sun_path allows. */
static int exec_sock_addr(const char *id, struct sockaddr_un *a, int *dfd)
{
	char dir[PATH_MAX];
	state_path(dir, sizeof dir, id, NULL);
	*dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return -1;
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "/proc/self/fd/%d/exec.sock", *dfd);
	return 0;
}

/* The socket `picos exec` reaches the running world by (oci_exec.c);
 * the world's exec door serves it.  0 when it cannot be made (exec
 * then says the container takes none). */
static int exec_listen(const char *id)
{
	struct sockaddr_un a;
	int dfd, s = -1;
	if (exec_sock_addr(id, &a, &dfd) < 0)
		return 0;
	unlink(a.sun_path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(s, 64) < 0) {
		oci_warn("exec socket of %s: %s", id, strerror(errno));
		if (s >= 0)
			close(s);
		s = 0;
	}
	close(dfd);
	return s;
}

/* The container's process until start: waits at the FIFO (opening it
 * for writing blocks until `start` opens it for reading), then becomes
 * the picos command running the world. */
static void container_process(struct oci_spec *s, const char *id,
			      const char *slave, const char *scratch, int ready_fd)
{
	setsid();
	if (slave && take_console(slave) < 0) {
		oci_error("cannot take the pty %s: %s", slave, strerror(errno));
		_exit(1);
	}
	/* the world's scratch area (its private /tmp): delete removes it
	 * whatever became of the world */
	char fifo[PATH_MAX];
	state_path(fifo, sizeof fifo, id, "start.fifo");
	setenv("TMPDIR", scratch, 1);
	if (chdir("/") < 0)
		_exit(1);
	apply_process_limits(s);
	close(ready_fd); /* create may now exit */
	/* Nothing of the engine's but stdio stays open in the container
	 * (a pipe it waits on to see EOF, say), as runc closes them; a
	 * world passes its guest only its stdio anyway. */
	close_range(3, ~0U, 0);
	s->run.exec_sock = exec_listen(id);
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);
	if (write(fd, "s", 1) != 1)
		_exit(1);
	close(fd);
	signal(SIGPIPE, SIG_DFL);
	_exit(run_world(&s->run));
}

static int write_pid_file(const char *path, pid_t pid)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.picos-new", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f, "%d", pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void now_rfc3339(char *out, size_t size)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%09dZ", (int)(ts.tv_nsec % 1000000000));
}

/* Options of create (and run's, which are the same) that picos takes. */
struct create_opts {
	const char *bundle, *console, *pid_file, *id;
};

static int parse_create(int argc, char **argv, struct create_opts *c)
{
	memset(c, 0, sizeof *c);
	c->bundle = ".";
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if (take(argc, argv, &i, "--bundle", "-b", &v))
			c->bundle = v;
		else if (take(argc, argv, &i, "--console-socket", NULL, &v))
			c->console = v;
		else if (take(argc, argv, &i, "--pid-file", NULL, &v))
			c->pid_file = v;
		else if (take(argc, argv, &i, "--preserve-fds", NULL, &v) ||
			 take(argc, argv, &i, "--pidfd-socket", NULL, &v)) {
			/* extra fds for the container: a world's guest gets
			 * its stdio only (documented) */
		} else if (!strcmp(argv[i], "--no-pivot") ||
			   !strcmp(argv[i], "--no-new-keyring") ||
			   !strcmp(argv[i], "--detach") || !strcmp(argv[i], "-d")) {
			continue;
		} else if (argv[i][0] == '-') {
			oci_error("create: unknown option %s", argv[i]);
			return -1;
		} else if (!c->id) {
			c->id = argv[i];
			continue;
		} else {
			oci_error("create: one container id only");
			return -1;
		}
		if (!v) {
			oci_error("create: %s needs a value", argv[i]);
			return -1;
		}
	}
	if (!valid_id(c->id)) {
		oci_error("create: a container id is needed ([A-Za-z0-9_.-], got '%s')",
			  c->id ? c->id : "");
		return -1;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct create_opts co;
	if (parse_create(argc, argv, &co) < 0)
		return 1;
	char bundle[PATH_MAX];
	if (!realpath(co.bundle, bundle)) {
		oci_error("bundle %s: %s", co.bundle, strerror(errno));
		return 1;
	}
	struct oci_spec s;
	if (oci_spec_load(bundle, &s) < 0)
		return 1;
	if (s.terminal && !co.console) {
		oci_error("process.terminal is set: --console-socket is needed");
		return 1;
	}
	char dir[PATH_MAX], fifo[PATH_MAX];
	state_path(dir, sizeof dir, co.id, NULL);
	if (make_dirs(state_root, 0700) < 0) {
		oci_error("cannot make state directory %s: %s", state_root, strerror(errno));
		return 1;
	}
	if (mkdir(dir, 0700) < 0) {
		oci_error(errno == EEXIST ? "container %s already exists"
					  : "cannot make the container's state directory %s",
			  errno == EEXIST ? co.id : dir);
		return 1;
	}
	state_path(fifo, sizeof fifo, co.id, "start.fifo");
	char slave[128], scratch[PATH_MAX];
	if (make_scratch(co.id, scratch, sizeof scratch) < 0) {
		remove_state(co.id);
		return 1;
	}
	if (mkfifo(fifo, 0600) < 0) {
		oci_error("cannot create container %s: %s", co.id, strerror(errno));
		remove_state(co.id);
		return 1;
	}
	if (oci_spec_copy_files(&s) < 0 ||
	    (s.terminal && make_console(co.console, &s, slave, sizeof slave) < 0)) {
		remove_state(co.id); /* (said why) */
		return 1;
	}
	/* create returns once the container's process has its terminal
	 * and limits: the engine may then read its pid and start it. */
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		oci_error("pipe: %s", strerror(errno));
		remove_state(co.id);
		return 1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		oci_error("fork: %s", strerror(errno));
		remove_state(co.id);
		return 1;
	}
	if (pid == 0) {
		close(ready[0]);
		container_process(&s, co.id, s.terminal ? slave : NULL, scratch, ready[1]);
	}
	close(ready[1]);
	char c;
	while (read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	unsigned long long start = 0;
	bool zombie = false;
	char created[40];
	now_rfc3339(created, sizeof created);
	if (proc_starttime(pid, &start, &zombie) < 0 || zombie ||
	    write_state(co.id, bundle, pid, start, created) < 0 ||
	    (co.pid_file && write_pid_file(co.pid_file, pid) < 0)) {
		oci_error("cannot record container %s: %s", co.id, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		remove_state(co.id);
		return 1;
	}
	oci_debug("created %s: pid %d", co.id, pid);
	return 0;
}

/* --- start, state, kill, delete, ps ---------------------------------- */

static const char *one_id(int argc, char **argv, const char *cmd)
{
	if (argc != 1 || argv[0][0] == '-') {
		oci_error("%s wants one container id", cmd);
		return NULL;
	}
	return argv[0];
}

static int cmd_start(int argc, char **argv)
{
	const char *id = one_id(argc, argv, "start");
	struct container c;
	if (!id || load_container(id, &c) < 0)
		return 1;
	if (strcmp(c.status, "created")) {
		oci_error("cannot start a container that is %s", c.status);
		return 1;
	}
	char fifo[PATH_MAX];
	state_path(fifo, sizeof fifo, id, "start.fifo");
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		oci_error("cannot start container %s: %s", id, strerror(errno));
		return 1;
	}
	/* The container's process writes one byte once it is let go; it
	 * may die instead (killed while created). */
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 200);
		char b;
		if (r > 0 && read(fd, &b, 1) == 1)
			break;
		if (!container_alive(&c)) {
			oci_error("container %s ended before it started", id);
			close(fd);
			return 1;
		}
	}
	close(fd);
	unlink(fifo);
	return 0;
}

/* The config's annotations, copied as they are. */
static void write_annotations(FILE *f, const char *bundle)
{
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof path, "%s/config.json", bundle);
	struct json *cfg = json_parse_file(path, err, sizeof err);
	const struct json *a = json_get(cfg, "annotations");
	fputs("{", f);
	for (size_t i = 0; a && a->type == JSON_OBJECT && i < a->n; i++) {
		if (a->items[i]->type != JSON_STRING)
			continue;
		fputs(i ? "," : "", f);
		json_write_str(f, a->keys[i]);
		fputc(':', f);
		json_write_str(f, a->items[i]->string);
	}
	fputs("}", f);
	json_free(cfg);
}

static int cmd_state(int argc, char **argv)
{
	const char *id = one_id(argc, argv, "state");
	struct container c;
	if (!id || load_container(id, &c) < 0)
		return 1;
	bool live = strcmp(c.status, "stopped") != 0;
	printf("{\n  \"ociVersion\": \"%s\",\n  \"id\": ", OCI_VERSION);
	json_write_str(stdout, c.id);
	printf(",\n  \"status\": \"%s\",\n  \"pid\": %d,\n  \"bundle\": ", c.status,
	       live ? c.pid : 0);
	json_write_str(stdout, c.bundle);
	printf(",\n  \"created\": \"%s\",\n  \"annotations\": ", c.created);
	write_annotations(stdout, c.bundle);
	printf("\n}\n");
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* "TERM", "SIGTERM", "term" or "15" (and RTMIN+N). */
static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (!*end && end != s)
		return n > 0 && n <= SIGRTMAX ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	if (!strncasecmp(s, "RTMIN+", 6)) {
		n = strtol(s + 6, &end, 10);
		if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	return -1;
}

/* The container's process and every process below it (the world's
 * init and pico processes), from /proc's children lists. */
static int descendants(pid_t pid, pid_t *out, int max)
{
	int n = 0;
	out[n++] = pid;
	for (int i = 0; i < n && n < max; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", out[i], out[i]);
		FILE *f = fopen(path, "re");
		int child;
		while (f && n < max && fscanf(f, "%d", &child) == 1)
			out[n++] = child;
		if (f)
			fclose(f);
	}
	return n;
}

static int cmd_kill(int argc, char **argv)
{
	bool all = false;
	const char *id = NULL, *signame = "TERM";
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			all = true;
		else if (argv[i][0] == '-' && argv[i][1]) {
			oci_error("kill: unknown option %s", argv[i]);
			return 1;
		} else if (npos++ == 0)
			id = argv[i];
		else if (npos == 2)
			signame = argv[i];
		else {
			oci_error("kill wants ID [SIGNAL]");
			return 1;
		}
	}
	int sig = parse_signal(signame);
	if (!id || sig < 0) {
		oci_error(id ? "kill: unknown signal %s" : "kill wants ID [SIGNAL]%s",
			  id ? signame : "");
		return 1;
	}
	struct container c;
	if (load_container(id, &c) < 0)
		return 1;
	if (!strcmp(c.status, "stopped")) {
		oci_error("container not running");
		return 1;
	}
	/* The signal goes to the picos command, which relays SIGTERM and
	 * SIGHUP to the guest's pid 1 (a second one ends the world); a
	 * SIGKILL ends the whole world with it.  --all: every process of
	 * the world gets it from the host. */
	if (kill(c.pid, sig) < 0) {
		oci_error("kill %d: %s", c.pid, strerror(errno));
		return 1;
	}
	if (all) {
		pid_t pids[4200];
		int n = descendants(c.pid, pids, 4200);
		for (int i = 1; i < n; i++)
			kill(pids[i], sig);
	}
	return 0;
}

static bool wait_stopped(struct container *c, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (!container_alive(c))
			return true;
		usleep(20000);
	}
	return !container_alive(c);
}

static int cmd_delete(int argc, char **argv)
{
	bool force = false;
	const char *id = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = true;
		else if (argv[i][0] == '-') {
			oci_error("delete: unknown option %s", argv[i]);
			return 1;
		} else if (!id)
			id = argv[i];
		else {
			oci_error("delete wants one container id");
			return 1;
		}
	}
	struct container c;
	if (!id || load_container(id, &c) < 0) {
		if (!id)
			oci_error("delete wants one container id");
		return 1;
	}
	if (!strcmp(c.status, "running") && !force) {
		oci_error("cannot delete container %s that is running (use --force)", id);
		return 1;
	}
	/* a created container, never started, goes as runc's does */
	if (strcmp(c.status, "stopped")) {
		kill(c.pid, SIGKILL);
		if (!wait_stopped(&c, 10000)) {
			oci_error("container %s did not end", id);
			return 1;
		}
	}
	remove_state(id);
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	bool json = false;
	const char *id = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (take(argc, argv, &i, "--format", "-f", &v)) {
			if (!v || (strcmp(v, "json") && strcmp(v, "table"))) {
				oci_error("ps: --format wants table or json");
				return 1;
			}
			json = !strcmp(v, "json");
		} else if (argv[i][0] == '-') {
			oci_error("ps: unknown option %s", argv[i]);
			return 1;
		} else if (!id) {
			id = argv[i];
		} /* ps arguments after the id: not supported, ignored */
	}
	struct container c;
	if (!id || load_container(id, &c) < 0) {
		if (!id)
			oci_error("ps wants a container id");
		return 1;
	}
	pid_t pids[4200];
	int n = strcmp(c.status, "stopped") ? descendants(c.pid, pids, 4200) : 0;
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		printf("]\n");
		return 0;
	}
	printf("%8s %s\n", "PID", "CMD");
	for (int i = 0; i < n; i++) {
		char path[64], comm[64] = "?";
		snprintf(path, sizeof path, "/proc/%d/comm", pids[i]);
		FILE *f = fopen(path, "re");
		if (f && fgets(comm, sizeof comm, f))
			comm[strcspn(comm, "\n")] = 0;
		if (f)
			fclose(f);
		printf("%8d %s\n", pids[i], comm);
	}
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	(void)argc, (void)argv;
	DIR *d = opendir(state_root);
	printf("%-20s %-8s %-8s %s\n", "ID", "PID", "STATUS", "BUNDLE");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct container c;
		if (!valid_id(e->d_name))
			continue;
		char path[PATH_MAX];
		state_path(path, sizeof path, e->d_name, "state.json");
		if (access(path, F_OK) || load_container(e->d_name, &c) < 0)
			continue;
		printf("%-20s %-8d %-8s %s\n", c.id, c.pid, c.status, c.bundle);
	}
	if (d)
		closedir(d);
	return 0;
}

static int cmd_features(void)
{
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"%s\",\n"
	       "  \"hooks\": [],\n"
	       "  \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\", \"size\"],\n"
	       "  \"linux\": {\n    \"namespaces\": [],\n    \"capabilities\": [",
	       OCI_VERSION);
	for (int c = 0; c < oci_ncap_names; c++)
		printf("%s\"%s\"", c ? ", " : "", oci_cap_names[c]);
	printf("],\n    \"cgroup\": {\"v1\": false, \"v2\": false, \"systemd\": false, "
	       "\"systemdUser\": false},\n"
	       "    \"seccomp\": {\"enabled\": false},\n"
	       "    \"apparmor\": {\"enabled\": false},\n"
	       "    \"selinux\": {\"enabled\": false}\n  },\n"
	       "  \"annotations\": {\n"
	       "    \"org.opencontainers.runc.version\": \"picos %s\",\n"
	       "    \"%s\": \"loopback|none|host\",\n"
	       "    \"%s\": \"1-%d\",\n    \"%s\": \"auto|on|off\"\n  }\n}\n",
	       PICOS_VERSION, OCI_ANNOTATION_NET, OCI_ANNOTATION_MAX_PROCS,
	       PICOS_MAX_TASKS, OCI_ANNOTATION_NS);
	return 0;
}

/* --- exec ------------------------------------------------------------ */

/* `exec`'s options (runc's). */
struct exec_opts {
	const char *process, *pid_file, *console, *cwd, *user, *id;
	bool tty, detach;
	const char **env;
	int nenv;
	char **args;
	int nargs;
};

static int parse_exec(int argc, char **argv, struct exec_opts *e)
{
	memset(e, 0, sizeof *e);
	e->env = calloc((size_t)argc + 1, sizeof *e->env);
	int i;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *v = NULL;
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (take(argc, argv, &i, "--process", "-p", &v))
			e->process = v;
		else if (take(argc, argv, &i, "--pid-file", NULL, &v))
			e->pid_file = v;
		else if (take(argc, argv, &i, "--console-socket", NULL, &v))
			e->console = v;
		else if (take(argc, argv, &i, "--cwd", NULL, &v))
			e->cwd = v;
		else if (take(argc, argv, &i, "--user", "-u", &v))
			e->user = v;
		else if (take(argc, argv, &i, "--env", "-e", &v))
			e->env[e->nenv++] = v;
		else if (take(argc, argv, &i, "--process-label", NULL, &v) ||
			 take(argc, argv, &i, "--apparmor", NULL, &v) ||
			 take(argc, argv, &i, "--cap", "-c", &v) ||
			 take(argc, argv, &i, "--preserve-fds", NULL, &v) ||
			 take(argc, argv, &i, "--cgroup", NULL, &v) ||
			 take(argc, argv, &i, "--additional-gids", "-g", &v)) {
			/* LSM labels, cgroups and extra fds mean nothing to a
			 * world; a capability added to an exec is not given */
		} else if (!strcmp(argv[i], "--tty") || !strcmp(argv[i], "-t")) {
			e->tty = true;
			continue;
		} else if (!strcmp(argv[i], "--detach") || !strcmp(argv[i], "-d")) {
			e->detach = true;
			continue;
		} else if (!strcmp(argv[i], "--no-new-privs")) {
			continue;
		} else {
			oci_error("exec: unknown option %s", argv[i]);
			return -1;
		}
		if (!v) {
			oci_error("exec: %s needs a value", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		oci_error("exec wants a container id");
		return -1;
	}
	e->id = argv[i++];
	e->args = argv + i;
	e->nargs = argc - i;
	if (!e->process && e->nargs == 0) {
		oci_error("exec wants --process FILE or a command");
		return -1;
	}
	return 0;
}

/* The command line's settings over the config's process. */
static int exec_overrides(const struct exec_opts *e, struct oci_spec *s)
{
	if (e->nargs) {
		s->run.argv = e->args;
		s->run.argc = e->nargs;
	}
	if (e->cwd) {
		if (e->cwd[0] != '/') {
			oci_error("exec: --cwd wants an absolute path");
			return -1;
		}
		s->run.cwd = e->cwd;
	}
	if (e->nenv) {
		char **env = calloc((size_t)(s->run.nenv_set + e->nenv + 1), sizeof *env);
		memcpy(env, s->run.env_set, sizeof *env * (size_t)s->run.nenv_set);
		for (int k = 0; k < e->nenv; k++) {
			if (!strchr(e->env[k], '=')) {
				oci_error("exec: --env wants K=V, got '%s'", e->env[k]);
				return -1;
			}
			env[s->run.nenv_set + k] = (char *)e->env[k];
		}
		s->run.env_set = env;
		s->run.nenv_set += e->nenv;
	}
	if (e->user) {
		char *end;
		long uid = strtol(e->user, &end, 10), gid = 0;
		if (*end == ':')
			gid = strtol(end + 1, &end, 10);
		if (*end || uid < 0 || gid < 0) {
			oci_error("exec: --user wants UID[:GID], got '%s'", e->user);
			return -1;
		}
		s->run.uid = uid;
		s->run.gid = gid;
	}
	if (e->tty)
		s->terminal = true;
	return 0;
}

/* The request for the world's exec door (oci_exec.c): "PX1", then one
 * field per setting, a type byte and a NUL-terminated string. */
struct reqbuf {
	char *p;
	size_t len, cap;
	bool over;
};

static void req_put(struct reqbuf *b, char type, const char *v)
{
	size_t n = strlen(v) + 2;
	if (b->len + n > b->cap) {
		b->over = true;
		return;
	}
	b->p[b->len] = type;
	memcpy(b->p + b->len + 1, v, n - 1);
	b->len += n;
}

/* The process's supplementary groups (guest gids), one field of
 * comma-separated numbers: empty for none. */
static void req_put_groups(struct reqbuf *b, const struct run_opts *r)
{
	size_t cap = (size_t)r->ngroups * 11 + 1;
	char *list = malloc(cap), *p = list;
	if (!list) {
		b->over = true;
		return;
	}
	*p = 0;
	for (int i = 0; i < r->ngroups; i++)
		p += snprintf(p, cap - (size_t)(p - list), "%s%u", i ? "," : "",
			      r->groups[i]);
	req_put(b, 'G', list);
	free(list);
}

static void req_build(struct reqbuf *b, const struct oci_spec *s, bool tty)
{
	memcpy(b->p, "PX1", 4);
	b->len = 4;
	for (int i = 0; i < s->run.argc; i++)
		req_put(b, 'a', s->run.argv[i]);
	for (int i = 0; i < s->run.nenv_set; i++)
		req_put(b, 'e', s->run.env_set[i]);
	char num[32];
	if (s->run.cwd)
		req_put(b, 'c', s->run.cwd);
	if (s->run.uid >= 0) {
		snprintf(num, sizeof num, "%ld", s->run.uid);
		req_put(b, 'u', num);
	}
	if (s->run.gid >= 0) {
		snprintf(num, sizeof num, "%ld", s->run.gid);
		req_put(b, 'g', num);
	}
	if (s->run.cap_bset_given) {
		snprintf(num, sizeof num, "%llx", (unsigned long long)s->run.cap_bset);
		req_put(b, 'b', num);
	}
	if (s->run.caps_given) {
		char sets[80];
		snprintf(sets, sizeof sets, "%llx:%llx:%llx:%llx",
			 (unsigned long long)s->run.cap_eff,
			 (unsigned long long)s->run.cap_prm,
			 (unsigned long long)s->run.cap_inh,
			 (unsigned long long)s->run.cap_amb);
		req_put(b, 'C', sets);
	}
	if (s->run.groups_given)
		req_put_groups(b, &s->run);
	for (int i = 0; i < s->nrlimits; i++) {
		char rl[80];
		snprintf(rl, sizeof rl, "%d:%llu:%llu", s->rlimits[i].resource,
			 (unsigned long long)s->rlimits[i].lim.rlim_cur,
			 (unsigned long long)s->rlimits[i].lim.rlim_max);
		req_put(b, 'r', rl);
	}
	if (s->umask >= 0) {
		snprintf(num, sizeof num, "%o", s->umask);
		req_put(b, 'm', num);
	}
	if (tty)
		req_put(b, 't', "");
}

/* Sends the request with the process's stdio (three fds) and waits for
 * the door's "p<pid>"; the connection, or -1 with the error said. */
/* The door answers at once (it clones and replies); a world still
 * starting up takes a moment to have one.  The container's process
 * holds the listening socket for the world's life, so a door that is
 * gone (a guest may kill it) still takes the connection: the wait for
 * its answer is bounded, and ends early when the container is gone. */
#define EXEC_ANSWER_S 30

static bool exec_answered(int conn, const struct container *ct)
{
	for (int i = 0; i < EXEC_ANSWER_S * 10; i++) {
		struct pollfd p = { conn, POLLIN, 0 };
		if (poll(&p, 1, 100) > 0)
			return true;
		if (i % 10 == 9 && !container_alive(ct))
			return false;
	}
	return false;
}

static int exec_request(const struct container *ct, const struct oci_spec *s,
			bool tty, const int *stdio)
{
	const char *id = ct->id;
	struct sockaddr_un a;
	int dfd;
	if (exec_sock_addr(id, &a, &dfd) < 0) {
		oci_error("container %s: %s", id, strerror(errno));
		return -1;
	}
	int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
		oci_error("container %s takes no exec (%s)", id, strerror(errno));
		close(dfd);
		if (c >= 0)
			close(c);
		return -1;
	}
	close(dfd);
	static char buf[128 * 1024];
	struct reqbuf b = { buf, 0, sizeof buf, false };
	req_build(&b, s, tty);
	if (b.over) {
		oci_error("exec: the process's arguments and environment are too long");
		close(c);
		return -1;
	}
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { buf, b.len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(h), stdio, 3 * sizeof(int));
	char r[512];
	ssize_t n;
	errno = 0;
	if (sendmsg(c, &m, MSG_NOSIGNAL) < 0 || !exec_answered(c, ct) ||
	    (n = recv(c, r, sizeof r - 1, 0)) <= 0) {
		oci_error("exec: the container's world did not answer%s%s",
			  errno ? ": " : "", errno ? strerror(errno) : "");
		close(c);
		return -1;
	}
	r[n] = 0;
	if (r[0] != 'p') {
		oci_error("%s", r[0] == 'e' ? r + 1 : "exec: a bad answer from the world");
		close(c);
		return -1;
	}
	oci_debug("exec in %s: host pid %s", id, r + 1);
	return c;
}

/* Signals to `picos exec` go to the process, as runc forwards them. */
static const int exec_relayed[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1,
				    SIGUSR2 };
static volatile sig_atomic_t exec_pending[65];

static void exec_on_signal(int sig)
{
	exec_pending[sig] = 1;
}

/* Waits for the door's "s<wait status>" and returns runc's exit status
 * for it (the code, or 128+N for signal N).  A connection that ends
 * without one: the world ended and took the process with it (SIGKILL). */
static int exec_wait(int c)
{
	struct sigaction sa = { .sa_handler = exec_on_signal }; /* no SA_RESTART */
	for (size_t i = 0; i < sizeof exec_relayed / sizeof exec_relayed[0]; i++)
		sigaction(exec_relayed[i], &sa, NULL);
	for (;;) {
		for (int sig = 1; sig < 65; sig++)
			if (exec_pending[sig]) {
				exec_pending[sig] = 0;
				char k[16];
				int n = snprintf(k, sizeof k, "k%d", sig);
				send(c, k, (size_t)n, MSG_NOSIGNAL);
			}
		char r[64];
		ssize_t n = recv(c, r, sizeof r - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			oci_debug("exec: the world ended");
			return 128 + SIGKILL;
		}
		r[n] = 0;
		if (r[0] != 's')
			continue;
		int ws = atoi(r + 1);
		return WIFEXITED(ws) ? WEXITSTATUS(ws)
		       : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws)
					 : 1;
	}
}

/* `exec` adds a process to the container's running world through its
 * exec door (oci_exec.c): a pico process of that world, with the
 * exec's settings and stdio (a pty sent to --console-socket with
 * --tty), whose exit status is ours.  --detach: a child of ours waits
 * for it (the pid in --pid-file, which the engine reaps as subreaper)
 * and we return once it runs. */
static int cmd_exec(int argc, char **argv)
{
	struct exec_opts e;
	struct container c;
	if (parse_exec(argc, argv, &e) < 0 || load_container(e.id, &c) < 0)
		return 1;
	if (strcmp(c.status, "running")) {
		oci_error("cannot exec in a container that is %s", c.status);
		return 1;
	}
	struct oci_spec s;
	if (oci_spec_load(c.bundle, &s) < 0)
		return 1;
	if (e.process) {
		char err[256];
		struct json *p = json_parse_file(e.process, err, sizeof err);
		if (!p) {
			oci_error("cannot read %s: %s", e.process, err);
			return 1;
		}
		s.run.uid = s.run.gid = -1;
		s.nrlimits = 0;
		s.umask = -1;
		s.run.cap_bset_given = s.run.caps_given = false;
		s.run.cwd = NULL;
		if (oci_spec_process(p, &s) < 0)
			return 1;
	}
	if (exec_overrides(&e, &s) < 0)
		return 1;
	if (s.terminal && !e.console && !e.detach) {
		/* the caller's own terminal, as it is: it cannot become
		 * the process's controlling terminal */
		s.terminal = false;
	} else if (s.terminal && !e.console) {
		oci_error("exec: a detached terminal needs --console-socket");
		return 1;
	}
	int stdio[3] = { 0, 1, 2 };
	if (s.terminal) {
		char slave[128];
		if (make_console(e.console, &s, slave, sizeof slave) < 0)
			return 1;
		int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			oci_error("cannot open the pty %s: %s", slave, strerror(errno));
			return 1;
		}
		stdio[0] = stdio[1] = stdio[2] = fd;
	}
	int conn = exec_request(&c, &s, s.terminal, stdio);
	if (s.terminal)
		close(stdio[0]);
	if (conn < 0)
		return 1;
	if (!e.detach) {
		if (e.pid_file && write_pid_file(e.pid_file, getpid()) < 0) {
			oci_error("cannot write %s: %s", e.pid_file, strerror(errno));
			return 1; /* (the process runs on, as a detached one) */
		}
		return exec_wait(conn);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		oci_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setsid();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; null >= 0 && i < 3; i++)
			dup2(null, i);
		_exit(exec_wait(conn));
	}
	close(conn);
	if (e.pid_file && write_pid_file(e.pid_file, pid) < 0) {
		oci_error("cannot write %s: %s", e.pid_file, strerror(errno));
		return 1;
	}
	return 0;
}

/* --- the command line ------------------------------------------------ */

static int cmd_features_args(int argc, char **argv)
{
	(void)argc, (void)argv;
	return cmd_features();
}

/* The runtime commands: what oci_is_command knows and oci_main runs. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create }, { "start", cmd_start }, { "state", cmd_state },
	{ "kill", cmd_kill },	  { "delete", cmd_delete }, { "exec", cmd_exec },
	{ "features", cmd_features_args }, { "ps", cmd_ps }, { "list", cmd_list },
};

bool oci_is_command(const char *arg)
{
	if (arg[0] == '-' && strcmp(arg, "--help") && strcmp(arg, "-h") &&
	    strcmp(arg, "--version") && strcmp(arg, "-v"))
		return true; /* a global option: only the runtime commands have them */
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(arg, commands[i].name))
			return true;
	return false;
}

int oci_main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v = NULL;
		if (take(argc, argv, &i, "--root", NULL, &v))
			state_root = v;
		else if (take(argc, argv, &i, "--log", NULL, &v))
			log_path = v;
		else if (take(argc, argv, &i, "--log-format", NULL, &v)) {
			if (v && strcmp(v, "json") && strcmp(v, "text")) {
				fprintf(stderr, "picos: --log-format wants json or text\n");
				return 1;
			}
			log_json = v && !strcmp(v, "json");
		} else if (!strcmp(argv[i], "--debug")) {
			debug = true;
			continue;
		} else if (is_ignored_global(argc, argv, &i)) {
			continue;
		} else {
			fprintf(stderr, "picos: unknown global option %s (try 'picos help')\n",
				argv[i]);
			return 1;
		}
		if (!v || !*v) {
			fprintf(stderr, "picos: %s needs a value\n", argv[i]);
			return 1;
		}
	}
	if (!state_root)
		state_root = default_root();
	if (i >= argc) {
		fprintf(stderr, "picos: no command (try 'picos help')\n");
		return 1;
	}
	const char *cmd = argv[i];
	int n = argc - i - 1;
	char **rest = argv + i + 1;
	if (debug) {
		char line[2048] = "";
		for (int k = 0; k < argc; k++) {
			size_t l = strlen(line);
			snprintf(line + l, sizeof line - l, "%s%s", k ? " " : "", argv[k]);
		}
		oci_debug("called: %s", line);
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(n, rest);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("picos version %s\nspec: %s\n", PICOS_VERSION, OCI_VERSION);
		return 0;
	}
	fprintf(stderr, "picos: unknown command '%s' (try 'picos help')\n", cmd);
	return 1;
}
