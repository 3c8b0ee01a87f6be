# nginx in its default mode (a daemon: the master forks away) with a
# master and two workers serving a file on 127.0.0.1 and a free port, a
# reload (nginx -s reload: SIGHUP to the master) and nginx -s quit, then
# the master is gone.
set -u
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
p=$PWD
echo hello >hello.txt
cat >nginx.conf <<CONF
worker_processes 2;
error_log $p/error.log notice;
pid $p/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $p/t_body;
  proxy_temp_path $p/t_proxy;
  fastcgi_temp_path $p/t_fcgi;
  uwsgi_temp_path $p/t_uwsgi;
  scgi_temp_path $p/t_scgi;
  server { listen 127.0.0.1:$port; root $p; }
}
CONF
fetch() {
	/usr/bin/python3 -c '
import sys, time, urllib.request
for i in range(100):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/hello.txt" % sys.argv[1], timeout=5) as r:
            print(r.status, r.read().decode().strip())
            break
    except OSError:
        time.sleep(0.05)
else:
    print("no answer")' "$port"
}
ngx() { /usr/sbin/nginx -p "$p" -c "$p/nginx.conf" "$@" 2>/dev/null; }
ngx
echo "nginx exit $?"
fetch
master=$(cat nginx.pid)
echo "workers: $(ps -o pid= --ppid "$master" | wc -l)"
ngx -s reload
echo "reload exit $?"
fetch
ngx -s quit
echo "quit exit $?"
for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
kill -0 "$master" 2>/dev/null && echo "master still running" || echo "master gone"
rm -rf t_body t_proxy t_fcgi t_uwsgi t_scgi error.log nginx.conf hello.txt
