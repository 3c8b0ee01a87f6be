# redis-server --daemonize yes from a shell that then waits for it (its
# pid file) on 127.0.0.1 and a free port: redis-cli SET and GET,
# redis-benchmark -n 2000 -q (its rates vary: only that every test ran),
# 20,000 keys and a BGSAVE (a fork of the server with that heap), then
# SHUTDOWN and the server gone.
set -u
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$PWD" \
	--pidfile "$PWD/redis.pid" --logfile "$PWD/redis.log" --save '' \
	--appendonly no
echo "redis-server exit $?"
cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
for _ in $(seq 100); do [ "$(cli ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
pid=$(cat redis.pid)
cli set greeting hello
cli get greeting
redis-benchmark -h 127.0.0.1 -p "$port" -n 2000 -q -t set,get,incr,lpush,lpop 2>&1 |
	tr '\r' '\n' | grep -c 'requests per second'
redis-benchmark -h 127.0.0.1 -p "$port" -n 20000 -r 100000000 -q -t set -d 256 >/dev/null 2>&1
echo "keys: $(cli dbsize | awk '$1 > 15000 { print "many" }')"
cli bgsave
for _ in $(seq 200); do
	cli info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
	sleep 0.05
done
cli info persistence | grep -o 'rdb_last_bgsave_status:ok'
[ -s dump.rdb ] && echo "dump.rdb written"
cli shutdown nosave
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && echo "redis-server still running" || echo "redis-server gone"
rm -f dump.rdb redis.log redis.pid
