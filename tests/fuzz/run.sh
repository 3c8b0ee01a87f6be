#!/usr/bin/env bash
# Fuzzing inside picos: Debian's trinity (random system calls with
# semi-valid arguments) and stress-ng's sysinval and sysbadaddr stressors
# (invalid arguments and bad addresses) run as an unprivileged guest.
#
# Usage: tests/fuzz/run.sh [SECONDS]   (default 80: trinity for one
# minute; `make test` runs the default, `make fuzz` passes 800).  Trinity gets three quarters of SECONDS,
# stress-ng the rest.  PICOS=path/to/picos overrides build/picos.
#
# Each world must end in its time plus a margin (no hang), print no
# "picos: ..." line (no provider fault, kdie or seccomp refusal: trinity
# never reaches the host directly, so a refusal means a provider handler
# made a host call missing from the allowlist), leave no host process of
# its session behind and remove its private /tmp.  Canaries made outside
# the world before the runs must be unchanged after: a file under the
# read-only root (contents, mode, owner, mtime, ctime), a host `sleep`
# with a known nice value and CPU affinity, and a unix socket listener
# (still answering, no connection but the test's own).
#
# Prints "ok - ..." / "not ok - ..." lines, the figures as "# ..." lines
# and "fuzz: N passed, N failed"; exits non-zero on failure.  Everything
# is written under build/fuzz; nothing needs root.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
case $picos in
/*) ;;
*) picos=$PWD/$picos ;;
esac
total=${1:-80}
trinity_s=$((total * 3 / 4))
stress_s=$((total - trinity_s))
# A world that has not ended this long after its time is hung.
margin=60

export LC_ALL=C
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
dir=$top/build/fuzz
scratch=$dir/scratch
canary=$dir/canary
tmpbase=$dir/tmpbase
mkdir -p "$dir"

pass=0
fail=0
ok() {
	echo "ok - fuzz: $1"
	pass=$((pass + 1))
}
notok() {
	echo "not ok - fuzz: $1"
	fail=$((fail + 1))
}
check() { # check NAME COMMAND... : ok when COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}

for tool in trinity stress-ng python3 taskset; do
	if ! command -v $tool >/dev/null; then
		notok "$tool is not installed (tests/install-deps.sh)"
		echo "fuzz: $pass passed, $fail failed"
		exit 1
	fi
done

# The guest's identity: trinity refuses to run as root, and the fuzzer
# should have no more rights than any user.  As root, nobody.
guest_uid=$(id -u)
guest_gid=$(id -g)
if [ "$guest_uid" -eq 0 ]; then
	guest_uid=65534
	guest_gid=65534
fi

# ---- canaries outside the world -------------------------------------

rm -rf "$canary" "$tmpbase"
mkdir -p "$canary" "$tmpbase"
cfile=$canary/file
printf 'picos fuzz canary\n' >"$cfile"
chmod 0640 "$cfile"
touch -d '2001-02-03 04:05:06' "$cfile"
file_state() { stat -c '%a %u %g %s %Y %Z %i' "$cfile" && cat "$cfile"; }
file_before=$(file_state)

# A host process with a nice value and an affinity nothing else sets.
cpu=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
nice -n 7 taskset -c "$cpu" sleep 100000 &
sleep_pid=$!
proc_state() {
	[ -d /proc/$sleep_pid ] || return 1
	echo "$(ps -o ni=,policy=,comm= -p $sleep_pid) $(taskset -pc $sleep_pid | sed 's/.*: //')"
}
sleep 0.2
proc_before=$(proc_state)

# A unix socket listener that logs every connection it accepts.
sock=$canary/listen.sock
conns=$canary/connections
: >"$conns"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.sendall(b"canary\n"); c.close()
' "$sock" "$conns" &
listener_pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
sock_before=$(stat -c '%i' "$sock" 2>/dev/null)

# The canaries go at exit; the worlds' logs stay in build/fuzz.
cleanup() {
	kill "$sleep_pid" "$listener_pid" 2>/dev/null
	wait "$sleep_pid" "$listener_pid" 2>/dev/null
	rm -rf "$canary" "$scratch" "$tmpbase" "$dir"/*.sid
}
trap cleanup EXIT

# ---- one world --------------------------------------------------------

# run_world NAME SECONDS GUEST-COMMAND...: runs the guest command in a
# fresh scratch directory, in a session of its own (the marker of its host
# processes: the provider cannot call setsid on the host), with its own
# TMPDIR for the private /tmp, under a timeout of SECONDS + margin.
run_world() {
	local name=$1 secs=$2
	shift 2
	local log=$dir/$name.log sidfile=$dir/$name.sid
	rm -rf "$scratch" "$tmpbase"
	mkdir -p "$scratch" "$tmpbase"
	# Writable by the guest's identity, whatever the host makes of it.
	chmod 0777 "$scratch"
	rm -f "$sidfile"
	local start end rc
	start=$(date +%s)
	# shellcheck disable=SC2016  # $$ and $0 are the inner shell's
	(cd "$scratch" && TMPDIR=$tmpbase setsid sh -c 'echo $$ >"$0"; exec "$@"' \
		"$sidfile" timeout -k 10 $((secs + margin)) "$picos" run \
		--uid "$guest_uid" --gid "$guest_gid" --max-procs 64 \
		--env TMPDIR=/tmp -- "$@") >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	elapsed=$((end - start))
	echo "# $name: exit $rc after ${elapsed}s (log $log)"
	# The outer timeout fires only for a hung world (the guest's own
	# timeout ends trinity in time).
	if [ $elapsed -lt $((secs + margin)) ]; then
		ok "$name: the world ended in time (${elapsed}s for ${secs}s)"
	else
		notok "$name: the world hung (exit $rc after ${elapsed}s for ${secs}s)"
	fi
	if grep -q '^picos:' "$log"; then
		notok "$name: provider fatal line"
		grep '^picos:' "$log" | sort | uniq -c | head -10 | sed 's/^/    /'
	else
		ok "$name: no provider fatal line"
	fi
	# The private /tmp is removed by picos as it exits; its processes are
	# gone once picos has returned.
	sleep 1
	local sid left
	sid=$(cat "$sidfile" 2>/dev/null)
	left=$(ps -e -o sid=,pid=,args= | awk -v s="$sid" '$1 == s' )
	if [ -n "$sid" ] && [ -z "$left" ]; then
		ok "$name: no process left behind"
	else
		notok "$name: processes left behind (session ${sid:-?})"
		echo "$left" | head -5 | sed 's/^/    /'
		[ -n "$sid" ] && ps -e -o sid=,pid= | awk -v s="$sid" '$1 == s {print $2}' |
			xargs -r kill -9 2>/dev/null
	fi
	if [ -z "$(ls -A "$tmpbase")" ]; then
		ok "$name: the private /tmp was removed"
	else
		notok "$name: the private /tmp was left: $(ls -A "$tmpbase")"
	fi
}

check_canaries() { # check_canaries AFTER-WHAT
	check "$1: the canary file is unchanged" [ "$(file_state)" = "$file_before" ]
	local now
	now=$(proc_state) || now="gone ($(ps -o pid=,stat=,ni=,args= -p "$sleep_pid" 2>&1))"
	if [ "$now" = "$proc_before" ]; then
		ok "$1: the canary process is unchanged"
	else
		notok "$1: the canary process is unchanged"
		echo "    before: $proc_before"
		echo "    now:    $now"
	fi
	check "$1: the canary socket was not connected to" [ ! -s "$conns" ]
}

# ---- trinity --------------------------------------------------------------

# -q -l off: no per-child log files.  -a64: 64-bit calls only (32-bit
# calls through int 0x80 answer ENOSYS in picos).  -C 4 children,
# a world of at most 64 processes.  --disable-fds=sockets: trinity
# 2023.01 itself crashes (SIGSEGV in do_setsockopt, natively too) while it
# prepares its socket fds; sockets are still fuzzed through the socket
# calls.  SIGINT ends trinity, after which it
# prints its totals.  The world's pid 1 is tests/fuzz/guard.sh, which
# keeps the time and survives the signals trinity sends to low pids.
tl=$dir/trinity.log
trinity_world() {
	run_world trinity "$trinity_s" "$top/tests/fuzz/guard.sh" "$trinity_s" \
		trinity -q -l off -a64 -C 4 --disable-fds=sockets
	ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls. Successes: \([0-9]*\)  Failures: \([0-9]*\).*/\1 \2 \3/p' "$tl" | tail -1)
	iters=$(sed -n 's/^\[main\] \([0-9]*\) iterations\..*/\1/p' "$tl" | tail -1)
}
trinity_world
# A world whose trinity was killed by its own children's calls before it
# counted anything (a random kill or limit can do that natively too)
# says nothing of the calls: once more, with another random seed (every
# check above holds for both runs).
if [ -z "$ran" ] && [ "${iters:-0}" -eq 0 ]; then
	echo "# trinity's own calls ended its world before it counted any: once more"
	grep -v -e 'futex:' -e 'marking as inactive' "$tl" | tail -3 | sed 's/^/    | /'
	trinity_world
fi
if [ -n "$ran" ]; then
	# shellcheck disable=SC2086  # split into the three numbers
	set -- $ran
	echo "# trinity: $1 calls in ${trinity_s}s ($(($1 / trinity_s))/s), $2 succeeded, $3 failed; options -q -l off -a64 -C 4 --disable-fds=sockets, uid $guest_uid"
	check "trinity: ran calls" [ "$1" -gt 0 ]
else
	# No totals: trinity's main process was killed before it could print
	# them.  Its children's random calls can do that natively too (a
	# prlimit64 of RLIMIT_CPU or RLIMIT_AS on its pid, an fcntl(F_SETOWN)
	# signal), so what must hold is that it ran calls; the world's end,
	# the provider's silence and the canaries are checked either way.
	echo "# trinity: no totals (killed before it printed them); its main process counted ${iters:-0} iterations"
	grep -v -e 'futex:' -e 'marking as inactive' "$tl" | tail -5 | sed 's/^/    | /'
	check "trinity: ran calls" [ "${iters:-0}" -gt 0 ]
fi
check_canaries "after trinity"

# ---- stress-ng ------------------------------------------------------------

# sysinval calls every system call with invalid arguments (stress-ng
# counts it pathological: natively it may hang a machine); sysbadaddr
# passes bad addresses.  One instance each, side by side.
run_world stress-ng "$stress_s" stress-ng --pathological --sysinval 1 \
	--sysbadaddr 1 -t "$stress_s" --metrics-brief
sl=$dir/stress-ng.log
for st in sysinval sysbadaddr; do
	ops=$(awk -v s="$st" '$4 == s && $5 ~ /^[0-9]+$/ {print $5}' "$sl" | tail -1)
	if [ -n "$ops" ]; then
		echo "# stress-ng $st: $ops bogo ops in ${stress_s}s ($((ops / stress_s))/s)"
		ok "stress-ng: $st ran"
	else
		notok "stress-ng: $st did not report"
	fi
done
check "stress-ng: successful run" grep -q 'successful run completed' "$sl"
check_canaries "after stress-ng"

# The listener still answers (one connection, the test's own).
reply=$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); print(s.recv(64).decode().strip())
' "$sock" 2>/dev/null)
sleep 0.2
listener_answers() {
	[ "$reply" = canary ] && [ "$(stat -c %i "$sock")" = "$sock_before" ] &&
		[ "$(wc -l <"$conns")" -eq 1 ]
}
check "the canary listener still answers" listener_answers

rm -rf "$scratch" "$tmpbase"
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
