#!/bin/bash
# picos benchmarks: per-syscall micro-benchmarks and whole-program runs,
# natively, under picos, and under proot and gVisor's runsc when they are
# installed, all in the same run.  Prints an aligned table and writes the
# same table as markdown to build/bench.md.
#
# Environment: PICOS (the picos binary, default build/picos),
# BENCH_QUICK=1 (a tenth of the iterations and fewer runs: a smoke test,
# not figures to publish).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
picos=${PICOS:-$top/build/picos}
out=$top/build
scratch=$out/bench-scratch
micro=$out/bench/micro
md=$out/bench.md
quick=${BENCH_QUICK:-0}

# Micro-benchmarks and their iteration counts: each takes ~0.3-0.5 s
# natively on a machine where a host syscall costs ~1 us (the same count
# runs under picos).  proot and runsc trap every syscall with ptrace at
# 30-100 us each, so they run a tenth of the count (ns/op does not depend
# on it).
micro_benches="getpid clock open stat pread write forkwait forkexec pipe thread futex mutex tcp splice eventfd timerfd procstatus semop prstat1 prstat2 prstat4"
declare -A iters=([getpid]=400000 [clock]=2000000 [open]=100000 [stat]=200000
	[pread]=250000 [write]=300000 [forkwait]=3000 [forkexec]=1000
	[pipe]=30000 [thread]=10000 [futex]=30000 [mutex]=100 [tcp]=20000 [splice]=100000
	[eventfd]=200000 [timerfd]=50000 [procstatus]=30000 [semop]=30000
	[prstat1]=500 [prstat2]=250 [prstat4]=120)
declare -A label=([getpid]="getpid" [clock]="clock_gettime (vDSO)" [open]="openat+close" [stat]="stat"
	[pread]="pread 4 KiB" [write]="write 4 KiB /dev/null"
	[forkwait]="fork+exit+wait" [forkexec]="fork+exec true+wait"
	[pipe]="pipe ping-pong" [thread]="thread create+join"
	[futex]="futex ping-pong (2 threads)"
	[mutex]="mutex lock+unlock (8 threads)"
	[tcp]="TCP loopback ping-pong"
	[splice]="splice 64 KiB through a pipe" [eventfd]="eventfd write+read"
	[timerfd]="timerfd expiry (1 ns)"
	[procstatus]="read /proc/self/status"
	[semop]="semop ping-pong (2 processes)"
	[prstat1]="pread+stat, 1 thread (per pair)"
	[prstat2]="pread+stat, 2 threads (per pair)"
	[prstat4]="pread+stat, 4 threads (per pair)")
slow_div=10

# Whole programs: wall time per run, averaged over N runs.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || echo python3)
prog_benches="true ls python shloop make ps50"
declare -A prog_cmd=([true]="/bin/true" [ls]="/bin/ls -la /usr/bin"
	[python]="$py -c pass"
	[shloop]="/bin/sh $scratch/shloop.sh"
	[make]="/usr/bin/make -s -B -j2 -C $scratch/makeproj"
	[ps50]="/bin/sh $scratch/ps50.sh")
declare -A prog_runs=([true]=20 [ls]=20 [python]=20 [shloop]=3 [make]=3 [ps50]=3)
declare -A prog_label=([true]="/bin/true" [ls]="ls -la /usr/bin"
	[python]="python3 -c pass" [shloop]="sh: 1000 x /bin/true"
	[make]="make -j2 (8 C files)"
	[ps50]="ps aux x10 over 50 sleeps")

if [ "$quick" = 1 ]; then
	for b in $micro_benches; do iters[$b]=$((iters[$b] / 10)); done
	for b in $prog_benches; do prog_runs[$b]=3; done
fi

# The sandboxes to compare against native, and their versions.
sandboxes="picos"
notes=()
versions=$("$picos" --version 2>/dev/null | head -1)
versions=${versions:-"picos (version unknown)"}
if command -v proot >/dev/null 2>&1; then
	sandboxes="$sandboxes proot"
	versions+=", proot $(proot --version 2>&1 |
		sed -n 's/.*| *\([0-9][0-9.]*\)$/\1/p')"
else
	notes+=("proot: not installed")
fi
if command -v runsc >/dev/null 2>&1; then
	sandboxes="$sandboxes runsc"
	versions+=", $(runsc --version 2>/dev/null | head -1) (default platform)"
else
	notes+=("runsc: not installed")
fi

# run_in SANDBOX CMD ARGS...: run CMD natively or in SANDBOX.  With
# $limit set, the whole run (sandbox included) is killed after that many
# seconds; timed loops leave it unset so that native runs do not pay for
# an extra `timeout` process.
limit=
run_in() {
	local sb=$1 pre=()
	shift
	[ -n "$limit" ] && pre=(timeout "$limit")
	case $sb in
	native) "${pre[@]}" "$@" ;;
	picos) "${pre[@]}" "$picos" run -- "$@" ;;
	# The world with its namespaces, and flat (docs/security.md).
	picos-ns) PICOS_NS=on "${pre[@]}" "$picos" run -- "$@" ;;
	picos-flat) PICOS_NS=off "${pre[@]}" "$picos" run -- "$@" ;;
	proot) "${pre[@]}" proot "$@" ;;
	# `runsc do` reads the terminal unless stdin is redirected; the
	# callers always give it /dev/null.
	runsc) "${pre[@]}" runsc --network=none "do" "$@" ;;
	esac
}

now_ns() { date +%s%N; }

# Results: res[BENCH,SANDBOX] holds ns per operation (micro) or per run
# (programs), or "failed"; outside[BENCH,SANDBOX] is set when a micro
# figure had to be timed from outside the process.
declare -A res outside

note_failure() { # SANDBOX BENCH LOGFILE [EXIT-STATUS]
	local why
	why=$(grep -v '^$' "$3" 2>/dev/null | tail -1 | cut -c1-100)
	notes+=("$1 $2 failed${4:+ (exit $4)}: ${why:-no output}")
}

measure_micro() { # SANDBOX BENCH
	local sb=$1 b=$2 n=${iters[$2]} r log=$scratch/log
	case $sb in proot | runsc) n=$((n / slow_div)) ;; esac
	local rc
	r=$(limit=300 run_in "$sb" "$micro" "$b" "$n" "$scratch/bench-data" \
		</dev/null 2>"$log")
	rc=$?
	if [ $rc -eq 0 ] && [[ $r =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		res[$b,$sb]=$r
	elif [ $rc -eq 3 ]; then
		# No usable clock inside the sandbox.
		measure_micro_outside "$sb" "$b" "$n"
	else
		res[$b,$sb]=failed
		[ -n "$r" ] && echo "$r" >>"$log"
		note_failure "$sb" "${label[$b]}" "$log" $rc
	fi
}

# measure_micro_outside SANDBOX BENCH N: the wall time of a process doing
# N (+ N/10 warm-up) operations minus that of one doing none (the best of
# three), divided by the operation count.  Start-up noise is a few ms
# against seconds of work.
clock_noted=
measure_micro_outside() {
	local sb=$1 b=$2 n=$3 t0 t1 i best='' log=$scratch/log
	local cmd=("$micro" -u "$b")
	for ((i = 0; i <= 3; i++)); do
		t0=$(now_ns)
		if ! limit=300 run_in "$sb" "${cmd[@]}" "$((i < 3 ? 0 : n))" \
			"$scratch/bench-data" </dev/null >/dev/null 2>"$log"; then
			res[$b,$sb]=failed
			note_failure "$sb" "${label[$b]} (untimed)" "$log"
			return
		fi
		t1=$(now_ns)
		if ((i < 3)); then
			[ -z "$best" ] || ((t1 - t0 < best)) && best=$((t1 - t0))
		fi
	done
	res[$b,$sb]=$(awk -v t=$((t1 - t0 - best)) -v n="$n" \
		'BEGIN { printf("%.1f", t / (n + int(n / 10))) }')
	outside[$b,$sb]=1
	case " $clock_noted " in
	*" $sb "*) ;;
	*)
		clock_noted+=" $sb"
		notes+=("* $sb: clock_gettime does not work inside; timed from outside (wall time of the run minus an empty run)")
		;;
	esac
}

measure_prog() { # SANDBOX BENCH
	local sb=$1 b=$2 n=${prog_runs[$2]} i t0 t1 rc log=$scratch/log
	# shellcheck disable=SC2206 # the command lines are split on purpose
	local cmd=(${prog_cmd[$b]})
	# One untimed run: checks that it works and warms the page cache.
	limit=120 run_in "$sb" "${cmd[@]}" </dev/null >/dev/null 2>"$log"
	rc=$?
	if [ $rc -ne 0 ]; then
		res[$b,$sb]=failed
		note_failure "$sb" "${prog_label[$b]}" "$log" $rc
		return
	fi
	t0=$(now_ns)
	for ((i = 0; i < n; i++)); do
		run_in "$sb" "${cmd[@]}" </dev/null >/dev/null 2>"$log"
		rc=$?
		if [ $rc -ne 0 ]; then
			res[$b,$sb]=failed
			note_failure "$sb" "${prog_label[$b]} (run $((i + 1)))" "$log" $rc
			return
		fi
	done
	t1=$(now_ns)
	res[$b,$sb]=$(((t1 - t0) / n))
}

# pgbench -S against a postgres server of the same run (bench/pgbench.sh),
# natively and under picos only (the server needs System V IPC, which
# only a world with namespaces has): ns per transaction, from its tps.
# postgres refuses root: as root it runs as picos-ci.
pgbench_ok() {
	[ -x /usr/lib/postgresql/15/bin/pgbench ] &&
		{ [ "$(id -u)" != 0 ] || id picos-ci >/dev/null 2>&1; }
}
measure_pgbench() { # SANDBOX
	local sb=$1 tps as=() d=$scratch/pgbench log=$scratch/log
	case $sb in
	native | picos) ;;
	*)
		res[pgbench,$sb]=failed
		notes+=("$sb pgbench: not measured (native and picos only)")
		return
		;;
	esac
	mkdir -p "$d"
	if [ "$(id -u)" = 0 ]; then
		chown picos-ci: "$d"
		as=(setpriv --reuid=picos-ci --regid=picos-ci --clear-groups)
	fi
	tps=$(cd "$d" && PGBENCH_T=$pgbench_t limit=$((pgbench_t + 120)) \
		run_in "$sb" "${as[@]}" sh "$top/bench/pgbench.sh" </dev/null 2>"$log")
	if [[ $tps =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		res[pgbench,$sb]=$(awk -v t="$tps" 'BEGIN { printf("%.1f", 1e9 / t) }')
	else
		res[pgbench,$sb]=failed
		note_failure "$sb" "pgbench" "$log"
	fi
}
pgbench_t=10
[ "$quick" = 1 ] && pgbench_t=2

# Micro figures are shown in ns, program figures in ms.
fmt_ns() {
	awk -v v="$1" 'BEGIN { if (v < 10) printf("%.1f ns", v)
		else if (v < 10000) printf("%.0f ns", v); else printf("%.1f us", v / 1000) }'
}
fmt_ms() { awk -v v="$1" 'BEGIN { v /= 1e6; printf(v < 10 ? "%.2f ms" : "%.1f ms", v) }'; }
ratio() {
	case "$1$2" in *failed*) echo "-"; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { printf(b > 0 ? "%.1fx" : "-", a / b) }'
}

# --- setup -------------------------------------------------------------
mkdir -p "$out/bench" || exit 1
if ! gcc -O2 -static -std=gnu11 -Wall -Wextra -Werror -o "$micro" \
	"$top/bench/micro.c"; then
	echo "bench: cannot build bench/micro.c (static glibc needed)" >&2
	exit 1
fi
rm -rf "$scratch"
mkdir -p "$scratch" || exit 1
# The shell loop and the small C project the program rows run.
echo 'for i in $(seq 1000); do /bin/true; done' >"$scratch/shloop.sh"
# ps reads every process of the world under picos, every host process
# natively (how many the host runs shows in the native figure).
cat >"$scratch/ps50.sh" <<'EOF2'
pids=
for i in $(seq 50); do sleep 60 & pids="$pids $!"; done
for i in $(seq 10); do ps aux >/dev/null; done
kill $pids
wait
EOF2
mkdir -p "$scratch/makeproj"
for i in 1 2 3 4 5 6 7 8; do
	printf '#include "p.h"\nint f%d(int x) { return x * %d + g(x); }\n' "$i" "$i" \
		>"$scratch/makeproj/f$i.c"
done
printf 'static inline int g(int x) { return x ^ 5; }\n' >"$scratch/makeproj/p.h"
{
	printf 'OBJS = f1.o f2.o f3.o f4.o f5.o f6.o f7.o f8.o\n'
	printf 'lib.a: $(OBJS)\n\tar rcs $@ $(OBJS)\n'
	printf '%%.o: %%.c p.h\n\tcc -O2 -c $< -o $@\n'
} >"$scratch/makeproj/Makefile"
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
head -c 65536 /dev/urandom >"$scratch/bench-data" || exit 1
# picos makes the current directory read-write and the rest of / read-only:
# every run starts from the scratch directory.
cd "$scratch" || exit 1

# --- measure -----------------------------------------------------------
echo "picos benchmarks ($(nproc) CPUs, $(uname -r)); sandboxes: $sandboxes" >&2
for b in $micro_benches; do
	printf '  %-22s' "${label[$b]}" >&2
	for sb in native $sandboxes; do
		printf ' %s' "$sb" >&2
		measure_micro "$sb" "$b"
	done
	echo >&2
done
for b in $prog_benches; do
	printf '  %-22s' "${prog_label[$b]}" >&2
	for sb in native $sandboxes; do
		printf ' %s' "$sb" >&2
		measure_prog "$sb" "$b"
	done
	echo >&2
done
# Resident memory (micro rss): the process with one thread, and what each
# extra thread adds; picos's figures less native's are the provider's.
declare -A rss
printf '  %-22s' "resident memory" >&2
for sb in native picos; do
	printf ' %s' "$sb" >&2
	r=$(limit=60 run_in "$sb" "$micro" rss 0 </dev/null 2>"$scratch/log")
	rss[one,$sb]=$(echo "$r" | sed -n 1p)
	rss[thr,$sb]=$(echo "$r" | sed -n 2p)
done
echo >&2
mem_rows() { # prints "label<TAB>native<TAB>picos<TAB>provider" lines
	local n=${rss[one,native]} p=${rss[one,picos]}
	local tn=${rss[thr,native]} tp=${rss[thr,picos]}
	if [[ $n =~ ^[0-9]+$ && $p =~ ^[0-9]+$ ]]; then
		printf 'RSS of a process (KiB)\t%s\t%s\t%s (limit 2048)\n' "$n" "$p" $((p - n))
	else
		printf 'RSS of a process (KiB)\tfailed\tfailed\t-\n'
	fi
	if [[ $tn =~ ^[0-9.]+$ && $tp =~ ^[0-9.]+$ ]]; then
		printf 'RSS per extra thread (KiB)\t%s\t%s\t%s (limit 64)\n' "$tn" "$tp" \
			"$(awk -v a="$tp" -v b="$tn" 'BEGIN { printf("%.1f", a - b) }')"
	else
		printf 'RSS per extra thread (KiB)\tfailed\tfailed\t-\n'
	fi
}
if pgbench_ok; then
	printf '  %-22s' "pgbench -S -T $pgbench_t" >&2
	for sb in native $sandboxes; do
		printf ' %s' "$sb" >&2
		measure_pgbench "$sb"
	done
	echo >&2
fi
# The cost of the world's namespaces: start-up and two calls, with them
# (PICOS_NS=on) and without (off), in a table of their own.
ns_sandboxes="picos-ns picos-flat"
ns_micro="getpid open"
ns_prog="true"
for b in $ns_micro $ns_prog; do
	case " $ns_micro " in *" $b "*) l=${label[$b]} ;; *) l=${prog_label[$b]} ;; esac
	printf '  %-22s' "$l" >&2
	for sb in $ns_sandboxes; do
		printf ' %s' "$sb" >&2
		case " $ns_micro " in
		*" $b "*) measure_micro "$sb" "$b" ;;
		*) measure_prog "$sb" "$b" ;;
		esac
	done
	echo >&2
done
echo >&2

# The share of system calls that came through patched call sites
# (`--stats`), for a program's first run in a world, and for a second run
# in the same world: a process patches at once the sites the world has
# recorded in the files it maps.  The second run's share is the
# difference between a world whose shell runs the program twice and one
# whose shell runs it once, then a builtin: both shells' own calls (their
# first run in the world, and the fork for each run) cancel out but for
# the second run's fork.
go_prog=
if command -v go >/dev/null 2>&1 &&
	(cd "$top/tests/programs/go" && GOCACHE=$scratch/gocache GOFLAGS=-mod=mod \
		go build -o "$scratch/go-timers" timers.go) >/dev/null 2>&1; then
	go_prog=$scratch/go-timers
fi
fast_counts() { # CMD... -> "FAST TOTAL" of a world running CMD
	"$picos" run --stats -- "$@" 2>&1 >/dev/null |
		sed -n 's/^fast path: \([0-9]*\) of \([0-9]*\) calls.*/\1 \2/p' | tail -1
}
share_rows=()
share_row() { # LABEL CMD...
	local l=$1 f1 t1 f2 t2 fo to
	shift
	read -r f1 t1 <<<"$(fast_counts "$@")"
	read -r fo to <<<"$(fast_counts /bin/sh -c '"$@" >/dev/null; :' sh "$@")"
	read -r f2 t2 <<<"$(fast_counts /bin/sh -c '"$@" >/dev/null; "$@" >/dev/null' sh "$@")"
	if [ -z "$t1" ] || [ -z "$t2" ] || [ -z "$to" ] || [ "$t1" -eq 0 ] || [ "$t2" -le "$to" ]; then
		share_rows+=("$l"$'\t'"failed"$'\t'"")
		return
	fi
	share_rows+=("$l"$'\t'"$(awk -v f="$f1" -v t="$t1" 'BEGIN { printf "%.1f%% of %d", 100 * f / t, t }')"$'\t'"$(awk -v f="$((f2 - fo))" -v t="$((t2 - to))" 'BEGIN { printf "%.1f%% of %d", 100 * f / t, t }')")
}
echo "  fast path share" >&2
share_row "ls -la /usr/bin" /bin/ls -la /usr/bin
share_row "python3 -c pass" "$py" -c pass
[ -n "$go_prog" ] && share_row "Go (goroutines, timers)" "$go_prog"
share_row "make -j2 (8 C files)" /usr/bin/make -s -B -j2 -C "$scratch/makeproj"

# --- report ------------------------------------------------------------
# rows: one line per benchmark, cells separated by tabs.
rows=()
header="benchmark"$'\t'"native"
for sb in $sandboxes; do header+=$'\t'"$sb"$'\t'"ratio"; done
emit_row() { # LABEL BENCH FORMATTER
	local line=$1 v sb nat=${res[$2,native]}
	if [ "$nat" = failed ]; then line+=$'\t'failed; else line+=$'\t'$($3 "$nat"); fi
	for sb in $sandboxes; do
		v=${res[$2,$sb]}
		if [ "$v" = failed ]; then line+=$'\t'failed; else line+=$'\t'$($3 "$v"); fi
		[ -n "${outside[$2,$sb]:-}" ] && line+="*"
		line+=$'\t'$(ratio "$v" "$nat")
	done
	rows+=("$line")
}
for b in $micro_benches; do emit_row "${label[$b]}" "$b" fmt_ns; done
for b in $prog_benches; do emit_row "${prog_label[$b]}" "$b" fmt_ms; done
pgbench_ok && emit_row "pgbench -S -T $pgbench_t (per transaction, 1 client)" pgbench fmt_ns
main_rows=("${rows[@]}")
main_sandboxes=$sandboxes
sandboxes=$ns_sandboxes
rows=()
for b in $ns_micro; do emit_row "${label[$b]}" "$b" fmt_ns; done
for b in $ns_prog; do emit_row "${prog_label[$b]}" "$b" fmt_ms; done
ns_rows=("${rows[@]}")

# Text table: first column left-aligned, the others right-aligned.
print_text() {
	printf '%s\n' "$header" "${rows[@]}" | awk -F'\t' '
	{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
	  if (NF > nf) nf = NF }
	END { for (r = 1; r <= NR; r++) { line = sprintf("%-" w[1] "s", c[r, 1])
		for (i = 2; i <= nf; i++) line = line sprintf("  %" w[i] "s", c[r, i])
		print line } }'
}
print_md() {
	local h sb
	h="benchmark"$'\t'"native"
	for sb in $sandboxes; do h+=$'\t'"$sb"$'\t'"$sb/native"; done
	# Escape the "*" markers so that markdown shows them.
	printf '%s\n' "$h" "${rows[@]}" | sed 's/\*/\\*/g' | awk -F'\t' '
	{ line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line
	  if (NR == 1) { line = "| :--- |"; for (i = 2; i <= NF; i++) line = line " ---: |"; print line } }'
}
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
legend="Micro rows: ns per operation, median of 5 timed rounds inside one process
(native and picos run the same iteration count, proot/runsc a tenth).
Program rows: wall time per run, fork+exec included, averaged over
${prog_runs[true]}/${prog_runs[ls]}/${prog_runs[python]} runs. ratio = sandbox / native."

# Each table: the sandboxes and rows it shows.
table() { # main|ns
	if [ "$1" = main ]; then
		sandboxes=$main_sandboxes
		rows=("${main_rows[@]}")
	else
		sandboxes=$ns_sandboxes
		rows=("${ns_rows[@]}")
	fi
	header="benchmark"$'\t'"native"
	for sb in $sandboxes; do header+=$'\t'"$sb"$'\t'"ratio"; done
}
table main
print_text
echo
{ printf 'memory\tnative\tpicos\tprovider\n'; mem_rows; } | awk -F'\t' '
	{ printf("%-28s  %8s  %8s  %s\n", $1, $2, $3, $4) }'
echo
table ns
print_text
echo
# Where picos's start-up goes (bench/startup.sh: --stats, median per step).
startup=$(PICOS=$picos "$top/bench/startup.sh" "$([ "$quick" = 1 ] && echo 5 || echo 20)")
echo "Start-up of \`picos run -- /bin/true\`, step by step:"
echo "$startup"
echo
echo "$versions"
echo "$legend"
for n in "${notes[@]}"; do echo "note: $n"; done
echo
echo "Fast path: share of calls through patched sites (first run in a world / second run)"
for r in "${share_rows[@]}"; do
	IFS=$'\t' read -r l a b <<<"$r"
	printf '  %-26s %-18s %s\n' "$l" "$a" "$b"
done

{
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs (${cpu:-unknown CPU}), Linux $(uname -r);"
	echo "$versions."
	echo
	table main
	print_md
	echo
	echo "Resident memory (VmRSS of bench/micro.c rss: one thread, then per thread of 16 more parked in a futex wait; provider = picos - native):"
	echo
	echo "| memory | native | picos | provider |"
	echo "| :--- | ---: | ---: | ---: |"
	mem_rows | awk -F'\t' '{ print "| " $1 " | " $2 " | " $3 " | " $4 " |" }'
	echo
	echo "Namespaces (picos-ns: PICOS_NS=on, picos-flat: PICOS_NS=off):"
	echo
	table ns
	print_md
	echo
	echo "Start-up of \`picos run -- /bin/true\`, step by step (\`--stats\`, bench/startup.sh):"
	echo
	echo "$startup"
	echo
	echo "$legend"
	[ ${#notes[@]} -gt 0 ] && echo
	for n in "${notes[@]}"; do echo "- ${n//\*/\\*}"; done
	echo
	echo "Fast path (\`--stats\`): share of calls through patched sites"
	echo
	echo "| program | first run in a world | second run |"
	echo "|---|---|---|"
	for r in "${share_rows[@]}"; do
		IFS=$'\t' read -r l a b <<<"$r"
		echo "| $l | $a | $b |"
	done
} >"$md"
echo "(markdown table written to ${md#"$top"/})"
