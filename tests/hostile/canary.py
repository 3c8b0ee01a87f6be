#!/usr/bin/env python3
"""Host-side canaries for tests/hostile/run.sh.

  canary.py unix PATH LOG          listen on a unix socket, log connections
  canary.py tcp ADDR PORT LOG      listen on TCP, log connections
  canary.py pty NAMEFILE LOG       make a pty pair, write the slave's path
                                   to NAMEFILE, log what arrives on it
  canary.py xattr PATH             set user.canary=1 (exit 0 if supported)

Each listener writes READY to LOG's side file LOG.ready once it listens and
appends one line per connection (or per read on the pty) to LOG."""
import os, socket, sys, pty, select


def log(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def serve(sock, logpath):
    open(logpath + ".ready", "w").close()
    while True:
        c, addr = sock.accept()
        try:
            c.settimeout(0.5)
            data = c.recv(256)
        except OSError:
            data = b""
        log(logpath, "connection from %r: %r" % (addr, data))
        c.close()


def main():
    cmd = sys.argv[1]
    if cmd == "unix":
        path, logpath = sys.argv[2:4]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(16)
        serve(s, logpath)
    elif cmd == "tcp":
        addr, port, logpath = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        serve(s, logpath)
    elif cmd == "pty":
        namefile, logpath = sys.argv[2:4]
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        with open(namefile + ".tmp", "w") as f:
            f.write(name + "\n")
        os.rename(namefile + ".tmp", namefile)
        open(logpath + ".ready", "w").close()
        while True:
            select.select([master], [], [])
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b""
            if data:
                log(logpath, "read %r" % data)
    elif cmd == "xattr":
        try:
            os.setxattr(sys.argv[2], "user.canary", b"1")
        except OSError:
            sys.exit(1)


main()
