#!/usr/bin/env bash
# shellcheck disable=SC2016  # single-quoted $ is meant for the guest shell
# Multi-process real-program tests: bash and busybox sh scripts (pipelines,
# subshells, traps, background jobs, kill, xargs -P, find -exec), make -j2
# building a small C project with gcc, python3 subprocess/fork/signals.
# Each case runs natively and under picos in a fresh copy of the fixture;
# stdout, exit status and the file tree left behind must match byte for
# byte.  Then picos-only checks of --max-procs (a bounded fork bomb must
# see fork fail, end in time and leave no process behind).
#
# Usage: tests/programs/procs.sh [PATTERN]   (PATTERN: only cases whose name
# contains it).  PICOS=path/to/picos overrides build/picos.
#
# Prints "ok - NAME" / "not ok - NAME" per case (with a short diff on
# failure) and "procs: N passed, N failed"; exits non-zero on failure.
# Everything is written under build/procs-scratch; nothing needs root.
#
# Not covered: bash process substitution <(...) needs /dev/fd (Linux:
# /proc/self/fd), which the guest does not have yet; set PROCS_DEVFD=1 to
# run that case anyway.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
case $picos in
/*) ;;
*) [ -n "${PICOS:-}" ] && picos=$PWD/$picos ;;
esac
only=${1:-}

scratch=$top/build/procs-scratch
fixture=$scratch/fixture
# Both runs of a case happen in this same directory (then it is moved
# aside), so absolute paths (pwd, make's "Entering directory") match.
work=$scratch/work
TO=${PROCS_TIMEOUT:-60}
T='2020-01-02 03:04:05'
BUSYBOX=${BUSYBOX:-/bin/busybox}

export LC_ALL=C TZ=UTC PYTHONDONTWRITEBYTECODE=1
unset LANG LANGUAGE COLUMNS LS_COLORS POSIXLY_CORRECT MAKEFLAGS MFLAGS MAKELEVEL
unset BASH_ENV ENV CDPATH GREP_OPTIONS
# A fixed PATH: no version-manager shims (shell scripts that fork).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export TMPDIR=$scratch/tmpdir

PY=${PYTHON:-}
if [ -z "$PY" ]; then
	if [ -x /usr/bin/python3 ]; then
		PY=/usr/bin/python3
	else
		PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)
	fi
fi
BASH_BIN=/bin/bash

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

skip() {
	echo "# skip $1: ${2:-}"
}

wanted() {
	[ -z "$only" ] || [[ $1 == *"$only"* ]]
}

show() {
	[ -s "$2" ] && head -n "${3:-12}" "$2" | sed "s/^/    $1 /"
	return 0
}

########################################################################
# Fixture: a few text files, a shell script and a small C project.

make_fixture() {
	rm -rf "$fixture"
	mkdir -p "$fixture/sub/deeper" "$fixture/proj/lib"
	(
		cd "$fixture" || exit 1
		printf 'hello world\n' >hello.txt
		printf 'pear\napple\nfig\nbanana\napple\ncherry\nkiwi 2\nkiwi 10\n' >lines.txt
		seq 1 2000 >numbers.txt
		printf 'a file in sub\n' >sub/a.txt
		printf 'deeper\nstill\n' >sub/deeper/b.txt
		printf 'no newline' >sub/deeper/c.txt
		printf '#!/bin/sh\necho "script $# args: $*"\nexit 4\n' >script.sh
		chmod 755 script.sh
		make_project proj
		find . -exec touch -h -d "$T" {} +
		find . -type d -exec touch -d "$T" {} +
	)
}

# A C project: 4 sources, a header, a static library built by a sub-make,
# a Makefile with -j-friendly rules, a check target and a broken target.
make_project() {
	local p=$1
	cat >"$p/common.h" <<'EOF'
#ifndef COMMON_H
#define COMMON_H
int add(int a, int b);
int mul(int a, int b);
unsigned long hash(const char *s);
int count_words(const char *s);
int lib_square(int x);
#define GREETING "hello from prog"
#endif
EOF
	cat >"$p/main.c" <<'EOF'
#include <stdio.h>
#include "common.h"
int main(int argc, char **argv)
{
	const char *words[] = { "pear", "apple", "fig", "banana", "kiwi" };
	int i;
	puts(GREETING);
	printf("add %d mul %d square %d\n", add(2, 3), mul(6, 7), lib_square(9));
	for (i = 0; i < 5; i++)
		printf("%s %lu\n", words[i], hash(words[i]) % 1000);
	printf("words %d args %d\n", count_words("the quick  brown fox "), argc - 1);
	return 3;
}
EOF
	cat >"$p/util.c" <<'EOF'
#include "common.h"
unsigned long hash(const char *s)
{
	unsigned long h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}
EOF
	cat >"$p/calc.c" <<'EOF'
#include "common.h"
int add(int a, int b) { return a + b; }
int mul(int a, int b) { return a * b; }
EOF
	cat >"$p/text.c" <<'EOF'
#include <ctype.h>
#include "common.h"
int count_words(const char *s)
{
	int n = 0, in = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s))
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}
EOF
	cat >"$p/broken.c" <<'EOF'
int broken(void) { return undeclared_name; }
EOF
	cat >"$p/lib/square.c" <<'EOF'
int lib_square(int x) { return x * x; }
EOF
	cat >"$p/lib/cube.c" <<'EOF'
int lib_cube(int x) { return x * x * x; }
EOF
	cat >"$p/lib/Makefile" <<'EOF'
CC = gcc
CFLAGS = -O2 -Wall
libcalc.a: square.o cube.o
	ar rc $@ square.o cube.o
%.o: %.c
	$(CC) $(CFLAGS) -c $<
clean:
	rm -f libcalc.a *.o
EOF
	cat >"$p/Makefile" <<'EOF'
CC = gcc
CFLAGS = -O2 -Wall
OBJS = main.o util.o calc.o text.o
prog: $(OBJS)
	$(MAKE) -C lib
	$(CC) -o $@ $(OBJS) lib/libcalc.a
%.o: %.c common.h
	$(CC) $(CFLAGS) -c $<
# One object through pipes instead of temporary files.
text.o: CFLAGS += -pipe
check: prog
	./prog a b | sort | head -n 3
	./prog > result.txt || echo "prog status $$?"
	wc -l < result.txt
broken: broken.o text.o
clean:
	rm -f prog $(OBJS) broken.o result.txt
	$(MAKE) -C lib clean
.PHONY: check clean
EOF
}

snapshot() {
	(cd "$1" && find . -printf '%p %y %m %n %l ' \( -type d -printf '\n' -o -printf '%s\n' \) | sort)
}

########################################################################
# Differential cases (as in run.sh): case_NAME calls `run` for each
# program; it is executed with mode=native and then mode=picos, each time
# in a fresh copy of the fixture at the same path.

# run [-i FILE] [-s] [-f FILTER] [--] PROG ARGS...
run() {
	local input=/dev/null filter=cat rc
	while [ $# -gt 0 ]; do
		case $1 in
		-i) input=$2; shift 2 ;;
		-s) filter='sort'; shift ;;
		-f) filter=$2; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	printf '$ %s\n' "$*" >>"$err"
	if [ "$mode" = native ]; then
		timeout "$TO" "$@"
	else
		timeout "$TO" "$picos" run "${popts[@]}" -- "$@"
	fi <"$input" >"$out.raw" 2>>"$err"
	rc=$?
	eval "$filter" <"$out.raw" >>"$out"
	echo "[exit $rc]" >>"$out"
	rm -f "$out.raw"
}

# sh_ SCRIPT [ARGS]: the script under bash; bb_ SCRIPT: under busybox sh.
sh_() { run "${ropts[@]}" -- "$BASH_BIN" -c "$@"; }
bb_() { run "${ropts[@]}" -- "$BUSYBOX" sh -c "$@"; }

compare() {
	local name=$1 n=$scratch/native/$1 p=$scratch/picos/$1
	if ! cmp -s "$n.out" "$p.out"; then
		not_ok "$name" "output differs (native vs picos)"
		diff -u "$n.out" "$p.out" | sed -n '3,24p' | sed 's/^/    /'
		show '|' "$p.err" 12
	elif ! cmp -s "$n.state" "$p.state"; then
		not_ok "$name" "resulting files differ (native vs picos)"
		diff -u "$n.state" "$p.state" | sed -n '3,22p' | sed 's/^/    /'
	else
		ok "$name"
	fi
}

case_() {
	local name=$1 mode d out err
	wanted "$name" || return 0
	for mode in native picos; do
		d=$scratch/$mode/$name
		out=$d.out
		err=$d.err
		rm -rf "$d" "$work"
		mkdir -p "$scratch/$mode"
		cp -a "$fixture" "$work"
		: >"$out"
		: >"$err"
		popts=(--env TMPDIR=/tmp)
		ropts=()
		(cd "$work" && "case_$name")
		snapshot "$work" >"$d.state"
		mv "$work" "$d"
	done
	compare "$name"
}

# ---- bash --------------------------------------------------------------

case_bash_pipes() {
	sh_ 'seq 1 2000 | sort -r | head -5'
	sh_ 'seq 1 5000 | grep 7 | tr 7 x | grep -c x; seq 1 5000 | grep 7 | wc -l'
	sh_ 'cat lines.txt lines.txt | tr a-z A-Z | sort | uniq -c | sort -k1,1nr -k2 | head -n 4'
	sh_ 'yes | head -n 3; echo "status ${PIPESTATUS[*]}"'
	sh_ 'set -o pipefail; false | true; echo "pipefail $?"; true | (exit 3) | true; echo "pipefail $?"'
	sh_ '! true | false; echo "negated $?"; seq 100000 | tail -n 1; head -c 1000000 /dev/zero | wc -c'
	sh_ 'cat numbers.txt | sha256sum | cut -c1-16; seq 3 | paste -sd+; seq 10 | awk "{s += \$1} END {print s}"'
	sh_ 'sleep 0.1 | sleep 0.1; echo slept; echo to-stderr >&2 | cat; ls nonexistent 2>&1 | wc -l'
}

case_bash_subshell() {
	sh_ '( cd sub; pwd ); pwd; ( cd sub/deeper && ls )'
	sh_ 'x=1; ( x=2; echo "inner $x" ); echo "outer $x"; ( exit 7 ); echo "sub status $?"'
	sh_ '{ echo grouped; echo block; } | tr a-z A-Z; ( echo in; ( echo nested; ( exit 2 ) ); echo "nested $?" )'
	sh_ '[ "$$" = "$BASHPID" ] && echo "top: same pid"; ( [ "$$" != "$BASHPID" ] && echo "subshell: own pid" ); echo "$BASH_SUBSHELL $(echo $BASH_SUBSHELL)"'
	sh_ 'umask 027; ( umask 077; touch sub-private ); touch masked; stat -c "%n %a" masked sub-private'
	sh_ 'cd sub && ../script.sh one two; echo "script $?"; bash -c "exit 7"; echo "nested bash $?"; sh -c "echo \$0 \$1" named arg'
}

case_bash_cmdsubst() {
	sh_ 'x=$(echo hi; echo there); echo "[$x]"; n=$(seq 10 | wc -l); echo $((n * 2))'
	sh_ 'echo "$(echo "$(echo nested "$(echo deep "$(echo deeper)")")")"; echo `echo back` `expr 3 + 4`'
	sh_ 's=$(exit 3); echo "status $?"; echo "$(printf "a\n\n\n")|"; big=$(seq 20000); echo "${#big}"'
	sh_ 'lines=$(wc -l < lines.txt); echo "lines=$lines"; files=$(cd sub && echo *); echo "$files"'
	sh_ 'f() { echo "in f $1"; return 5; }; r=$(f arg); echo "$r / $?"; a=( $(seq 3) ); echo "${#a[@]} ${a[2]}"'
}

case_bash_heredoc() {
	sh_ 'cat <<EOF
value $((6 * 7)) in $(basename "$PWD")
EOF
cat <<"EOF"
literal $HOME $(not run)
EOF
tr a-z A-Z <<< "here string"; wc -c <<< "$(seq 100)"'
	sh_ 'while read -r a b; do echo "[$b|$a]"; done <<EOF
one 1
two 2
three 3
EOF
cat <<-EOF
		tab stripped
	EOF'
	# Larger than a pipe buffer: bash writes it to a file in TMPDIR.
	sh_ 'cat <<EOF | wc -c
$(seq 20000)
EOF
sort -rn <<EOF | head -n 2
$(seq 20000)
EOF'
}

case_bash_trap() {
	sh_ 'trap "echo trapped" EXIT; echo body'
	sh_ 'trap "echo exit trap status \$?" EXIT; echo before; exit 4'
	sh_ 'trap "echo got USR1" USR1; kill -USR1 $$; echo after; n=1; trap "echo usr2 \$((n + 1))" USR2; kill -USR2 $$; trap - USR1; echo done'
	sh_ '( trap "echo sub got TERM; exit 5" TERM; kill -TERM $BASHPID; echo not here ); echo "sub status $?"'
	sh_ 'trap "" INT; kill -INT $$; echo "INT ignored"; trap - INT; ( kill -INT $BASHPID; echo no ); echo "sub $?"'
	sh_ 'echo before; kill -USR1 $$; echo unreachable'
	sh_ 'trap "echo term; kill \$p; exit 3" TERM; sleep 30 & p=$!; (sleep 0.3; kill -TERM $$) & wait $p; echo "not reached"'
	sh_ 'trap "echo child exited" CHLD; ( exit 1 ); true & wait; trap - CHLD; echo end'
}

case_bash_jobs() {
	sh_ 'sleep 0.2 & p=$!; (exit 3) & q=$!; wait $q; echo "q=$?"; wait $p; echo "p=$?"; (exit 5) & wait; echo "all=$?"'
	sh_ '(sleep 1; exit 2) & (exit 3) & wait -n; echo "first=$?"; wait -n; echo "second=$?"'
	sh_ 'for i in 1 2 3; do (sleep 0.$i; echo "job $i"; exit $i) & pids+=($!); done; for p in "${pids[@]}"; do wait $p; echo "status $?"; done'
	run -s "$BASH_BIN" -c 'for i in $(seq 8); do (echo "bg $i") & done; wait; echo all done'
	sh_ 'wait 99999; echo "not a child: $?"; true & wait $!; echo "true: $?"; false & wait $!; echo "false: $?"'
	sh_ 'timeout 1 sleep 30; echo "timeout $?"; timeout -s KILL 0.5 sleep 30; echo "timeout kill $?"'
	sh_ 'coproc cat; echo hello >&"${COPROC[1]}"; read -r l <&"${COPROC[0]}"; echo "got $l"; kill $COPROC_PID; wait $COPROC_PID; echo "coproc $?"'
}

case_bash_kill() {
	sh_ 'sleep 30 & p=$!; kill $p; wait $p; echo "status=$?"'
	sh_ 'sleep 30 & p=$!; kill -9 $p; wait $p; echo "kill9=$?"; sleep 30 & kill -HUP $!; wait $!; echo "hup=$?"'
	sh_ 'sleep 30 & p=$!; kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo "stopped then killed=$?"'
	sh_ '(trap "exit 6" USR1; while :; do sleep 0.05; done) & p=$!; sleep 0.3; kill -USR1 $p; wait $p; echo "trapped=$?"'
	sh_ 'kill -0 $$ && echo "self alive"; kill -0 99999; echo "kill -0 missing: $?"; sh -c "kill -TERM \$\$"; echo "self-killed sh $?"'
}

case_bash_set_e() {
	sh_ 'set -e; echo one; false; echo never'
	sh_ 'set -e; f() { echo in f; return 3; }; f; echo never'
	sh_ 'set -e; if false; then :; fi; false || echo "or ok"; x=$(echo sub; exit 4); echo never'
	sh_ 'set -e; (echo in sub; false; echo never); echo never2'
	sh_ 'set -eo pipefail; seq 3 | false | cat; echo never'
	sh_ 'set -e; trap "echo exit trap \$?" EXIT; ls nonexistent 2>/dev/null; echo never'
}

case_bash_read() {
	sh_ 'seq 5 | while read -r n; do echo "n=$n sq=$((n * n))"; done'
	sh_ 'printf "a b\nc d\n" | { read -r x y; read -r z w; echo "$y$x$w$z"; }'
	sh_ 'count=0; while read -r l; do count=$((count + 1)); done < lines.txt; echo "count $count"'
	sh_ 'shopt -s lastpipe; seq 3 | while read -r n; do last=$n; done; echo "last=$last"'
	sh_ 'cat numbers.txt | { s=0; while read -r n; do s=$((s + n)); done; echo "sum $s"; }'
	sh_ 'mapfile -t arr < lines.txt; echo "${#arr[@]} ${arr[3]}"; IFS=: read -r a b c <<< "x:y:z"; echo "$c$b$a"'
	sh_ '(sleep 1; echo late) | { read -r -t 0.3 l; echo "read timeout $?"; read -r l; echo "then $l"; }'
}

case_bash_xargs() {
	sh_ 'seq 1 10 | xargs -P2 -n1 echo | sort -n'
	run -s "$BASH_BIN" -c 'seq 1 20 | xargs -P2 -n1 echo'
	sh_ 'printf "%s\n" a b c | xargs -n2 echo got; echo "rc=$?"'
	sh_ 'seq 3 | xargs -I{} sh -c "echo item {}"; seq 3 | xargs -n1 sh -c "exit \$0"; echo "rc=$?"'
	sh_ 'echo x | xargs sh -c "kill -9 \$\$"; echo "killed rc=$?"; echo y | xargs -P2 false; echo "false rc=$?"'
	sh_ 'find . -name "*.txt" -print0 | sort -z | xargs -0 -P2 -n2 wc -l | sort'
}

case_bash_find() {
	run -s find . -name '*.txt' -exec wc -c {} +
	run -s find . -name '*.txt' -exec echo found {} \;
	run -s find . -type f -name '*.txt' -exec sh -c 'echo "$1: $(wc -l < "$1")"' sh {} \;
	run -s find . -name '*.c' -execdir pwd \;
	run find . -name '*.txt' -exec false {} \; -print
	run find . -name hello.txt -exec sh -c 'exit 1' \; -o -name nothing -print
	sh_ 'find . -name "*.txt" -newer numbers.txt | wc -l; find sub -type f -exec cat {} + | wc -l'
}

case_bash_exec() {
	sh_ 'exec >out.txt; echo into file; exec 2>&1; ls nonexistent; exec echo replaced; echo never'
	sh_ 'exec echo replaced; echo never'
	sh_ 'exec 3>fd3.txt; echo to three >&3; exec 3>&-; cat fd3.txt; exec 4<lines.txt; read -r l <&4; echo "$l"'
	sh_ 'exec -a renamed sh -c "echo \$0"'
	sh_ 'exec nonexistent-program-xyz; echo never'
}

# Process substitution: bash opens /dev/fd/N, which the guest lacks.
case_bash_procsub() {
	sh_ 'cat <(echo procsub); diff <(seq 3) <(seq 3) && echo same; wc -l < <(seq 5)'
	sh_ 'echo tee-data | tee >(wc -c > count.txt) > /dev/null; wait; sleep 0.2; cat count.txt'
}

# ---- busybox sh ----------------------------------------------------------

case_bb_pipes() {
	bb_ 'seq 1 2000 | sort -r | head -5'
	bb_ 'seq 1 5000 | grep 7 | tr 7 x | grep -c x; cat lines.txt lines.txt | sort | uniq -c | sort -rn | head -n 3'
	bb_ 'yes | head -n 3; false | true; echo "status $?"; ! true; echo "negated $?"'
	bb_ 'set -o pipefail; true | (exit 3) | true; echo "pipefail $?"; seq 100000 | tail -n 1'
	bb_ 'cat numbers.txt | wc -c; head -c 1000000 /dev/zero | wc -c; ls nonexistent 2>&1 | wc -l'
}

case_bb_subshell() {
	bb_ '( cd sub; pwd ); pwd; ( cd sub/deeper && ls )'
	bb_ 'x=1; ( x=2; echo "inner $x" ); echo "outer $x"; ( exit 7 ); echo "sub status $?"'
	bb_ '{ echo grouped; echo block; } | tr a-z A-Z; ( echo in; ( exit 2 ); echo "nested $?" )'
	bb_ 'x=$(echo hi; echo there); echo "[$x]"; echo "$(echo "$(echo nested "$(echo deep)")")"; echo `echo back`'
	bb_ 's=$(exit 3); echo "status $?"; big=$(seq 20000); echo "${#big}"; n=$(wc -l < lines.txt); echo "lines $n"'
	bb_ './script.sh a b; echo "script $?"; /bin/busybox sh -c "exit 7"; echo "nested $?"'
}

case_bb_heredoc() {
	bb_ 'cat <<EOF
value $((6 * 7)) in $(basename "$PWD")
EOF
cat <<"EOF"
literal $HOME $(not run)
EOF
while read -r a b; do echo "[$b|$a]"; done <<EOF
one 1
two 2
EOF'
	# Larger than a pipe buffer: ash forks a writer for it.
	bb_ 'cat <<EOF | wc -c
$(seq 20000)
EOF'
}

case_bb_trap() {
	bb_ 'trap "echo trapped" EXIT; echo body'
	bb_ 'trap "echo exit trap status \$?" EXIT; echo before; exit 4'
	bb_ 'trap "echo got USR1" USR1; kill -USR1 $$; echo after; trap - USR1; echo done'
	bb_ 'trap "" INT; kill -INT $$; echo "INT ignored"'
	bb_ 'echo before; kill -USR1 $$; echo unreachable'
	bb_ 'trap "echo term; kill \$p; exit 3" TERM; sleep 30 & p=$!; (sleep 0.3; kill -TERM $$) & wait $p; echo "not reached"'
}

case_bb_jobs() {
	bb_ 'sleep 0.2 & p=$!; (exit 3) & q=$!; wait $q; echo "q=$?"; wait $p; echo "p=$?"; (exit 5) & wait; echo "all=$?"'
	bb_ 'for i in 1 2 3; do (sleep 0.$i; echo "job $i"; exit $i) & eval "p$i=$!"; done; wait $p1; echo "s $?"; wait $p2; echo "s $?"; wait $p3; echo "s $?"'
	bb_ 'sleep 30 & p=$!; kill $p; wait $p; echo "status=$?"'
	bb_ 'sleep 30 & p=$!; kill -9 $p; wait $p; echo "kill9=$?"; true & wait $!; echo "true $?"'
	bb_ '(trap "exit 6" USR1; while :; do sleep 0.05; done) & p=$!; sleep 0.3; kill -USR1 $p; wait $p; echo "trapped=$?"'
	bb_ 'timeout 1 sleep 30; echo "timeout $?"'
}

case_bb_set_e() {
	bb_ 'set -e; echo one; false; echo never'
	bb_ 'set -e; f() { echo in f; return 3; }; f; echo never'
	bb_ 'set -e; false || echo "or ok"; x=$(echo sub; exit 4); echo never'
	bb_ 'set -e; (echo in sub; false; echo never); echo never2'
}

case_bb_read() {
	bb_ 'seq 5 | while read -r n; do echo "n=$n sq=$((n * n))"; done'
	bb_ 'printf "a b\nc d\n" | { read -r x y; read -r z w; echo "$y$x$w$z"; }'
	bb_ 'count=0; while read -r l; do count=$((count + 1)); done < lines.txt; echo "count $count"'
	bb_ 'cat numbers.txt | { s=0; while read -r n; do s=$((s + n)); done; echo "sum $s"; }'
}

case_bb_xargs_find() {
	bb_ 'seq 1 10 | xargs -P2 -n1 echo | sort -n'
	bb_ 'printf "%s\n" a b c | xargs -n2 echo got; echo "rc=$?"'
	bb_ 'find . -name "*.txt" -exec wc -c {} + | sort'
	bb_ 'find . -name "*.txt" -exec echo found {} \; | sort'
	bb_ 'find . -type f -name "*.txt" | sort | xargs cat | wc -l'
}

# ---- make -j2 + gcc -----------------------------------------------------

case_make_j2() {
	run make -C proj -j2
	run proj/prog x y
	run make -C proj -j2
	run touch proj/common.h
	run make -C proj -j2 prog
	run make -C proj -j2 check
	run make -C proj -j2 -k broken
	run make -C proj clean
	run make -j2 -C proj/lib
}

# ---- python3 --------------------------------------------------------------

py_subprocess='
import os, subprocess
r = subprocess.run(["echo", "hi"], capture_output=True)
print(r.returncode, r.stdout, r.stderr)
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True, text=True)
print(r.returncode, repr(r.stdout), repr(r.stderr))
print(subprocess.call("exit 5", shell=True))
print(subprocess.check_output(["cat", "lines.txt"]).count(b"\n"))
try:
    subprocess.check_call(["false"])
except subprocess.CalledProcessError as e:
    print("CalledProcessError", e.returncode)
try:
    subprocess.run(["/nonexistent/prog"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)
print(subprocess.run(["sh", "-c", "kill -9 $$"]).returncode)
big = subprocess.run(["cat"], input=b"x" * 1000000, capture_output=True)
print(len(big.stdout))
print(subprocess.run(["pwd"], cwd="sub", capture_output=True, text=True).stdout.strip() == os.path.abspath("sub"))
print(subprocess.run(["sh", "-c", "echo $FOO"], env={"FOO": "bar", "PATH": os.environ["PATH"]}, capture_output=True).stdout)
print(subprocess.run("ls sub | wc -l", shell=True, capture_output=True, text=True).stdout.strip())
'

py_popen='
import subprocess
p = subprocess.Popen(["sort", "-r"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, err = p.communicate(b"b\na\nc\n")
print(out, err, p.returncode)
p = subprocess.Popen(["tr", "a-z", "A-Z"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
out, err = p.communicate("popen text\n" * 3)
print(repr(out), repr(err), p.returncode)
p1 = subprocess.Popen(["seq", "1", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["wc", "-l"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
print(p2.communicate()[0], p1.wait(), p2.returncode)
p1 = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["head", "-n", "2"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
print(p2.communicate()[0], p1.wait(), p2.returncode)
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"line by line\n"); p.stdin.flush()
print(p.stdout.readline())
p.stdin.close()
print(p.stdout.read(), p.wait())
p = subprocess.Popen(["sleep", "30"])
print(p.poll())
p.terminate()
print(p.wait())
'

py_timeout='
import subprocess, time
t = time.monotonic()
try:
    subprocess.run(["sleep", "30"], timeout=0.5)
except subprocess.TimeoutExpired as e:
    print("TimeoutExpired", e.cmd, round(e.timeout, 1), time.monotonic() - t < 10)
p = subprocess.Popen(["sleep", "30"])
try:
    p.wait(timeout=0.3)
except subprocess.TimeoutExpired:
    print("wait timed out")
p.kill()
print(p.wait())
try:
    subprocess.run(["sh", "-c", "echo partial; exec sleep 30"], capture_output=True, timeout=0.5)
except subprocess.TimeoutExpired as e:
    print("partial output", e.stdout)
print(subprocess.run(["sleep", "0.1"], timeout=20).returncode)
'

py_fork='
import os, signal, sys, time
parent = os.getpid()
pid = os.fork()
if pid == 0:
    os._exit(7)
p, st = os.waitpid(pid, 0)
print(p == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))
pid = os.fork()
if pid == 0:
    print("child sees parent", os.getppid() == parent, flush=True)
    sys.exit(0)
print("waited", os.waitpid(pid, 0)[0] == pid)
pid = os.fork()
if pid == 0:
    time.sleep(30)
    os._exit(0)
print(os.waitpid(pid, os.WNOHANG))
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
print("signaled", os.WIFSIGNALED(st), os.WTERMSIG(st))
kids = []
for i in range(5):
    pid = os.fork()
    if pid == 0:
        os._exit(10 + i)
    kids.append(pid)
got = sorted(os.WEXITSTATUS(os.wait()[1]) for _ in kids)
print("wait any", got)
try:
    os.wait()
except ChildProcessError as e:
    print("no children:", e.strerror)
pid = os.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "echo exec from child; exit 9"])
_, st = os.waitpid(pid, 0)
print("exec child", os.WEXITSTATUS(st))
print(os.waitstatus_to_exitcode(st))
'

py_pipe='
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"hello from child")
    os._exit(0)
os.close(w)
data = b""
while True:
    chunk = os.read(r, 4)
    if not chunk:
        break
    data += chunk
os.close(r)
print(data, os.WEXITSTATUS(os.waitpid(pid, 0)[1]))
# Both ways: the child squares what the parent sends.
a_r, a_w = os.pipe()
b_r, b_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(a_w); os.close(b_r)
    with os.fdopen(a_r) as fin, os.fdopen(b_w, "w") as fout:
        for line in fin:
            fout.write(str(int(line) ** 2) + "\n")
    os._exit(0)
os.close(a_r); os.close(b_w)
with os.fdopen(a_w, "w") as f:
    f.write("".join("%d\n" % i for i in range(1, 2001)))
with os.fdopen(b_r) as f:
    res = f.read().split()
os.waitpid(pid, 0)
print(len(res), res[:3], res[-1])
# More than a pipe buffer, reader and writer in different processes.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"z" * 300000)
    os._exit(0)
os.close(w)
n = 0
while True:
    c = os.read(r, 65536)
    if not c:
        break
    n += len(c)
os.waitpid(pid, 0)
print("bytes", n)
# Writing to a pipe with no reader: EPIPE (SIGPIPE is ignored by python).
r, w = os.pipe()
os.close(r)
try:
    os.write(w, b"x")
except BrokenPipeError as e:
    print("BrokenPipeError", e.errno)
# dup2 onto stdout in a child, exec a program.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(w, 1)
    os.close(r); os.close(w)
    os.execvp("echo", ["echo", "via dup2"])
os.close(w)
print(os.read(r, 100), os.WEXITSTATUS(os.waitpid(pid, 0)[1]))
'

py_signal='
import os, signal, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
print("usr1", got == [signal.SIGUSR1])
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
os.kill(os.getpid(), signal.SIGUSR1)
print("ignored")
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
os.kill(os.getpid(), signal.SIGUSR2)
print("pending", signal.SIGUSR2 in signal.sigpending())
print("sigwait", signal.sigwait({signal.SIGUSR2}) == signal.SIGUSR2)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2})
chld = []
signal.signal(signal.SIGCHLD, lambda s, f: chld.append(s))
pid = os.fork()
if pid == 0:
    os._exit(3)
os.waitpid(pid, 0)
time.sleep(0.05)
print("sigchld", len(chld) >= 1)
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
# A child signals its parent.
hits = []
signal.signal(signal.SIGUSR1, lambda s, f: hits.append(s))
pid = os.fork()
if pid == 0:
    os.kill(os.getppid(), signal.SIGUSR1)
    os._exit(0)
os.waitpid(pid, 0)
t = time.monotonic()
while not hits and time.monotonic() - t < 10:
    time.sleep(0.01)
print("from child", hits == [signal.SIGUSR1])
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, lambda s, f: os._exit(42))
    while True:
        time.sleep(0.05)
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
print("child handler exit", os.WEXITSTATUS(os.waitpid(pid, 0)[1]))
'

py_alarm='
import signal, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
t = time.monotonic()
try:
    time.sleep(30)
    print("not interrupted")
except Alarm:
    print("alarm interrupted sleep", 0.5 < time.monotonic() - t < 10)
print("alarm left", signal.alarm(0))
# A handler that returns: sleep goes on to its end (PEP 475).
count = []
signal.signal(signal.SIGALRM, lambda s, f: count.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.2)
t = time.monotonic()
time.sleep(0.6)
print("resumed", len(count), time.monotonic() - t >= 0.55)
# An interval timer firing repeatedly.
ticks = []
signal.signal(signal.SIGALRM, lambda s, f: ticks.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
t = time.monotonic()
while len(ticks) < 5 and time.monotonic() - t < 10:
    signal.pause()
signal.setitimer(signal.ITIMER_REAL, 0)
print("ticks", len(ticks) >= 5)
'

case_python_subprocess() { run "$PY" -c "$py_subprocess"; }
case_python_popen() { run "$PY" -c "$py_popen"; }
case_python_timeout() { run "$PY" -c "$py_timeout"; }
case_python_fork() { run "$PY" -c "$py_fork"; }
case_python_pipe() { run "$PY" -c "$py_pipe"; }
case_python_signal() { run "$PY" -c "$py_signal"; }
case_python_alarm() { run "$PY" -c "$py_alarm"; }

########################################################################
# --max-procs: a bounded fork bomb under picos only.  fork must fail with
# EAGAIN, the run must end in time, and no process it started may be left.

fb=$scratch/forkbomb

# Process ids with their start times (field 22 of /proc/PID/stat): a pid
# that is reused later does not count as left behind.
pid_start() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

# All descendants of pid $1 as "PID:START" lines.
descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				p = pids[i]; q = parent[p]; d = 0
				while (q != "" && q > 1 && d < 64) {
					if (q == root) { print p; break }
					q = parent[q]; d++
				}
			}
		}' | while read -r p; do
		s=$(pid_start "$p") && [ -n "$s" ] && echo "$p:$s"
	done
}

# Processes of this user whose command line holds marker $1 (awk gets it
# from the environment, so it does not count itself).  Guest processes show
# the provider's host command line, not the guest's argv: the marker finds
# the launcher, the pid tracking above finds the guests.
marker_count() { ps -u "$(id -u)" -o args= | M=$1 awk 'index($0, ENVIRON["M"]) { n++ } END { print n + 0 }'; }

# Processes (of this user: others' are unreadable) whose host working
# directory is $1.  A guest process keeps the launcher's host working
# directory whatever its guest cwd, so this finds guests that were
# reparented away from the launcher too.
cwd_procs() {
	local d p s
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$1" ] || continue
		p=${d#/proc/}
		s=$(pid_start "$p") && [ -n "$s" ] && echo "$p:$s"
	done
}

# fbrun NAME MARKER ARGS...: picos run ARGS in the background under
# timeout, recording every process beneath it while it runs; then checks
# that none is left (neither a process seen beneath it nor one working in
# its directory).  Sets fb_rc, fb_secs, fb_max (most processes at once);
# fb_left counts leftovers, which are then killed by pid.
fbrun() {
	local name=$1 marker=$2 tpid start end p s n cwd=$fb/$1.cwd
	shift 2
	mkdir -p "$cwd"
	: >"$fb/$name.pids"
	fb_max=0
	fb_before=$(marker_count "$marker")
	start=$(date +%s)
	(cd "$cwd" && exec timeout "$TO" "$picos" run "$@") \
		>"$fb/$name.out" 2>"$fb/$name.err" </dev/null &
	tpid=$!
	while kill -0 "$tpid" 2>/dev/null; do
		descendants "$tpid" >"$fb/$name.now"
		cat "$fb/$name.now" >>"$fb/$name.pids"
		n=$(wc -l <"$fb/$name.now")
		[ "$n" -gt "$fb_max" ] && fb_max=$n
		sleep 0.2
	done
	wait "$tpid"
	fb_rc=$?
	end=$(date +%s)
	fb_secs=$((end - start))
	sleep 0.3
	fb_left=0
	: >"$fb/$name.left"
	while read -r p; do
		s=$(pid_start "${p%%:*}")
		if [ "$s" = "${p#*:}" ]; then
			echo "$p $(ps -o args= -p "${p%%:*}")" >>"$fb/$name.left"
			fb_left=$((fb_left + 1))
		fi
	done < <(sort -u "$fb/$name.pids")
	while read -r p; do
		grep -q "^$p " "$fb/$name.left" ||
			echo "$p $(ps -o args= -p "${p%%:*}")" >>"$fb/$name.left"
	done < <(cwd_procs "$cwd")
	fb_left=$(wc -l <"$fb/$name.left")
	# The marker travels on the picos command line.
	fb_marker=$(marker_count "$marker")
	# Left-behind processes are ours: end them by pid.
	while read -r p _; do
		kill -KILL "${p%%:*}" 2>/dev/null
	done <"$fb/$name.left"
	echo "$(sort -u "$fb/$name.pids" | wc -l) processes seen" >"$fb/$name.seen"
}

fb_note() {
	echo "# $1: exit $fb_rc after ${fb_secs}s, at most $fb_max processes at once ($(cat "$fb/$1.seen"))"
}

fb_report() {
	local name=$1
	echo "    exit $fb_rc after ${fb_secs}s, $(cat "$fb/$name.seen") (at most $fb_max at once), $fb_left left, marker count $fb_before before, $fb_marker after"
	show '>' "$fb/$name.out" 6
	show '|' "$fb/$name.err" 6
	show 'left' "$fb/$name.left" 6
}

py_forkbomb='
import errno, os, signal, sys, time
kids = []
err = None
for i in range(60):
    try:
        pid = os.fork()
    except BlockingIOError as e:
        err = e
        break
    if pid == 0:
        time.sleep(20)
        os._exit(0)
    kids.append(pid)
print("forked", len(kids), "then", type(err).__name__, err is not None and err.errno == errno.EAGAIN)
for p in kids:
    os.kill(p, signal.SIGKILL)
n = 0
for p in kids:
    _, st = os.waitpid(p, 0)
    n += os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL
print("reaped", n == len(kids))
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("fork after reap ok")
'

# The common part of every fork-bomb verdict: ended in time, never more
# than the launcher and 20 guests at once, nothing left, no marker left.
# At most: the picos command, the world's init (its host reaper) and the
# 20 pico processes --max-procs allows.
fb_clean() {
	[ "$fb_secs" -lt 60 ] && [ "$fb_max" -le 22 ] && [ "$fb_left" = 0 ] &&
		[ "$fb_before" = 0 ] && [ "$fb_marker" = 0 ]
}

forkbomb_cases() {
	local m n
	rm -rf "$fb"
	mkdir -p "$fb"

	# python3: fork until EAGAIN, then kill and reap every child.
	if wanted forkbomb_python && [ -x "$PY" ]; then
		m=picos-forkbomb-py-$$-$RANDOM
		fbrun forkbomb_python "$m" --max-procs 20 -- "$PY" -c "$py_forkbomb" "$m"
		n=$(sed -n 's/^forked \([0-9]*\) then BlockingIOError True$/\1/p' "$fb/forkbomb_python.out")
		if [ "$fb_rc" = 0 ] && [ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -lt 20 ] &&
			grep -qx 'reaped True' "$fb/forkbomb_python.out" &&
			grep -qx 'fork after reap ok' "$fb/forkbomb_python.out" && fb_clean; then
			ok forkbomb_python
			fb_note forkbomb_python
		else
			not_ok forkbomb_python "fork must fail with EAGAIN before 20, all reaped, nothing left"
			fb_report forkbomb_python
		fi
	fi

	# bash: 40 background sleeps against 20 slots.  bash retries a fork
	# that fails with EAGAIN ("fork: retry: ..."), sleeping 1, 2, 4, 8 s;
	# a SIGCHLD that cuts such a sleep short makes it give up ("fork:
	# Interrupted system call"), as it does natively.  Either way the run
	# must end, within the limit, with nothing left.
	if wanted forkbomb_bash; then
		m=picos-forkbomb-sh-$$-$RANDOM
		fbrun forkbomb_bash "$m" --max-procs 20 -- "$BASH_BIN" -c \
			'for i in $(seq 40); do sleep 2 & done; wait; echo done' "$m"
		if grep -q 'fork: retry: Resource temporarily unavailable' "$fb/forkbomb_bash.err" &&
			{ { [ "$fb_rc" = 0 ] && [ "$(cat "$fb/forkbomb_bash.out")" = "done" ]; } ||
				{ [ "$fb_rc" != 0 ] && [ "$fb_rc" != 124 ] && [ ! -s "$fb/forkbomb_bash.out" ] &&
					grep -q '^[^ ]*: fork: ' "$fb/forkbomb_bash.err"; }; } && fb_clean; then
			ok forkbomb_bash
			fb_note forkbomb_bash
		else
			not_ok forkbomb_bash "fork must fail (bash retries), the run ends in time, nothing left"
			fb_report forkbomb_bash
		fi
	fi

	# A guest killed from outside (timeout) must not leave its children.
	if wanted forkbomb_killed; then
		m=picos-forkbomb-kill-$$-$RANDOM
		local save=$TO
		TO=3
		fbrun forkbomb_killed "$m" --max-procs 20 -- "$BASH_BIN" -c \
			'for i in $(seq 10); do sleep 20 & done; wait' "$m"
		TO=$save
		if [ "$fb_rc" = 124 ] && fb_clean; then
			ok forkbomb_killed
			fb_note forkbomb_killed
		else
			not_ok forkbomb_killed "timeout ends the run (124) and every guest process with it"
			fb_report forkbomb_killed
		fi
	fi
}

########################################################################

if [ ! -x "$picos" ]; then
	echo "procs: $picos not found (run make)" >&2
	exit 1
fi
for t in "$BUSYBOX" "$BASH_BIN"; do
	if [ ! -x "$t" ]; then
		echo "procs: $t not found (run tests/install-deps.sh as root)" >&2
		exit 1
	fi
done
rm -rf "$scratch"
mkdir -p "$scratch/native" "$scratch/picos" "$TMPDIR"
make_fixture

for c in bash_pipes bash_subshell bash_cmdsubst bash_heredoc bash_trap bash_jobs \
	bash_kill bash_set_e bash_read bash_xargs bash_find bash_exec; do
	case_ "$c"
done
if [ -n "${PROCS_DEVFD:-}" ]; then
	case_ bash_procsub
elif wanted bash_procsub; then
	skip bash_procsub "process substitution needs /dev/fd (set PROCS_DEVFD=1)"
fi
for c in bb_pipes bb_subshell bb_heredoc bb_trap bb_jobs bb_set_e bb_read bb_xargs_find; do
	case_ "$c"
done
if command -v make >/dev/null && command -v gcc >/dev/null; then
	case_ make_j2
else
	echo "# no make/gcc: make_j2 skipped"
fi
if [ -x "$PY" ]; then
	for c in python_subprocess python_popen python_timeout python_fork python_pipe \
		python_signal python_alarm; do
		case_ "$c"
	done
else
	echo "# no python3 found: python cases skipped"
fi
forkbomb_cases

left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'picos-tmp-*' | wc -l)
if [ "$left" != 0 ]; then
	not_ok "no picos-tmp-* left in TMPDIR" "$left left"
fi
echo "procs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
