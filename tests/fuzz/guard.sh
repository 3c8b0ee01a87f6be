#!/bin/bash
# The world's pid 1 for a fuzzing run: guard.sh SECONDS COMMAND...
# Runs COMMAND, sends it SIGINT after SECONDS (trinity then prints its
# totals and exits) and SIGKILL 20 s later, and exits with its status.
#
# The world ends with its pid 1.  The world's processes reach it only
# with signals it has a handler for (picos keeps Linux's protection of a
# pid namespace's init, so trinity's SIGKILLs to low pids are dropped),
# but a terminal or the kernel (SIGIO of an fcntl(F_SETOWN) + O_ASYNC
# file) signal it directly.  So the guard catches every signal it can
# with a handler that does nothing (handlers, unlike ignored signals, are
# not inherited across exec) and keeps time with bash's own clock, not a
# `sleep` or `timeout` process that a stray signal could end early.
secs=$1
shift
for sig in $(seq 1 64); do
	case $sig in 9 | 19 | 32 | 33) continue ;; esac
	trap : "$sig" 2>/dev/null
done
"$@" &
child=$!
end=$((SECONDS + secs))
while [ $SECONDS -lt $end ] && kill -0 $child 2>/dev/null; do
	sleep 1
done
kill -INT $child 2>/dev/null
end=$((SECONDS + 20))
while kill -0 $child 2>/dev/null; do
	if [ $SECONDS -ge $end ]; then
		kill -KILL $child 2>/dev/null
		break
	fi
	sleep 1
done
# wait returns early (above 128) when a caught signal arrives: again
# until it reports the child itself.
while :; do
	wait $child
	rc=$?
	kill -0 $child 2>/dev/null || break
done
exit "$rc"
