#!/usr/bin/env bash
# Real proxies for the interop tests (crates/urllib3/tests/interop.rs), on loopback:
#   squid        a forward proxy with CONNECT, on two ports: one open, one behind Basic auth
#   dante        a SOCKS5 server, one instance without authentication and one with
#                username/password (RFC 1929) against a system user made for it
#
#   tests/interop/setup-proxies.sh [start]   installs, configures and starts them; prints
#                                            KEY=VALUE lines for the tests on stdout
#   tests/interop/setup-proxies.sh stop DIR  stops what `start` started in DIR
#
# The packages come from Debian's archive (apt-get). Nothing here skips: a package that does not
# install, a daemon that does not start or a port that never opens ends the script with an
# error and the daemon's log on stderr, so `make test` fails loudly.
set -euo pipefail

SQUID_USER=urllib3 SQUID_PASSWORD=squid-secret
DANTE_USER=urllib3interop DANTE_PASSWORD=dante-secret

LOG_NAME=setup-proxies
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"

install_packages() {
    # Installed already (a CI image, a second run): no network needed.
    if command -v squid >/dev/null && command -v danted >/dev/null; then
        return
    fi
    apt_install squid dante-server
    command -v squid >/dev/null || fail "squid is not on PATH after installing it"
    command -v danted >/dev/null || fail "danted is not on PATH after installing dante-server"
}

password_hash() {
    if command -v openssl >/dev/null; then
        openssl passwd -apr1 "$1"
    else
        perl -e 'print crypt($ARGV[0], "u3"), "\n"' "$1"
    fi
}

start_squid() {
    local dir=$1 open_port=$2 auth_port=$3
    local conf=$dir/squid.conf
    printf '%s:%s\n' "$SQUID_USER" "$(password_hash "$SQUID_PASSWORD")" > "$dir/squid.passwd"
    cat > "$conf" <<EOF
# A forward proxy for tests: loopback only, no cache, CONNECT to any port.
http_port 127.0.0.1:$open_port name=open
http_port 127.0.0.1:$auth_port name=authenticated
auth_param basic program /usr/lib/squid/basic_ncsa_auth $dir/squid.passwd
auth_param basic realm urllib3-interop
acl open_port myportname open
acl authenticated proxy_auth REQUIRED
http_access allow localhost open_port
http_access allow localhost authenticated
http_access deny all
cache deny all
cache_mem 8 MB
pid_filename $dir/squid.pid
cache_log $dir/squid-cache.log
access_log stdio:$dir/squid-access.log
coredump_dir $dir
cache_effective_user proxy
shutdown_lifetime 1 seconds
forwarded_for on
EOF
    # Squid drops to its user before writing logs and the pid file.
    chown -R proxy "$dir"
    squid -f "$conf" -k parse >/dev/null 2>"$dir/squid-parse.log" \
        || { cat "$dir/squid-parse.log" >&2; fail "squid rejected its configuration"; }
    squid -f "$conf" 2>>"$dir/squid-cache.log" || fail "squid did not start"
    wait_for_port "$open_port" squid "$dir/squid-cache.log"
    wait_for_port "$auth_port" squid "$dir/squid-cache.log"
}

# One dante instance: METHOD is `none` or `username`.
start_dante() {
    local dir=$1 port=$2 method=$3 name=$4
    local conf=$dir/$name.conf
    cat > "$conf" <<EOF
# A SOCKS5 server for tests, loopback only.
logoutput: $dir/$name.log
internal: 127.0.0.1 port = $port
external: lo
clientmethod: none
socksmethod: $method
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
}
socks pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
    command: connect
}
EOF
    danted -D -f "$conf" -p "$dir/$name.pid" 2>>"$dir/$name.log" || {
        cat "$dir/$name.log" >&2
        fail "danted ($name) did not start"
    }
    wait_for_port "$port" "danted ($name)" "$dir/$name.log"
}

# dante checks usernames and passwords against the system's accounts.
ensure_dante_user() {
    if ! id "$DANTE_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$DANTE_USER" \
            || fail "useradd $DANTE_USER"
    fi
    printf '%s:%s\n' "$DANTE_USER" "$DANTE_PASSWORD" | chpasswd || fail "chpasswd $DANTE_USER"
}

start() {
    install_packages
    ensure_dante_user
    local dir
    dir=$(mktemp -d /tmp/urllib3-interop.XXXXXX)
    chmod 755 "$dir"
    # A daemon that started before another failed is stopped again: nothing is left running.
    started_dir=$dir
    trap 'stop_on_failure "$started_dir"' EXIT
    local squid_port squid_auth_port dante_port dante_auth_port
    squid_port=$(free_port)
    squid_auth_port=$(free_port "$squid_port")
    dante_port=$(free_port "$squid_port" "$squid_auth_port")
    dante_auth_port=$(free_port "$squid_port" "$squid_auth_port" "$dante_port")
    start_squid "$dir" "$squid_port" "$squid_auth_port"
    start_dante "$dir" "$dante_port" none dante
    start_dante "$dir" "$dante_auth_port" username dante-auth
    log "$(squid -v | head -n 1); $(danted -v 2>&1 | head -n 1)"
    local env_file=$dir/env
    cat > "$env_file" <<EOF
URLLIB3_INTEROP_DIR=$dir
URLLIB3_INTEROP_SQUID=http://127.0.0.1:$squid_port
URLLIB3_INTEROP_SQUID_AUTH=http://$SQUID_USER:$SQUID_PASSWORD@127.0.0.1:$squid_auth_port
URLLIB3_INTEROP_DANTE=socks5h://127.0.0.1:$dante_port
URLLIB3_INTEROP_DANTE_AUTH=socks5h://$DANTE_USER:$DANTE_PASSWORD@127.0.0.1:$dante_auth_port
EOF
    cat "$env_file"
}

stop() {
    stop_daemons "${1:?usage: setup-proxies.sh stop DIR}"
}

need_root "$@"
case "${1:-start}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) fail "usage: $0 [start | stop DIR]" ;;
esac
