#!/usr/bin/env bash
# Starts squid and dante (setup-proxies.sh), runs the interop tests against them, stops them.
#   tests/interop/run-interop.sh [extra cargo test arguments]
# Exits non-zero when a proxy cannot be installed or started, or when a test fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cargo=${CARGO:-cargo}

env_lines=$("$here/setup-proxies.sh" start)
dir=$(printf '%s\n' "$env_lines" | sed -n 's/^URLLIB3_INTEROP_DIR=//p')
[ -n "$dir" ] || { echo "run-interop: setup-proxies.sh printed no URLLIB3_INTEROP_DIR" >&2; exit 1; }
trap '"$here/setup-proxies.sh" stop "$dir"' EXIT

while IFS= read -r line; do
    [ -n "$line" ] && export "${line?}"
done <<< "$env_lines"

URLLIB3_INTEROP=1 "$cargo" test -p urllib3 --test interop "$@"
