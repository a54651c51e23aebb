#!/usr/bin/env bash
# The lab topology, as network namespaces on this host:
#
#   PREFIX-n1 --+                    +-- PREFIX-n2      one veth per network in
#               |   PREFIX-sw        |                  each node: public,
#   public  ----+-- br-public  ------+                  cluster, storage
#   cluster ----+-- br-cluster ------+
#   storage ----+-- br-storage ------+
#                        |
#                    PREFIX-probe   a plain kernel host on every network
#                                   (198.18.N.99, fd00:N::99)
#
# The switch namespace is where faults are injected (nftables drops on its
# ports) so that the nodes see silent loss with their links up.
#
# usage: topology.sh up PREFIX      build it (PREFIX must be unique per run)
#        topology.sh down PREFIX    kill what runs in it and remove it
#        topology.sh sweep          remove ftlab-/ftt- topologies whose
#                                   creating process (PREFIX-PID) is gone
set -euo pipefail

NETS=(public cluster storage)

up() {
    local p=$1 i n
    for ns in sw n1 n2 probe; do
        ip netns add "$p-$ns"
        ip -n "$p-$ns" link set lo up
    done
    ip netns exec "$p-sw" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    for i in 1 2 3; do
        local net=${NETS[$((i - 1))]}
        ip -n "$p-sw" link add "br-$net" type bridge mcast_snooping 0
        ip -n "$p-sw" link set "br-$net" up
        for n in 1 2; do
            # Fixed MACs from the documentation range (RFC 7042): ftnet0's
            # derived MAC is then the same at every run.
            ip link add "$net" netns "$p-n$n" address "00:00:5e:00:53:$n$i" type veth \
                peer name "n$n-$net" netns "$p-sw"
            ip -n "$p-sw" link set "n$n-$net" master "br-$net" up
            # The engine owns this port: keep the kernel's IPv6 off it.
            ip netns exec "$p-n$n" sysctl -q -w "net.ipv6.conf.$net.disable_ipv6=1"
            ip -n "$p-n$n" link set "$net" up
        done
        ip link add "$net" netns "$p-probe" type veth peer name "pr-$net" netns "$p-sw"
        ip -n "$p-sw" link set "pr-$net" master "br-$net" up
        ip -n "$p-probe" addr add "198.18.$i.99/24" dev "$net"
        ip -n "$p-probe" addr add "fd00:$i::99/64" dev "$net" nodad
        ip -n "$p-probe" link set "$net" up
    done
}

down() {
    local p=$1 ns pid pids=()
    for ns in n1 n2 probe sw; do
        ip netns list 2>/dev/null | grep -q "^$p-$ns\b" || continue
        pids+=($(ip netns pids "$p-$ns" 2>/dev/null))
    done
    # Ask politely first (ftnetd removes its socket and DPDK files), then insist.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 30); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    for ns in n1 n2 probe sw; do
        ip netns del "$p-$ns" 2>/dev/null || true
    done
    # What a killed engine could not remove itself (tests name them after the prefix).
    rm -rf /run/ftnet/"$p"-*.sock /var/run/dpdk/"$p"-*
}

sweep() {
    local ns prefix pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(ftlab|ftt)-[0-9]+-' || true); do
        prefix=${ns%-*}
        pid=$(echo "$prefix" | sed -E 's/^(ftlab|ftt)-([0-9]+).*/\2/')
        if ! kill -0 "$pid" 2>/dev/null; then down "$prefix"; fi
    done
}

case "${1:-}" in
up) up "${2:?prefix}" ;;
down) down "${2:?prefix}" ;;
sweep) sweep ;;
*) echo "usage: $0 up PREFIX | down PREFIX | sweep" >&2; exit 2 ;;
esac
