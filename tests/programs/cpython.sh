#!/usr/bin/env bash
# CPython's own regression tests under picos: test_signal, test_subprocess,
# test_thread, test_threading, test_socket, the thread-pool classes of
# test_concurrent_futures (its process pools take minutes), test_os,
# test_posix, test_stat, test_shutil, test_pathlib, test_time and test_fcntl
# from Debian's libpython3.11-testsuite, run with the interpreter they belong
# to (/usr/bin/python3.11).
#
# Each module runs natively first, then under picos, both through
# tests/programs/cpython_run.py (one line per test).  A test counts as a
# failure only when it passed natively and does not pass under picos; tests
# listed in tests/programs/cpython-exclude.txt (each with its reason) are
# not run under picos, and those in cpython-native-skip.txt in neither run
# (this machine cannot run them natively, or as root they would change the
# machine itself, e.g. its clock).  A test that skips itself under picos
# (e.g. because a feature probe got ENOSYS) counts as skipped, not failed.
#
# Usage: tests/programs/cpython.sh [MODULE...]   (default: the list above;
# MODULE may be test_x:Class1,Class2 for some classes).
# PICOS=path/to/picos overrides build/picos; CPYTHON_EXCLUDE another
# exclusion file; CPYTHON_TIMEOUT (seconds, 600)
# bounds each run; CPYTHON_VERBOSE=1 also prints the passing tests.
#
# Prints "not ok - ID" (with the traceback's key lines) for each failure,
# "# excluded"/"# skipped" summaries, one "ok"/"not ok" line per module run
# and at last "cpython: N passed, N failed, N skipped".  Exits non-zero on
# failure.  Works in build/cpython-scratch; TMPDIR is a directory inside it
# so the tests' temporary files are writable natively and under picos.
# Needs the Debian packages python3.11 and libpython3.11-testsuite.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/programs
picos=${PICOS:-$top/build/picos}
case $picos in
/*) ;;
*) picos=$PWD/$picos ;;
esac
exclude=${CPYTHON_EXCLUDE:-$here/cpython-exclude.txt}
case $exclude in
/*) ;;
*) exclude=$PWD/$exclude ;;
esac
TO=${CPYTHON_TIMEOUT:-600}
VERBOSE=${CPYTHON_VERBOSE:-0}
PY=/usr/bin/python3.11
TESTDIR=/usr/lib/python3.11/test
driver=$here/cpython_run.py
supervise=$here/cpython_supervise.py
scratch=$top/build/cpython-scratch

if [ $# -gt 0 ]; then
	modules=("$@")
else
	modules=(test_signal test_subprocess test_thread test_threading test_socket
		test_concurrent_futures:ThreadPoolAsCompletedTest,ThreadPoolExecutorTest,ThreadPoolFailingInitializerTest,ThreadPoolInitializerTest,ThreadPoolShutdownTest,ThreadPoolWaitTests
		test_os test_posix test_stat test_shutil test_pathlib test_time test_fcntl
		test_pty
		test_asyncio.test_events:EPollEventLoopTests,PollEventLoopTests,SelectEventLoopTests)
fi

pass=0
fail=0
skip=0

if [ ! -x "$PY" ] || [ ! -f "$TESTDIR/test_signal.py" ]; then
	echo "not ok - cpython: $TESTDIR is missing (apt-get install libpython3.11-testsuite)"
	echo "cpython: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$picos" ]; then
	echo "not ok - cpython: no $picos (run make first)"
	echo "cpython: 0 passed, 1 failed"
	exit 1
fi

# The same environment for both runs: no Python settings from the caller
# (a pyenv shim's variables, PYTHONPATH...), no byte-code writes into the
# host's /usr/lib.
for v in $(env | sed -n 's/^\(PYTHON[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch" || exit 1
# A copy inside the scratch directory, which the guest sees at the same
# path (an exclusion file in the host's /tmp would not be visible).
# The same for the driver: the tree may lie beneath /tmp.
# Tests this machine cannot run natively are left out of both runs.
cp "$here/cpython-native-skip.txt" "$scratch/native-skip.txt" || exit 1
cat "$exclude" "$scratch/native-skip.txt" >"$scratch/exclude.txt" || exit 1
exclude=$scratch/exclude.txt
# A world run flat (--ns=off, PICOS_NS=off, no namespaces here) cannot
# open the ptys it makes (docs/security.md, "Terminals"): their tests are
# left out there.
if [ "$("$picos" run -- readlink /proc/self/ns/pid 2>/dev/null)" = "$(readlink /proc/self/ns/pid)" ]; then
	printf '%s # the world runs flat: no ptys of its own\n' test.test_pty \
		test.test_os.FDInheritanceTests.test_openpty >>"$exclude"
	for c in EPollEventLoopTests PollEventLoopTests SelectEventLoopTests; do
		for t in read_pty_output write_pty bidirectional_pty; do
			echo "test.test_asyncio.test_events.$c.test_$t # the world runs flat: no ptys of its own"
		done
	done >>"$exclude"
fi
cp "$driver" "$scratch/cpython_run.py" || exit 1
driver=$scratch/cpython_run.py

# Runs one module: $1 = native|picos, $2 = module spec; results in
# $scratch/$1-$name.txt, the tests' own output in $1-$name.log.
run_module() {
	local mode=$1 spec=$2 name=${2//[:,]/_} rc t0 t1
	local out=$scratch/$mode-$name.txt log=$scratch/$mode-$name.log
	local left=$scratch/$mode-$name.leftovers
	rm -rf "$scratch/tmp"
	mkdir -p "$scratch/tmp"
	export TMPDIR=$scratch/tmp
	local cmd=("$PY" "$driver" "test.$spec" --out "$out")
	if [ "$mode" = native ]; then
		cmd+=(--exclude "$scratch/native-skip.txt")
	else
		cmd=("$picos" run -- "${cmd[@]}" --exclude "$exclude")
	fi
	t0=$(date +%s)
	"$PY" "$supervise" "$TO" "$left" "${cmd[@]}" </dev/null >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	touch "$out"
	local summary
	summary=$(sed -n 's/^cpython_run: //p' "$out")
	if [ $rc -eq 124 ]; then
		echo "not ok - $mode $spec: timed out after $TO s (${summary:-no summary})"
		fail=$((fail + 1))
	elif [ -z "$summary" ]; then
		echo "not ok - $mode $spec: the driver ended without a summary (exit $rc)"
		tail -n 8 "$log" | sed 's/^/    /'
		fail=$((fail + 1))
	else
		echo "# $mode $spec: $summary, $((t1 - t0)) s wall"
	fi
	# Natively some tests leave an orphan of their own behind (e.g.
	# test_run_with_shell_timeout_and_capture_output kills the shell of
	# "sleep 3" but not the sleep): a note.  Under picos every guest
	# process must be gone once picos has exited.
	if [ -s "$left" ] && [ "$mode" = native ]; then
		echo "# native $spec: killed leftover processes the tests started: $(tr '\n' ' ' <"$left")"
	elif [ -s "$left" ]; then
		echo "not ok - $mode $spec: left processes behind (killed): $(tr '\n' ' ' <"$left")"
		fail=$((fail + 1))
	fi
	sed -n 's/^# unused exclusion: /# unused exclusion (stale id?): /p' "$out"
	rm -rf "$scratch/tmp"
}

# Compares the native and picos results of one module and prints the
# verdict of every test that passed natively.
compare() {
	local name=${1//[:,]/_}
	awk -v verbose="$VERBOSE" -v mod="$1" '
	FNR == 1 { file++ }
	file == 1 && /^ok - [^ ]+$/ { native[$3] = 1; order[++n] = $3; next }
	file == 2 && /^ok - [^ ]+( \(|$)/ && !/ # / { res[$3] = "ok"; next }
	file == 2 && /^ok - [^ ]+ # EXCLUDED / {
		id = $3; sub(/^ok - [^ ]+ # EXCLUDED /, ""); res[id] = "excl"; why[id] = $0; next
	}
	file == 2 && /^ok - [^ ]+ # SKIP / {
		id = $3; sub(/^ok - [^ ]+ # SKIP /, ""); res[id] = "skip"; why[id] = $0; next
	}
	file == 2 && /^not ok - / { res[$4] = "fail"; next }
	file == 2 && /^== / { cur = $2; nkey[cur] = 0; next }
	file == 2 && cur != "" && /^    / {
		line = substr($0, 5)
		if (line ~ /^ *[A-Za-z_.]*(Error|Exception|Exit|Interrupt)(:|$)/ && nkey[cur] < 4)
			key[cur, ++nkey[cur]] = line
		last[cur] = line
		next
	}
	END {
		for (i = 1; i <= n; i++) {
			id = order[i]
			r = (id in res) ? res[id] : "missing"
			if (r == "ok") {
				p++
				if (verbose) print "ok - " id
			} else if (r == "excl") {
				# grouped by the reason up to its first colon
				g = why[id]; sub(/:.*/, "", g); x++; xr[g]++
			} else if (r == "skip") {
				s++; print "# skipped under picos - " id ": " why[id]
			} else {
				f++
				print "not ok - " id (r == "missing" ? " (no result under picos)" : "")
				if (nkey[id] == 0 && last[id] != "") key[id, ++nkey[id]] = last[id]
				for (k = 1; k <= nkey[id]; k++) print "    " key[id, k]
			}
		}
		for (r in xr) printf "# excluded %d: %s\n", xr[r], r
		printf "# %s: %d passed natively; under picos %d passed, %d failed, %d excluded, %d skipped\n", \
			mod, n, p, f, x, s
		printf "%d %d %d\n", p + 0, f + 0, x + s > "/dev/stderr"
	}' "$scratch/native-$name.txt" "$scratch/picos-$name.txt" 2>"$scratch/counts-$name"
	local p f s
	read -r p f s <"$scratch/counts-$name"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
}

for m in "${modules[@]}"; do
	run_module native "$m"
	run_module picos "$m"
	compare "$m"
done

echo "cpython: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
