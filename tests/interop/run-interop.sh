#!/usr/bin/env bash
# Starts squid and dante (setup-proxies.sh) and nginx with HTTP/2 (setup-nginx.sh), runs the
# interop tests against them, stops them.
#   tests/interop/run-interop.sh [extra cargo test arguments]
# Exits non-zero when a daemon cannot be installed or started, or when a test fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cargo=${CARGO:-cargo}

# The value of KEY in the KEY=VALUE lines $2.
value_of() {
    printf '%s\n' "$2" | sed -n "s/^$1=//p"
}

env_lines=$("$here/setup-proxies.sh" start)
dir=$(value_of URLLIB3_INTEROP_DIR "$env_lines")
[ -n "$dir" ] || { echo "run-interop: setup-proxies.sh printed no URLLIB3_INTEROP_DIR" >&2; exit 1; }
trap '"$here/setup-proxies.sh" stop "$dir"' EXIT

nginx_lines=$("$here/setup-nginx.sh" start)
nginx_dir=$(value_of URLLIB3_INTEROP_NGINX_DIR "$nginx_lines")
[ -n "$nginx_dir" ] || { echo "run-interop: setup-nginx.sh printed no URLLIB3_INTEROP_NGINX_DIR" >&2; exit 1; }
trap '"$here/setup-nginx.sh" stop "$nginx_dir"; "$here/setup-proxies.sh" stop "$dir"' EXIT

while IFS= read -r line; do
    [ -n "$line" ] && export "${line?}"
done <<< "$env_lines
$nginx_lines"

URLLIB3_INTEROP=1 "$cargo" test -p urllib3 --test interop --test interop_nginx "$@"
