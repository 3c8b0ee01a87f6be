/* The picos command (hosted C). */
#ifndef PICOS_CLI_H
#define PICOS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PICOS_VERSION "0.1.0"

struct bind {
	char *src, *dst;
	bool ro;
};

enum { NET_OPT_LOOPBACK, NET_OPT_HOST, NET_OPT_NONE };

struct run_opts {
	const char *root; /* NULL: the host's / (read-only) */
	struct bind *binds;
	int nbinds;
	struct bind *sockets; /* --bind-socket HOSTPATH:GUESTPATH */
	int nsockets;
	const char *cwd;
	char **env_set; /* K=V from --env */
	int nenv_set;
	bool clear_env;
	long uid, gid; /* -1: the host's */
	const char *hostname;
	bool trace;
	const char *trace_file; /* NULL: stderr */
	bool stats;
	int max_procs; /* 0: PICOS_DEFAULT_MAX_PROCS */
	int net;       /* NET_OPT_*: the network policy */
	char **argv; /* the guest program and its arguments */
	int argc;
};

/* options.c */
int parse_run_options(int argc, char **argv, struct run_opts *o);
void print_usage(FILE *f);

/* world.c: sets up and runs one world; returns picos's exit status. */
int run_world(struct run_opts *o);

/* reaper.c: the launcher is the host parent of every pico process. */
struct picos_world;
void reaper_init(struct picos_world *w, int max_procs);
/* Reaps every pico process of the world until none is left; returns the
 * host wait status of pid 1 (host pid `first`). */
int reaper_run(struct picos_world *w, int first);

/* stats.c */
struct picos_world;
void print_stats(const struct picos_world *w, FILE *out);

/* The provider image, embedded by image.S. */
extern const unsigned char picos_provider_image[];
extern const unsigned char picos_provider_image_end[];

#endif
