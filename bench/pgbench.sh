# pgbench -S (select-only) against a postgres server started in the same
# run (a world has its own loopback): initdb in a directory of the
# current one, a scale-1 database, PGBENCH_T seconds (default 10) of one
# client; prints the transactions per second, then stops the server and
# removes everything.  Run by bench/run.sh natively and under picos, as a
# user other than root (postgres refuses root).
set -u
bin=/usr/lib/postgresql/15/bin
d=$PWD/pgbench-data
rm -rf "$d"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/initdb" -D "$d" -A trust -U pg --no-sync >/dev/null 2>&1 || exit 1
"$bin/pg_ctl" -D "$d" -l /dev/null -w -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$d -c fsync=off" start >/dev/null || exit 1
pgb() { "$bin/pgbench" -h 127.0.0.1 -p "$port" -U pg "$@" postgres 2>/dev/null; }
pgb -i -s 1 -q >/dev/null
pgb -S -T "${PGBENCH_T:-10}" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
"$bin/pg_ctl" -D "$d" -m fast -w stop >/dev/null
rm -rf "$d"
