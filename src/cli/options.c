/* Options of `picos run`. */
#include "picos.h"
#include <picos/world.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "picos: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (try 'picos help')\n");
	va_end(ap);
	return -1;
}

static int parse_id(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 0xfffffffeL)
		return -1;
	*out = v;
	return 0;
}

static int parse_bind(const char *arg, struct bind *b)
{
	char *s = strdup(arg);
	char *colon = strchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return -1;
	*colon = 0;
	b->src = s;
	b->dst = colon + 1;
	b->ro = false;
	char *opt = strchr(b->dst, ':');
	if (opt) {
		*opt = 0;
		if (strcmp(opt + 1, "ro") == 0)
			b->ro = true;
		else if (strcmp(opt + 1, "rw") != 0)
			return -1;
	}
	if (b->dst[0] != '/')
		return -1;
	return 0;
}

/* LOWER:UPPER[:DST], DST "/" when left out. */
static int parse_overlay(const char *arg, struct overlay_opt *ov)
{
	char *s = strdup(arg);
	char *c1 = strchr(s, ':');
	if (!c1 || c1 == s || !c1[1] || c1[1] == ':')
		return -1;
	*c1 = 0;
	char *c2 = strchr(c1 + 1, ':');
	if (c2)
		*c2 = 0;
	ov->lower = s;
	ov->upper = c1 + 1;
	ov->dst = c2 ? c2 + 1 : "/";
	ov->work = NULL;
	return ov->dst[0] == '/' && !strchr(ov->dst, ':') ? 0 : -1;
}

/* BYTES with an optional k, m or g (powers of 1024), as tmpfs's size=. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift)
		end++;
	if (errno || end == s || *end || s[0] == '-' || v == 0 ||
	    v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Takes the value of "--name=value" or "--name value". */
static const char *value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* "--name" or "--name=VALUE": the value is optional, so it is only ever
 * the part after "=" ("--name X" is --name, then the program X).  1 for
 * either (*val set to VALUE if given), 0 for another option, -1 for an
 * empty VALUE. */
static int optional_value(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0 || (arg[n] && arg[n] != '='))
		return 0;
	if (arg[n] == '=') {
		*val = arg + n + 1;
		if (!**val)
			return -1;
	}
	return 1;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

int parse_net_mode(const char *v)
{
	if (!strcmp(v, "loopback"))
		return NET_OPT_LOOPBACK;
	if (!strcmp(v, "host"))
		return NET_OPT_HOST;
	if (!strcmp(v, "none"))
		return NET_OPT_NONE;
	return -1;
}

int parse_ns_mode(const char *v)
{
	if (!strcmp(v, "auto"))
		return NS_OPT_AUTO;
	if (!strcmp(v, "on"))
		return NS_OPT_ON;
	if (!strcmp(v, "off"))
		return NS_OPT_OFF;
	return -1;
}

int parse_run_options(int argc, char **argv, struct run_opts *o)
{
	memset(o, 0, sizeof *o);
	o->uid = o->gid = -1;
	o->binds = calloc((size_t)argc + 1, sizeof *o->binds);
	o->sockets = calloc((size_t)argc + 1, sizeof *o->sockets);
	o->tmpfs = calloc((size_t)argc + 1, sizeof *o->tmpfs);
	o->procs = calloc((size_t)argc + 1, sizeof *o->procs);
	o->devs = calloc((size_t)argc + 1, sizeof *o->devs);
	o->overlays = calloc((size_t)argc + 1, sizeof *o->overlays);
	o->env_set = calloc((size_t)argc + 1, sizeof *o->env_set);
	/* --size/--tmpfs-size BYTES waiting for the --tmpfs it sizes */
	unsigned long long size = 0;
	int i;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		int r;
		if (size && !is_opt(a, "--tmpfs"))
			return bad("--size must be followed by --tmpfs, not '%s'", a);
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (is_opt(a, "--root")) {
			if (!(v = value(argc, argv, &i, "--root")))
				return bad("%s needs a directory", a);
			o->root = v;
		} else if (is_opt(a, "--bind")) {
			if (!(v = value(argc, argv, &i, "--bind")) ||
			    parse_bind(v, &o->binds[o->nbinds]) < 0)
				return bad("--bind wants SRC:DST[:ro] with an "
					   "absolute DST, got '%s'",
					   v ? v : "");
			o->nbinds++;
		} else if (!strcmp(a, "--ro-bind") || !strcmp(a, "--dev-bind")) {
			/* bubblewrap's spelling: two arguments */
			struct bind *b = &o->binds[o->nbinds];
			if (i + 2 >= argc || !argv[i + 1][0] || argv[i + 2][0] != '/')
				return bad("%s wants SRC DST with an absolute DST", a);
			b->src = argv[i + 1];
			b->dst = argv[i + 2];
			b->ro = !strcmp(a, "--ro-bind");
			b->dev = !b->ro;
			i += 2;
			o->nbinds++;
		} else if (is_opt(a, "--proc") || is_opt(a, "--dev")) {
			const char *name = is_opt(a, "--proc") ? "--proc" : "--dev";
			if (!(v = value(argc, argv, &i, name)) || v[0] != '/')
				return bad("%s wants an absolute directory, got '%s'",
					   name, v ? v : "");
			if (name[2] == 'p')
				o->procs[o->nprocs++] = v;
			else
				o->devs[o->ndevs++] = v;
		} else if (is_opt(a, "--tmpfs")) {
			if (!(v = value(argc, argv, &i, "--tmpfs")) || v[0] != '/' ||
			    !strcmp(v, "/"))
				return bad("--tmpfs wants an absolute directory other "
					   "than /, got '%s'", v ? v : "");
			o->tmpfs[o->ntmpfs].dst = v;
			o->tmpfs[o->ntmpfs++].size = size;
			size = 0;
		} else if (is_opt(a, "--tmpfs-size") || is_opt(a, "--size")) {
			const char *name = is_opt(a, "--size") ? "--size" : "--tmpfs-size";
			if (!(v = value(argc, argv, &i, name)) || parse_size(v, &size) < 0)
				return bad("--size wants a number of bytes above 0 "
					   "(k, m or g after it: KiB, MiB, GiB), got '%s'",
					   v ? v : "");
		} else if (is_opt(a, "--overlay")) {
			struct overlay_opt *ov = &o->overlays[o->noverlays];
			if (!(v = value(argc, argv, &i, "--overlay")) ||
			    parse_overlay(v, ov) < 0)
				return bad("--overlay wants LOWER:UPPER[:DST] with an "
					   "absolute DST, got '%s'", v ? v : "");
			o->noverlays++;
		} else if (is_opt(a, "--bind-socket")) {
			struct bind *b = &o->sockets[o->nsockets];
			if (!(v = value(argc, argv, &i, "--bind-socket")) ||
			    parse_bind(v, b) < 0 || b->ro)
				return bad("--bind-socket wants HOSTPATH:GUESTPATH "
					   "with an absolute GUESTPATH, got '%s'",
					   v ? v : "");
			o->nsockets++;
		} else if (is_opt(a, "--cwd")) {
			if (!(v = value(argc, argv, &i, "--cwd")) || v[0] != '/')
				return bad("--cwd wants an absolute guest directory, "
					   "got '%s'", v ? v : "");
			o->cwd = v;
		} else if (is_opt(a, "--env")) {
			if (!(v = value(argc, argv, &i, "--env")) ||
			    !strchr(v, '=') || v[0] == '=')
				return bad("--env wants K=V, got '%s'", v ? v : "");
			o->env_set[o->nenv_set++] = (char *)v;
		} else if ((r = optional_value(a, "--home", &o->home_dir))) {
			if (r < 0)
				return bad("--home= needs a directory%s", "");
			o->home = true;
		} else if (!strcmp(a, "--clear-env")) {
			o->clear_env = true;
		} else if (is_opt(a, "--uid")) {
			if (!(v = value(argc, argv, &i, "--uid")) ||
			    parse_id(v, &o->uid) < 0)
				return bad("--uid wants a number, got '%s'", v ? v : "");
		} else if (is_opt(a, "--gid")) {
			if (!(v = value(argc, argv, &i, "--gid")) ||
			    parse_id(v, &o->gid) < 0)
				return bad("--gid wants a number, got '%s'", v ? v : "");
		} else if (is_opt(a, "--hostname")) {
			if (!(v = value(argc, argv, &i, "--hostname")) || !*v ||
			    strlen(v) > 64)
				return bad("--hostname wants 1 to 64 characters%s", "");
			o->hostname = v;
		} else if ((r = optional_value(a, "--trace", &o->trace_file))) {
			if (r < 0)
				return bad("--trace= needs a file name%s", "");
			o->trace = true;
		} else if (is_opt(a, "--max-procs")) {
			long n;
			if (!(v = value(argc, argv, &i, "--max-procs")) ||
			    parse_id(v, &n) < 0 || n < 1 || n > PICOS_MAX_TASKS)
				return bad("--max-procs wants 1 to 4096, got '%s'",
					   v ? v : "");
			o->max_procs = (int)n;
		} else if (is_opt(a, "--net")) {
			if (!(v = value(argc, argv, &i, "--net")))
				return bad("--net wants loopback, host or none%s", "");
			if ((o->net = parse_net_mode(v)) < 0)
				return bad("--net wants loopback, host or none, got '%s'", v);
		} else if (is_opt(a, "--ns")) {
			if (!(v = value(argc, argv, &i, "--ns")))
				return bad("--ns wants auto, on or off%s", "");
			if ((o->ns = parse_ns_mode(v)) < 0)
				return bad("--ns wants auto, on or off, got '%s'", v);
		} else if (!strcmp(a, "--stats")) {
			o->stats = true;
		} else if (!strcmp(a, "--no-patch")) {
			o->no_patch = true;
		} else if (!strcmp(a, "--no-dcache")) {
			o->no_dcache = true;
		} else if (!strcmp(a, "--wait-all")) {
			o->wait_all = true;
		} else {
			return bad("unknown option '%s'", a);
		}
	}
	for (int k = 0; k < o->noverlays; k++)
		if (o->root && !strcmp(o->overlays[k].dst, "/"))
			return bad("--root and an --overlay on / both name the "
				   "guest's /%s", "");
	if (i >= argc)
		return bad("no program to run%s", "");
	o->argv = argv + i;
	o->argc = argc - i;
	return 0;
}
