#!/usr/bin/env bash
# Whole services under picos (issue 13): each tests/programs/services/NAME.sh
# is run natively and under picos, in a fresh directory of its own under
# build/services; stdout and exit status must match.  The scripts bind
# 127.0.0.1 on a free port and stop what they start, checking that
# nothing is left (processes, System V objects, files).  postgres refuses
# to run as root: as root, its script runs as picos-ci (setpriv), also in
# the world (guest root changing its ids, which the host process takes).
# It needs System V IPC, which only a world with namespaces has: in flat
# mode (PICOS_NS=off) it is skipped.
#   tests/programs/services.sh [NAME]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
SERVICES=$top/tests/programs/services
export SERVICES LC_ALL=C TZ=UTC
scratch=$top/build/services
TO=${SERVICES_TIMEOUT:-120}
only=${1:-}
pass=0
fail=0

# Runs script $1 (mode native or picos, prefix words in the rest) in a
# fresh directory; its output goes to $scratch/$mode/NAME.out.
run_case() {
	local name=$1 mode=$2 d=$scratch/$2/$1
	shift 2
	rm -rf "$d"
	mkdir -p "$d"
	[ "$(id -u)" = 0 ] && [ $# -gt 0 ] && chown picos-ci: "$d"
	(
		cd "$d" || exit 1
		if [ "$mode" = native ]; then
			timeout "$TO" "$@" sh "$SERVICES/$name.sh"
		else
			timeout "$TO" "$picos" run -- "$@" sh "$SERVICES/$name.sh"
		fi
		echo "[exit $?]"
	) >"$d.out" 2>"$d.err" </dev/null
}

case_() {
	local name=$1
	shift
	[ -n "$only" ] && [ "$only" != "$name" ] && return 0
	run_case "$name" native "$@"
	run_case "$name" picos "$@"
	local n=$scratch/native/$name p=$scratch/picos/$name
	if ! grep -q '^\[exit 0\]$' "$n.out"; then
		echo "not ok - service $name: fails natively"
		sed 's/^/    | /' "$n.out" | tail -8
		fail=$((fail + 1))
	elif ! cmp -s "$n.out" "$p.out"; then
		echo "not ok - service $name: output differs (native vs picos)"
		diff -u "$n.out" "$p.out" | sed -n '3,22p' | sed 's/^/    /'
		sed 's/^/    | /' "$p.err" | tail -8
		fail=$((fail + 1))
	else
		echo "ok - service $name"
		pass=$((pass + 1))
	fi
}

# Whether worlds have System V IPC here (not in flat mode).
world_has_ipc() {
	"$picos" run -- /usr/bin/python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
i = libc.shmget(0, 4096, 0o1600)
sys.exit(1 if i < 0 else libc.shmctl(i, 0, None))' 2>/dev/null
}

# --wait-all (no native counterpart): a process that outlives pid 1 is
# killed with the world by default, and waited for with --wait-all, which
# keeps pid 1's exit status; then a daemonized redis-server that the
# shell leaves behind serves a client started in the background.
check_wait_all() {
	[ -n "$only" ] && [ "$only" != wait_all ] && return 0
	local d=$scratch/picos/wait_all got want
	rm -rf "$d"
	mkdir -p "$d"
	cd "$d" || return
	got=$("$picos" run -- sh -c '(sleep 1; echo late) & echo early; exit 3' 2>&1; echo "[exit $?]")
	got="$got|$("$picos" run --wait-all -- sh -c '(sleep 1; echo late) & echo early; exit 3' 2>&1; echo "[exit $?]")"
	want=$(printf 'early\n[exit 3]|early\nlate\n[exit 3]')
	if command -v redis-server >/dev/null; then
		got="$got|$(timeout "$TO" "$picos" run --wait-all -- sh -c '
port=$(/usr/bin/python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
redis-server --daemonize yes --bind 127.0.0.1 --port $port --dir "$PWD" --save "" --logfile "$PWD/r.log" --pidfile "$PWD/r.pid"
(for i in $(seq 100); do [ "$(redis-cli -p $port ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
 sleep 0.5; redis-cli -p $port set k v; redis-cli -p $port get k; redis-cli -p $port shutdown nosave) &
exit 0' 2>&1; echo "[exit $?]")"
		want="$want|$(printf 'OK\nv\n[exit 0]')"
	fi
	cd "$top" || return
	if [ "$got" = "$want" ]; then
		echo "ok - service wait_all"
		pass=$((pass + 1))
	else
		echo "not ok - service wait_all"
		echo "    got:  $got" | head -12
		echo "    want: $want"
		fail=$((fail + 1))
	fi
}

mkdir -p "$scratch/native" "$scratch/picos"
check_wait_all
case_ python_mp
if [ -x /usr/sbin/nginx ]; then
	case_ nginx
else
	echo "# no nginx (apt-get install nginx-light): nginx skipped"
fi
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
	case_ redis
else
	echo "# no redis (apt-get install redis-server): redis skipped"
fi
if [ -n "$only" ] && [ "$only" != postgres ]; then
	:
elif [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "# no postgres 15 (apt-get install postgresql): postgres skipped"
elif ! world_has_ipc; then
	echo "# worlds have no System V IPC here (flat mode): postgres skipped"
elif [ "$(id -u)" = 0 ]; then
	if id picos-ci >/dev/null 2>&1; then
		case_ postgres setpriv --reuid=picos-ci --regid=picos-ci --clear-groups
	else
		echo "# no user picos-ci to run postgres as: postgres skipped"
	fi
else
	case_ postgres
fi
echo "services: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
