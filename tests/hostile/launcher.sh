#!/bin/sh
# Host-side driver of tests/hostile/launcher.c: a guest that writes the
# world region attacks the world's init (docs/security/20-launcher.md);
# every outcome is checked from the host: target processes alive, picos's
# exit status and time to end, the private /tmp removed, no process of the
# world left.  Prints TAP.
#   tests/hostile/launcher.sh [path/to/picos]
# From tests/hostile/run.sh: PICOS, HOSTILE_BIN (the built guest) and
# HOSTILE_USER (root or user: as user, every picos and target runs as
# picos-ci) come from the environment.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
picos=$(realpath "${1:-${PICOS:-$top/build/picos}}")
bin=${HOSTILE_BIN:-}
who=${HOSTILE_USER:-root}
asu=
if [ "$who" = user ] && [ "$(id -u)" = 0 ]; then
	asu="setpriv --reuid=picos-ci --regid=picos-ci --clear-groups --"
fi

work=$(mktemp -d "$top/build/hostile-launcher.XXXXXX")
chmod 755 "$work"
[ -n "$asu" ] && chown picos-ci: "$work"
if [ -z "$bin" ]; then
	bin=$work/launcher
	gcc -static -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I"$top/include" -o "$bin" "$top/tests/hostile/launcher.c" ||
		{ echo "Bail out! launcher.c does not compile"; exit 1; }
fi

n=0
failed=0
bg=
cleanup() {
	for p in $bg; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

# alive PID: running (a zombie counts as dead).
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
descendants() {
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}
none_alive() {
	for p in "$@"; do alive "$p" && { echo "# still alive: $p"; return 1; }; done
	return 0
}
tmp_clean() { [ -z "$(ls -A "$1")" ] || { echo "# left in $1: $(ls -A "$1")"; false; }; }
eq() { [ "$1" = "$2" ] || { echo "# got $1, want $2"; false; }; }
lt() { [ "$1" -lt "$2" ] || { echo "# $1 is not below $2"; false; }; }

# A target outside the world, owned by the world's user: $T.  It sleeps
# far longer than the suite runs (on a loaded machine the suite has taken
# over five minutes), so only an attack can end it; cleanup kills it.
target() {
	$asu sleep 3600 >/dev/null 2>&1 &
	T=$!
	bg="$bg $T"
}

# newtmp NAME: the directory picos makes its private /tmp in.
newtmp() {
	mkdir "$work/tmp.$1"
	[ -n "$asu" ] && chown picos-ci: "$work/tmp.$1"
	echo "$work/tmp.$1"
}

# run NAME ARGS...: the guest in the foreground; sets rc and ms.
run() {
	name=$1
	shift
	tmp=$(newtmp "$name")
	t0=$(now_ms)
	(cd "$work" && TMPDIR=$tmp timeout -k 5 60 $asu "$picos" run ${popts:-} -- "$bin" "$@") \
		>"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	grep -v '^[0-9 ][0-9 .]* ' "$work/$name.err" | sed 's/^/# /'
}

# start NAME ARGS...: the guest in the background (pid in $pp), once it
# says "ready".
start() {
	name=$1
	shift
	tmp=$(newtmp "$name")
	(cd "$work" && TMPDIR=$tmp exec $asu "$picos" run -- "$bin" "$@") \
		>"$work/$name.out" 2>"$work/$name.err" &
	pp=$!
	bg="$bg $pp"
	for _ in $(seq 100); do
		grep -q '^ready' "$work/$name.out" 2>/dev/null && break
		sleep 0.1
	done
}

# finish PID LIMIT_MS: waits (at most LIMIT_MS) for a started picos; sets
# rc and ms (from t0).
finish() {
	for _ in $(seq $(($2 / 100))); do
		alive "$1" || break
		sleep 0.1
	done
	if alive "$1"; then
		kill -9 "$1"
	fi
	wait "$1"
	rc=$?
	ms=$(($(now_ms) - t0))
	sed 's/^/# /' "$work/$name.err"
}

# ---- a fake task with a parent-death signal at a host process ----
target
run pdeathsig pdeathsig "$T"
check "pdeathsig: the host process the fake task named survives" alive "$T"
check "pdeathsig: picos exits with the guest's status" eq "$rc" 0
check "pdeathsig: the private /tmp is removed" tmp_clean "$tmp"

# ---- a fake parent: the child's exit rings a doorbell at a host pid ----
run doorbell doorbell "$T"
check "doorbell: the host process named as parent survives" alive "$T"
check "doorbell: picos exits with the guest's status" eq "$rc" 0

# ---- the picos command, another world's picos, init and pid 1 ----
tmp2=$(newtmp other)
(cd "$work" && TMPDIR=$tmp2 exec $asu "$picos" run -- /bin/sleep 30) \
	>"$work/other.out" 2>"$work/other.err" &
O=$!
bg="$bg $O"
for _ in $(seq 50); do
	Oinit=$(pgrep -P "$O" | head -1)
	[ -n "$Oinit" ] && O1=$(pgrep -P "$Oinit" | head -1) && [ -n "$O1" ] && break
	sleep 0.1
done
rm -f "$work/targets"
name=targets
(cd "$work" && TMPDIR=$(newtmp targets) exec $asu "$picos" run -- "$bin" \
	targets "$work/targets") >"$work/targets.out" 2>"$work/targets.err" &
pp=$!
bg="$bg $pp"
for _ in $(seq 50); do
	Ainit=$(pgrep -P "$pp" | head -1)
	[ -n "$Ainit" ] && break
	sleep 0.1
done
# and the hostile runner's canary process, when there is one
echo "$pp $Ainit $O $Oinit $O1 $T ${HOSTILE_CANARY_PID:-}" >"$work/targets.new"
[ -n "$asu" ] && chown picos-ci: "$work/targets.new"
mv "$work/targets.new" "$work/targets"
t0=$(now_ms)
A=$pp
for _ in $(seq 100); do
	grep -q '^ready' "$work/targets.out" 2>/dev/null && break
	sleep 0.1
done
finish "$A" 20000
grep '^#' "$work/targets.out"
check "targets: the attacked picos exits with the guest's status" eq "$rc" 0
check "targets: another world's picos survives" alive "$O"
check "targets: another world's init survives" alive "$Oinit"
check "targets: another world's pid 1 survives" alive "$O1"
check "targets: the host process survives" alive "$T"
sandboxed() {
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$1/status" &&
		grep -q '^Seccomp:[[:space:]]*2' "/proc/$1/status"
}
check "the world's init runs with no_new_privs and a seccomp filter" sandboxed "$Oinit"
t0=$(now_ms)
kill -TERM "$O"
name=other
finish "$O" 10000
check "targets: the other world still ends on SIGTERM with its pid 1's status" eq "$rc" 143

# ---- a bogus lock owner ----
run lock-exit lock-exit "$T"
check "lock-exit: picos exits with the guest's status" eq "$rc" 7
check "lock-exit: promptly ($ms ms)" lt "$ms" 5000
check "lock-exit: the lock owner named survives" alive "$T"
check "lock-exit: the private /tmp is removed" tmp_clean "$tmp"

t0=$(now_ms)
start lock-child lock-child
left=$(descendants "$pp")
finish "$pp" 15000
check "lock-child: a corrupted lock ends the world (status $rc)" eq "$rc" 137
check "lock-child: promptly ($ms ms)" lt "$ms" 8000
check "lock-child: the init says why" grep -q corrupted "$work/lock-child.err"
check "lock-child: no process of the world is left" none_alive $left
check "lock-child: the private /tmp is removed" tmp_clean "$tmp"

# ---- SIGTERM: pid 1 holds the lock and ignores SIGTERM ----
start lock-term lock-term
left=$(descendants "$pp")
t0=$(now_ms)
kill -TERM "$pp"
finish "$pp" 15000
check "lock-term: SIGTERM ends the world after the grace period (status $rc)" eq "$rc" 137
check "lock-term: within the grace period and a bit ($ms ms)" lt "$ms" 9000
check "lock-term: no process of the world is left" none_alive $left
check "lock-term: the private /tmp is removed" tmp_clean "$tmp"

start lock-term2 lock-term
left=$(descendants "$pp")
t0=$(now_ms)
kill -TERM "$pp"
sleep 0.3
kill -HUP "$pp"
finish "$pp" 15000
check "lock-term2: a SIGHUP after SIGTERM ends the world at once (status $rc)" eq "$rc" 137
check "lock-term2: promptly ($ms ms)" lt "$ms" 3000
check "lock-term2: no process of the world is left" none_alive $left

# ---- SIGTERM relay with pid 1's host pid forged ----
start relay relay "$T"
t0=$(now_ms)
kill -TERM "$pp"
finish "$pp" 15000
check "relay: SIGTERM reaches the real pid 1 (status $rc)" eq "$rc" 143
check "relay: promptly ($ms ms)" lt "$ms" 3000
check "relay: the host process the table named survives" alive "$T"

# ---- SIGTERM with the init stuck (stopped from the host) ----
start stuck relay "$T"
left=$(descendants "$pp")
init=$(pgrep -P "$pp" | head -1)
kill -STOP "$init"
t0=$(now_ms)
kill -TERM "$pp"
finish "$pp" 15000
check "stuck init: SIGTERM ends the world after the grace period (status $rc)" eq "$rc" 137
check "stuck init: within the grace period and a bit ($ms ms)" lt "$ms" 9000
check "stuck init: no process of the world is left" none_alive $left
check "stuck init: the private /tmp is removed" tmp_clean "$tmp"

# ---- out-of-range counts and garbage in the table ----
for c in 4097 0x7fffffff 0x80000000 0xffffffff; do
	run "slots$c" slots "$c"
	check "slots $c: the init does not crash (status $rc)" eq "$rc" 5
	check "slots $c: the private /tmp is removed" tmp_clean "$tmp"
done
check "slots: the host process survives" alive "$T"

popts=--stats
run stats stats
popts=
check "stats: garbage counters changing under --stats (status $rc)" eq "$rc" 0
check "stats: the table is printed" grep -q ' total$' "$work/stats.err"

run cycle cycle
check "cycle: an orphan whose ancestors form a cycle ($ms ms)" eq "$rc" 0

echo "1..$n"
exit $failed
