# shellcheck shell=bash
# Helpers shared by setup-proxies.sh and setup-nginx.sh; sourced, not run. Each script sets
# LOG_NAME first, the prefix of its messages on stderr.

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# apt-get, system users and daemons on their own ports need root: re-run the calling script
# under sudo when it can be had without a password, else stop here.
need_root() {
    [ "$(id -u)" = 0 ] && return
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        exec sudo -n -- "$0" "$@"
    fi
    fail "must run as root, or with password-less sudo (apt-get, useradd, daemons)"
}

# Installs PACKAGE... from Debian's archive; failing to is fatal.
apt_install() {
    log "installing $* from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || fail "apt-get update"
    # policy-rc.d keeps the packages' own services from starting: ours run on their own ports.
    local policy=/usr/sbin/policy-rc.d created=0 installed=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
    fi
    apt-get install -y -q --no-install-recommends "$@" >&2 && installed=1
    if [ "$created" = 1 ]; then rm -f "$policy"; fi
    [ "$installed" = 1 ] || fail "apt-get install $*"
}

# A port nothing listens on and not one of TAKEN (ports picked already but not yet bound):
# random, checked by trying to connect to it. Below the kernel's ephemeral range (32768 and up
# on Linux), where the local ends of the tests' own connections live: a port taken by one of
# those made squid fail to bind its second port.
free_port() {
    local port tries=0 taken
    while [ $tries -lt 200 ]; do
        tries=$((tries + 1))
        port=$(( 20000 + RANDOM % 12000 ))
        for taken in "$@"; do
            [ "$port" = "$taken" ] && continue 2
        done
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port found"
}

# Waits until 127.0.0.1:PORT accepts connections; shows LOG and fails otherwise.
wait_for_port() {
    local port=$1 name=$2 logfile=$3
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return
        fi
        sleep 0.1
    done
    log "$name did not open port $port; its log:"
    cat "$logfile" >&2 2>/dev/null || true
    fail "$name did not start"
}

# An EXIT trap for `start`: when the script fails, stops what it had started in DIR, so that
# nothing is left running.
stop_on_failure() {
    local status=$? dir=$1
    [ "$status" = 0 ] || stop_daemons "$dir"
    exit "$status"
}

# Stops the daemons whose pid files are in DIR, waits for them to be gone, removes DIR.
stop_daemons() {
    local dir=$1 pidfile pid pids=() alive
    for pidfile in "$dir"/*.pid; do
        [ -e "$pidfile" ] || continue
        pid=$(tr -dc '0-9' < "$pidfile")
        [ -n "$pid" ] && pids+=("$pid")
    done
    # Only the processes these scripts started: the pids they recorded. Read once, before the
    # signal: a daemon may remove its pid file on the way out.
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    # Squid takes shutdown_lifetime to finish; wait for every recorded pid to be gone.
    for _ in $(seq 1 50); do
        alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    rm -rf "$dir"
}
