#!/bin/bash
# The world's pid 1 for a fuzzing run: guard.sh SECONDS COMMAND...
# Runs COMMAND, sends it SIGINT after SECONDS (trinity then prints its
# totals and exits) and SIGKILL 20 s later, and exits with its status.
#
# A world's pid 1 is an ordinary process (picos has no init protection)
# and the world ends with it.  Trinity reaches low guest pids through
# fcntl(F_SETOWN) + O_ASYNC (SIGIO), rt_tgsigqueueinfo, pidfds and the
# like, so the guard catches every signal it can with a handler that does
# nothing (handlers, unlike ignored signals, are not inherited across
# exec) and keeps time with bash's own clock, not a `sleep` or `timeout`
# process that a stray signal could end early.  SIGKILL and SIGSTOP
# cannot be caught: such a hit shows as a run without totals or a hang.
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
