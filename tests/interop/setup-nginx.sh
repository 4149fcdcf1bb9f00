#!/usr/bin/env bash
# A real nginx with HTTP/2 for the interop tests (crates/urllib3/tests/interop_nginx.rs), on
# loopback, TLS with a CA made here, three servers with the same locations:
#   NGINX          HTTP/2 and HTTP/1.1 offered through ALPN
#   NGINX_LIMITED  the same with http2_max_concurrent_streams 2
#   NGINX_HTTP1    HTTP/1.1 only (ALPN picks http/1.1 when a client offers h2 too)
# Locations, and the files the tests know the contents of:
#   /files/hello.txt   "Hello from nginx\n"
#   /files/big.bin     16 MiB, byte i is i % 251 (a period no buffer size divides)
#   /gzip/text.txt     "line N: nginx compresses this text\n" for N in 0..2000, gzip'd
#                      for a client that accepts it
#   /redirect          301 to /files/hello.txt
#   /upload            POST only: nginx reads the whole body (up to 64 MiB, 413 above) and
#                      answers "received N\n", N the bytes it got
#   /dav/NAME          PUT stores the body, GET gives it back
#   anything else      404
#
#   tests/interop/setup-nginx.sh [start]   installs, configures and starts it; prints
#                                          KEY=VALUE lines for the tests on stdout
#   tests/interop/setup-nginx.sh stop DIR  stops what `start` started in DIR
#
# nginx and its perl module come from Debian's archive (apt-get). Nothing here skips: a package
# that does not install, a configuration nginx rejects or a port that never opens ends the
# script with an error and nginx's log on stderr, so `make test` fails loudly.
set -euo pipefail

LOG_NAME=setup-nginx
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"

BIG_FILE_SIZE=$((16 << 20))
MAX_BODY=64m

# Where nginx looks for dynamic modules (Debian: /usr/lib/nginx/modules).
modules_path() {
    nginx -V 2>&1 | tr ' ' '\n' | sed -n 's/^--modules-path=//p'
}

install_packages() {
    # Installed already (a CI image, a second run): no network needed.
    if command -v nginx >/dev/null && [ -e "$(modules_path)/ngx_http_perl_module.so" ]; then
        return
    fi
    # The perl module is what reads an upload's body: nginx's own `return` answers without
    # reading it, and over HTTP/2 it then never opens the stream's window for the rest.
    apt_install nginx libnginx-mod-http-perl
    command -v nginx >/dev/null || fail "nginx is not on PATH after installing it"
    [ -e "$(modules_path)/ngx_http_perl_module.so" ] \
        || fail "no ngx_http_perl_module.so in $(modules_path) after installing libnginx-mod-http-perl"
}

# The installed nginx's version, e.g. 1.22.1.
nginx_version() {
    nginx -v 2>&1 | sed -n 's|^nginx version: nginx/\([0-9.]*\).*|\1|p'
}

# True when version $1 is $2 or later.
version_at_least() {
    [ "$(printf '%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# A CA and a server certificate for localhost and 127.0.0.1 signed by it (P-256, two days).
make_certificates() {
    local dir=$1 log=$1/openssl.log
    {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=urllib3 interop CA" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" &&
        printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature \
            extendedKeyUsage=serverAuth subjectAltName=DNS:localhost,IP:127.0.0.1 \
            > "$dir/server.ext" &&
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
            -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem"
    } >"$log" 2>&1 || { cat "$log" >&2; fail "openssl could not make the certificates"; }
    chmod 644 "$dir/ca.pem"
}

# The files the tests fetch (the header above says what is in them).
make_files() {
    local www=$1/www
    mkdir -p "$www/files" "$www/gzip" "$www/dav"
    printf 'Hello from nginx\n' > "$www/files/hello.txt"
    perl -e '$n = $ARGV[0]; print substr(pack("C*", 0 .. 250) x ($n / 251 + 1), 0, $n)' \
        "$BIG_FILE_SIZE" > "$www/files/big.bin"
    [ "$(stat -c %s "$www/files/big.bin")" = "$BIG_FILE_SIZE" ] || fail "big.bin has the wrong size"
    seq -f 'line %.0f: nginx compresses this text' 0 1999 > "$www/gzip/text.txt"
    chmod -R a+rX "$www"
    # nginx's workers store PUT bodies here.
    chown www-data "$www/dav"
}

# The listen lines of a server with and without HTTP/2: `listen ... http2` up to nginx 1.25.0,
# `http2 on;` from 1.25.1, which deprecates the former.
listen_h2() {
    if [ "$H2_DIRECTIVE" = 1 ]; then
        printf 'listen 127.0.0.1:%s ssl;\n        http2 on;' "$1"
    else
        printf 'listen 127.0.0.1:%s ssl http2;' "$1"
    fi
}

start_nginx() {
    local dir=$1 port=$2 limited_port=$3 http1_port=$4
    local conf=$dir/nginx.conf errlog=$dir/nginx-error.log
    mkdir -p "$dir/temp"
    # The workers (www-data) write uploads there before the handler reads them.
    chown www-data "$dir/temp"
    cat > "$dir/locations.conf" <<EOF
location /files/ {
}
location /gzip/ {
    gzip on;
    gzip_types text/plain;
    gzip_min_length 1;
}
location = /redirect {
    return 301 /files/hello.txt;
}
location = /upload {
    # The whole body in a file, however small, so its size is that file's.
    client_body_in_file_only clean;
    perl 'sub {
        my \$r = shift;
        return 405 unless \$r->request_method eq "POST";
        my \$done = sub {
            my \$r = shift;
            my \$file = \$r->request_body_file;
            my \$size = defined \$file ? -s \$file : 0;
            \$r->send_http_header("text/plain");
            \$r->print("received \$size\n");
            return OK;
        };
        return OK if \$r->has_request_body(\$done);
        return \$done->(\$r);
    }';
}
location /dav/ {
    dav_methods PUT;
}
EOF
    cat > "$conf" <<EOF
# HTTP/2 and HTTP/1.1 over TLS for tests, loopback only; everything under $dir.
load_module $(modules_path)/ngx_http_perl_module.so;
worker_processes 1;
user www-data;
pid $dir/nginx.pid;
error_log $errlog info;
events {
    worker_connections 512;
}
http {
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    types {
        text/plain txt;
    }
    default_type application/octet-stream;
    ssl_certificate $dir/server.pem;
    ssl_certificate_key $dir/server.key;
    client_max_body_size $MAX_BODY;
    root $dir/www;

    server {
        $(listen_h2 "$port")
        server_name localhost;
        include $dir/locations.conf;
    }
    server {
        $(listen_h2 "$limited_port")
        server_name localhost;
        http2_max_concurrent_streams 2;
        include $dir/locations.conf;
    }
    server {
        listen 127.0.0.1:$http1_port ssl;
        server_name localhost;
        include $dir/locations.conf;
    }
}
EOF
    # -e: where nginx writes before it has read error_log (Debian builds it with stderr).
    local run=(nginx -p "$dir" -c "$conf" -e "$errlog")
    "${run[@]}" -t -q 2>>"$errlog" || { cat "$errlog" >&2; fail "nginx rejected its configuration"; }
    "${run[@]}" 2>>"$errlog" || { cat "$errlog" >&2; fail "nginx did not start"; }
    wait_for_port "$port" nginx "$errlog"
    wait_for_port "$limited_port" nginx "$errlog"
    wait_for_port "$http1_port" nginx "$errlog"
}

start() {
    install_packages
    local version
    version=$(nginx_version)
    [ -n "$version" ] || fail "could not read nginx's version from 'nginx -v'"
    H2_DIRECTIVE=0
    if version_at_least "$version" 1.25.1; then H2_DIRECTIVE=1; fi
    local dir
    dir=$(mktemp -d /tmp/urllib3-interop-nginx.XXXXXX)
    chmod 755 "$dir"
    # nginx started before a later step failed is stopped again: nothing is left running.
    started_dir=$dir
    trap 'stop_on_failure "$started_dir"' EXIT
    local port limited_port http1_port
    port=$(free_port)
    limited_port=$(free_port "$port")
    http1_port=$(free_port "$port" "$limited_port")
    make_certificates "$dir"
    make_files "$dir"
    start_nginx "$dir" "$port" "$limited_port" "$http1_port"
    log "nginx $version"
    local env_file=$dir/env
    cat > "$env_file" <<EOF
URLLIB3_INTEROP_NGINX_DIR=$dir
URLLIB3_INTEROP_NGINX=https://localhost:$port
URLLIB3_INTEROP_NGINX_LIMITED=https://localhost:$limited_port
URLLIB3_INTEROP_NGINX_HTTP1=https://localhost:$http1_port
URLLIB3_INTEROP_NGINX_CA=$dir/ca.pem
EOF
    cat "$env_file"
}

stop() {
    stop_daemons "${1:?usage: setup-nginx.sh stop DIR}"
}

need_root "$@"
case "${1:-start}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) fail "usage: $0 [start | stop DIR]" ;;
esac
