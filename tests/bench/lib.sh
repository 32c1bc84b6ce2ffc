# Shared by the benchmark scripts in this folder (source it; it defines
# functions and the work dir, and starts nothing by itself):
#   say, install_tools (wrk and nginx-light from Debian when missing),
#   free_port, wait_for URL [TRIES], start_nginx (serves $WORK/www on a free
#   loopback port the way the issues ask: sendfile, tcp_nopush, keepalive).
# Sets WORK (a fresh temporary dir, removed on exit unless KEEP=1) and stops
# SHELFSYNC_PID and NGINX_PID on exit.

say() { printf '\n== %s\n' "$*" >&2; }

install_tools() {
  if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    say "installing wrk and nginx-light"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq wrk nginx-light >/dev/null
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
}

# new_work_dir PREFIX: the work dir, and the exit trap that cleans it up.
new_work_dir() {
  WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
  SHELFSYNC_PID=""
  NGINX_PID=""
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$SHELFSYNC_PID" ] && kill "$SHELFSYNC_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL [TRIES]: polls every 0.1 s until the URL answers 2xx.
wait_for() {
  for _ in $(seq 1 "${2:-100}"); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "nothing answered at $1" >&2
  return 1
}

# start_nginx: serves $WORK/www (which must hold shop.html) on a free port;
# sets NGINX_PORT, NGINX_PID and NGINX_BASE.
start_nginx() {
  mkdir -p "$WORK/nginx"
  NGINX_PORT="$(free_port)"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  types { text/html html; application/json json; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
CONF
  say "starting nginx on 127.0.0.1:$NGINX_PORT"
  "$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
  NGINX_PID=$!
  NGINX_BASE="http://127.0.0.1:$NGINX_PORT"
  wait_for "$NGINX_BASE/shop.html"
}
