#!/usr/bin/env bash
# Starts nginx as the asset CDN on a free loopback port: /bundles/<sha256> and /manifests/...
# behind secure_link (signed, expiring URLs: 403 bad signature, 410 expired), a proxy cache, and
# range requests, in front of the store's bucket (ORIGIN, e.g. http://127.0.0.1:PORT/BUCKET/).
# Usage: nginx-cdn.sh ORIGIN SECRET [STATIC_DIR]. Prints "PORT PID DIR"; stop it with kill PID.
# With STATIC_DIR, /static/ serves that directory's files plainly (the benchmark's baseline).
set -euo pipefail
origin=${1:?origin URL}; secret=${2:?secret}; static=${3:-}
command -v nginx >/dev/null || { echo "nginx-cdn: nginx not installed (Ops/scripts/install-deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/kk-cdn.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/tmp" "$dir/cache"
chmod 777 "$dir/tmp" "$dir/cache"
static_conf=""
[ -n "$static" ] && static_conf="location /static/ { alias $(cd "$static" && pwd)/; }"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
    default_type application/octet-stream;
    proxy_cache_path $dir/cache levels=1:2 keys_zone=assets:4m max_size=256m inactive=60m use_temp_path=off;
    server {
        listen 127.0.0.1:$port;
        location ~ ^/(bundles|manifests|current)/ {
            secure_link \$arg_md5,\$arg_expires;
            secure_link_md5 "\$secure_link_expires\$uri $secret";
            if (\$secure_link = "")  { return 403; }
            if (\$secure_link = "0") { return 410; }
            proxy_pass $origin\$uri;
            proxy_cache assets; proxy_cache_key \$uri; proxy_cache_valid 200 60m; proxy_cache_lock on;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
        $static_conf
    }
}
CONF
nginx -t -q -c "$dir/nginx.conf" -p "$dir/" -g 'daemon off;' 2>"$dir/test.log" || { cat "$dir/test.log" >&2; exit 1; }
nginx -c "$dir/nginx.conf" -p "$dir/" -g 'daemon off;' >"$dir/stdout.log" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.05
done
echo "$port $pid $dir"
