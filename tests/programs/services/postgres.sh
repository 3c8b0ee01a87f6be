# postgres 15: initdb in this directory, pg_ctl start on 127.0.0.1 and a
# free port, psql: a table, 10,000 rows in one transaction, a join and an
# aggregate; pg_ctl stop -m fast, then no postmaster and no System V
# segment left (postgres keeps one, its interlock, whose id postmaster.pid
# records).  Run as a user other than root (services.sh sees to it).
set -u
bin=/usr/lib/postgresql/15/bin
d=$PWD/pgdata
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/initdb" -D "$d" -A trust -U pg --no-sync -E UTF8 --locale=C >initdb.log 2>&1 ||
	{ echo "initdb failed"; tail -5 initdb.log; exit 1; }
echo "initdb ok"
"$bin/pg_ctl" -D "$d" -l pg.log -w -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$d -c fsync=off" start >/dev/null ||
	{ echo "start failed"; tail -20 pg.log; exit 1; }
echo "started"
master=$(sed -n 1p "$d/postmaster.pid")
shmid=$(sed -n 7p "$d/postmaster.pid" | awk '{print $2}')
psql -X -q -h 127.0.0.1 -p "$port" -U pg -d postgres -v ON_ERROR_STOP=1 -At <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, grp int, val text);
BEGIN;
INSERT INTO t SELECT i, i % 10, md5(i::text) FROM generate_series(1, 10000) i;
COMMIT;
CREATE TABLE g (grp int PRIMARY KEY, name text);
INSERT INTO g SELECT i, 'group ' || i FROM generate_series(0, 9) i;
SELECT count(*), sum(id), max(val) FROM t;
SELECT g.name, count(*), min(t.id), max(t.id) FROM t JOIN g USING (grp) GROUP BY g.name ORDER BY g.name;
SQL
echo "psql exit $?"
"$bin/pg_ctl" -D "$d" -m fast -w stop >/dev/null
echo "stop exit $?"
# (reaped by whoever adopted it, a moment after pg_ctl saw it go)
for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
kill -0 "$master" 2>/dev/null && echo "postmaster still running" || echo "no postmaster"
ipcs -m | awk -v id="$shmid" '$2 == id { f = 1 } END { exit !f }' &&
	echo "segment $shmid left" || echo "no segment left"
rm -rf "$d" initdb.log pg.log
