"""Runs a command with a time limit and leaves no process of it behind.

Usage: python3 cpython_supervise.py SECONDS LEFTOVERS-FILE CMD [ARGS...]

The supervisor makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so
every process the command starts that outlives its parent is reparented to
it rather than to init.  CMD runs in a process group of its own; after
SECONDS it gets SIGTERM, 10 s later SIGKILL (group-wide), and the exit
status is 124 as with timeout(1).  When CMD has ended, every process still
below the supervisor (only ever processes that CMD started) is killed with
SIGKILL and reaped, and one line "PID COMM" per such process is written to
LEFTOVERS-FILE (empty when there were none).  Otherwise the exit status is
CMD's (128+N when it died of signal N).
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def children():
    pid = os.getpid()
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    limit = float(sys.argv[1])
    leftovers_path = sys.argv[2]
    cmd = sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("cpython_supervise: prctl: %s" % os.strerror(ctypes.get_errno()),
              file=sys.stderr)
    # SIGTERM or SIGINT to the supervisor: stop the command the same way.
    stop = []
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
    signal.signal(signal.SIGINT, lambda s, f: stop.append(s))

    proc = subprocess.Popen(cmd, process_group=0)
    deadline = time.monotonic() + limit
    status = None
    while status is None:
        try:
            status = proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        if status is None and (stop or time.monotonic() > deadline):
            why = "interrupted" if stop else "timed out after %g s" % limit
            print("cpython_supervise: %s: %s" % (why, " ".join(cmd)),
                  file=sys.stderr)
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            status = 124
    if status < 0:
        status = 128 - status

    # Anything left below us now was started by the command: kill and reap
    # until none is left (a dying process's children come to us too).
    left = {}
    for _ in range(100):
        reap_all()
        kids = children()
        if not kids:
            break
        for pid in kids:
            left.setdefault(pid, comm(pid))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
    reap_all()
    with open(leftovers_path, "w") as f:
        for pid, name in sorted(left.items()):
            f.write("%d %s\n" % (pid, name))
    return status


if __name__ == "__main__":
    sys.exit(main())
