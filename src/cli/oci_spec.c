/* An OCI bundle's config.json mapped onto a world: what each part of
 * the runtime spec becomes in `picos run`'s terms, or why it is refused
 * or ignored (docs/oci.md has the table). */
#include "oci.h"
#include <picos/world.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *const oci_cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
const int oci_ncap_names = sizeof oci_cap_names / sizeof oci_cap_names[0];

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static bool is_type(const struct json *v, enum json_type t)
{
	return v && v->type == t;
}

/* An array of strings as a NULL-terminated vector (pointing into v). */
static char **string_vector(const struct json *v, const char *what, int *n)
{
	if (!is_type(v, JSON_ARRAY)) {
		oci_error("config: %s must be an array of strings", what);
		return NULL;
	}
	char **out = calloc(v->n + 1, sizeof *out);
	for (size_t i = 0; out && i < v->n; i++) {
		if (!is_type(v->items[i], JSON_STRING)) {
			oci_error("config: %s must be an array of strings", what);
			free(out);
			return NULL;
		}
		out[i] = v->items[i]->string;
	}
	*n = (int)v->n;
	return out;
}

static int map_user(const struct json *user, struct oci_spec *s)
{
	long long id;
	if (!user)
		return 0;
	if (json_get(user, "username")) {
		oci_error("config: process.user.username is for Windows; give uid and gid");
		return -1;
	}
	if (json_get(user, "uid")) {
		if (!json_int(json_get(user, "uid"), 0, 0xfffffffeLL, &id)) {
			oci_error("config: process.user.uid must be a number");
			return -1;
		}
		s->run.uid = id;
	}
	if (json_get(user, "gid")) {
		if (!json_int(json_get(user, "gid"), 0, 0xfffffffeLL, &id)) {
			oci_error("config: process.user.gid must be a number");
			return -1;
		}
		s->run.gid = id;
	}
	if (json_get(user, "umask")) {
		if (!json_int(json_get(user, "umask"), 0, 0777, &id)) {
			oci_error("config: process.user.umask must be 0 to 0777");
			return -1;
		}
		s->umask = (int)id;
	}
	/* The groups the guest starts with are the config's, never the
	 * caller's (the engine's): an empty list when it names none. */
	const struct json *g = json_get(user, "additionalGids");
	uint32_t *groups = calloc(g ? g->n + 1 : 1, sizeof *groups);
	s->run.groups = groups;
	s->run.groups_given = true;
	s->run.ngroups = 0;
	if (!g)
		return 0;
	if (!is_type(g, JSON_ARRAY) || g->n > 65536) {
		oci_error("config: process.user.additionalGids must be an array");
		return -1;
	}
	for (size_t i = 0; i < g->n; i++) {
		if (!json_int(g->items[i], 0, 0xfffffffeLL, &id)) {
			oci_error("config: process.user.additionalGids: not a gid");
			return -1;
		}
		groups[s->run.ngroups++] = (uint32_t)id;
	}
	return 0;
}

static int cap_number(const char *name)
{
	for (int c = 0; c < oci_ncap_names; c++)
		if (!strcasecmp(name, oci_cap_names[c]))
			return c;
	return -1;
}

/* One of process.capabilities' lists as a set.  A name Linux does not
 * know is logged and left out, as the runtime spec asks and runc does;
 * a list that is no array of strings is an error (runc's config would
 * not parse). */
static int cap_list(const struct json *caps, const char *set, uint64_t *out)
{
	const struct json *l = json_get(caps, set);
	*out = 0;
	if (!l)
		return 0;
	if (!is_type(l, JSON_ARRAY)) {
		oci_error("config: process.capabilities.%s must be an array of names", set);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (!is_type(l->items[i], JSON_STRING)) {
			oci_error("config: process.capabilities.%s must be an array of names",
				  set);
			return -1;
		}
		int c = cap_number(l->items[i]->string);
		if (c < 0) {
			oci_warn("config: unknown capability %s ignored",
				 l->items[i]->string);
			continue;
		}
		*out |= 1ULL << c;
	}
	return 0;
}

/* The first capability of `extra` (a nonempty set), for the error. */
static const char *first_cap(uint64_t extra)
{
	return oci_cap_names[__builtin_ctzll(extra)];
}

/* The guest's sets are the ones runc would give the container process:
 * runc narrows the bounding set, sets effective, permitted and
 * inheritable with capset(2), raises the ambient ones, then execs the
 * program; the provider does the same steps (PCFG_CAPS, caps_init).
 * What capset refuses (runc then fails to start the container) is an
 * error here; an ambient capability not also permitted and inheritable
 * is left out with a warning, as runc does. */
static int map_capabilities(const struct json *caps, struct oci_spec *s)
{
	/* No capabilities object: the guest's sets are picos's default. */
	if (!caps || caps->type == JSON_NULL)
		return 0;
	if (!is_type(caps, JSON_OBJECT)) {
		oci_error("config: process.capabilities must be an object");
		return -1;
	}
	struct run_opts *r = &s->run;
	/* a list left out is empty (podman's --cap-drop all drops them) */
	if (cap_list(caps, "bounding", &r->cap_bset) < 0 ||
	    cap_list(caps, "effective", &r->cap_eff) < 0 ||
	    cap_list(caps, "permitted", &r->cap_prm) < 0 ||
	    cap_list(caps, "inheritable", &r->cap_inh) < 0 ||
	    cap_list(caps, "ambient", &r->cap_amb) < 0)
		return -1;
	r->cap_bset_given = r->caps_given = true;
	if (r->cap_eff & ~r->cap_prm) {
		oci_error("config: process.capabilities: effective %s is not permitted",
			  first_cap(r->cap_eff & ~r->cap_prm));
		return -1;
	}
	/* capset: no inheritable capability outside the bounding set (the
	 * runtime's own inheritable set is empty) */
	if (r->cap_inh & ~r->cap_bset) {
		oci_error("config: process.capabilities: inheritable %s is not in the bounding set",
			  first_cap(r->cap_inh & ~r->cap_bset));
		return -1;
	}
	uint64_t amb_ok = r->cap_prm & r->cap_inh;
	if (r->cap_amb & ~amb_ok) {
		oci_warn("config: ambient %s ignored: not both permitted and inheritable",
			 first_cap(r->cap_amb & ~amb_ok));
		r->cap_amb &= amb_ok;
	}
	return 0;
}

static int map_rlimits(const struct json *rl, struct oci_spec *s)
{
	if (!rl)
		return 0;
	if (!is_type(rl, JSON_ARRAY) || rl->n > OCI_MAX_RLIMITS) {
		oci_error("config: process.rlimits must be an array of at most %d",
			  OCI_MAX_RLIMITS);
		return -1;
	}
	for (size_t i = 0; i < rl->n; i++) {
		const char *type = json_get_str(rl->items[i], "type");
		int res = -1;
		for (size_t k = 0; type && k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
			if (!strcmp(type, rlimit_names[k].name))
				res = rlimit_names[k].resource;
		if (res < 0) {
			oci_error("config: process.rlimits: unknown type %s",
				  type ? type : "(none)");
			return -1;
		}
		struct rlimit lim;
		const char *which[] = { "soft", "hard" };
		for (int k = 0; k < 2; k++) {
			const struct json *v = json_get(rl->items[i], which[k]);
			long long n;
			rlim_t *out = k ? &lim.rlim_max : &lim.rlim_cur;
			if (is_type(v, JSON_NUMBER) && v->number >= 0x1p63)
				*out = RLIM_INFINITY; /* 2^64-1: "unlimited" */
			else if (json_int(v, 0, LLONG_MAX, &n))
				*out = (rlim_t)n;
			else {
				oci_error("config: process.rlimits %s: bad %s", type,
					  which[k]);
				return -1;
			}
		}
		s->rlimits[s->nrlimits].resource = res;
		s->rlimits[s->nrlimits++].lim = lim;
	}
	return 0;
}

int oci_spec_process(const struct json *p, struct oci_spec *s)
{
	if (!is_type(p, JSON_OBJECT)) {
		oci_error("config: no process object");
		return -1;
	}
	int n = 0;
	s->run.argv = string_vector(json_get(p, "args"), "process.args", &n);
	if (!s->run.argv)
		return -1;
	if (n == 0 || !s->run.argv[0][0]) {
		oci_error("config: process.args is empty");
		return -1;
	}
	s->run.argc = n;
	/* The environment is the config's alone, never the engine's. */
	s->run.clear_env = true;
	const struct json *env = json_get(p, "env");
	if (env) {
		s->run.env_set = string_vector(env, "process.env", &n);
		if (!s->run.env_set)
			return -1;
		s->run.nenv_set = n;
		for (int i = 0; i < n; i++)
			if (!strchr(s->run.env_set[i], '=') || s->run.env_set[i][0] == '=') {
				oci_error("config: process.env: '%s' is not K=V",
					  s->run.env_set[i]);
				return -1;
			}
	} else {
		s->run.env_set = calloc(1, sizeof *s->run.env_set);
		s->run.nenv_set = 0;
	}
	const char *cwd = json_get_str(p, "cwd");
	if (json_get(p, "cwd") && (!cwd || cwd[0] != '/')) {
		oci_error("config: process.cwd must be an absolute path");
		return -1;
	}
	s->run.cwd = cwd ? cwd : "/";
	const struct json *t = json_get(p, "terminal");
	s->terminal = is_type(t, JSON_BOOL) && t->boolean;
	const struct json *cs = json_get(p, "consoleSize");
	long long h, w;
	if (cs && json_int(json_get(cs, "height"), 0, 65535, &h) &&
	    json_int(json_get(cs, "width"), 0, 65535, &w)) {
		s->rows = (unsigned short)h;
		s->cols = (unsigned short)w;
	}
	if (map_user(json_get(p, "user"), s) < 0 ||
	    map_rlimits(json_get(p, "rlimits"), s) < 0 ||
	    map_capabilities(json_get(p, "capabilities"), s) < 0)
		return -1;
	long long oom;
	if (json_int(json_get(p, "oomScoreAdj"), -1000, 1000, &oom)) {
		s->oom_given = true;
		s->oom_score_adj = (int)oom;
	}
	/* noNewPrivileges: every world runs with no_new_privs set, asked
	 * or not; apparmorProfile and selinuxLabel: no LSM profile is
	 * applied (docs/oci.md). */
	return 0;
}

static bool has_option(const struct json *opts, const char *name)
{
	for (size_t i = 0; is_type(opts, JSON_ARRAY) && i < opts->n; i++)
		if (is_type(opts->items[i], JSON_STRING) &&
		    !strcmp(opts->items[i]->string, name))
			return true;
	return false;
}

/* tmpfs's size=N[k|m|g] option, 0 when absent. */
static unsigned long long tmpfs_size(const struct json *opts)
{
	for (size_t i = 0; is_type(opts, JSON_ARRAY) && i < opts->n; i++) {
		const char *o = is_type(opts->items[i], JSON_STRING) ? opts->items[i]->string : "";
		if (strncmp(o, "size=", 5))
			continue;
		char *end;
		unsigned long long v = strtoull(o + 5, &end, 10);
		int shift = *end == 'k' ? 10 : *end == 'm' ? 20 : *end == 'g' ? 30 : 0;
		return v << shift;
	}
	return 0;
}

/* Mount destinations the world always has of its own: /proc, /dev (with
 * its pts, shm and mqueue) and /sys (with its cgroup tree). */
static bool world_own(const char *dst)
{
	static const char *const own[] = {
		"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
		"/sys/fs/cgroup",
	};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (!strcmp(dst, own[i]))
			return true;
	return false;
}

static int map_bind(const char *src, const char *dst, const struct json *opts,
		    struct oci_spec *s)
{
	struct stat st;
	if (!src || stat(src, &st) < 0) {
		oci_error("config: mount %s: source %s: %s", dst, src ? src : "(none)",
			  src ? strerror(errno) : "missing");
		return -1;
	}
	bool ro = has_option(opts, "ro");
	struct run_opts *o = &s->run;
	if (S_ISDIR(st.st_mode)) {
		o->binds[o->nbinds++] = (struct bind){ (char *)src, (char *)dst, ro, false };
	} else if (S_ISSOCK(st.st_mode)) {
		o->sockets[o->nsockets++] = (struct bind){ (char *)src, (char *)dst, false, false };
	} else if (S_ISREG(st.st_mode)) {
		if (s->nfiles == (int)(sizeof s->files / sizeof s->files[0])) {
			oci_error("config: too many file mounts");
			return -1;
		}
		s->files[s->nfiles].src = src;
		s->files[s->nfiles++].dst = dst;
	} else {
		/* device nodes: the world's /dev has its fixed set */
		oci_warn("config: mount of %s at %s ignored: only directories, "
			 "files and sockets can be bound", src, dst);
	}
	return 0;
}

static int map_mount(const struct json *m, struct oci_spec *s)
{
	const char *dst = json_get_str(m, "destination");
	const char *type = json_get_str(m, "type");
	const char *src = json_get_str(m, "source");
	const struct json *opts = json_get(m, "options");
	if (!dst || dst[0] != '/') {
		oci_error("config: a mount's destination must be an absolute path");
		return -1;
	}
	bool bind = has_option(opts, "bind") || has_option(opts, "rbind") ||
		    (type && !strcmp(type, "bind"));
	if (world_own(dst))
		return 0; /* the world's own /proc, /dev, /sys... */
	if (bind)
		return map_bind(src, dst, opts, s);
	if (!type) {
		oci_error("config: mount %s has no type", dst);
		return -1;
	}
	struct run_opts *o = &s->run;
	if (!strcmp(type, "tmpfs")) {
		if (!strcmp(dst, "/")) {
			oci_error("config: a tmpfs cannot be the root");
			return -1;
		}
		o->tmpfs[o->ntmpfs].dst = dst;
		o->tmpfs[o->ntmpfs++].size = tmpfs_size(opts);
		return 0;
	}
	if (!strcmp(type, "proc")) {
		o->procs[o->nprocs++] = dst;
		return 0;
	}
	if (!strcmp(type, "sysfs") || !strcmp(type, "devpts") ||
	    !strcmp(type, "mqueue") || !strcmp(type, "cgroup") ||
	    !strcmp(type, "cgroup2")) {
		oci_warn("config: %s mount at %s ignored: the world has its own "
			 "at its usual place only", type, dst);
		return 0;
	}
	oci_error("config: mount %s: type %s is not supported by picos", dst, type);
	return -1;
}

static int map_mounts(const struct json *mounts, struct oci_spec *s)
{
	size_t n = is_type(mounts, JSON_ARRAY) ? mounts->n : 0;
	if (mounts && !is_type(mounts, JSON_ARRAY)) {
		oci_error("config: mounts must be an array");
		return -1;
	}
	struct run_opts *o = &s->run;
	o->binds = calloc(n + 1, sizeof *o->binds);
	o->sockets = calloc(n + 1, sizeof *o->sockets);
	o->tmpfs = calloc(n + 1, sizeof *o->tmpfs);
	o->procs = calloc(n + 1, sizeof *o->procs);
	o->devs = calloc(n + 2, sizeof *o->devs);
	o->overlays = calloc(1, sizeof *o->overlays);
	/* The world's /dev (its allowed nodes, its own devpts, the
	 * terminal as /dev/console) at the container's /dev, as runc
	 * makes one whatever the image holds there. */
	o->devs[o->ndevs++] = "/dev";
	for (size_t i = 0; i < n; i++)
		if (map_mount(mounts->items[i], s) < 0)
			return -1;
	return 0;
}

static int map_annotations(const struct json *a, struct oci_spec *s)
{
	const char *net = json_get_str(a, OCI_ANNOTATION_NET);
	const char *procs = json_get_str(a, OCI_ANNOTATION_MAX_PROCS);
	const char *ns = json_get_str(a, OCI_ANNOTATION_NS);
	if (net && (s->run.net = parse_net_mode(net)) < 0) {
		oci_error("config: annotation %s wants loopback, none or host",
			  OCI_ANNOTATION_NET);
		return -1;
	}
	if (procs) {
		char *end;
		long v = strtol(procs, &end, 10);
		if (*end || end == procs || v < 1 || v > PICOS_MAX_TASKS) {
			oci_error("config: annotation %s wants 1 to %d",
				  OCI_ANNOTATION_MAX_PROCS, PICOS_MAX_TASKS);
			return -1;
		}
		s->run.max_procs = (int)v;
	}
	if (ns && (s->run.ns = parse_ns_mode(ns)) < 0) {
		oci_error("config: annotation %s wants auto, on or off",
			  OCI_ANNOTATION_NS);
		return -1;
	}
	return 0;
}

/* linux.resources.pids.limit is the world's process limit (the one
 * resource a world bounds itself); the rest of the cgroup settings are
 * not applied. */
static void map_pids_limit(const struct json *linux_, struct oci_spec *s)
{
	long long lim;
	const struct json *pids = json_get(json_get(linux_, "resources"), "pids");
	if (s->run.max_procs == 0 && json_int(json_get(pids, "limit"), 1, LLONG_MAX, &lim))
		s->run.max_procs = lim > PICOS_MAX_TASKS ? PICOS_MAX_TASKS : (int)lim;
}

static bool non_empty(const struct json *v)
{
	return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) && v->n > 0;
}

/* Hooks are programs the runtime would run on the host at points of the
 * container's life: picos runs none, so a config that has any is refused
 * rather than run without them. */
static int refuse_hooks(const struct json *hooks)
{
	for (size_t i = 0; is_type(hooks, JSON_OBJECT) && i < hooks->n; i++)
		if (non_empty(hooks->items[i])) {
			oci_error("config: hooks (%s) are not supported by picos",
				  hooks->keys[i]);
			return -1;
		}
	return 0;
}

static char *root_path(const char *bundle, const char *path)
{
	char *joined = NULL;
	if (path[0] == '/')
		joined = strdup(path);
	else if (asprintf(&joined, "%s/%s", bundle, path) < 0)
		joined = NULL;
	char *real = joined ? realpath(joined, NULL) : NULL;
	if (!real)
		oci_error("config: root.path %s: %s", joined ? joined : path,
			  strerror(errno));
	free(joined);
	return real;
}

int oci_spec_load(const char *bundle, struct oci_spec *s)
{
	memset(s, 0, sizeof *s);
	s->run.uid = s->run.gid = -1;
	s->umask = -1;
	s->run.no_term_grace = true; /* the engine's stop timeout decides */
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof path, "%s/config.json", bundle);
	s->config = json_parse_file(path, err, sizeof err);
	if (!s->config) {
		oci_error("cannot read %s: %s", path, err);
		return -1;
	}
	const struct json *c = s->config;
	const char *ver = json_get_str(c, "ociVersion");
	if (!ver || strncmp(ver, "1.", 2)) {
		oci_error("config: ociVersion %s is not a 1.x version", ver ? ver : "(none)");
		return -1;
	}
	const char *root = json_get_str(json_get(c, "root"), "path");
	if (!root) {
		oci_error("config: no root.path");
		return -1;
	}
	if (!(s->run.root = root_path(bundle, root)))
		return -1;
	const struct json *ro = json_get(json_get(c, "root"), "readonly");
	s->run.root_ro = is_type(ro, JSON_BOOL) && ro->boolean;
	const char *host = json_get_str(c, "hostname");
	if (host && *host) {
		if (strlen(host) > 64) {
			oci_error("config: hostname longer than 64 characters");
			return -1;
		}
		s->run.hostname = host;
	}
	/* the container's network is the world's loopback unless an
	 * annotation says otherwise (docs/oci.md) */
	s->run.net = NET_OPT_LOOPBACK;
	if (refuse_hooks(json_get(c, "hooks")) < 0 ||
	    oci_spec_process(json_get(c, "process"), s) < 0 ||
	    map_mounts(json_get(c, "mounts"), s) < 0 ||
	    map_annotations(json_get(c, "annotations"), s) < 0)
		return -1;
	map_pids_limit(json_get(c, "linux"), s);
	return 0;
}

/* Opens `path` beneath the root fd, never leaving it ("/" and ".." stay
 * in it, symlinks resolve inside it): a config's destinations are the
 * image's paths, which the image may have made symlinks to host files. */
static int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .mode = mode,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Makes the missing directories of `path` (beneath root) on the way. */
static int make_dirs_in_root(int rootfd, const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
		if (fd < 0) {
			char *slash = strrchr(buf, '/');
			*slash = 0;
			int parent = open_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 0);
			*slash = '/';
			if (parent < 0 || mkdirat(parent, slash + 1, 0755) < 0) {
				if (parent >= 0)
					close(parent);
				return -1;
			}
			close(parent);
		} else {
			close(fd);
		}
		if (!c)
			return 0;
		*p = c;
	}
}

static int copy_file(int rootfd, const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", dst);
	*strrchr(dir, '/') = 0;
	if (dir[0] && make_dirs_in_root(rootfd, dir) < 0) {
		close(in);
		return -1;
	}
	int out = open_in_root(rootfd, dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int r = 0;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -1;
			break;
		}
	close(in);
	close(out);
	return n < 0 ? -1 : r;
}

/* A world binds directories; a container's file mounts (/etc/hosts,
 * /etc/resolv.conf, /etc/hostname and the like) are copied into its
 * root instead, when the root is writable.  Bind mounts' destinations
 * are made there too, as runc makes its mount points. */
int oci_spec_copy_files(const struct oci_spec *s)
{
	if (s->run.root_ro) {
		if (s->nfiles)
			oci_warn("config: file mounts ignored: the root is read-only");
		return 0;
	}
	int rootfd = open(s->run.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		oci_error("cannot open root %s: %s", s->run.root, strerror(errno));
		return -1;
	}
	for (int i = 0; i < s->nfiles; i++)
		if (copy_file(rootfd, s->files[i].src, s->files[i].dst) < 0)
			oci_warn("file mount %s at %s: %s", s->files[i].src,
				 s->files[i].dst, strerror(errno));
	static const char *const system_dirs[] = { "/dev", "/proc", "/sys", "/tmp" };
	for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++)
		make_dirs_in_root(rootfd, system_dirs[i]);
	for (int i = 0; i < s->run.nprocs; i++)
		make_dirs_in_root(rootfd, s->run.procs[i]);
	for (int i = 0; i < s->run.nbinds; i++)
		if (make_dirs_in_root(rootfd, s->run.binds[i].dst) < 0)
			oci_warn("mount point %s: %s", s->run.binds[i].dst,
				 strerror(errno));
	for (int i = 0; i < s->run.ntmpfs; i++)
		if (make_dirs_in_root(rootfd, s->run.tmpfs[i].dst) < 0)
			oci_warn("mount point %s: %s", s->run.tmpfs[i].dst,
				 strerror(errno));
	close(rootfd);
	return 0;
}
