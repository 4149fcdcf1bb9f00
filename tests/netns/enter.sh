#!/bin/sh
# Builds a private network for the connect tests, then runs "$@" inside it:
#
#   unshare -rnm sh tests/netns/enter.sh COMMAND [ARGS...]
#
# unshare gives the command its own user (root inside), network and mount namespaces, so
# nothing here touches the machine's network or files. Inside:
#   - loopback up (127.0.0.1 and ::1);
#   - a veth pair, eb0/eb1, with nothing behind it: 2001:db8::99 and 192.0.2.99 are neighbours
#     on eb0 with a fixed hardware address, so a SYN to them goes out and is never answered
#     (a black hole, like a host whose IPv6 route is broken somewhere upstream);
#   - /etc/hosts replaced by tests/netns/hosts (dual.test, blackhole.test, refused.test).
#
# Exits 77, with the reason on stderr, when the network cannot be built (no `ip`, IPv6
# disabled); the tests then skip.
set -u
here=$(dirname "$0")
fail() {
    echo "netns: cannot build the test network: $*" >&2
    exit 77
}
command -v ip >/dev/null || fail "no 'ip' command (iproute2)"
mount --bind "$here/hosts" /etc/hosts || fail "cannot bind-mount /etc/hosts"
ip link set lo up || fail "cannot bring loopback up"
ip link add eb0 type veth peer name eb1 || fail "cannot create a veth pair"
ip link set eb1 up && ip link set eb0 up || fail "cannot bring the veth pair up"
ip -6 addr add 2001:db8::2/64 dev eb0 nodad || fail "no IPv6 in the namespace"
ip addr add 192.0.2.2/24 dev eb0 || fail "cannot add an IPv4 address"
ip -6 neigh add 2001:db8::99 lladdr 02:00:00:00:00:99 dev eb0 nud permanent \
    || fail "cannot add the IPv6 black hole"
ip neigh add 192.0.2.99 lladdr 02:00:00:00:00:99 dev eb0 nud permanent \
    || fail "cannot add the IPv4 black hole"
exec "$@"
