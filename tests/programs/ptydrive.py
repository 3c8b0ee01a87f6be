#!/usr/bin/env python3
"""Drives an interactive program through a pty of its own, as a user at a
terminal would: the program (natively, or `picos run -- ...`) gets the
pty's slave as its controlling terminal, in the foreground.

Usage: ptydrive.py SCRIPT -- COMMAND...
SCRIPT lines:  send TEXT      (\\n, \\x03 (^C), \\x1a (^Z) as escapes;
                               @RUN@ stands for $PTYDRIVE_RUN, e.g.
                               "picos run -- ", or nothing)
               expect REGEX   (within the timeout, in output since the
                               last expect)
               sleep SECONDS
               eof            (wait for the program to end; print status)
Prints "ok" lines per step; exits 1 at the first failed expect, with the
output seen."""
import os, pty, re, select, signal, sys, time

TIMEOUT = float(os.environ.get("PTYDRIVE_TIMEOUT", "10"))

def main():
    sep = sys.argv.index("--")
    script = open(sys.argv[1]).read().splitlines()
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.execvp(cmd[0], cmd)
    buf = b""
    seen = b""
    def pump(deadline):
        nonlocal buf, seen
        r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
        if not r:
            return False
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        if not d:
            return None
        buf += d
        seen += d
        return True
    status = None
    for line in script:
        if not line.strip() or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        if op == "send":
            arg = arg.replace("@RUN@", os.environ.get("PTYDRIVE_RUN", ""))
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif op == "sleep":
            end = time.time() + float(arg)
            while time.time() < end and pump(end):
                pass
        elif op == "expect":
            rx = re.compile(arg.encode())
            end = time.time() + TIMEOUT
            while True:
                m = rx.search(buf)
                if m:
                    buf = buf[m.end():]
                    print("ok expect", arg)
                    break
                if time.time() > end or pump(end) is None:
                    print("FAILED expect", arg)
                    print("output:", seen.decode(errors="replace"))
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    sys.exit(1)
        elif op == "eof":
            end = time.time() + TIMEOUT
            while time.time() < end and pump(end) is not None:
                pass
            _, st = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(st)
            print("exit", status)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

main()
