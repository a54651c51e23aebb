#!/usr/bin/env bash
# The lab topology, as network namespaces on this host:
#
#   PREFIX-n1 --+                    +-- PREFIX-n2 ...  one veth per network in
#               |   PREFIX-sw        |      PREFIX-nN   each node: public,
#   public  ----+-- br-public  ------+-- ...            cluster, storage
#   cluster ----+-- br-cluster ------+-- ...
#   storage ----+-- br-storage ------+-- ...
#                        |
#                    PREFIX-probe   a plain kernel host on every network
#                                   (198.18.N.99, fd00:N::99)
#
# The switch namespace is where faults are injected (nftables drops on its
# ports) so that the nodes see silent loss with their links up.
#
# With two sites, each network is two subnets, one per site, and the switch
# namespace is also their router (Linux forwarding): nodes 1..ceil(N/2) are
# site A (198.18.<net>.K/24, fd00:<net>::K/64, gateway .254 / ::fe), the
# others site B (198.19.<net>.K/24, fd01:<net>::K/64, gateway .254 / ::fe),
# on bridges br-<net> and br-<net>-b; the probe host stays on site A.
#
# usage: topology.sh up PREFIX [N [SITES]]
#                                   build it with N nodes (default 2, at
#                                   most 64) on 1 or 2 sites (default 1;
#                                   PREFIX must be unique per run)
#        topology.sh down PREFIX    kill what runs in it and remove it
#        topology.sh sweep          remove ftlab-/ftt- topologies whose
#                                   creating process (PREFIX-PID) is gone
set -euo pipefail

NETS=(public cluster storage)

# Fixed MACs (the same at every run, so ftnet0's derived MAC is too): from
# the documentation range (RFC 7042) as 00:00:5e:00:53:<node><network> for
# nodes 1-9, and 00:00:5e:01:<node in hex>:<network> beyond.
port_mac() {
    local n=$1 i=$2
    if ((n <= 9)); then echo "00:00:5e:00:53:$n$i"; else printf '00:00:5e:01:%02x:%02x\n' "$n" "$i"; fi
}

# The site of node K in a lab of N nodes: a or b.
site_of() {
    local n=$1 count=$2 sites=$3
    if ((sites == 2 && n > (count + 1) / 2)); then echo b; else echo a; fi
}

up() {
    local p=$1 count=${2:-2} sites=${3:-1} i n
    if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 2 || count > 64)); then
        echo "topology.sh: a lab has 2 to 64 nodes (got $count)" >&2
        exit 2
    fi
    if ! [[ $sites =~ ^[12]$ ]]; then
        echo "topology.sh: a lab has 1 or 2 sites (got $sites)" >&2
        exit 2
    fi
    local nodes=()
    for ((n = 1; n <= count; n++)); do nodes+=("$n"); done
    for ns in sw "${nodes[@]/#/n}" probe; do
        ip netns add "$p-$ns"
        ip -n "$p-$ns" link set lo up
    done
    if ((sites == 1)); then
        ip netns exec "$p-sw" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    else
        # A router: forwarding on, IPv6 only on the bridges (its addresses).
        # No DAD on its link-local addresses: a router that has been up a
        # while has finished it, and while one is tentative Linux sends no
        # neighbour solicitation, so a fresh router could not re-resolve a
        # node for its first second or two (seen when its MAC changes).
        ip netns exec "$p-sw" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
            net.ipv6.conf.default.accept_dad=0
    fi
    for i in 1 2 3; do
        local net=${NETS[$((i - 1))]}
        ip -n "$p-sw" link add "br-$net" type bridge mcast_snooping 0
        ip -n "$p-sw" link set "br-$net" up
        if ((sites == 2)); then
            ip -n "$p-sw" link add "br-$net-b" type bridge mcast_snooping 0
            ip -n "$p-sw" link set "br-$net-b" up
            ip -n "$p-sw" addr add "198.18.$i.254/24" dev "br-$net"
            ip -n "$p-sw" addr add "fd00:$i::fe/64" dev "br-$net" nodad
            ip -n "$p-sw" addr add "198.19.$i.254/24" dev "br-$net-b"
            ip -n "$p-sw" addr add "fd01:$i::fe/64" dev "br-$net-b" nodad
        fi
        for n in "${nodes[@]}"; do
            local br="br-$net"
            [ "$(site_of "$n" "$count" "$sites")" = b ] && br="br-$net-b"
            ip link add "$net" netns "$p-n$n" address "$(port_mac "$n" "$i")" type veth \
                peer name "n$n-$net" netns "$p-sw"
            ((sites == 2)) && ip netns exec "$p-sw" sysctl -q -w "net.ipv6.conf.n$n-$net.disable_ipv6=1"
            ip -n "$p-sw" link set "n$n-$net" master "$br" up
            # The engine owns this port: keep the kernel's IPv6 off it, and
            # let the kernel see none of what arrives (af_packet gets its
            # copy before the netdev ingress hook drops it), as on a host
            # whose NIC DPDK owns: otherwise the node's kernel would answer,
            # on this veth, for the addresses of its host interfaces (weak
            # host model), next to the engine's host path.
            ip netns exec "$p-n$n" sysctl -q -w "net.ipv6.conf.$net.disable_ipv6=1"
            ip netns exec "$p-n$n" nft "add table netdev engine_owned; add chain netdev engine_owned $net { type filter hook ingress device $net priority 0; policy drop; }"
            ip -n "$p-n$n" link set "$net" up
        done
        ip link add "$net" netns "$p-probe" type veth peer name "pr-$net" netns "$p-sw"
        ((sites == 2)) && ip netns exec "$p-sw" sysctl -q -w "net.ipv6.conf.pr-$net.disable_ipv6=1"
        ip -n "$p-sw" link set "pr-$net" master "br-$net" up
        ip -n "$p-probe" addr add "198.18.$i.99/24" dev "$net"
        ip -n "$p-probe" addr add "fd00:$i::99/64" dev "$net" nodad
        # A plain host's frames on a real wire carry complete checksums; a
        # veth would hand the engine TCP segments whose checksum the
        # receiver is meant to finish (af_packet cannot tell).
        ip netns exec "$p-probe" ethtool -K "$net" tx off >/dev/null
        ip -n "$p-probe" link set "$net" up
    done
}

# The namespaces of topology PREFIX: its nodes, probe and switch.
namespaces_of() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-(n[0-9]+|probe|sw)\$" || true
}

down() {
    local p=$1 ns pid pids=()
    local all=($(namespaces_of "$p"))
    for ns in "${all[@]}"; do
        pids+=($(ip netns pids "$ns" 2>/dev/null))
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
    for ns in "${all[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
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
up) up "${2:?prefix}" "${3:-2}" "${4:-1}" ;;
down) down "${2:?prefix}" ;;
sweep) sweep ;;
*) echo "usage: $0 up PREFIX [NODES [SITES]] | down PREFIX | sweep" >&2; exit 2 ;;
esac
