/* picos: run Linux programs in pico processes. */
#include "picos.h"
#include "oci.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void print_usage(FILE *f)
{
	fputs("usage: picos run [options] [--] PROGRAM [ARGS...]\n"
	      "       picos doctor    (the host features picos needs, and this host's)\n"
	      "       picos [global options] COMMAND ...   (an OCI runtime, below)\n"
	      "       picos --version\n"
	      "       picos help\n"
	      "\n"
	      "OCI runtime commands (runc's command line, for podman, containerd and\n"
	      "Kubernetes; a container is a world; docs/oci.md):\n"
	      "  create [--bundle DIR] [--console-socket SOCK] [--pid-file FILE] ID\n"
	      "                      a container from BUNDLE/config.json, waiting\n"
	      "  start ID            runs it; the pid-file's process exits with its status\n"
	      "  state ID            the OCI state JSON (created, running, stopped)\n"
	      "  kill [--all] ID [SIGNAL]   TERM by default; names or numbers\n"
	      "  delete [--force] ID removes a stopped (--force: any) container\n"
	      "  exec [-p process.json] [--tty] [--detach] [--pid-file FILE]\n"
	      "       [--console-socket SOCK] [--cwd DIR] [--env K=V] [--user UID[:GID]]\n"
	      "       ID [COMMAND...]  a process added to the container's running world\n"
	      "                      (its processes, /tmp, mounts); exits with its status\n"
	      "  ps [--format table|json] ID   the container's host processes\n"
	      "  list                the containers\n"
	      "  features            what picos supports, as the spec's features JSON\n"
	      "  global options: --root DIR (the state; default /run/picos for root,\n"
	      "                  else $XDG_RUNTIME_DIR/picos), --log FILE, --log-format\n"
	      "                  json|text, --debug; runc's --systemd-cgroup,\n"
	      "                  --cgroup-manager X, --rootless X, --criu X are\n"
	      "                  accepted and ignored (no cgroups: the world is the limit)\n"
	      "\n"
	      "options of `picos run`:\n"
	      "  --root DIR          the guest's / (default: the host's /, read-only)\n"
	      "  --bind SRC:DST[:ro] mount host directory SRC at guest path DST\n"
	      "  --ro-bind SRC DST   the same, read-only (bubblewrap's spelling)\n"
	      "  --tmpfs DST         an empty writable directory at DST of the\n"
	      "                      world's own, removed when the run ends\n"
	      "  --size BYTES        (or --tmpfs-size) the next --tmpfs's size (k, m, g:\n"
	      "                      KiB, MiB, GiB; default half of RAM); enforced\n"
	      "                      with namespaces only\n"
	      "  --dev-bind SRC DST  bind host directory SRC at DST, its device nodes\n"
	      "                      usable (no nodev)\n"
	      "  --proc DST          the world's /proc at DST too\n"
	      "  --dev DST           the world's /dev at DST too\n"
	      "  --overlay LOWER:UPPER[:DST]  LOWER at DST (default /) with writes\n"
	      "                      copied up into UPPER; needs namespaces\n"
	      "  --bind-socket HOST:GUEST  let the guest connect to host unix socket\n"
	      "                      HOST at guest path GUEST (other host sockets\n"
	      "                      outside the writable mounts are refused)\n"
	      "  --cwd DIR           the guest's working directory (absolute; one the\n"
	      "                      world lacks is an error, exit status 125)\n"
	      "  --env K=V           set an environment variable (repeatable)\n"
	      "  --clear-env         start from an empty environment\n"
	      "  --home[=DIR]        a writable $HOME: a fresh directory removed when\n"
	      "                      the run ends, or host directory DIR (kept);\n"
	      "                      $HOME is --env HOME's, the caller's, or passwd's\n"
	      "  --uid N, --gid N    the identity the guest sees (e.g. 0 for root)\n"
	      "  --hostname NAME     the guest's host name\n"
	      "  --trace[=FILE]      print every system call (to stderr or FILE)\n"
	      "  --stats             print the start-up's steps and per-syscall\n"
	      "                      statistics at exit\n"
	      "  --no-patch          leave the program's call sites as they are: every\n"
	      "                      system call takes the trap (PICOS_NO_PATCH=1 too)\n"
	      "  --no-dcache         no directory cache: every stat walks its whole\n"
	      "                      path on the host (PICOS_DCACHE=0 too)\n"
	      "  --max-procs N       at most N guest processes at once (default 1024)\n"
	      "  --wait-all          the world ends when its last process does, not\n"
	      "                      with pid 1 (daemons that outlive it keep running)\n"
	      "  --net MODE          loopback (default: inet on 127.0.0.1 and ::1 only),\n"
	      "                      host (the host's network) or none (unix sockets only)\n"
	      "  --ns MODE           auto (default: the world in its own user, mount, pid,\n"
	      "                      network and IPC namespaces when the host allows),\n"
	      "                      on (fail if it does not) or off; PICOS_NS=MODE when\n"
	      "                      no --ns is given\n"
	      "\n"
	      "Default mounts: the host's / read-only, the current directory\n"
	      "read-write, and a private /tmp removed when the run ends.\n"
	      "The guest never sees the host's /tmp: the world's /tmp is its own\n"
	      "(empty at the start; --bind a host directory to share one).  $HOME\n"
	      "is the host's, read-only like the rest of / (unless it is the\n"
	      "current directory); --home gives the world a writable one.\n"
	      "\n"
	      "The world ends with its pid 1, like a container: processes left\n"
	      "are killed (unless --wait-all).  SIGTERM and SIGHUP go to the\n"
	      "guest's pid 1, whose exit status is picos's; a world still\n"
	      "running 5 s later, or at a second SIGTERM, is killed (exit status\n"
	      "137).  With --wait-all, once pid 1 has ended, SIGTERM ends the\n"
	      "world.\n",
	      f);
}

uint64_t picos_main_ns;

int main(int argc, char **argv)
{
	picos_main_ns = mono_ns();
	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	/* runc's command line: the OCI runtime commands and their global
	 * options (oci.c) */
	if (oci_is_command(cmd))
		return oci_main(argc, argv);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("picos %s\n", PICOS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "run")) {
		struct run_opts o;
		if (parse_run_options(argc - 2, argv + 2, &o) < 0)
			return 2;
		return run_world(&o);
	}
	if (!strcmp(cmd, "doctor"))
		return run_doctor(argc - 2, argv + 2);
	fprintf(stderr, "picos: unknown command '%s' (try 'picos help')\n", cmd);
	return 2;
}
