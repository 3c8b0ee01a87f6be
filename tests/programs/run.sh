#!/usr/bin/env bash
# shellcheck disable=SC2016  # single-quoted $ is meant for the guest shell
# Real-program tests: unmodified host programs (dynamic coreutils, python3,
# Debian's static busybox) run natively and under picos; their stdout and
# exit status must match byte for byte, and so must the file tree they leave
# behind.  Then checks of the picos command line itself (options, errors,
# exit status relay, private /tmp, --bind, --trace, --stats).
#
# Usage: tests/programs/run.sh [PATTERN]   (PATTERN: only cases whose name
# contains it).  PICOS=path/to/picos overrides build/picos.
#
# Prints "ok - NAME" / "not ok - NAME" per case (with a short diff on
# failure) and "programs: N passed, N failed"; exits non-zero on failure.
# Everything is written under build/ (build/programs-scratch and
# build/busybox-root); nothing needs root.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
case $picos in
/*) ;;
*) [ -n "${PICOS:-}" ] && picos=$PWD/$picos ;;
esac
only=${1:-}

scratch=$top/build/programs-scratch
bbroot=$top/build/busybox-root
fixture=$scratch/fixture
TO=${PROGRAMS_TIMEOUT:-30}
# The fixed time of every fixture file, so listings do not depend on today.
T='2020-01-02 03:04:05'
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Same locale, zone and no byte-code writes for both runs; the private /tmp
# of each picos run is created in (and must vanish from) this TMPDIR.
export LC_ALL=C TZ=UTC PYTHONDONTWRITEBYTECODE=1
unset LANG LANGUAGE COLUMNS LS_COLORS POSIXLY_CORRECT
export TMPDIR=$scratch/tmpdir

# A real python3 binary: a pyenv/asdf shim is a shell script that forks.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
	if [ -x /usr/bin/python3 ]; then
		PY=/usr/bin/python3
	else
		PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)
	fi
fi

pass=0
fail=0

ok() {
	echo "ok - $1"
	pass=$((pass + 1))
}

not_ok() {
	echo "not ok - $1${2:+: $2}"
	fail=$((fail + 1))
}

wanted() {
	[ -z "$only" ] || [[ $1 == *"$only"* ]]
}

# Indents a file's first lines under a failure line.
show() {
	[ -s "$2" ] && head -n "${3:-12}" "$2" | sed "s/^/    $1 /"
	return 0
}

########################################################################
# Fixture

make_fixture() {
	rm -rf "$fixture"
	mkdir -p "$fixture/sub/deeper"
	(
		cd "$fixture" || exit 1
		printf 'hello world\n' >hello.txt
		printf 'pear\napple\nfig\nbanana\napple\ncherry\nkiwi 2\nkiwi 10\n' >lines.txt
		seq 1 20000 >numbers.txt
		: >empty
		# Every byte value once: od -c shows escapes and octal.
		"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >bin.dat 2>/dev/null ||
			printf '\000\001\002\t\n\r abc\377' >bin.dat
		printf 'a file in sub\n' >sub/a.txt
		printf 'deeper\nstill\n' >sub/deeper/b.txt
		printf '#!/bin/sh\necho script\n' >script.sh
		chmod 755 script.sh
		printf 'secret\n' >secret
		chmod 600 secret
		ln -s hello.txt link
		ln -s sub/deeper dirlink
		find . -exec touch -h -d "$T" {} +
		# Directories last: touching files does not change them.
		touch -d "$T" sub/deeper sub .
	)
}

# A stable listing of a tree's state: names, types, modes, sizes (not of
# directories), link targets, link counts.  Times are left out: files the
# programs create carry the time of the run.
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %n %l ' \( -type d -printf '\n' -o -printf '%s\n' \) | sort)
}

########################################################################
# Differential cases.  A case is a shell function that calls `run` for each
# program it runs; it is executed twice, with mode=native and mode=picos,
# each time in a fresh copy of its working tree.

# run [-i FILE] [-s] [-f FILTER] [--] PROG ARGS...
#	Runs PROG natively or under picos (one picos run per call) and appends
#	its stdout (sorted with -s, piped through the shell command FILTER
#	with -f) and its exit status to the case's output.  -i feeds FILE to
#	stdin (default /dev/null).  An argument "@/PATH" is the guest's /PATH
#	under picos and the relative PATH natively (for --root cases).
run() {
	local input=/dev/null filter=cat a rc
	while [ $# -gt 0 ]; do
		case $1 in
		-i) input=$2; shift 2 ;;
		-s) filter='sort'; shift ;;
		-f) filter=$2; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	local argv=()
	for a; do
		if [[ $a == @/* ]]; then
			if [ "$mode" = native ]; then
				a=${a#@/}
				a=${a:-.}
			else
				a=${a#@}
			fi
		fi
		argv+=("$a")
	done
	echo "\$ ${argv[*]}" >>"$err"
	if [ "$mode" = native ]; then
		timeout "$TO" "${argv[@]}"
	else
		timeout "$TO" "$picos" run "${popts[@]}" -- "${argv[@]}"
	fi <"$input" >"$out.raw" 2>>"$err"
	rc=$?
	eval "$filter" <"$out.raw" >>"$out"
	echo "[exit $rc]" >>"$out"
	rm -f "$out.raw"
}

# Compares the two runs of case $1: outputs, then the trees they left.
compare() {
	local name=$1 n=$scratch/native/$1 p=$scratch/picos/$1
	if ! cmp -s "$n.out" "$p.out"; then
		not_ok "$name" "output differs (native vs picos)"
		diff -u "$n.out" "$p.out" | sed -n '3,22p' | sed 's/^/    /'
		show '|' "$p.err" 10
	elif ! cmp -s "$n.state" "$p.state"; then
		not_ok "$name" "resulting files differ (native vs picos)"
		diff -u "$n.state" "$p.state" | sed -n '3,22p' | sed 's/^/    /'
	else
		ok "$name"
	fi
}

# case NAME: run case_NAME in fresh copies of the fixture.
case_() {
	local name=$1 mode d out err
	wanted "$name" || return 0
	for mode in native picos; do
		d=$scratch/$mode/$name
		out=$d.out
		err=$d.err
		rm -rf "$d"
		mkdir -p "$d"
		cp -a "$fixture" "$d/fix"
		# `ls -la` shows "..": give it a fixed time too.
		touch -d "$T" "$d"
		: >"$out"
		: >"$err"
		# The host TMPDIR is read-only in the guest: it has its own /tmp.
		popts=(--env TMPDIR=/tmp)
		(cd "$d/fix" && "case_$name")
		snapshot "$d/fix" >"$d.state"
	done
	compare "$name"
}

# ---- a guest's own SIGSYS -----------------------------------------------------

# SIGSYS sent by the guest (kill, a trap in the shell) is an ordinary
# signal, never taken for the provider's own (issue 10).
case_sigsys_trap() {
	run bash -c 'trap "echo got" SYS; kill -SYS $$; echo after'
	run bash -c 'trap "echo got" SYS; (trap "echo sub got" SYS; kill -SYS $BASHPID; echo sub); echo after'
	run bash -c 'kill -SYS $$; echo not reached'
}

# ---- sizing the machine: the world's /sys ------------------------------------

# Each twice under picos: with namespaces (the world's /sys a tmpfs of
# bound host entries) and flat (the host's sysfs through the provider's
# filtered directories); the native runs are the same both times.
# nproc, getconf and python count CPUs from /sys/devices/system/cpu and
# the affinity mask (include/picos/worldsys.h keeps the host's).
case_nproc() {
	local ns base=("${popts[@]}")
	for ns in auto off; do
		popts=("${base[@]}" --ns="$ns")
		run nproc
		run nproc --all
		run getconf _NPROCESSORS_CONF
		run getconf _NPROCESSORS_ONLN
		run "$PY" -c 'import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))'
	done
}
# lscpu reads the CPU topology, caches and NUMA nodes the world's /sys
# keeps; lines from what it hides (DMI tables under /sys/firmware) may
# differ, so only the sizing fields are compared, and the parseable
# topology.
case_lscpu() {
	local ns base=("${popts[@]}")
	for ns in auto off; do
		popts=("${base[@]}" --ns="$ns")
		run -f "grep -E '^(CPU\(s\)|On-line CPU\(s\) list|Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|Model name|NUMA node\(s\)):'" lscpu
		run lscpu -p=cpu,core,socket,node
	done
}

# ---- priorities, timers, memory locks ---------------------------------------

# nice and renice (setpriority/getpriority on the guest's pids), ionice
# (ioprio_set/ioprio_get); renice prints pids, which differ: masked.
case_nice() {
	run nice -n 5 true
	run nice -n 5 sh -c 'nice; nice -n 3 nice'
}
case_renice() {
	run -f 'sed "s/^[0-9]*/PID/"' sh -c 'sleep 5 & p=$!; renice -n 3 -p $p; renice -n 4 -p $$; echo nice=$(nice); kill $p'
}
case_ionice() {
	run ionice -c3 true
	run ionice -c2 -n5 sh -c 'ionice; ionice -c3 -p $$; ionice -p $$'
}
# ruby's timer thread uses timer_create; without it ruby warns on stderr.
case_ruby() {
	run sh -c 'ruby -e "puts [1, 2, 3].sum; t = Thread.new { sleep 0.05; 42 }; puts t.value; puts Process.clock_gettime(Process::CLOCK_MONOTONIC) > 0" 2>&1'
}
# gpg locks its secure memory with mlock; without it, it warns.
case_gpg() {
	run sh -c 'mkdir -m 700 gh; export GNUPGHOME=$PWD/gh; gpg --version | head -1;
		gpg --batch --pinentry-mode loopback --passphrase pw --symmetric -o o.gpg hello.txt 2>&1 | sed "s|$PWD|.|";
		gpg --batch --pinentry-mode loopback --passphrase pw -d o.gpg 2>&1;
		gpgconf --kill gpg-agent; rm -rf gh o.gpg'
}

# ---- threaded programs ---------------------------------------------------

# sort --parallel=2 with a small buffer (threads and temporary files in
# the guest's /tmp), xz -T2 with small blocks so both threads work.
case_sort_parallel() {
	run sh -c 'seq 1 400000 | sed "s/^/k/" >big.txt; sort --parallel=2 -S 2M -r big.txt | sha256sum; sort --parallel=2 -S 2M -r big.txt | head -3'
}
case_xz_threads() {
	run sh -c 'seq 1 400000 >big.txt; xz -T2 --block-size=256KiB -6 -c big.txt >big.xz; xz -l big.xz | tail -n +2 | tr -s " " | cut -d" " -f2-3; xz -d -T2 -c big.xz | sha256sum'
}
py_threads='
import threading, concurrent.futures as cf, queue
def sq(x): return x * x
with cf.ThreadPoolExecutor(4) as ex:
    print(sum(ex.map(sq, range(5000))))
q = queue.Queue(); lock = threading.Lock(); total = [0]
def worker():
    while True:
        item = q.get()
        if item is None:
            break
        with lock:
            total[0] += item
ts = [threading.Thread(target=worker) for _ in range(8)]
for t in ts: t.start()
for i in range(10000): q.put(i)
for t in ts: q.put(None)
for t in ts: t.join()
print(total[0], threading.active_count())
'
case_python_threads() { run "$PY" -c "$py_threads"; }

# A python http.server on localhost (name resolution through /etc/hosts,
# the server in a thread) and urllib fetching from it; a unix socket
# server with asyncio alongside.
py_http='
import asyncio, http.server, os, socket, threading, urllib.request
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path=%s" % self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("localhost", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
host, port = srv.server_address[:2]
for p in ("/a", "/b?x=1"):
    with urllib.request.urlopen("http://localhost:%d%s" % (port, p)) as r:
        print(r.status, r.read().decode())
srv.shutdown()
print("family", socket.AddressFamily(srv.address_family).name)
async def main():
    path = "py-http.sock"
    async def echo(r, w):
        w.write((await r.readline()).upper())
        await w.drain()
        w.close()
    s = await asyncio.start_unix_server(echo, path)
    r, w = await asyncio.open_unix_connection(path)
    w.write(b"over unix\n")
    print((await r.readline()).decode().strip())
    w.close()
    s.close()
    await s.wait_closed()
    os.unlink(path)
asyncio.run(main())'
case_python_http() { run "$PY" -c "$py_http"; }

# nginx in master/worker mode (the master hands the worker its channel
# with FIOASYNC and F_SETOWN) on a free loopback port: a page fetched,
# then a graceful stop (SIGQUIT) and the master's exit status.  Needs the
# nginx package, which is not in install-deps.sh: on a machine with an
# init system it would start a service on port 80.
NGINX=${NGINX:-/usr/sbin/nginx}
nginx_conf='daemon off;
master_process on;
worker_processes 1;
error_log stderr notice;
pid PREFIX/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path PREFIX/t_body;
  proxy_temp_path PREFIX/t_proxy;
  fastcgi_temp_path PREFIX/t_fcgi;
  uwsgi_temp_path PREFIX/t_uwsgi;
  scgi_temp_path PREFIX/t_scgi;
  server { listen 127.0.0.1:PORT; root PREFIX; }
}'
nginx_fetch='
import sys, time, urllib.request
for i in range(100):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/hello.txt" % sys.argv[1]) as r:
            print(r.status, r.read().decode().strip())
            break
    except OSError:
        time.sleep(0.05)
else:
    print("no answer")'
case_nginx() {
	printf '%s\n' "$nginx_conf" >nginx.conf.in
	run sh -c 'port=$("$1" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
sed "s|PORT|$port|; s|PREFIX|$PWD|g" nginx.conf.in >nginx.conf
"$2" -p "$PWD" -c "$PWD/nginx.conf" 2>nginx.err &
"$1" -c "$3" "$port"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s nginx.pid ] && break; sleep 0.2; done
kill -QUIT "$(cat nginx.pid)"; wait $!; echo "nginx exit $?"
rm -rf nginx.conf nginx.conf.in nginx.err t_body t_proxy t_fcgi t_uwsgi t_scgi' sh "$PY" "$NGINX" "$nginx_fetch"
}

# Go programs (tests/programs/go), built natively once: the runtime's
# threads, futexes, signals (preemption) and epoll-driven timers.
gobin=$scratch/gobin
build_go() {
	command -v go >/dev/null || return 1
	mkdir -p "$gobin"
	local f
	for f in "$top"/tests/programs/go/*.go; do
		HOME=$scratch GOCACHE=$scratch/gocache GOPATH=$scratch/gopath \
			go build -o "$gobin/$(basename "$f" .go)" "$f" || return 1
	done
}
# Run from the case's directory: a tree beneath /tmp shows the guest only
# its current directory.
case_go_goroutines() { cp "$gobin/goroutines" . && run ./goroutines; }
case_go_timers() { cp "$gobin/timers" . && run ./timers; }
case_go_http() { cp "$gobin/http" . && run ./http; }
case_go_dualstack() { cp "$gobin/dualstack" . && run ./dualstack; }
case_go_preempt() { cp "$gobin/preempt" . && run ./preempt; }

# node (tests/programs/node/basic.js): libuv's epoll and eventfd loop, fs,
# child_process, worker_threads, http on 127.0.0.1; and npm's start-up.
case_node() {
	cp "$top/tests/programs/node/basic.js" . && run node basic.js
	run npm --version
	rm -f basic.js
}

# AddressSanitizer's leak report (tests/programs/c/asan_leak.c): the whole
# report, addresses and pids masked, must be the native one.
cbin=$scratch/cbin
build_asan() {
	mkdir -p "$cbin"
	gcc -fsanitize=address -g -O0 -o "$cbin/asan_leak" \
		"$top/tests/programs/c/asan_leak.c" -lpthread 2>/dev/null
}
asan_mask='sed -E "s/0x[0-9a-f]+/ADDR/g; s/==[0-9]+==/==PID==/g"'
case_asan_leak() {
	cp "$cbin/asan_leak" . &&
		run -f "$asan_mask" sh -c './asan_leak 2>&1' &&
		run -f "$asan_mask" sh -c './asan_leak threads 2>&1'
}

# ---- host dynamic coreutils --------------------------------------------

case_ls() {
	run ls -la
	run ls -la sub
	run ls -lR
	run ls -1 -a -F
	run ls -la --time-style=full-iso hello.txt link dirlink
	run ls nonexistent
}

case_cat() {
	run cat hello.txt lines.txt
	run cat sub/deeper/b.txt link
	run -i numbers.txt cat
	run cat bin.dat
	run cat empty nonexistent
}

case_wc() {
	run wc hello.txt lines.txt numbers.txt empty
	run -i numbers.txt wc -l
	run wc -c bin.dat
}

case_sort() {
	run sort lines.txt
	run sort -u lines.txt
	run sort -n -r numbers.txt
	run -i lines.txt sort -r
}

case_sha256sum() {
	run sha256sum hello.txt numbers.txt bin.dat empty
	run -i numbers.txt sha256sum
	run md5sum lines.txt
}

case_stat() {
	run stat -c '%n %s %a %F %h %Y' hello.txt sub link secret empty script.sh
	run stat -L -c '%n %s %a %F' link dirlink
	run stat -c '%n %Y %U %G' sub/deeper/b.txt
	run stat nonexistent
}

case_date() {
	run date -d @0 -u
	run date -u -d '2020-02-29 12:34:56' '+%s %A %j %F %T'
	run date -u -r hello.txt
}

case_head_tail() {
	run head -n 3 lines.txt
	run head -c 100 numbers.txt
	run tail -n 3 numbers.txt
	run tail -c 50 numbers.txt
	run -i numbers.txt tail -n 2
	run head -n 1 hello.txt lines.txt
}

# tail -f follows a file through inotify: each appended line must show
# within 5 s although the polling interval is 60 s (-s 60), so a tail that
# polled instead would fail.  cli_tail_inotify checks the trace.
tail_follow='
: >log
tail -s 60 -f log >seen &
t=$!
sleep 0.3
for i in 1 2 3; do
	echo "line $i" >>log
	n=0
	while ! grep -qx "line $i" seen && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	if grep -qx "line $i" seen; then echo "line $i seen"; else echo "line $i not seen in 5 s"; fi
done
kill $t
wait $t
cat seen
rm -f log seen'
case_tail_follow() { run sh -c "$tail_follow"; }

case_od() {
	run od -c bin.dat
	run od -An -tx1 hello.txt
	run od -c -N 20 -j 5 lines.txt
}

case_dd() {
	run dd if=numbers.txt of=dd.out bs=1000 count=5 skip=2
	run cat dd.out
	run dd if=numbers.txt of=dd2.out bs=4096
	run cmp numbers.txt dd2.out
	run dd if=hello.txt of=dd.out conv=notrunc bs=1 seek=3
	run cat dd.out
}

case_cp() {
	run cp hello.txt copy.txt
	run cp -r sub sub2
	run cp -p lines.txt kept.txt
	run cp numbers.txt sub/
	run cat copy.txt sub2/deeper/b.txt
	run stat -c '%n %s %a %Y' kept.txt
	run cp nonexistent x
	run ls -la --time-style=+ . sub2
}

case_mv() {
	run mv hello.txt moved.txt
	run mv sub sub-moved
	run mv lines.txt sub-moved/deeper/
	run mv nonexistent x
	run cat moved.txt sub-moved/deeper/lines.txt
	run ls -la --time-style=+ . sub-moved/deeper
}

case_rm() {
	run rm hello.txt
	run rm -r sub
	run rm -f nonexistent
	run rm nonexistent
	run rm link
	run ls -la --time-style=+
	run cat link
}

case_mkdir() {
	run mkdir -p a/b/c
	run mkdir newdir
	run mkdir newdir
	run mkdir -m 700 private
	run mkdir -p sub/deeper
	run rmdir a/b/c
	run ls -la --time-style=+ . a a/b
}

case_ln_readlink() {
	run ln -s hello.txt newlink
	run ln -s sub/deeper/b.txt sub/rel
	run ln hello.txt hard
	run ln -s x newlink
	run readlink newlink link dirlink
	run readlink hello.txt
	run cat newlink hard
	run stat -c '%n %h %F' hard hello.txt newlink
}

case_touch_stat() {
	run touch -d '2001-02-03 04:05:06' hello.txt
	run touch -d '2011-12-13 14:15:16.5' new.txt
	run touch -h -d '2002-03-04 05:06:07' link
	run touch -c absent
	run stat -c '%n %s %y' hello.txt new.txt
	run stat -c '%n %y %F' link
	run touch -r hello.txt lines.txt
	run stat -c '%n %Y' lines.txt
}

case_du() {
	run du -sb .
	run du -s --apparent-size sub
	run du -b hello.txt numbers.txt
	run du -ab sub/deeper
}

# GNU grep with stdout on /dev/null splices its input there (no
# copy), from a pipe and from a file; -q stops at the first match.
case_grep_devnull() {
	run sh -c 'seq 1 100000 | grep -q 5; echo $?; seq 1 100000 | grep 5 >/dev/null; echo $?; seq 1 100000 | grep nomatch >/dev/null; echo $?'
	run sh -c 'grep 5 numbers.txt >/dev/null; echo $?; grep x numbers.txt >/dev/null; echo $?; grep 5 missing >/dev/null 2>&1; echo $?'
}

# A named pipe made by mkfifo (mknod S_IFIFO), a writer in the background
# and a reader; then the fifo's type and mode.
case_mkfifo() {
	run sh -c 'mkfifo f; (echo hi >f &); cat f; mkfifo -m 600 g; stat -c "%F %a" f g; mkfifo f; echo $?; rm f g'
}

case_find() {
	run -s find .
	run -s find . -type f -name '*.txt'
	run -s find . -type l
	run -s find -L . -name b.txt
	run -s find sub -mindepth 1 -printf '%y %p %s\n'
}

# ---- capabilities (libcap's capsh) ----------------------------------------

# The guest's capability sets as capsh reads them (capget, the bounding
# and ambient sets, securebits), then changed: a bounding-set drop, keepcaps
# across a switch to nobody, and an ambient capability that survives the
# execve of the second capsh (and the supplementary groups, which the
# world's first process has from the launcher).
case_capsh() {
	# The host's network: the world keeps CAP_NET_RAW and CAP_NET_ADMIN,
	# as native root has them (without it, cli_net_raw: neither).
	popts+=(--net=host)
	run capsh --print
	run capsh --drop=cap_chown --print
	run capsh --secbits=0x10 --print
	run capsh --keep=1 --uid=65534 --print
	run capsh --inh=cap_net_bind_service --keep=1 --uid=65534 \
		--addamb=cap_net_bind_service == --print
}

# ---- kernel keyrings (keyutils' keyctl) ----------------------------------

# keyctl(1) on a fresh session keyring of its own (`keyctl session -`):
# keys and keyrings made, found (%type:name uses request_key), read,
# updated, revoked, cleared, timed out, and the special, named-session and
# persistent keyrings.  Serials differ between runs: masked.  Each line is
# one whose native answer does not depend on when Linux's key garbage
# collector runs.
keyctl_script='
keyctl add user picos:a hello @s >/dev/null
keyctl print %user:picos:a
keyctl newring picos:r @s >/dev/null
echo payload | keyctl padd user picos:b %keyring:picos:r >/dev/null
keyctl show %keyring:picos:r
keyctl rdescribe %user:picos:b
keyctl search @s user picos:b >/dev/null && echo found
keyctl request user picos:none 2>&1
keyctl pipe %user:picos:b
keyctl update %user:picos:b newpayload && keyctl print %user:picos:b
keyctl list %keyring:picos:r
keyctl revoke %user:picos:b
keyctl print %user:picos:b 2>&1
keyctl clear %keyring:picos:r && keyctl list %keyring:picos:r
keyctl setperm %keyring:picos:r 0x3f3f0000 && keyctl rdescribe %keyring:picos:r
keyctl describe @u
keyctl rdescribe @us
keyctl supports 2>&1 | grep -E "capabilities|persistent|invalidate|move"
keyctl timeout %user:picos:a 1; sleep 2; keyctl print %user:picos:a 2>&1
keyctl unlink %keyring:picos:r @s; keyctl show @s
keyctl session picos-named keyctl rdescribe @s 2>&1
keyctl get_persistent @s >/dev/null && keyctl rdescribe %keyring:_persistent.$(id -u)
'
case_keyctl() {
	run -f 'sed -E "s/ *[0-9]{6,}/N/g"' keyctl session - sh -c "$keyctl_script"
}

# ---- the world's processes in /proc (ps, pgrep, pidof, pstree) -------
# A tree of known shape in a session of its own; every pid printed is
# mapped to its rank among the session's pids (X: outside it), so the
# native and picos runs compare.  The ranks count from the session
# leader's pid around pid_max: the host's pids wrap (32768 here), so
# creation order is not numeric order, and lists in pid order are sorted
# by rank.
ps_tree_script='
sleep 30 &
sleep 0.2
( sleep 31 & sleep 0.2; sleep 32 & wait ) &
sleep 0.5
sh -c "trap \"\" USR1; trap \"exit\" TERM; sleep 33 & wait" &
sleep 0.5
ps -s $$ -o pid= | awk -v b=$$ -v m=$(cat /proc/sys/kernel/pid_max) "{ print (\$1 - b + m) % m, \$1 }" | sort -n | cut -d" " -f2 >pids
m() { awk -v keep="$2" "NR == FNR { id[\$1] = \"P\" FNR; next }
	{ for (i = 1; i <= ${1:-1}; i++) if (\$i ~ /^[0-9]+\$/) \$i = (\$i in id) ? id[\$i] : keep ? \$i : \"X\"; print }" pids -; }
ps -s $$ -o pid=,ppid=,pgid=,sid=,stat=,comm= >out
grep -E " (sh|sleep)\$" out | m 4 | sort
pgrep -a -s $$ sleep | m | sort
pgrep -s $$ -f "^sleep 31" | m
pidof sleep | tr " " "\n" | grep -Fxf pids | sort -n | m
pstree -A $$ >out
sed "s/-pstree\$//" out
ps --forest -s $$ -o pid=,stat=,args= | m | grep -v "^X "
t=$(ps -o ppid= -p "$(pgrep -s $$ -f "^sleep 33")" | tr -d " ")
grep -E "^(Name|State|Tgid|Pid|PPid|Uid|Gid|SigBlk|SigIgn|SigCgt|NoNewPrivs)" /proc/$t/status | m 2 keep
cut -d" " -f1-6 /proc/$t/stat | m 6 keep
tr "\0" " " </proc/$t/cmdline; echo
cat /proc/$t/comm
kill $(grep -vx $$ pids) 2>/dev/null
wait
rm -f pids out
'
case_ps_tree() {
	# (setsid is not the world's pid 1, which would reap the orphans)
	run sh -c 'setsid -w sh -c "$1"; echo "exit $?"' sh "$ps_tree_script"
}

# ---- lsof, fuser, killall and top on a process of the world ----------
# (pids mapped to their rank among the session's, as in ps_tree)
proc_tools_script='
echo held >held.txt
sleep 30 3<held.txt 4>>held.txt &
s=$!
sleep 0.5
ps -s $$ -o pid= | awk -v b=$$ -v m=$(cat /proc/sys/kernel/pid_max) "{ print (\$1 - b + m) % m, \$1 }" | sort -n | cut -d" " -f2 >pids
m() { awk "NR == FNR { id[\$1] = \"P\" FNR; next }
	{ for (i = 1; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) \$i = (\$i in id) ? id[\$i] : \"X\"; print }" pids -; }
lsof -w -p $s -a -d 3,4 -F pcfatn | sed -e "s|^n.*/|n|" -e "s/^p/p /" | m
fuser held.txt 2>/dev/null | tr " " "\n" | grep . | sort -n | m
killall -0 sleep; echo "killall -0: $?"
killall -0 nosuchprogram 2>/dev/null; echo "killall -0 nosuchprogram: $?"
top -b -n1 -p $s | tail -1 | awk "{ print \$1, \$2, \$12 }" | m
kill $s; wait $s; echo "sleep ended: $?"  # (never a plain killall: natively it ends every sleep of the user)
rm -f pids held.txt
'
case_proc_tools() {
	run sh -c 'setsid -w sh -c "$1"; echo "exit $?"' sh "$proc_tools_script"
}

# ---- jcmd and jstack attach to a JVM of the world ----------------------
# (they find it by pid in /proc and /tmp/hsperfdata_<user>, signal it
# with SIGQUIT and talk over /tmp/.java_pid<pid>)
jvm_tools_script='
cat >Wait.java <<EOJ
public class Wait { public static void main(String[] a) throws Exception {
	System.out.println("ready"); System.out.flush(); Thread.sleep(60000); } }
EOJ
javac -d . Wait.java || exit 1
mkfifo jready
java -Xshare:auto -cp . Wait >jready &
j=$!
read line <jready
echo "java says $line"
jcmd | grep -c "^$j Wait\$"
jcmd $j Thread.print | sed -n "1p;3p" | sed "s/^$j:\$/PID:/; s/(.*//"
jstack $j | grep -c "^\"main\""
jcmd $j VM.version | grep -c "^JDK"
kill $j; wait $j; echo "java ended: $?"
rm -f Wait.java Wait.class jready
'
case_jvm_tools() {
	run sh -c "$jvm_tools_script"
}

# ---- the world's pid 1 takes from the others only the signals it has --
# a handler for (pid_namespaces(7)); natively the same script runs as
# pid 1 of a pid namespace of its own.  (What pid 1 sends itself acts as
# for any process in picos, as natively outside a namespace: not here.)
init_signals_script='trap "echo got USR1" USR1
sh -c "kill -USR1 1; kill -KILL 1; echo \"child KILL \$?\"; kill -s USR2 1
	echo \"child USR2 \$?\"; kill -STOP 1; kill -HUP 1; echo sent"
echo alive'
case_init_signals() {
	if [ "$mode" = native ]; then
		run unshare -Urpfm --mount-proc sh -c "$init_signals_script"
	else
		run sh -c "$init_signals_script"
	fi
}

# ---- python3 -----------------------------------------------------------

py_files='
import os
with open("new.txt", "w") as f:
    f.write("line one\nline two\n")
with open("new.txt") as f:
    print(repr(f.read()))
with open("new.txt", "a") as f:
    f.write("three\n")
st = os.stat("new.txt")
print(st.st_size, oct(st.st_mode), os.path.isfile("new.txt"))
print(sorted(os.listdir(".")))
os.rename("new.txt", "renamed.txt")
print(os.path.exists("new.txt"), open("renamed.txt").read().count("\n"))
os.mkdir("made")
os.rename("renamed.txt", "made/inside.txt")
print(sorted(os.listdir("made")))
os.remove("hello.txt")
try:
    os.remove("hello.txt")
except OSError as e:
    print("remove again:", e.strerror)
print(sorted(os.listdir(".")))
print(os.readlink("link"), os.path.islink("link"), os.path.isdir("dirlink"))
'

py_read='
import os, hashlib
data = open("numbers.txt", "rb").read()
print(len(data), hashlib.sha256(data).hexdigest())
with open("bin.dat", "rb") as f:
    f.seek(250)
    print(f.read(), f.tell())
st = os.stat("sub")
print(oct(st.st_mode), st.st_mtime)
print(os.lstat("link").st_size, os.stat("link").st_size)
for e in sorted(os.scandir("."), key=lambda e: e.name):
    print(e.name, e.is_dir(), e.is_file(), e.is_symlink())
'

py_pathlib='
import pathlib
p = pathlib.Path(".")
print(sorted(str(x) for x in p.glob("*.txt")))
print(sorted(str(x) for x in p.rglob("*.txt")))
print(sorted(str(x) for x in p.glob("sub/*")))
q = p / "sub" / "new" / "deep"
q.mkdir(parents=True)
(q / "f.txt").write_text("pathlib\n")
print((q / "f.txt").read_text(), end="")
print(sorted(str(x) for x in p.rglob("f.txt")))
print((p / "sub" / "a.txt").stat().st_size, (p / "nope").exists())
'

py_json='
import json
obj = {"name": "picos", "list": [1, 2.5, None, True, "\u00e9"], "nested": {"a": {"b": []}}}
with open("data.json", "w") as f:
    json.dump(obj, f, sort_keys=True, indent=1)
with open("data.json") as f:
    back = json.load(f)
print(back == obj, json.dumps(back, sort_keys=True))
print(open("data.json").read())
'

py_walk='
import os
for root, dirs, files in os.walk("."):
    dirs.sort()
    print(root, sorted(dirs), sorted(files))
fd = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
print(sorted(os.listdir(fd)))
os.close(fd)
print(os.path.realpath("link") == os.path.abspath("hello.txt"))
'

# Python's os.eventfd, os.memfd_create and select.epoll: an eventfd that
# a forked child signals, a memfd written through mmap, read back after
# fork, and run as a program with os.execve of /proc/self/fd/N.
py_fdobj='
import mmap, os, select, sys
efd = os.eventfd(0, os.EFD_CLOEXEC)
ep = select.epoll()
ep.register(efd, select.EPOLLIN)
print("idle", ep.poll(0))
pid = os.fork()
if pid == 0:
    os.eventfd_write(efd, 3)
    os._exit(0)
os.waitpid(pid, 0)
print("ready", [(fd == efd, ev) for fd, ev in ep.poll(1)], os.eventfd_read(efd))
m = os.memfd_create("py", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
os.ftruncate(m, 4096)
with mmap.mmap(m, 4096) as mm:
    mm[:5] = b"hello"
print(os.pread(m, 5, 0), os.readlink(f"/proc/self/fd/{m}"))
os.lseek(m, 0, 0)
os.write(m, b"#!/bin/sh\necho run from a memfd \"$1\"\n")
os.ftruncate(m, os.lseek(m, 0, 1))
x = os.memfd_create("script", 0)
os.write(x, os.pread(m, 100, 0))
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    os.execv(f"/proc/self/fd/{x}", ["script", "arg"])
print("status", os.waitpid(pid, 0)[1])
'

# pidfds as Python uses them: os.pidfd_open, poll and epoll readiness,
# signal.pidfd_send_signal, os.waitid(P_PIDFD), and a subprocess (spawned
# through vfork and exec) waited for through its pidfd.
py_pidfd='
import os, select, signal, subprocess
pid = os.fork()
if pid == 0:
    signal.pause()
    os._exit(0)
fd = os.pidfd_open(pid)
p = select.poll()
p.register(fd, select.POLLIN)
print("live:", p.poll(0))
signal.pidfd_send_signal(fd, signal.SIGTERM)
print("ended:", [bool(e & select.POLLIN) for _, e in p.poll(5000)])
r = os.waitid(os.P_PIDFD, fd, os.WEXITED)
print(r.si_pid == pid, r.si_code == os.CLD_KILLED, r.si_status)
try:
    signal.pidfd_send_signal(fd, 0)
except ProcessLookupError:
    print("reaped: ESRCH")
os.close(fd)
pr = subprocess.Popen(["sh", "-c", "sleep 0.2; exit 4"])
fd = os.pidfd_open(pr.pid)
ep = select.epoll()
ep.register(fd, select.EPOLLIN)
print("epoll before:", ep.poll(0))
print("epoll after:", len(ep.poll(5)), pr.wait())
'

case_python_files() { run "$PY" -c "$py_files"; }
case_python_pidfd() { run "$PY" -c "$py_pidfd"; }

# Terminals.  Interactive shells are driven through a pty of their own by
# tests/programs/ptydrive.py, as a user at a terminal would (the steps in
# tests/programs/pty/NAME.txt): natively, and with `picos run` itself on
# the pty, which hands its terminal to the world.
ptyrun() {
	local script=$top/tests/programs/pty/$1.txt
	shift
	echo "\$ ptydrive $*" >>"$err"
	if [ "$mode" = native ]; then
		HISTFILE='' timeout "$TO" "$PY" "$top/tests/programs/ptydrive.py" "$script" -- "$@"
	else
		HISTFILE='' timeout "$TO" "$PY" "$top/tests/programs/ptydrive.py" "$script" -- \
			"$picos" run "${popts[@]}" -- "$@"
	fi >>"$out" 2>>"$err"
	echo "[exit $?]" >>"$out"
}
case_bash_interactive() { ptyrun bash bash --norc --noprofile -i; }
# The user's own shell (native in both runs) runs the program, under
# picos through `picos run`: the world's ^Z is the job's.
case_job_stop() {
	local run=''
	[ "$mode" = picos ] && run="$picos run -- "
	echo "\$ ptydrive jobstop" >>"$err"
	HISTFILE='' PTYDRIVE_RUN=$run timeout "$TO" "$PY" "$top/tests/programs/ptydrive.py" \
		"$top/tests/programs/pty/jobstop.txt" -- bash --norc --noprofile -i >>"$out" 2>>"$err"
	echo "[exit $?]" >>"$out"
}
case_busybox_interactive() { ptyrun busybox "$BUSYBOX" sh -i; }
case_less() { ptyrun less env TERM=xterm LESS= less lines.txt; }
case_vim() {
	ptyrun vim env TERM=xterm vim -u NONE -N -n -i NONE vimfile.txt
	run cat vimfile.txt
}

# Ptys the program makes itself (the world's own devpts; the flat mode
# has none, docs/security).  pts numbers differ from the host's.
pts_n="sed -E 's|/dev/pts/[0-9]+|/dev/pts/N|g'"
case_script_tty() { run -f "$pts_n" script -qc 'tty; echo ok' /dev/null; }
py_pty='
import os, pty, sys
m, s = os.openpty()
print("openpty", os.isatty(s), os.ttyname(s).startswith("/dev/pts/"))
os.write(m, b"ping\n")
print(os.read(s, 100))
pid, fd = pty.fork()
if pid == 0:
    print("child", os.isatty(0), os.getsid(0) == os.getpid(),
          os.tcgetpgrp(0) == os.getpgrp(), os.ttyname(0).startswith("/dev/pts/"))
    sys.stdout.flush()
    os._exit(3)
out = b""
while True:
    try:
        d = os.read(fd, 1000)
    except OSError:
        break
    if not d:
        break
    out += d
print(out.decode().strip(), os.waitpid(pid, 0)[1] >> 8)
'
case_python_pty() { run "$PY" -c "$py_pty"; }
# CPython's test_ioctl needs a controlling terminal (tests/programs/
# cpython.sh runs without one): run on a pty of its own.
case_python_test_ioctl() { ptyrun test_ioctl "$PY" -m unittest -v test.test_ioctl; }
# tmux: a detached session (its server makes a pty for the window), keys
# sent to it, the pane's text read back.
tmux_sh='
unset TMUX
t="tmux -L picos-test -f /dev/null"
$t new-session -d -x 80 -y 10 sh || exit 1
# keys sent before the shell prompts would be echoed above its prompt
for i in $(seq 50); do
	$t capture-pane -p | grep -q "[#$] *\$" && break
	sleep 0.1
done
$t send-keys "echo hello-\$((6*7))" Enter
for i in $(seq 50); do
	$t capture-pane -p | grep -q "^hello-42" && break
	sleep 0.1
done
$t capture-pane -p | grep "^hello-42"
$t kill-server
'
case_tmux() { run bash -c "$tmux_sh"; }

# Whether picos runs worlds flat here (--ns=off, PICOS_NS=off, or no
# namespaces on this host): the world's pid namespace is the host's.
world_flat() {
	if [ -z "${world_flat_v:-}" ]; then
		world_flat_v=no
		[ "$("$picos" run -- readlink /proc/self/ns/pid 2>/dev/null)" = \
			"$(readlink /proc/self/ns/pid)" ] && world_flat_v=yes
	fi
	[ "$world_flat_v" = yes ]
}
case_python_read() { run "$PY" -c "$py_read"; }
case_python_pathlib() { run "$PY" -c "$py_pathlib"; }
case_python_json() { run "$PY" -c "$py_json"; }
case_python_walk() { run "$PY" -c "$py_walk"; }
case_python_fdobj() { run "$PY" -c "$py_fdobj"; }

########################################################################
# Busybox under --root: the guest's / is build/busybox-root (read-write);
# natively the same applet runs in a copy of that root with the paths made
# relative (the "@/" arguments of `run`).

bb_applets='sh ls cat echo wc sort mkdir rm rmdir uname cp mv ln readlink
stat touch head tail id env pwd find dd sha256sum md5sum od true
false'

make_bbroot() {
	local a
	rm -rf "$bbroot"
	mkdir -p "$bbroot/bin" "$bbroot/etc" "$bbroot/tmp"
	cp "$BUSYBOX" "$bbroot/bin/busybox" || return 1
	for a in $bb_applets; do
		ln -s busybox "$bbroot/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$bbroot/etc/passwd"
	printf 'root:x:0:\n' >"$bbroot/etc/group"
	chmod 1777 "$bbroot/tmp"
}

# Resets the root's work directory (a fixture copy) and fixes the times.
reset_bbroot() {
	rm -rf "$bbroot/work"
	cp -a "$fixture" "$bbroot/work"
	find "$bbroot" -path "$bbroot/work" -prune -o -exec touch -h -d "$T" {} +
}

# bb [RUN-OPTIONS] APPLET ARGS...: /bin/APPLET (a symlink to busybox) in
# the guest, /bin/busybox APPLET natively.
bb() {
	local opts=()
	while [[ $1 == -* ]]; do
		case $1 in
		-i | -f) opts+=("$1" "$2"); shift 2 ;;
		*) opts+=("$1"); shift ;;
		esac
	done
	if [ "$mode" = native ]; then
		run "${opts[@]}" -- "$BUSYBOX" "$@"
	else
		run "${opts[@]}" -- "/bin/$1" "${@:2}"
	fi
}

bbcase() {
	local name=bb_$1 mode d out err
	wanted "$name" || return 0
	for mode in native picos; do
		d=$scratch/$mode/$name
		out=$d.out
		err=$d.err
		: >"$out"
		: >"$err"
		reset_bbroot
		if [ "$mode" = native ]; then
			rm -rf "$d"
			cp -a "$bbroot" "$d"
			touch -d "$T" "$d"
			popts=()
			(cd "$d" && "case_$name")
			snapshot "$d" >"$d.state"
		else
			touch -d "$T" "$bbroot"
			popts=(--root "$bbroot" --cwd / --env TMPDIR=/tmp)
			(cd "$scratch" && "case_$name")
			snapshot "$bbroot" >"$d.state"
		fi
	done
	compare "$name"
}

# "..": the mirror's parent is not the guest root; /tmp: the guest's is private.
# (the total counts the left-out entries too: natively .. is the scratch
# directory, whose size grows with the number of cases)
no_dotdot_tmp="grep -v -e ' \.\.\$' -e ' tmp\$' -e '^total '"

case_bb_ls() {
	bb ls -lan @/bin
	bb ls -lan etc work/sub
	bb -f "$no_dotdot_tmp" ls -lan @/
	bb ls -a @/
	bb ls -R work
	bb ls -l @/nonexistent
}

case_bb_cat() {
	bb cat @/etc/passwd
	bb cat @/work/hello.txt @/work/lines.txt
	bb -i "$fixture/numbers.txt" cat
	bb cat @/work/link @/work/bin.dat
	bb cat @/nonexistent
}

case_bb_echo() {
	bb echo hello world
	bb echo -n no newline
	bb echo -e 'tab\there\\n'
	bb sh -c 'echo "TZ=$TZ"'
	bb true
	bb false
}

case_bb_uname() {
	bb uname -s
	bb uname -m
	bb uname -n
	bb id -u
	bb id -g
}

case_bb_wc() {
	bb wc work/numbers.txt work/lines.txt work/empty
	bb wc -l work/numbers.txt
	bb -i "$fixture/numbers.txt" wc -c
	bb -i "$fixture/lines.txt" wc -w
}

case_bb_sort() {
	bb sort @/work/lines.txt
	bb sort -u @/work/lines.txt
	bb sort -n -r @/work/numbers.txt
	bb -i "$fixture/lines.txt" sort -r
}

case_bb_mkdir() {
	bb mkdir -p @/work/a/b/c
	bb mkdir @/work/a
	bb mkdir @/work/new
	bb ls -R work/a
	bb rmdir @/work/a/b/c
	bb ls -a @/work/a/b
}

case_bb_rm() {
	bb rm @/work/hello.txt
	bb rm -r @/work/sub
	bb rm @/work/nonexistent
	bb rm -f @/work/nonexistent
	bb ls -a @/work
}

case_bb_cp_mv() {
	bb cp @/work/hello.txt @/work/c.txt
	bb mv @/work/c.txt @/work/d.txt
	bb cp -r @/work/sub @/work/sub2
	bb mv @/work/lines.txt @/work/sub2/
	bb cat @/work/d.txt @/work/sub2/lines.txt
	bb ls -a work work/sub2
}

case_bb_ln_touch_stat() {
	bb ln -s hello.txt @/work/l
	bb readlink @/work/l
	bb readlink @/work/link
	bb touch -d '2001-02-03 04:05:06' @/work/hello.txt
	bb touch @/work/fresh
	bb stat -c '%n %s %a %F %Y' work/hello.txt work/sub
	bb stat -c '%n %s %a %F' work/l work/fresh
	bb stat -c '%n %s %a %F %h' bin/ls bin/busybox etc/passwd
}

case_bb_files() {
	bb sha256sum work/numbers.txt work/bin.dat
	bb md5sum work/lines.txt
	bb head -n 3 @/work/lines.txt
	bb tail -n 2 @/work/numbers.txt
	bb od -c @/work/hello.txt
	bb dd if=@/work/numbers.txt of=@/work/dd.out bs=512 count=3 skip=1
	bb cat @/work/dd.out
	bb -s find work
}

# Shell scripts made of builtins only: no fork, one process.
case_bb_sh() {
	bb sh -c 'echo a; echo b; x=$((6 * 7)); echo "x=$x"; exit 3'
	bb sh -c 'read -r l < etc/passwd; echo "first: $l"'
	bb sh -c 'echo written > work/sh.out; read -r l < work/sh.out; echo "$l"'
	bb sh -c 'for i in 1 2 3; do echo "i=$i"; done; cd work/sub && echo in sub'
	bb sh -c 'test -d work && test -f work/hello.txt && echo tests ok'
}

# busybox nc -l binds the IPv6 wildcard (dual-stack): a client at
# 127.0.0.1 reaches it.  The port is one the host just had free.
case_bb_nc() {
	local port
	port=$("$PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::", 0)); print(s.getsockname()[1])')
	# A pipeline, not "&": the root has no /dev/null for a background job.
	bb sh -c 'busybox nc -l -p "$1" >work/got.txt | {
		i=0
		until echo "hello over nc" | busybox nc 127.0.0.1 "$1"; do
			i=$((i + 1)); [ $i -ge 50 ] && break; sleep 0.1
		done; }
		cat work/got.txt; rm work/got.txt' sh "$port"
}

########################################################################
# The picos command line

cli=$scratch/cli

# pic NAME ARGS...: runs picos ARGS (from $cli/cwd) with stdout, stderr and
# status in $cli/NAME.{out,err,rc}.
pic() {
	local name=$1
	shift
	(cd "$cli/cwd" && timeout "$TO" "$picos" "$@") \
		>"$cli/$name.out" 2>"$cli/$name.err" </dev/null
	echo $? >"$cli/$name.rc"
}

rc_of() { cat "$cli/$1.rc"; }
out_of() { cat "$cli/$1.out"; }
lines_of() { wc -l <"$cli/$1.$2" | tr -d ' '; }

# expect NAME DESCRIPTION TEST...: one result line; on failure shows what
# picos printed.
expect() {
	local name=$1 what=$2
	shift 2
	if "$@"; then
		ok "$name"
	else
		not_ok "$name" "$what"
		[ -f "$cli/$name.rc" ] && echo "    exit $(rc_of "$name")"
		[ -f "$cli/$name.out" ] && show '>' "$cli/$name.out" 6
		[ -f "$cli/$name.err" ] && show '|' "$cli/$name.err" 6
	fi
}

# The one-line error checks: exit status, no stdout, exactly one stderr line
# starting with "picos:".
one_line_error() {
	local name=$1 want=$2
	if [ "$want" = nonzero ]; then
		[ "$(rc_of "$name")" != 0 ] || return 1
	else
		[ "$(rc_of "$name")" = "$want" ] || return 1
	fi
	[ ! -s "$cli/$name.out" ] && [ "$(lines_of "$name" err)" = 1 ] &&
		grep -q '^picos: ' "$cli/$name.err"
}

# Whether this host lets picos build a world's namespaces (--ns=on).
ns_works() {
	[ -n "${ns_works_cached:-}" ] ||
		{ (cd "$cli/cwd" && "$picos" run --ns=on -- /bin/true) >/dev/null 2>&1 &&
			ns_works_cached=yes || ns_works_cached=no; }
	[ "$ns_works_cached" = yes ]
}

is_rc_out() { [ "$(rc_of "$1")" = "$2" ] && [ "$(out_of "$1")" = "$3" ]; }

chk_ro_metadata() {
	is_rc_out cli_ro_metadata 0 $'chmod EROFS\nchown EROFS\nutime EROFS\nlchown EROFS\nsetxattr EROFS\nremovexattr EROFS' &&
		[ "$(stat -c '%a %u %g %Y' "$cli/bindsrc/f.txt")" = "$1" ]
}

# A host stream socket DIR/s that greets each client with "hello", and a
# host datagram socket DIR/s.dg, both outside every world (under
# build/, beneath the read-only /).
start_host_sockets() {
	mkdir -p "$1"
	rm -f "$1/s" "$1/s.dg" "$1/ready"
	"$PY" -c '
import os, socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(d + "/s"); s.listen(8)
g = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); g.bind(d + "/s.dg")
open(d + "/ready", "w").close()
while True:
    c, _ = s.accept(); c.send(b"hello"); c.close()' "$1" &
	host_sockets_pid=$!
	host_sockets_dir=$1
	for _ in $(seq 50); do [ -e "$1/ready" ] && break; sleep 0.1; done
}

stop_host_sockets() {
	kill "$host_sockets_pid" 2>/dev/null
	wait "$host_sockets_pid" 2>/dev/null
	rm -rf "$host_sockets_dir"
}

picos_tmps() { find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'picos-tmp-*' | wc -l | tr -d ' '; }

# Each check below is a function: the case passes when it succeeds.
chk_cwd_bad() { one_line_error "$1" 125 && [ "$(cat "$cli/$1.err")" = "picos: $2" ]; }
chk_home_ro() { [ "$(rc_of cli_home_ro)" != 0 ] && [ ! -e "$cli/.gitconfig" ]; }
chk_home() {
	is_rc_out "$1" 0 "x"$'\n'"$cli"$'\n.gitconfig\ncwd' && [ ! -e "$cli/.gitconfig" ] &&
		[ "$(picos_tmps)" = 0 ]
}
chk_home_dir() {
	is_rc_out cli_home_dir 0 "x"$'\n'"$cli"$'\n.gitconfig\ncwd' &&
		is_rc_out cli_home_dir2 0 "$HOME"$'\nx' &&
		grep -q 'name = x' "$cli/homedir/.gitconfig" && [ -d "$cli/homedir/cwd" ]
}
doctor_features=('Syscall User Dispatch' 'seccomp filters' 'seccomp TSYNC' 'Landlock' 'openat2'
	'pidfd_open' 'memfd_create' 'user namespaces' 'membarrier sync core')
# every feature on a line of its own, "ok" or "missing", then whether required
chk_doctor_lines() {
	local f
	for f in "${doctor_features[@]}"; do
		grep -Eq "^(ok|missing) +(required|optional) +$f  " "$cli/$1.out" || return 1
	done
	[ "$(grep -Ec '^(ok|missing) ' "$cli/$1.out")" = "${#doctor_features[@]}" ]
}
chk_doctor() {
	[ "$(rc_of cli_doctor)" = 0 ] && chk_doctor_lines cli_doctor &&
		! grep -q '^missing required' "$cli/cli_doctor.out" &&
		tail -n 1 "$cli/cli_doctor.out" | grep -q '^picos can run here'
}
chk_doctor_nested() {
	[ "$(rc_of cli_doctor_nested)" = 1 ] && chk_doctor_lines cli_doctor_nested &&
		grep -q '^missing required Syscall User Dispatch' "$cli/cli_doctor_nested.out" &&
		tail -n 1 "$cli/cli_doctor_nested.out" | grep -q '^picos cannot run here'
}
# The options `picos help` lists, one a line.
usage_options() { "$picos" help | grep -oE '^  --[a-z-]+' | sed 's/^ *//' | sort -u; }
chk_install() {
	[ "$(rc_of cli_install)" = 0 ] && [ -x "$1/bin/picos" ] &&
		[ "$("$1/bin/picos" --version)" = "$("$picos" --version)" ] &&
		[ -f "$1/share/man/man1/picos.1" ] &&
		[ -f "$1/share/bash-completion/completions/picos" ]
}
chk_install_man() {
	local o page=$1/share/man/man1/picos.1
	[ "$(rc_of cli_install_man)" = 0 ] && [ ! -s "$cli/cli_install_man.err" ] &&
		grep -q "^\.TH PICOS 1 .*\"$("$picos" --version)\"" "$page" || return 1
	for o in $(usage_options) --gid; do
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page" ||
			{ echo "    $o not in picos.1"; return 1; }
	done
}
# complete WORDS...: what the completion offers for the last word
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		compopt() { :; }; _picos; printf "%s\n" "${COMPREPLY[@]}"' sh "$@"
}
chk_install_completion() {
	local c=$1/share/bash-completion/completions/picos o
	bash -n "$c" || return 1
	[ "$(complete_words "$c" picos '' | sort | tr '\n' ' ')" = '--help --version create delete doctor exec features help kill list ps run start state ' ] &&
		[ "$(complete_words "$c" picos run --net = '' | tr '\n' ' ')" = 'loopback host none ' ] &&
		[ "$(complete_words "$c" picos run --ns '' | tr '\n' ' ')" = 'auto on off ' ] || return 1
	for o in $(usage_options); do
		complete_words "$c" picos run --ns=off -- | grep -qx -- "$o" ||
			{ echo "    $o not completed"; return 1; }
	done
}
chk_version() { [ "$(rc_of cli_version)" = 0 ] && grep -q '^picos [0-9]' "$cli/cli_version.out"; }
chk_missing_program() { [ "$(rc_of cli_missing_program)" = 2 ] && [ -s "$cli/cli_missing_program.err" ]; }
chk_bind_write() { [ "$(rc_of cli_bind_write)" = 0 ] && [ "$(cat "$cli/bindsrc/new.txt" 2>/dev/null)" = 'from guest' ]; }
chk_bind_ro() { is_rc_out cli_bind_ro 0 $'bound file\nEROFS\nEROFS' && [ ! -e "$cli/bindsrc/x.txt" ]; }
chk_bind_ro_busybox() {
	[ "$(rc_of cli_bind_ro_busybox)" = 1 ] && [ ! -e "$cli/bindsrc/d" ] &&
		grep -q 'Read-only file system' "$cli/cli_bind_ro_busybox.err"
}
chk_mknod_device() { is_rc_out cli_mknod_device 0 $'EPERM\nEPERM' && [ ! -e "$cli/cwd/c" ] && [ ! -e "$cli/cwd/b" ]; }
chk_host_root_ro() { is_rc_out cli_host_root_ro 0 $'EROFS\nTrue' && [ ! -e /picos-test-must-not-exist ]; }
chk_cwd_rw() { [ "$(rc_of cli_cwd_rw)" = 0 ] && [ -f "$cli/cwd/created-by-guest" ]; }
# The private /tmp starts empty, unless the current directory lies beneath
# /tmp: then it holds the mount point leading there (/tmp/TOP/...).
tmp_want() {
	local top=
	case $cli/cwd in
	/tmp/*) top=${cli#/tmp/} && top=${top%%/*} ;;
	esac
	"$PY" -c 'import sys; t = sys.argv[1:]
print(sorted(t), "0o1777")
print(sorted(t + ["picos-file"]))' $top
}
chk_tmp_empty() { is_rc_out cli_tmp_empty 0 "$(tmp_want)" && [ "$(picos_tmps)" = 0 ]; }
chk_tmp_busybox() {
	local top=
	case $cli/cwd in
	/tmp/*) top=${cli#/tmp/} && top=${top%%/*} ;;
	esac
	is_rc_out cli_tmp_busybox 0 $'data\nmade' && is_rc_out cli_tmp_busybox2 0 "$top" &&
		[ "$(picos_tmps)" = 0 ]
}
chk_trace() {
	grep -F 'openat(' "$cli/cli_trace.err" | grep -F '"/nonexistent-picos-trace"' |
		grep -qF '= -1 ENOENT (No such file or directory)'
}
chk_trace_file() {
	is_rc_out cli_trace_file 0 traced && [ ! -s "$cli/cli_trace_file.err" ] &&
		grep -qF 'write(1, "traced\n", 7) = 7' "$cli/trace.txt"
}
chk_trace_exec() {
	is_rc_out cli_trace_exec 0 ran && [ ! -s "$cli/cli_trace_exec.err" ] &&
		grep -qF "execve(\"$BUSYBOX\", " "$cli/trace_exec.txt" &&
		grep -F "execve(\"$BUSYBOX\", " "$cli/trace_exec.txt" | grep -q ' = 0$'
}
chk_tail_inotify() {
	local t=$cli/trace_tail.txt
	[ "$(rc_of cli_tail_inotify)" = 0 ] && grep -qx 'line 3 seen' "$cli/cli_tail_inotify.out" &&
		grep -qE '^(\[pid [0-9]+\] )?inotify_init1?\(.*\) = [0-9]+$' "$t" &&
		grep -E 'inotify_add_watch\([0-9]+, "log", ' "$t" | grep -qE ' = [0-9]+$'
}
chk_trace_socket() {
	local t=$cli/trace_socket.txt
	is_rc_out cli_trace_socket 0 111 &&
		grep -qF 'bind(3, {sa_family=AF_UNIX, sun_path=@"picos-trace"}, 14) = 0' "$t" &&
		grep -qF 'connect(4, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED' "$t" &&
		grep -qF 'socket(AF_INET, 0x80001, 0) = 4' "$t"
}
chk_stats() {
	is_rc_out cli_stats 0 counted && grep -q 'calls' "$cli/cli_stats.err" &&
		tail -n 1 "$cli/cli_stats.err" | grep -q 'total$' &&
		grep -Eq '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]* *write$' "$cli/cli_stats.err"
}

chk_net_host() {
	[ "$(rc_of cli_net_host)" = 0 ] &&
		[ "$(head -n 1 "$cli/cli_net_host.out")" = "0.0.0.0 ['00000000']" ] &&
		[ "$(tail -n 1 "$cli/cli_net_host.out")" = EADDRNOTAVAIL ]
}

cli_cases() {
	rm -rf "$cli"
	mkdir -p "$cli/cwd" "$cli/bindsrc"
	# Inside the current directory: the guest sees it wherever the tree is
	# (beneath /tmp, only the current directory shows through).
	printf 'hello\n' >"$cli/cwd/notelf"
	chmod 755 "$cli/cwd/notelf"
	printf '#!/bin/sh\n' >"$cli/cwd/noexec"
	chmod 644 "$cli/cwd/noexec"
	printf 'bound file\n' >"$cli/bindsrc/f.txt"
	local b=$cli/bindsrc

	if wanted cli_version; then
		pic cli_version --version
		expect cli_version "exit 0 and a version line" chk_version
	fi
	if wanted cli_enoent; then
		pic cli_enoent run -- /nonexistent/picos-test
		expect cli_enoent "one-line error, exit 127" one_line_error cli_enoent 127
	fi
	if wanted cli_enoexec; then
		pic cli_enoexec run -- "$cli/cwd/notelf"
		expect cli_enoexec "one-line error, exit 126" one_line_error cli_enoexec 126
	fi
	if wanted cli_eacces; then
		pic cli_eacces run -- "$cli/cwd/noexec"
		expect cli_eacces "not executable: one-line error, exit 126" one_line_error cli_eacces 126
	fi
	if wanted cli_bad_root; then
		pic cli_bad_root run --root /nonexistent/picos-root -- /bin/true
		expect cli_bad_root "one-line error, non-zero exit" one_line_error cli_bad_root nonzero
	fi
	if wanted cli_bogus_option; then
		pic cli_bogus_option run --bogus
		expect cli_bogus_option "one-line error, exit 2" one_line_error cli_bogus_option 2
	fi
	if wanted cli_missing_program; then
		pic cli_missing_program run
		expect cli_missing_program "error, exit 2" chk_missing_program
	fi

	# Exit status relay.
	if wanted cli_exit_python; then
		pic cli_exit_python run -- "$PY" -c 'import sys; print("bye"); sys.exit(7)'
		expect cli_exit_python "exit 7 relayed" is_rc_out cli_exit_python 7 bye
	fi
	if wanted cli_exit_busybox; then
		pic cli_exit_busybox run -- "$BUSYBOX" sh -c 'echo bye; exit 7'
		expect cli_exit_busybox "exit 7 relayed" is_rc_out cli_exit_busybox 7 bye
	fi
	# Death by a signal gives 128 + N: a fault (SIGSEGV, 139) ...
	if wanted cli_signal_segv; then
		pic cli_signal_segv run -- "$PY" -c \
			'import ctypes; print("before", flush=True); ctypes.string_at(0)'
		expect cli_signal_segv "death by SIGSEGV gives 139" is_rc_out cli_signal_segv 139 before
	fi
	# ... and kill(2) of oneself (SIGKILL, 137).  Off until picos has
	# kill(2): set PROGRAMS_SIGNAL=1 to run it.
	if wanted cli_signal_kill && [ -n "${PROGRAMS_SIGNAL:-}" ]; then
		pic cli_signal_kill run -- "$PY" -c 'import os; os.kill(os.getpid(), 9)'
		expect cli_signal_kill "killed by SIGKILL gives 137" is_rc_out cli_signal_kill 137 ''
	fi

	# Environment, working directory, identity, host name.
	if wanted cli_env; then
		pic cli_env run --env PICOS_T=hello --env TZ=Europe/Paris -- "$BUSYBOX" sh -c 'echo "$PICOS_T $TZ"'
		expect cli_env "--env sets and overrides" is_rc_out cli_env 0 'hello Europe/Paris'
	fi
	if wanted cli_env_python; then
		pic cli_env_python run --env PICOS_T=py -- "$PY" -c 'import os; print(os.environ["PICOS_T"], os.environ["TZ"])'
		expect cli_env_python "--env seen by python" is_rc_out cli_env_python 0 'py UTC'
	fi
	if wanted cli_clear_env; then
		pic cli_clear_env run --clear-env --env A=1 -- "$BUSYBOX" env
		expect cli_clear_env "only A=1 left" is_rc_out cli_clear_env 0 'A=1'
	fi
	if wanted cli_cwd; then
		pic cli_cwd run --cwd /etc -- "$BUSYBOX" pwd
		expect cli_cwd "--cwd /etc" is_rc_out cli_cwd 0 /etc
	fi
	if wanted cli_cwd_python; then
		pic cli_cwd_python run --cwd /usr -- "$PY" -c 'import os; print(os.getcwd(), os.path.isdir("bin"))'
		expect cli_cwd_python "--cwd /usr" is_rc_out cli_cwd_python 0 '/usr True'
	fi
	# --cwd is looked up in the world (its mounts, as the guest) before
	# the program runs: a missing one is the runtime's error (125, as
	# podman), in one line, and the world's own directories count.
	if wanted cli_cwd_bad; then
		local m
		for m in auto off; do
			pic cli_cwd_bad_$m run --ns=$m --cwd /nonexistent.$$ -- /bin/true
			expect cli_cwd_bad_$m "--ns=$m: a missing --cwd: one-line error, exit 125" \
				chk_cwd_bad cli_cwd_bad_$m "--cwd /nonexistent.$$: No such file or directory"
			pic cli_cwd_tmpfs_$m run --ns=$m --tmpfs /mnt/t --cwd /mnt/t -- /bin/pwd
			expect cli_cwd_tmpfs_$m "--ns=$m: --cwd in a --tmpfs (a world mount) is found" \
				is_rc_out cli_cwd_tmpfs_$m 0 /mnt/t
		done
		pic cli_cwd_bad_file run --cwd /etc/passwd -- /bin/true
		expect cli_cwd_bad_file "--cwd of a file: one-line error, exit 125" \
			chk_cwd_bad cli_cwd_bad_file "--cwd /etc/passwd: Not a directory"
		# a host /tmp directory: the world's /tmp is its own
		local ht
		ht=$(mktemp -d /tmp/picos-cwd.XXXXXX)
		pic cli_cwd_bad_tmp run --cwd "$ht" -- /bin/true
		rmdir "$ht"
		expect cli_cwd_bad_tmp "--cwd in the host's /tmp: one-line error naming the private /tmp" \
			chk_cwd_bad cli_cwd_bad_tmp "--cwd $ht: No such file or directory (the world's /tmp is its own, not the host's)"
		# a directory this user may not search (as root: none)
		if [ -d /root ] && [ ! -x /root ]; then
			pic cli_cwd_bad_perm run --cwd /root -- /bin/true
			expect cli_cwd_bad_perm "--cwd the guest may not search: one-line error, exit 125" \
				chk_cwd_bad cli_cwd_bad_perm "--cwd /root: Permission denied"
		fi
		pic cli_cwd_bad_rel run --cwd etc -- /bin/true
		expect cli_cwd_bad_rel "a relative --cwd: one-line error, exit 2" \
			one_line_error cli_cwd_bad_rel 2
		# resolved as chdir resolves it: the symlink's target is the cwd
		ln -sfn ../bindsrc "$cli/cwd/cwdlink"
		pic cli_cwd_link run --cwd "$cli/cwd/cwdlink" -- /bin/pwd
		expect cli_cwd_link "--cwd through a symlink: pwd shows its target, as natively" \
			is_rc_out cli_cwd_link 0 "$(cd "$cli/cwd/cwdlink" && /bin/pwd)"
	fi
	if wanted cli_default_cwd; then
		pic cli_default_cwd run -- "$BUSYBOX" pwd
		expect cli_default_cwd "default cwd is the host's" is_rc_out cli_default_cwd 0 "$cli/cwd"
	fi
	if wanted cli_uid_python; then
		pic cli_uid_python run --uid 0 -- "$PY" -c 'import os; print(os.getuid())'
		expect cli_uid_python "--uid 0" is_rc_out cli_uid_python 0 0
	fi
	if wanted cli_uid_gid; then
		pic cli_uid_gid run --uid 1234 --gid 99 -- "$PY" -c \
			'import os; print(os.getuid(), os.getgid(), os.geteuid(), os.getegid())'
		expect cli_uid_gid "--uid 1234 --gid 99" is_rc_out cli_uid_gid 0 '1234 99 1234 99'
	fi
	if wanted cli_uid_busybox; then
		pic cli_uid_busybox run --uid 1234 --gid 99 -- "$BUSYBOX" id -u
		expect cli_uid_busybox "--uid 1234" is_rc_out cli_uid_busybox 0 1234
	fi
	if wanted cli_hostname; then
		pic cli_hostname run --hostname picos-test -- "$BUSYBOX" uname -n
		expect cli_hostname "--hostname via uname -n" is_rc_out cli_hostname 0 picos-test
	fi
	if wanted cli_hostname_python; then
		pic cli_hostname_python run --hostname picos-py -- "$PY" -c 'import socket; print(socket.gethostname())'
		expect cli_hostname_python "--hostname via python" is_rc_out cli_hostname_python 0 picos-py
	fi

	# Mounts.
	if wanted cli_bind; then
		pic cli_bind run --bind "$b:/mnt/picos-bind" -- "$BUSYBOX" cat /mnt/picos-bind/f.txt
		expect cli_bind "--bind SRC:DST is readable" is_rc_out cli_bind 0 'bound file'
	fi
	if wanted cli_bind_write; then
		pic cli_bind_write run --bind "$b:/mnt/picos-bind" -- "$PY" -c \
			'open("/mnt/picos-bind/new.txt", "w").write("from guest\n")'
		expect cli_bind_write "--bind SRC:DST is writable" chk_bind_write
	fi
	if wanted cli_bind_ro; then
		pic cli_bind_ro run --bind "$b:/mnt/picos-bind:ro" -- "$PY" -c '
import errno
print(open("/mnt/picos-bind/f.txt").read(), end="")
for path, mode in (("/mnt/picos-bind/f.txt", "a"), ("/mnt/picos-bind/x.txt", "w")):
    try:
        open(path, mode)
        print("writable")
    except OSError as e:
        print(errno.errorcode[e.errno])'
		expect cli_bind_ro "writing into a :ro bind gives EROFS" chk_bind_ro
	fi
	# A world never makes a device node, even for a guest that is root
	# (and when picos itself runs as root): EPERM, and nothing appears.
	if wanted cli_mknod_device; then
		pic cli_mknod_device run --uid 0 --gid 0 -- "$PY" -c '
import errno, os
for name, kind in (("c", 0o20000), ("b", 0o60000)):
    try:
        os.mknod(name, kind | 0o600, os.makedev(1, 3))
        print("made")
    except OSError as e:
        print(errno.errorcode[e.errno])'
		expect cli_mknod_device "device nodes give EPERM" chk_mknod_device
	fi
	if wanted cli_bind_ro_busybox; then
		pic cli_bind_ro_busybox run --bind "$b:/mnt/picos-bind:ro" -- "$BUSYBOX" mkdir /mnt/picos-bind/d
		expect cli_bind_ro_busybox "mkdir in a :ro bind fails with EROFS" chk_bind_ro_busybox
	fi
	if wanted cli_host_root_ro; then
		pic cli_host_root_ro run -- "$PY" -c '
import errno, os
try:
    open("/picos-test-must-not-exist", "w")
    print("writable")
except OSError as e:
    print(errno.errorcode[e.errno])
print(os.path.exists("/etc/passwd"))'
		expect cli_host_root_ro "the host / is read-only (EROFS)" chk_host_root_ro
	fi
	if wanted cli_cwd_rw; then
		pic cli_cwd_rw run -- "$BUSYBOX" touch created-by-guest
		expect cli_cwd_rw "the current directory is writable" chk_cwd_rw
	fi

	# Landlock covers the host's / entry by entry (not its /tmp, /dev or
	# /proc): the guest still lists / and /dev as natively.
	# Flat (Landlock only): / lists as natively, and /dev shows the
	# world's names only (those of them the host has; src/kernel/fs/
	# devfs.c).  With namespaces / lists as natively and /dev is the
	# world's own (cli_ns checks it).
	if wanted cli_root_listing; then
		pic cli_root_listing run --ns=off -- "$BUSYBOX" sh -c \
			'ls -A /; find / -maxdepth 1 | sort; ls /dev; ls -la / >/dev/null && echo listed'
		local want
		want=$("$BUSYBOX" sh -c 'ls -A /; find / -maxdepth 1 | sort
			ls /dev | grep -x -e null -e zero -e full -e random -e urandom \
				-e tty -e ptmx -e pts -e shm -e fd -e stdin -e stdout -e stderr
			echo listed')
		expect cli_root_listing "ls / as natively and /dev with the world's names (flat)" is_rc_out cli_root_listing 0 "$want"
		pic cli_root_listing_ns run -- "$BUSYBOX" sh -c \
			'ls -A /; find / -maxdepth 1 | sort; ls -la / >/dev/null && echo listed'
		want=$("$BUSYBOX" sh -c 'ls -A /; find / -maxdepth 1 | sort; echo listed')
		expect cli_root_listing_ns "ls / as natively (namespaces)" is_rc_out cli_root_listing_ns 0 "$want"
	fi

	# Metadata on a read-only mount: chmod, chown, utime and xattrs of a
	# host file outside the current directory (under the read-only /)
	# give EROFS, as on a read-only mount, and change nothing.
	if wanted cli_ro_metadata; then
		local before
		before=$(stat -c '%a %u %g %Y' "$b/f.txt")
		pic cli_ro_metadata run -- "$PY" -c '
import errno, os, sys
f = sys.argv[1]
for what, call in (("chmod", lambda: os.chmod(f, 0o600)),
                   ("chown", lambda: os.chown(f, os.getuid(), os.getgid())),
                   ("utime", lambda: os.utime(f, (0, 0))),
                   ("lchown", lambda: os.lchown(f, -1, -1)),
                   ("setxattr", lambda: os.setxattr(f, "user.picos", b"x")),
                   ("removexattr", lambda: os.removexattr(f, "user.picos"))):
    try:
        call()
        print(what, "done")
    except OSError as e:
        print(what, errno.errorcode[e.errno])' "$b/f.txt"
		expect cli_ro_metadata "metadata changes under the read-only / give EROFS" \
			chk_ro_metadata "$before"
	fi

	# Unix sockets: a guest connects to sockets in its writable mounts, to
	# a host socket outside them only through --bind-socket (EACCES
	# otherwise, for stream connect and datagram sendto alike).
	if wanted cli_unix_cwd; then
		pic cli_unix_cwd run -- "$PY" -c '
import socket
s = socket.socket(socket.AF_UNIX)
s.bind("cwd.sock"); s.listen()
c = socket.socket(socket.AF_UNIX); c.connect("cwd.sock")
a, _ = s.accept(); c.send(b"hi"); print(a.recv(2).decode())'
		expect cli_unix_cwd "a socket in the current directory is reachable" is_rc_out cli_unix_cwd 0 hi
		rm -f "$cli/cwd/cwd.sock"
	fi
	if wanted cli_unix_host; then
		start_host_sockets "$cli/hostsock"
		local client='
import errno, socket, sys
for path in sys.argv[1:]:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_UNIX, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.connect(path); print(s.recv(16).decode())
            else:
                s.sendto(b"x", path + ".dg"); print("sent")
        except OSError as e:
            print(errno.errorcode[e.errno])'
		pic cli_unix_host run -- "$PY" -c "$client" "$cli/hostsock/s"
		pic cli_unix_host_link run -- "$PY" -c "
import os; os.symlink('$cli/hostsock/s', 'link.sock'); os.symlink('$cli/hostsock/s.dg', 'link.sock.dg')
$client" link.sock
		rm -f "$cli/cwd/link.sock" "$cli/cwd/link.sock.dg"
		pic cli_bind_socket run --bind-socket "$cli/hostsock/s:/run/picos-test.sock" \
			--bind-socket "$cli/hostsock/s.dg:/run/picos-test.sock.dg" \
			--bind-socket "$cli/hostsock/s:/tmp/sub/t.sock" -- "$PY" -c "$client
import errno, os, stat
print(stat.S_ISSOCK(os.stat('/run/picos-test.sock').st_mode), os.listdir('/tmp/sub'))
for f in (lambda: open('/run/picos-test.sock'), lambda: os.listdir('/run/picos-test.sock'),
          lambda: os.unlink('/run/picos-test.sock'), lambda: os.chmod('/run/picos-test.sock', 0o600)):
    try:
        f()
    except OSError as e:
        print(errno.errorcode[e.errno])" \
			/run/picos-test.sock /tmp/sub/t.sock
		pic cli_unix_bind_ro run --bind "$cli/hostsock:/mnt/hs:ro" -- "$PY" -c "$client" /mnt/hs/s
		pic cli_unix_bind_rw run --bind "$cli/hostsock:/mnt/hs" -- "$PY" -c "$client" /mnt/hs/s
		stop_host_sockets
		expect cli_unix_bind_ro "a socket in a read-only --bind is refused (EACCES)" \
			is_rc_out cli_unix_bind_ro 0 $'EACCES\nEACCES'
		expect cli_unix_bind_rw "a socket in a read-write --bind is reachable" \
			is_rc_out cli_unix_bind_rw 0 $'hello\nsent'
		expect cli_unix_host "a host socket under the read-only / is refused (EACCES)" \
			is_rc_out cli_unix_host 0 $'EACCES\nEACCES'
		expect cli_unix_host_link "... also through a symlink in the current directory" \
			is_rc_out cli_unix_host_link 0 $'EACCES\nEACCES'
		expect cli_bind_socket "--bind-socket HOST:GUEST makes it reachable" \
			is_rc_out cli_bind_socket 0 $'hello\nsent\nhello\nENOENT\nTrue [\'t.sock\']\nENXIO\nENOTDIR\nEROFS\nEROFS'
	fi
	if wanted cli_bind_socket_bad; then
		pic cli_bind_socket_notsock run --bind-socket "$b/f.txt:/run/x.sock" -- /bin/true
		expect cli_bind_socket_notsock "--bind-socket of a file: one-line error" \
			one_line_error cli_bind_socket_notsock 125
		pic cli_bind_socket_enoent run --bind-socket "$b/nonexistent:/run/x.sock" -- /bin/true
		expect cli_bind_socket_enoent "--bind-socket of a missing path: one-line error" \
			one_line_error cli_bind_socket_enoent 125
		pic cli_bind_socket_syntax run --bind-socket "$b/f.txt:relative" -- /bin/true
		expect cli_bind_socket_syntax "--bind-socket with a relative guest path: exit 2" \
			one_line_error cli_bind_socket_syntax 2
	fi

	# Private /tmp: empty at start, writable, gone afterwards.
	if wanted cli_tmp_empty; then
		pic cli_tmp_empty run -- "$PY" -c '
import os, stat
st = os.stat("/tmp")
print(sorted(os.listdir("/tmp")), oct(stat.S_IMODE(st.st_mode)))
open("/tmp/picos-file", "w").write("x")
print(sorted(os.listdir("/tmp")))'
		expect cli_tmp_empty "empty 1777 /tmp, writable, removed after the run" chk_tmp_empty
	fi
	if wanted cli_tmp_busybox; then
		pic cli_tmp_busybox run -- "$BUSYBOX" sh -c \
			'echo data > /tmp/f; read -r l < /tmp/f; echo "$l"; echo x >> /tmp/g && echo made'
		pic cli_tmp_busybox2 run -- "$BUSYBOX" ls -A /tmp
		expect cli_tmp_busybox "/tmp writable, empty in the next run, nothing left" chk_tmp_busybox
	fi

	# $HOME is read-only without --home (here the cwd's parent, beneath
	# the read-only /); --home makes a fresh writable one that goes with
	# the world, --home=DIR binds DIR there and keeps it.
	if wanted cli_home && command -v git >/dev/null; then
		local m gc='git config --global user.name x && git config --global user.name && echo "$HOME" && ls -A ~'
		pic cli_home_ro run --env HOME="$cli" -- /bin/sh -c 'git config --global user.name x'
		expect cli_home_ro "without --home, git config --global fails: \$HOME is read-only" \
			chk_home_ro
		for m in auto off; do
			pic cli_home_$m run --ns=$m --env HOME="$cli" --home -- /bin/sh -c "$gc"
			expect cli_home_$m "--ns=$m: --home: git config --global works, the cwd shows beneath, nothing left" \
				chk_home cli_home_$m
		done
		pic cli_home_fresh run --env HOME="$cli" --home -- /bin/ls -A "$cli"
		expect cli_home_fresh "--home: the next run's home is fresh again" \
			is_rc_out cli_home_fresh 0 cwd
		rm -rf "$cli/homedir"
		mkdir -p "$cli/homedir"
		pic cli_home_dir run --env HOME="$cli" --home="$cli/homedir" -- /bin/sh -c "$gc"
		pic cli_home_dir2 run --home="$cli/homedir" -- /bin/sh -c 'echo "$HOME"; git config --global user.name'
		expect cli_home_dir "--home=DIR: bound read-write at \$HOME (the cwd's mount point made in it), kept" \
			chk_home_dir
		pic cli_home_env run --clear-env --env HOME=/srv/picos-home/ --home -- /bin/sh -c \
			'echo "$HOME"; touch ~/f && ls ~; env | grep -c "^HOME="'
		expect cli_home_env "--home at --env HOME's directory (made anew), set once" \
			is_rc_out cli_home_env 0 $'/srv/picos-home\nf\n1'
		pic cli_home_bad run --home= -- /bin/true
		expect cli_home_bad "--home= without a directory: one-line error, exit 2" \
			one_line_error cli_home_bad 2
		pic cli_home_bad2 run --home="$cli/missing.$$" -- /bin/true
		expect cli_home_bad2 "--home=DIR that does not exist: one-line error, exit 125" \
			one_line_error cli_home_bad2 125
	fi

	# --trace and --stats.
	if wanted cli_trace; then
		pic cli_trace run --trace -- "$BUSYBOX" cat /nonexistent-picos-trace
		expect cli_trace "an openat line with the path and ENOENT" chk_trace
	fi
	if wanted cli_trace_file; then
		pic cli_trace_file run --trace="$cli/trace.txt" -- "$BUSYBOX" echo traced
		expect cli_trace_file "--trace=FILE gets the trace, stdout unchanged" chk_trace_file
	fi
	if wanted cli_trace_exec; then
		pic cli_trace_exec run --trace="$cli/trace_exec.txt" -- "$BUSYBOX" sh -c "exec $BUSYBOX echo ran"
		expect cli_trace_exec "a successful execve's line shows its path" chk_trace_exec
	fi
	if wanted cli_tail_inotify; then
		pic cli_tail_inotify run --trace="$cli/trace_tail.txt" -- sh -c "$tail_follow"
		expect cli_tail_inotify "tail -f sees appends through an inotify watch" chk_tail_inotify
	fi
	if wanted cli_trace_socket; then
		pic cli_trace_socket run --trace="$cli/trace_socket.txt" -- "$PY" -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0picos-trace")
c = socket.socket()
try:
    c.connect(("127.0.0.1", 9))
except OSError as e:
    print(e.errno)'
		expect cli_trace_socket "socket addresses decoded as strace does" chk_trace_socket
	fi
	if wanted cli_stats; then
		pic cli_stats run --stats -- "$BUSYBOX" echo counted
		expect cli_stats "a table ending with a total line" chk_stats
	fi

	# No host process of the world outlives the run.  Each run leaves
	# sleepers with a marker of its own in their arguments; afterwards no
	# process may carry it.
	if wanted cli_pid1_exit; then
		pic cli_pid1_exit run -- "$BUSYBOX" sh -c \
			"$BUSYBOX sleep 61.$$ & $BUSYBOX sleep 61.$$ & exit 7"
		expect cli_pid1_exit "pid 1's status; its orphans are killed with it" \
			chk_no_marker cli_pid1_exit 7 "61.$$"
	fi
	if wanted cli_sigterm; then
		(cd "$cli/cwd" && exec "$picos" run -- "$BUSYBOX" sh -c \
			"$BUSYBOX sleep 62.$$ & $BUSYBOX sleep 62.$$") \
			>"$cli/cli_sigterm.out" 2>"$cli/cli_sigterm.err" </dev/null &
		local lp=$!
		sleep 1
		kill -TERM "$lp"
		wait "$lp"
		echo $? >"$cli/cli_sigterm.rc"
		expect cli_sigterm "SIGTERM to picos ends the world: 143, nothing left" \
			chk_no_marker cli_sigterm 143 "62.$$"
	fi
	if wanted cli_htop && command -v htop >/dev/null && command -v script >/dev/null; then
		# htop on a terminal (script's pty): it lists the world's
		# processes only, by their guest pids and names.  (timeout
		# --foreground: a plain timeout puts htop in a background group
		# of the terminal, where its first tcsetattr stops it, as on
		# Linux.)
		(cd "$cli/cwd" && TERM=xterm timeout "$TO" script -qfec \
			"TERM=xterm '$picos' run -- sh -c 'sleep 31 & timeout --foreground 3 htop -d 5; true'" \
			/dev/null) >"$cli/cli_htop.raw" 2>&1 </dev/null
		echo $? >"$cli/cli_htop.rc"
		# the screen without its escape sequences
		sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[()][0-9A-B]//g' "$cli/cli_htop.raw" |
			tr -s '\r' '\n' >"$cli/cli_htop.out"
		host_init=$(tr '\0' ' ' </proc/1/cmdline | cut -c1-15)
		chk_htop() {
			[ "$(rc_of cli_htop)" = 0 ] && grep -q "sleep 31" "$cli/cli_htop.out" &&
				grep -q " 1 [a-z0-9_-]* .*sh -c sleep" "$cli/cli_htop.out" &&
				! grep -qF "$host_init" "$cli/cli_htop.out"
		}
		expect cli_htop "htop on a terminal lists the world's processes (pid 1: sh), not the host's" chk_htop
	fi
	if wanted cli_console && command -v script >/dev/null; then
		# /dev/console: with namespaces, the terminal picos runs on
		# (as a container runtime binds the container's terminal);
		# none without a terminal, and never the host's.
		local con='[ -c /dev/console ] && echo "to the console" >/dev/console; ls /dev/console 2>&1 | sed "s/.*cannot access.*/none/"'
		(cd "$cli/cwd" && timeout "$TO" script -qfec \
			"'$picos' run --ns=on -- sh -c '$con'" /dev/null) >"$cli/cli_console.out" 2>&1 </dev/null
		pic cli_console_notty run --ns=on -- sh -c "$con"
		pic cli_console_flat run --ns=off -- sh -c "$con"
		chk_console() {
			tr -d '\r' <"$cli/cli_console.out" | grep -qx "to the console" &&
				tr -d '\r' <"$cli/cli_console.out" | grep -qx "/dev/console" &&
				[ "$(out_of cli_console_notty)" = none ] &&
				[ "$(out_of cli_console_flat)" = none ]
		}
		expect cli_console "/dev/console is the terminal with namespaces, absent without one and in flat mode" chk_console
	fi
	if wanted cli_world_walk; then
		# Walks /proc, /dev and /sys in both modes: the pid entries are
		# the world's (each one's parent chain ends at its pid 1), /dev
		# has only the world's names, /sys only the host entries the
		# world keeps (no block or network device), and no device node
		# is anywhere else.
		local walk='
for p in /proc/[0-9]*; do
	q=${p#/proc/}; n=0
	while [ "$q" != 0 ] && [ "$n" -lt 50 ]; do
		q=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$q/status 2>/dev/null || echo gone)
		[ -z "$q" ] && q=gone; [ "$q" = gone ] && break; n=$((n + 1))
	done
	[ "$q" = 0 ] || [ "$q" = gone ] || echo "stray $p"
done
for d in /dev/*; do
	case ${d#/dev/} in
	null|zero|full|random|urandom|tty|console|ptmx|pts|shm|mqueue|fd|stdin|stdout|stderr) ;;
	mqueue) ;; # with namespaces: the queues of the world (its own mount)
	*) echo "host device $d" ;;
	esac
done
find /sys /proc/sys -xdev \( -type b -o -type c \) 2>/dev/null | head -3
# /sys: only the kept entries (include/picos/worldsys.h) and the
# directories on the way; no host block or network device, no firmware
# table, an empty cgroup directory
find /sys 2>/dev/null | grep -v -E "^/sys(/devices(/system(/(cpu|node)(/.*)?)?)?|/kernel(/mm(/(transparent_hugepage|hugepages)(/.*)?)?)?|/fs(/cgroup)?)?\$" | head -3
find /sys 2>/dev/null | grep -E "/(block|net|firmware|dmi)(/|\$)" | head -3
ls -A /sys/fs/cgroup
for p in /sys/block /sys/class/net /sys/firmware /sys/dev/block; do [ -e $p ] && echo "host $p"; done
set -- /proc/[0-9]*; echo $#  # the shell alone (a pipeline would race)
# /proc/sys refuses writes, even to the guest root (EACCES)
(echo 3 >/proc/sys/vm/drop_caches) 2>&1 | grep -c "Permission denied"
echo walked'
		pic cli_world_walk run --ns=off -- "$BUSYBOX" sh -c "$walk"
		pic cli_world_walk_ns run -- "$BUSYBOX" sh -c "$walk"
		chk_walk() { [ "$(rc_of "$1")" = 0 ] && [ "$(out_of "$1")" = $'1\n1\nwalked' ]; }
		expect cli_world_walk "flat: /proc has the world's pids, /dev its names, /sys its entries, no other device node" chk_walk cli_world_walk
		expect cli_world_walk_ns "namespaces: the same" chk_walk cli_world_walk_ns
	fi
	if wanted cli_mount_opts; then
		# bubblewrap's --ro-bind SRC DST and --tmpfs DST: the source's
		# files read-only at DST, and an empty writable directory that
		# goes with the world (mount lists both).
		mkdir -p "$cli/robind" && echo robound >"$cli/robind/f"
		pic cli_mount_opts run --ro-bind "$cli/robind" /mnt/ro --tmpfs /mnt/scratch -- \
			/bin/sh -c 'cat /mnt/ro/f; (echo x >/mnt/ro/g) 2>&1 | grep -c "Read-only"
				ls -A /mnt/scratch | wc -l; echo kept >/mnt/scratch/k && cat /mnt/scratch/k
				findmnt -n -l -o TARGET | grep -c "^/mnt/\(ro\|scratch\)$"'
		expect cli_mount_opts "--ro-bind and --tmpfs" is_rc_out cli_mount_opts 0 $'robound\n1\n0\nkept\n2'
		pic cli_mount_opts_bad run --tmpfs relative -- /bin/true
		expect cli_mount_opts_bad "--tmpfs with a relative path: one-line error, exit 2" \
			one_line_error cli_mount_opts_bad 2
	fi
	if wanted cli_tmpfs_size; then
		# --size BYTES --tmpfs DST (bubblewrap's spelling): with
		# namespaces a real tmpfs of that size, full past it; flat the
		# size is not enforced (README), the directory still works.
		if ns_works; then
			pic cli_tmpfs_size run --ns=on --size 64k --tmpfs /mnt/s -- /bin/sh -c \
				'findmnt -n -o FSTYPE,OPTIONS /mnt/s | grep -o "^tmpfs\|size=64k"
				dd if=/dev/zero of=/mnt/s/x bs=1k count=100 2>&1 | grep -c "No space left"'
			expect cli_tmpfs_size "--size 64k --tmpfs: a tmpfs of 64k, ENOSPC past it" \
				is_rc_out cli_tmpfs_size 0 $'tmpfs\nsize=64k\n1'
		else
			ok "cli_tmpfs_size # SKIP no namespaces here"
		fi
		pic cli_tmpfs_size_flat run --ns=off --tmpfs-size=4k --tmpfs /mnt/s -- /bin/sh -c \
			'echo kept >/mnt/s/k && cat /mnt/s/k'
		expect cli_tmpfs_size_flat "flat: --tmpfs-size accepted, the directory writable" \
			is_rc_out cli_tmpfs_size_flat 0 kept
		pic cli_tmpfs_size_bad run --size 1m -- /bin/true
		expect cli_tmpfs_size_bad "--size without --tmpfs after it: one-line error, exit 2" \
			one_line_error cli_tmpfs_size_bad 2
		pic cli_tmpfs_size_bad2 run --size 12x --tmpfs /mnt/s -- /bin/true
		expect cli_tmpfs_size_bad2 "--size with a bad number: one-line error, exit 2" \
			one_line_error cli_tmpfs_size_bad2 2
	fi
	if wanted cli_dev_opts; then
		# --dev-bind SRC DST: device nodes usable (the world-writable
		# /dev/fuse opened read-write), where a plain --bind's are not
		# with namespaces (nodev); --proc DST lists the world's
		# processes, --dev DST has the world's names only.
		local devs='[ -d /mnt/p/1 ] && ls /mnt/p | grep -qx 1 && echo pid1; readlink /mnt/p/self >/dev/null && echo self
			echo "$(ls /mnt/d | grep -cx null) $(ls /mnt/d | grep -cx kmsg)"
			if [ -c /dev/fuse ] || [ -c /mnt/hd/fuse ]; then (exec 3<>/mnt/hd/fuse) 2>/dev/null && echo fuse || echo nofuse; else echo fuse; fi'
		# /dev/fuse is world-writable on most hosts, root's alone on some:
		# the bound node opens for the guest as it does natively.
		local fuse=fuse
		[ -c /dev/fuse ] && ! (exec 3<>/dev/fuse) 2>/dev/null && fuse=nofuse
		local want=$'pid1\nself\n1 0\n'$fuse
		if ns_works; then
			pic cli_dev_opts run --ns=on --proc /mnt/p --dev /mnt/d --dev-bind /dev /mnt/hd -- /bin/sh -c "$devs"
			expect cli_dev_opts "namespaces: --proc, --dev, --dev-bind" is_rc_out cli_dev_opts 0 "$want"
			pic cli_dev_opts_nodev run --ns=on --proc /mnt/p --dev /mnt/d --bind /dev:/mnt/hd -- /bin/sh -c "$devs"
			if [ -c /dev/fuse ]; then
				expect cli_dev_opts_nodev "namespaces: a plain --bind's nodes stay unusable" \
					is_rc_out cli_dev_opts_nodev 0 $'pid1\nself\n1 0\nnofuse'
			else
				ok "cli_dev_opts_nodev # SKIP no /dev/fuse here"
			fi
		else
			ok "cli_dev_opts # SKIP no namespaces here"
		fi
		pic cli_dev_opts_flat run --ns=off --proc /mnt/p --dev /mnt/d --dev-bind /dev /mnt/hd -- /bin/sh -c "$devs"
		expect cli_dev_opts_flat "flat: --proc, --dev, --dev-bind" is_rc_out cli_dev_opts_flat 0 "$want"
		pic cli_dev_opts_bad run --dev-bind /nonexistent.$$ /mnt/x -- /bin/true
		expect cli_dev_opts_bad "--dev-bind of a missing SRC: one-line error" one_line_error cli_dev_opts_bad nonzero
		pic cli_dev_opts_bad2 run --dev-bind /dev rel -- /bin/true
		expect cli_dev_opts_bad2 "--dev-bind with a relative DST: one-line error, exit 2" one_line_error cli_dev_opts_bad2 2
		pic cli_dev_opts_bad3 run --proc rel -- /bin/true
		expect cli_dev_opts_bad3 "--proc with a relative DST: one-line error, exit 2" one_line_error cli_dev_opts_bad3 2
		pic cli_dev_opts_bad4 run --dev rel -- /bin/true
		expect cli_dev_opts_bad4 "--dev with a relative DST: one-line error, exit 2" one_line_error cli_dev_opts_bad4 2
		pic cli_dev_opts_bad5 run --dev-bind /dev/null /mnt/null -- /bin/true
		expect cli_dev_opts_bad5 "--dev-bind of a lone node: one-line error" one_line_error cli_dev_opts_bad5 nonzero
	fi
	if wanted cli_overlay; then
		# --overlay LOWER:UPPER[:DST]: the guest changes DST; LOWER stays
		# as it was, UPPER holds the copy-up (and a whiteout for a
		# removal), no work directory is left beside it.  Flat worlds
		# refuse it.
		local ov=$cli/overlay
		rm -rf "$ov" && mkdir -p "$ov/lower" "$ov/upper" "$ov/upper2" &&
			echo old >"$ov/lower/a" && echo c >"$ov/lower/c"
		if ns_works; then
			pic cli_overlay run --ns=on --overlay "$ov/lower:$ov/upper:/mnt/o" -- /bin/sh -c \
				'cat /mnt/o/a; echo new >/mnt/o/a; echo b >/mnt/o/b; rm /mnt/o/c; ls /mnt/o | tr "\n" " "
				findmnt -n -o FSTYPE /mnt/o'
			chk_overlay() {
				is_rc_out cli_overlay 0 $'old\na b overlay' &&
					[ "$(cat "$ov/lower/a" "$ov/lower/c")" = $'old\nc' ] &&
					[ "$(cat "$ov/upper/a" "$ov/upper/b")" = $'new\nb' ] &&
					[ -c "$ov/upper/c" ] && ! ls -a "$ov" | grep -q picos-work
			}
			expect cli_overlay "--overlay: copy-up into UPPER, LOWER untouched, no work dir left" chk_overlay
			# (a lower with mounts below it, such as /, is refused in a
			# user namespace: they are locked to it)
			mkdir -p "$ov/root/bin" && cp "$BUSYBOX" "$ov/root/bin/busybox" &&
				ln -s busybox "$ov/root/bin/sh"
			pic cli_overlay_root run --ns=on --overlay "$ov/root:$ov/upper2" -- /bin/busybox sh -c \
				'echo made >/made && cat /made && pwd'
			chk_overlay_root() {
				is_rc_out cli_overlay_root 0 $'made\n/' && [ ! -e "$ov/root/made" ] &&
					[ "$(cat "$ov/upper2/made")" = made ]
			}
			expect cli_overlay_root "--overlay /:UPPER: the guest's / copy-on-write" chk_overlay_root
		else
			ok "cli_overlay # SKIP no namespaces here"
		fi
		pic cli_overlay_flat run --ns=off --overlay "$ov/lower:$ov/upper:/mnt/o" -- /bin/true
		expect cli_overlay_flat "flat: --overlay refused in one line" one_line_error cli_overlay_flat nonzero
		pic cli_overlay_bad run --overlay "$ov/lower" -- /bin/true
		expect cli_overlay_bad "--overlay without UPPER: one-line error, exit 2" one_line_error cli_overlay_bad 2
		pic cli_overlay_bad2 run --overlay "$ov/lower:$ov/upper:rel" -- /bin/true
		expect cli_overlay_bad2 "--overlay with a relative DST: one-line error, exit 2" one_line_error cli_overlay_bad2 2
		pic cli_overlay_bad3 run --overlay "$ov/missing.$$:$ov/upper:/mnt/o" -- /bin/true
		expect cli_overlay_bad3 "--overlay of a missing LOWER: one-line error" one_line_error cli_overlay_bad3 nonzero
		pic cli_overlay_bad4 run --overlay "$ov/lower:$ov/missing.$$:/mnt/o" -- /bin/true
		expect cli_overlay_bad4 "--overlay of a missing UPPER: one-line error" one_line_error cli_overlay_bad4 nonzero
		[ -z "$(ls -A "$ov" | grep -v '^\(lower\|upper\|upper2\|root\)$')" ] ||
			not_ok cli_overlay_clean "work directories left in $ov"
		rm -rf "$ov"
	fi
	if wanted cli_guest_mount; then
		# mount(8) inside the world as guest root: a bind and a tmpfs show
		# in findmnt and mount, another process sees them, umount takes
		# them; a guest without CAP_SYS_ADMIN is refused.
		mkdir -p "$cli/gmsrc" && echo bound >"$cli/gmsrc/f"
		local gm='mkdir -p /tmp/a /tmp/t && mount --bind '"$cli/gmsrc"' /tmp/a && mount -t tmpfs none /tmp/t &&
			sh -c "cat /tmp/a/f"; findmnt -n -o TARGET,FSTYPE /tmp/t; mount | grep -c " on /tmp/a "
			umount /tmp/a && umount /tmp/t && ! findmnt /tmp/a >/dev/null && ls /tmp/a | wc -l'
		local mode
		for mode in on off; do
			[ $mode = on ] && ! ns_works && { ok "cli_guest_mount_ns # SKIP no namespaces here"; continue; }
			pic cli_guest_mount_$mode run --ns=$mode --uid 0 -- /bin/sh -c "$gm"
			expect cli_guest_mount_$mode "--ns=$mode: mount --bind and -t tmpfs, findmnt, umount" \
				is_rc_out cli_guest_mount_$mode 0 $'bound\n/tmp/t tmpfs\n1\n0'
		done
		pic cli_guest_mount_user run --uid 1000 -- /bin/sh -c 'mkdir -p /tmp/a; mount -t tmpfs none /tmp/a 2>/dev/null; echo $?'
		expect cli_guest_mount_user "a guest without CAP_SYS_ADMIN cannot mount" is_rc_out cli_guest_mount_user 0 32
	fi
	if wanted cli_mounts; then
		# The world's mount table in the guest's paths: its / and the
		# current directory, and nothing only the host reaches (the
		# world's scratch directory under the host's /tmp, which the
		# world's own /tmp covers; elsewhere it is in sight).
		pic cli_mounts run -- /bin/sh -c 'findmnt -n -l -o TARGET; echo; grep -c . /proc/mounts; grep -c . /proc/self/mountinfo'
		chk_mounts() {
			local o; o=$(out_of cli_mounts)
			case ${TMPDIR:-/tmp} in
			/tmp | /tmp/*) ! grep -q picos-tmp <<<"$o" || return 1 ;;
			esac
			[ "$(rc_of cli_mounts)" = 0 ] &&
				grep -qx / <<<"$o" && grep -qx "$cli/cwd" <<<"$o" &&
				[ "$(sed -n '/^$/{n;p}' <<<"$o")" = "$(tail -1 <<<"$o")" ]
		}
		expect cli_mounts "findmnt: /, the current directory, no scratch paths; mounts and mountinfo agree" chk_mounts
	fi
	if wanted cli_ns; then
		# The world's namespaces seen from the host, through its init
		# (pid 1 of the world's pid namespace): what a guest's raw host
		# calls could reach.  Skipped when picos runs the world flat.
		(cd "$cli/cwd" && exec "$picos" run -- "$BUSYBOX" sleep 30) \
			>"$cli/cli_ns.out" 2>"$cli/cli_ns.err" </dev/null &
		local np=$! init='' i
		for i in $(seq 50); do
			init=$(cat /proc/$np/task/$np/children 2>/dev/null | tr -d ' ')
			[ -n "$init" ] && [ -e /proc/$init/root/proc/2 ] && break
			sleep 0.1
		done
		if [ -n "$init" ] && [ "$(readlink /proc/$init/ns/pid)" = "$(readlink /proc/self/ns/pid)" ]; then
			ok "cli_ns # SKIP the world runs flat (no namespaces)"
		else
			{
				for n in mnt pid net ipc; do
					[ "$(readlink /proc/$init/ns/$n)" != "$(readlink /proc/self/ns/$n)" ] &&
						echo "own $n"
				done
				grep '^NSpid:' /proc/$init/status | awk '{ print "init", $NF }'
				# (the init, pid 1, and one more: the guest's first
				# process, whatever its number in the namespace; the
				# child that made the network namespace is gone)
				echo proc $(ls /proc/$init/root/proc | grep '^[0-9]' | sort -n |
					awk '{ if (NR == 1) f = $1 } END { print f, NR }')
				echo dev $(ls /proc/$init/root/dev)
				echo tmp $(ls -A /proc/$init/root/tmp | sed 's/^picos-tmp-.*/picos-tmp/')
				echo net $(awk 'NR > 2 { sub(":", "", $1); print $1 }' /proc/$init/net/dev)
			} >"$cli/cli_ns.view" 2>&1
			kill -TERM "$np"
			wait "$np"
			local want tmpview=picos-tmp
			# The private /tmp lives where $TMPDIR says; only under the
			# host's /tmp does its directory show in the world's /tmp.
			case ${TMPDIR:-/tmp} in /tmp | /tmp/*) ;; *) tmpview= ;; esac
			want="own mnt
own pid
own net
own ipc
init 1
proc 1 2
dev fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero
$(echo tmp $tmpview)
net lo"
			if [ "$(cat "$cli/cli_ns.view")" = "$want" ]; then
				ok cli_ns
			else
				not_ok cli_ns "the world's namespaces hold only the world"
				show '>' "$cli/cli_ns.view" 12
			fi
		fi
		kill -TERM "$np" 2>/dev/null
		wait "$np" 2>/dev/null
	fi
	# The network policy, seen from the host: /proc/net/tcp shows where
	# the host socket behind a guest's wildcard bind really listens.
	local netpy='
import errno, socket
def e(f):
    try:
        f()
        return "ok"
    except OSError as x:
        return errno.errorcode[x.errno]
try:
    s = socket.socket()
except OSError as x:
    print("socket", errno.errorcode[x.errno])
    a, b = socket.socketpair()
    a.send(b"unix")
    print(b.recv(8).decode())
    socket.socket(socket.AF_UNIX).close()
    print("AF_UNIX socket")
    raise SystemExit
s.bind(("0.0.0.0", 0))
s.listen()
port = "%04X" % s.getsockname()[1]
host = [l.split()[1].split(":")[0] for l in open("/proc/net/tcp") if l.split()[1].endswith(":" + port)]
print(s.getsockname()[0], host)
print(e(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 9))))
print(e(lambda: socket.socket().bind(("192.0.2.1", 0))))'
	local reachpy='
import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::", 0))
s.listen(16)
open("reach.port.new", "w").write(str(s.getsockname()[1]))
__import__("os").rename("reach.port.new", "reach.port")
s.settimeout(20)
while True:
    c, peer = s.accept()
    c.settimeout(5)
    d = c.recv(64).decode()
    print(d, peer[0], flush=True) if d != "quit" else print(d)
    c.close()
    if d == "quit":
        break'
	local reachclient='
import socket, sys
port = int(sys.argv[1])
def send(fam, addr, what):
    try:
        c = socket.socket(fam)
        c.settimeout(2)
        c.connect((addr, port))
        c.sendall(what.encode())
        c.recv(1)
        c.close()
    except OSError as x:
        print(addr, x)
send(socket.AF_INET, "127.0.0.1", "v4")
send(socket.AF_INET6, "::1", "v6")
for a in sys.argv[2:]:
    send(socket.AF_INET6 if ":" in a else socket.AF_INET, a, "leak " + a)
send(socket.AF_INET, "127.0.0.1", "quit")'
	if wanted cli_net_loopback; then
		pic cli_net_loopback run -- "$PY" -c "$netpy"
		expect cli_net_loopback "--net=loopback: a wildcard bind stays the wildcard (tied to lo); other destinations refused" \
			is_rc_out cli_net_loopback 0 $'0.0.0.0 [\'00000000\']\nENETUNREACH\nEADDRNOTAVAIL'
	fi
	if wanted cli_net_reach; then
		# A guest's dual-stack listener on [::] under --net=loopback:
		# 127.0.0.1 and ::1 reach it, the host's other addresses do not
		# (their connections never reach the guest).  With namespaces the
		# loopback is the world's own, so the client runs in the same
		# world; without, it runs on the host.
		rm -f "$cli/cwd/reach.port"
		local own_net=0
		[ "$("$picos" run -- readlink /proc/self/ns/net 2>/dev/null)" != \
			"$(readlink /proc/self/ns/net)" ] && own_net=1
		if [ $own_net = 1 ]; then
			(cd "$cli/cwd" && timeout "$TO" "$picos" run -- /bin/sh -c '
				"$1" -c "$2" & s=$!
				for i in $(seq 50); do [ -s reach.port ] && break; sleep 0.1; done
				py=$1 client=$3
				shift 3
				"$py" -c "$client" "$(cat reach.port)" "$@" >reach.client 2>&1
				wait $s' sh "$PY" "$reachpy" "$reachclient" $(hostname -I 2>/dev/null)) \
				>"$cli/cli_net_reach.out" 2>"$cli/cli_net_reach.err" </dev/null
			echo $? >"$cli/cli_net_reach.rc"
		else
			(cd "$cli/cwd" && timeout "$TO" "$picos" run -- "$PY" -c "$reachpy") \
				>"$cli/cli_net_reach.out" 2>"$cli/cli_net_reach.err" </dev/null &
			local rp=$! i
			for i in $(seq 50); do
				[ -s "$cli/cwd/reach.port" ] && break
				sleep 0.1
			done
			"$PY" -c "$reachclient" "$(cat "$cli/cwd/reach.port" 2>/dev/null)" \
				$(hostname -I 2>/dev/null) >"$cli/cli_net_reach.client" 2>&1
			wait "$rp"
			echo $? >"$cli/cli_net_reach.rc"
		fi
		expect cli_net_reach "--net=loopback: a [::] listener hears 127.0.0.1 and ::1 only" \
			is_rc_out cli_net_reach 0 $'v4 ::ffff:127.0.0.1\nv6 ::1\nquit'
	fi
	if wanted cli_net_host; then
		pic cli_net_host run --net=host -- "$PY" -c "$netpy"
		expect cli_net_host "--net=host: a wildcard bind is the host's wildcard" \
			chk_net_host
	fi
	if wanted cli_net_none; then
		pic cli_net_none run --net none -- "$PY" -c "$netpy"
		expect cli_net_none "--net=none: no inet sockets, unix sockets work" \
			is_rc_out cli_net_none 0 $'socket EAFNOSUPPORT\nunix\nAF_UNIX socket'
	fi
	if wanted cli_net_forms; then
		# Every address form the host accepts is held to the policy.
		cc -O2 -o "$cli/cwd/netpolicy" "$top/tests/programs/c/netpolicy.c"
		pic cli_net_forms run -- ./netpolicy
		expect cli_net_forms "--net=loopback holds for AF_UNSPEC, 24-byte IPv6, AF_INET on IPv6, source routes" \
			is_rc_out cli_net_forms 0 "$(cat <<'EOT'
bind udp4 AF_UNSPEC 0.0.0.0: ok
  /proc/net/udp: 00000000
sendto udp4 AF_UNSPEC 192.0.2.1: ENETUNREACH
bind tcp6 [::] len 24: ok
  /proc/net/tcp6: 00000000000000000000000000000000
connect tcp6 2001:db8::1 len 24: ENETUNREACH
connect udp6 AF_INET 192.0.2.1: ENETUNREACH
IP_OPTIONS with LSRR: EPERM
IP_OPTIONS with record route: ok
connect tcp4 192.0.2.1: ENETUNREACH
EOT
)"
	fi
	if wanted cli_net_raw; then
		# Even as root, a world without the host's network has no raw
		# sockets (CAP_NET_RAW and CAP_NET_ADMIN are dropped).
		pic cli_net_raw run -- "$PY" -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    print("raw socket made")
except OSError as e:
    print(e.errno)
caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")]
print(int(caps[0], 16) >> 12 & 3)'
		expect cli_net_raw "--net=loopback: no raw sockets, no network capabilities" \
			is_rc_out cli_net_raw 0 $'1\n0'
	fi
	if wanted cli_net_bad; then
		pic cli_net_bad run --net=everything -- /bin/true
		expect cli_net_bad "--net with an unknown mode: one-line error, exit 2" \
			one_line_error cli_net_bad 2
	fi
	if wanted cli_ns_bad; then
		pic cli_ns_bad run --ns=sometimes -- /bin/true
		expect cli_ns_bad "--ns with an unknown mode: one-line error, exit 2" \
			one_line_error cli_ns_bad 2
	fi
	if wanted cli_ns_forms && ! "$picos" run --ns=on -- /bin/true 2>/dev/null; then
		ok "cli_ns_forms # SKIP this host gives picos no namespaces"
	elif wanted cli_ns_forms; then
		# --ns wins over PICOS_NS: off runs flat (the host's pid
		# namespace), on and auto (here, where the host allows) do not.
		local hostpid; hostpid=$(readlink /proc/self/ns/pid)
		{
			for f in "--ns=off" "--ns off" "--ns=on" "--ns=auto"; do
				# shellcheck disable=SC2086 # the two-word form on purpose
				v=$(PICOS_NS=off "$picos" run $f -- readlink /proc/self/ns/pid)
				[ "$v" = "$hostpid" ] && echo "$f flat" || echo "$f ns"
			done
			v=$(PICOS_NS=on "$picos" run -- readlink /proc/self/ns/pid)
			[ "$v" = "$hostpid" ] && echo "PICOS_NS=on flat" || echo "PICOS_NS=on ns"
		} >"$cli/cli_ns_forms.out" 2>"$cli/cli_ns_forms.err"
		echo 0 >"$cli/cli_ns_forms.rc"
		expect cli_ns_forms "--ns=off|on|auto and PICOS_NS select the mode" \
			is_rc_out cli_ns_forms 0 $'--ns=off flat\n--ns off flat\n--ns=on ns\n--ns=auto ns\nPICOS_NS=on ns'
	fi
	# The guest's RLIMIT_NOFILE is the caller's.  The provider's reserve
	# of host fds (64) comes off it only where the host's hard limit cannot
	# be raised to make room (without CAP_SYS_RESOURCE, or at nr_open):
	# then the guest's limits are at most the caller's hard less 64.
	if wanted cli_nofile; then
		local m hard soft room
		for m in auto off; do
			pic cli_nofile_$m run --ns=$m -- /bin/sh -c 'ulimit -Sn; ulimit -Hn'
			hard=$(ulimit -Hn)
			soft=$(ulimit -Sn)
			room=$hard
			(ulimit -Hn $((hard + 64))) 2>/dev/null || room=$((hard - 64))
			[ "$soft" -gt "$room" ] && soft=$room
			expect cli_nofile_$m "--ns=$m: ulimit -n (soft, hard) is the caller's ($(ulimit -Sn) $(ulimit -Hn); $soft $room with the reserve)" \
				is_rc_out cli_nofile_$m 0 "$soft"$'\n'"$room"
			# a soft limit below the hard one: the guest's is exactly it
			(ulimit -Sn 4000 && pic cli_nofile_soft_$m run --ns=$m -- /bin/sh -c 'ulimit -Sn')
			expect cli_nofile_soft_$m "--ns=$m: a caller's soft limit of 4000 is the guest's" \
				is_rc_out cli_nofile_soft_$m 0 4000
		done
		# python's view, and a soft limit the guest may raise up to its hard
		(ulimit -Sn 300 && pic cli_nofile_raise run -- "$PY" -c '
import resource as r
s, h = r.getrlimit(r.RLIMIT_NOFILE)
r.setrlimit(r.RLIMIT_NOFILE, (h, h))
fds = []
try:
    while len(fds) < 2000:
        fds.append(open("/dev/null"))
except OSError as e:
    print("stopped", e.errno)
print(s, r.getrlimit(r.RLIMIT_NOFILE)[0] == h, len(fds))')
		expect cli_nofile_raise "the guest raises its soft limit to its hard one and opens 2000 files" \
			is_rc_out cli_nofile_raise 0 "300 True 2000"
	fi
	# picos doctor: a line per host feature; here every required one is
	# there.  Inside a world (which runs no world of its own) Syscall
	# User Dispatch is missing: exit 1.
	if wanted cli_doctor; then
		pic cli_doctor doctor
		expect cli_doctor "doctor: every feature named, ok or missing, required or optional; exit 0" \
			chk_doctor
		pic cli_doctor_nested run -- "$picos" doctor
		expect cli_doctor_nested "doctor inside a world: required features missing, exit 1" \
			chk_doctor_nested
		pic cli_doctor_args doctor --bogus
		expect cli_doctor_args "doctor with an argument: one-line error, exit 2" \
			one_line_error cli_doctor_args 2
	fi
	# make install: the binary, the man page (rendered without warnings,
	# every option of the usage in it) and the bash completion (every
	# option of the usage offered after `picos run`).
	if wanted cli_install; then
		local pre=$top/build/install-test
		rm -rf "$pre"
		make -s -C "$top" install PREFIX="$pre" >"$cli/cli_install.out" 2>"$cli/cli_install.err"
		echo $? >"$cli/cli_install.rc"
		expect cli_install "make install PREFIX=build/install-test: picos, picos.1, completion" \
			chk_install "$pre"
		if command -v man >/dev/null; then
			man --warnings -l "$pre/share/man/man1/picos.1" >"$cli/cli_install_man.out" \
				2>"$cli/cli_install_man.err"
			echo $? >"$cli/cli_install_man.rc"
			expect cli_install_man "man -l picos.1 renders without warnings, names every option" \
				chk_install_man "$pre"
		fi
		expect cli_install_completion "the completion offers the commands and every option" \
			chk_install_completion "$pre"
		rm -rf "$pre"
	fi
	if wanted cli_max_procs; then
		pic cli_max_procs run --max-procs 5 -- "$PY" -c '
import os, time
kids, err = [], None
for i in range(10):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.errno
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
print(len(kids), err)
for k in kids:
    os.kill(k, 9)
    os.waitpid(k, 0)'
		expect cli_max_procs "fork past --max-procs fails with EAGAIN" \
			is_rc_out cli_max_procs 0 "4 11"
	fi
}

# chk_no_marker NAME RC MARKER: exit status RC, and within 5 s no process
# has MARKER in its arguments.
chk_no_marker() {
	[ "$(rc_of "$1")" = "$2" ] || return 1
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ps -eo args | grep -F -- "$3" | grep -qv grep || return 0
		sleep 0.5
	done
	return 1
}

########################################################################

if [ ! -x "$picos" ]; then
	echo "programs: $picos not found (run make)" >&2
	exit 1
fi
if [ ! -x "$BUSYBOX" ]; then
	echo "programs: $BUSYBOX not found (apt-get install busybox-static)" >&2
	exit 1
fi
rm -rf "$scratch"
mkdir -p "$scratch/native" "$scratch/picos" "$TMPDIR"
make_fixture
make_bbroot || exit 1

for c in ls cat wc sort sha256sum stat date head_tail od dd cp mv rm mkdir \
	ln_readlink touch_stat du find grep_devnull mkfifo tail_follow sigsys_trap; do
	case_ "$c"
done
command -v capsh >/dev/null && case_ capsh
if unshare -Urpfm --mount-proc true 2>/dev/null; then
	case_ init_signals
else
	echo "# init_signals case skipped: no user and pid namespaces for the native run"
fi
if command -v ps >/dev/null && command -v pstree >/dev/null; then
	case_ ps_tree
else
	echo "# no ps or pstree (apt-get install procps psmisc): ps_tree case skipped"
fi
if command -v lsof >/dev/null && command -v fuser >/dev/null && command -v top >/dev/null; then
	case_ proc_tools
else
	echo "# no lsof, fuser or top (apt-get install lsof psmisc procps): proc_tools case skipped"
fi
if command -v jcmd >/dev/null && command -v jstack >/dev/null && command -v javac >/dev/null; then
	case_ jvm_tools
else
	echo "# no jcmd, jstack or javac (apt-get install openjdk-17-jdk-headless): jvm_tools case skipped"
fi
if command -v keyctl >/dev/null; then
	case_ keyctl
else
	echo "# no keyctl (apt-get install keyutils): keyctl case skipped"
fi
for c in sort_parallel xz_threads nproc lscpu; do
	command -v "${c%%_*}" >/dev/null && case_ "$c"
done
if [ -x "$NGINX" ] && [ -x "$PY" ]; then
	case_ nginx
else
	echo "# no nginx (apt-get install nginx-light): nginx case skipped"
fi
if command -v node >/dev/null && command -v npm >/dev/null; then
	case_ node
else
	echo "# no node (apt-get install nodejs npm): node case skipped"
fi
for c in nice renice ionice ruby gpg; do
	command -v "$c" >/dev/null && case_ "$c"
done
if build_go; then
	for c in go_goroutines go_timers go_http go_dualstack go_preempt; do
		case_ "$c"
	done
else
	echo "# no go toolchain (apt-get install golang-go): go cases skipped"
fi
if wanted asan_leak; then
	if build_asan; then
		case_ asan_leak
	else
		echo "# gcc -fsanitize=address fails (libasan missing): asan case skipped"
	fi
fi
if [ -x "$PY" ]; then
	for c in python_files python_read python_pathlib python_json python_walk python_fdobj python_threads python_http python_pidfd; do
		case_ "$c"
	done
else
	echo "# no python3 found: python cases skipped"
fi
if [ -x "$PY" ]; then
	case_ bash_interactive
	case_ busybox_interactive
	case_ job_stop
	for c in less vim; do
		command -v "$c" >/dev/null && case_ "$c"
	done
fi
for c in script_tty python_pty python_test_ioctl tmux; do
	if ! wanted "$c"; then
		continue
	elif world_flat; then
		ok "$c # SKIP the world runs flat: no ptys of its own"
	elif [[ $c == python_* ]] && [ ! -x "$PY" ]; then
		echo "# no python3 found: $c case skipped"
	elif [ "$c" = tmux ] && ! command -v tmux >/dev/null; then
		echo "# no tmux (apt-get install tmux): tmux case skipped"
	else
		case_ "$c"
	fi
done
bb_cases="ls cat echo uname wc sort mkdir rm cp_mv ln_touch_stat files sh nc"
for c in $bb_cases; do
	bbcase "$c"
done
cli_cases

left=$(picos_tmps)
if [ "$left" != 0 ]; then
	not_ok "no picos-tmp-* left in TMPDIR" "$left left"
fi
echo "programs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
