/* picos as an OCI runtime: runc's command line (oci.c) over a bundle's
 * config.json mapped onto `picos run` options (oci_spec.c). */
#ifndef PICOS_OCI_H
#define PICOS_OCI_H

#include "picos.h"
#include "json.h"
#include <stdbool.h>
#include <sys/resource.h>

#define OCI_VERSION "1.0.2"
#define OCI_MAX_RLIMITS 16

/* What config.json asks for that `picos run` has no option for: applied
 * by the container's picos process before it starts the world. */
struct oci_spec {
	struct run_opts run;
	bool terminal;
	unsigned short rows, cols; /* process.consoleSize; 0: unset */
	struct {
		int resource;
		struct rlimit lim;
	} rlimits[OCI_MAX_RLIMITS];
	int nrlimits;
	int umask;         /* -1: unset */
	bool oom_given;
	int oom_score_adj;
	/* file bind mounts: copied into the root by create (a world
	 * mounts directories and sockets, not single files) */
	struct {
		const char *src, *dst;
	} files[64];
	int nfiles;
	struct json *config; /* the parsed file, which `run` points into */
};

/* Reads BUNDLE/config.json into *s; `process` (NULL: the config's) is
 * an exec's process.json.  -1 with a one-line message printed. */
int oci_spec_load(const char *bundle, struct oci_spec *s);
/* Maps a process object onto s->run (args, env, cwd, user, ...). */
int oci_spec_process(const struct json *process, struct oci_spec *s);
/* The file bind mounts picos copies into a writable root (create). */
int oci_spec_copy_files(const struct oci_spec *s);

/* The annotations picos reads (also listed by `picos features`). */
#define OCI_ANNOTATION_NET "org.picos.net"
#define OCI_ANNOTATION_MAX_PROCS "org.picos.max-procs"
#define OCI_ANNOTATION_NS "org.picos.ns"

/* The capability names Linux knows, by number (features, config). */
extern const char *const oci_cap_names[];
extern const int oci_ncap_names;

/* oci.c: the error line, to stderr and the --log file. */
__attribute__((format(printf, 1, 2))) void oci_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void oci_warn(const char *fmt, ...);

int oci_main(int argc, char **argv);
/* oci.c: /proc/PID/stat into buf; its fields after the name, or NULL. */
char *proc_stat_fields(pid_t pid, char *buf, size_t size);
bool oci_is_command(const char *arg);

#endif
