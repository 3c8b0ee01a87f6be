#!/bin/sh
# Driver for ipc.c (docs/security/30-namespaces.md): host objects with a
# key and a queue name are made natively; a world's raw host calls must
# not reach them; then (mode ns) two worlds started at once create the
# same key and name, each sees only its own, one ends normally and the
# other is killed with SIGKILL, and afterwards the host shows no object
# of theirs and their IPC namespaces are gone with their last process.
# Run by tests/hostile/run.sh with HOSTILE_BIN, PICOS, HOSTILE_USER,
# HOSTILE_MODE and the canary environment; prints TAP.
set -u
asu=
if [ "$HOSTILE_USER" = user ] && [ "$(id -u)" = 0 ]; then
	asu="setpriv --reuid=picos-ci --regid=picos-ci --clear-groups --"
fi
cd "$HOSTILE_WORLD" || exit 1
HOSTILE_IPC_KEY=$((0x51c00000 + $$ % 65536))
HOSTILE_IPC_MQ=picos-hostile-ipc-$$
export HOSTILE_IPC_KEY HOSTILE_IPC_MQ
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
pa=
cleanup() {
	[ -n "$pa" ] && kill -9 "$pa" 2>/dev/null
	$asu "$HOSTILE_BIN" host-remove
	rm -f A.ready B.ready A.held A.out B.out attacks.out
}
trap cleanup EXIT

HOSTILE_IPC_SHMID=$($asu "$HOSTILE_BIN" host-make) || { echo "Bail out! no host objects"; exit 1; }
export HOSTILE_IPC_SHMID
before=$($asu "$HOSTILE_BIN" host-count)
# the attacks' lines count as this driver's first ones
$asu "$PICOS" run -- "$HOSTILE_BIN" >attacks.out 2>&1
arc=$?
sed '/^TAP version/d; s/^1\.\./# attacks: 1../' attacks.out
n=$(grep -c '^ok\|^not ok' attacks.out)
{ [ $arc -ne 0 ] || [ "$n" -eq 0 ]; } && failed=1
after=$($asu "$HOSTILE_BIN" host-count)
[ "$before" = "$after" ] && ok "the host's objects are untouched ($after)" ||
	nok "the host's objects changed: $before -> $after"

# The IPC namespace of the world whose picos command is $1 (its init's).
world_ns() {
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		readlink /proc/"$c"/ns/ipc && return
	done
}
# Processes in IPC namespace $1.
in_ns() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/ipc" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

if [ "$HOSTILE_MODE" = ns ]; then
	rm -f A.ready B.ready A.held
	$asu "$PICOS" run -- "$HOSTILE_BIN" world A B >A.out 2>&1 &
	pa=$!
	$asu "$PICOS" run -- "$HOSTILE_BIN" world B A >B.out 2>&1
	brc=$?
	for _ in $(seq 100); do [ -e A.held ] && break; sleep 0.1; done
	nsa=$(world_ns "$pa")
	if [ $brc -eq 0 ] && ! grep -q '^not ok' B.out && grep -q '^ok' B.out; then
		ok "world B: only its own objects, ended normally"
	else
		nok "world B (exit $brc)"
	fi
	sed 's/^/# B: /' B.out
	if [ -e A.held ] && ! grep -q '^not ok' A.out && [ -n "$nsa" ]; then
		ok "world A: only its own objects, held in $nsa"
	else
		nok "world A (held: $(ls A.held 2>&1), namespace '$nsa')"
	fi
	sed 's/^/# A: /' A.out
	kill -9 "$pa"
	wait "$pa" 2>/dev/null
	pa=
	left=
	for _ in $(seq 50); do
		left=$(in_ns "$nsa")
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && ok "world A's IPC namespace is gone with its last process after SIGKILL" ||
		nok "processes left in world A's IPC namespace: $left"
	after=$($asu "$HOSTILE_BIN" host-count)
	[ "$before" = "$after" ] && ok "the host shows no object of either world ($after)" ||
		nok "the host's IPC objects changed: $before -> $after"
fi
echo "1..$n"
exit $failed
