#!/bin/bash
# Where a world's start-up goes: `picos run --stats -- /bin/true` RUNS
# times (default 20), and the median of each step --stats reports (ms from
# the step before), as a markdown table.  bench/run.sh appends it to its
# report; run alone: bench/startup.sh [RUNS] [PICOS OPTIONS...].
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
picos=${PICOS:-$top/build/picos}
runs=${1:-20}
shift $(( $# > 0 ? 1 : 0 ))
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for _ in $(seq "$runs"); do
	# only the step lines: "  1.234  what" between the heading and the table
	"$picos" run --stats "$@" -- /bin/true 2>&1 >/dev/null |
		sed -n '/^start-up, ms/,/^fast path/p' | grep -E '^ +([0-9.]+|-) ' >>"$log"
done
echo "| step (median of $runs runs) | ms |"
echo "| :--- | ---: |"
# the steps in their order, each with the median of its values
awk '{ v = $1; $1 = ""; sub(/^ /, ""); if (!($0 in n)) order[++k] = $0;
       vals[$0, ++n[$0]] = v }
     END { for (i = 1; i <= k; i++) { s = order[i]; c = n[s];
	     for (a = 1; a <= c; a++) x[a] = vals[s, a];
	     for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++)
		     if (x[b] + 0 < x[a] + 0) { t = x[a]; x[a] = x[b]; x[b] = t }
	     m = c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2;
	     printf "| %s | %.2f |\n", s, m } }' "$log"
