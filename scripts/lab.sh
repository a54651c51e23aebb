#!/usr/bin/env bash
# The main job on the embedded lab (config/lab/node1.toml, node2.toml):
# sets everything up, builds two nodes joined by three networks in network
# namespaces (scripts/topology.sh), starts ftnetd on each, shows ftnet0 and
# the routes, sends traffic across ftnet0 (ping both ways, IPv4 and IPv6,
# and a TCP transfer with a checksum), shows where it went, brings the
# lab's resource group online (config/lab/resources.toml: client addresses
# and a Network Name registered in a DNS server on the plain host) and moves
# it, and tears it all down again, also on failure or Ctrl-C.
#
# usage: scripts/lab.sh [--nodes N] [--sites 2] [--keep]
#   --nodes N   a cluster of N nodes (2-64; configs from scripts/lab-config.sh;
#               every node pings every other)
#   --sites 2   two sites: every network is two subnets joined by a router
#               (the switch namespace), so the routes between the sites go
#               through gateways and are cross-subnet
#   --keep      leave it running until Enter
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
KEEP=
NODES=2
SITES=1
while [ $# -gt 0 ]; do
    case $1 in
    --keep) KEEP=--keep ;;
    --nodes) NODES=${2:?--nodes needs a count}; shift ;;
    --sites) SITES=${2:?--sites needs a count}; shift ;;
    *) echo "usage: scripts/lab.sh [--nodes N] [--sites 2] [--keep]" >&2; exit 2 ;;
    esac
    shift
done
if ! [[ $NODES =~ ^[0-9]+$ ]] || ((NODES < 2 || NODES > 64)); then
    echo "scripts/lab.sh: --nodes takes 2 to 64 (got $NODES)" >&2
    exit 2
fi
if ! [[ $SITES =~ ^[12]$ ]]; then
    echo "scripts/lab.sh: --sites takes 1 or 2 (got $SITES)" >&2
    exit 2
fi
ALL=$(seq 1 "$NODES")

scripts/setup.sh
scripts/topology.sh sweep

P="ftlab-$$"
WORK=$(mktemp -d /tmp/ftlab.XXXXXX)
PIDS=()
CTL=("$ROOT/build/ftnetctl")

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    "$ROOT/scripts/topology.sh" down "$P" || true
    if [ $rc -ne 0 ]; then
        echo
        echo "lab FAILED (exit $rc); engine logs:"
        tail -n 30 "$WORK"/node*.log 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { local n=$1; shift; "${CTL[@]}" -s "/run/ftnet/lab-node$n.sock" "$@"; }

if [ "$SITES" = 2 ]; then
    step "Topology: nodes $P-n1 to $P-n$NODES on two sites (198.18.x / fd00:x and 198.19.x / fd01:x), networks public, cluster, storage routed by $P-sw"
else
    step "Topology: nodes $P-n1 to $P-n$NODES, networks public, cluster, storage"
fi
scripts/topology.sh up "$P" "$NODES" "$SITES"
if [ "$SITES" = 2 ]; then
    # A WAN-like link on one network: each route measures its path MTU, and
    # ftnet0 (MTU 1400) keeps working over it with ftnet fragments.
    echo "the storage network's inter-site link carries packets of at most 1280 bytes (both ways)"
    ip -n "$P-sw" link set br-storage mtu 1280
    ip -n "$P-sw" link set br-storage-b mtu 1280
fi

step "The lab's DNS server: named (BIND9) on the plain host $P-probe, 198.18.1.99, zone ftlab.example (TSIG-signed updates)"
NAMED="$WORK/named"
mkdir -p "$NAMED"
for z in ftlab.example 1.18.198.in-addr.arpa 1.19.198.in-addr.arpa; do
    printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.ftlab.example. admin.ftlab.example. 1 3600 600 86400 60\n@ IN NS ns.ftlab.example.\n' \
        "$z" >"$NAMED/$z.db"
done
echo "ns IN A 198.18.1.99" >>"$NAMED/ftlab.example.db"
{
    echo "options { directory \"$NAMED\"; pid-file \"$NAMED/named.pid\"; session-keyfile \"$NAMED/session.key\";"
    echo "  listen-on { 198.18.1.99; }; listen-on-v6 { none; }; recursion no; dnssec-validation no; notify no; };"
    grep -E '^tsig_secret' config/lab/resources.toml | sed -E 's/.*"(.*)".*/key "ftnet-update" { algorithm hmac-sha256; secret "\1"; };/'
    for z in ftlab.example 1.18.198.in-addr.arpa 1.19.198.in-addr.arpa; do
        echo "zone \"$z\" { type primary; file \"$NAMED/$z.db\"; allow-update { key \"ftnet-update\"; }; };"
    done
} >"$NAMED/named.conf"
ip netns exec "$P-probe" named -g -n 1 -c "$NAMED/named.conf" >"$NAMED/named.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q running "$NAMED/named.log" && break; sleep 0.1; done
grep -q running "$NAMED/named.log" || { echo "named did not start:"; cat "$NAMED/named.log"; exit 1; }
if [ "$SITES" = 2 ]; then
    # Site B's nodes reach it through their gateway (the host interfaces
    # route the network's other subnets there); the plain host reaches site B.
    ip -n "$P-probe" route add 198.19.1.0/24 via 198.18.1.254 dev public
fi

step "Starting ftnetd on $NODES nodes"
for n in $ALL; do
    # The lab's config and its resources (config/lab/resources.toml).
    cfg="$WORK/node$n.toml"
    if [ "$NODES" != 2 ] || [ "$SITES" != 1 ]; then
        scripts/lab-config.sh "$NODES" "$n" "$SITES" >"$cfg"
    else
        cp "$ROOT/config/lab/node$n.toml" "$cfg"
    fi
    if [ "$SITES" = 2 ]; then
        sed -e 's/^depends = "ipA or ip6A"/depends = "ipA or ipB or ip6A"/' -e 's/^resources = \["ipA", "ip6A", "web"\]/resources = ["ipA", "ipB", "ip6A", "web"]/' \
            config/lab/resources.toml >>"$cfg"
        printf '\n[[resource]]\nname = "ipB"\ntype = "ip_address"\nnetwork = "public"\naddress = "198.19.1.50/24"\n' >>"$cfg"
    else
        cat config/lab/resources.toml >>"$cfg"
    fi
    ip netns exec "$P-n$n" "$ROOT/build/ftnetd" --config "$cfg" >"$WORK/node$n.log" 2>&1 &
    PIDS+=($!)
done
# Ready when each node knows every peer's ftnet0 (endpoint exchange done)
# and every route has answered its heartbeats.
for n in $ALL; do
    for i in $(seq 600); do
        nodes=$(ctl "$n" -o json nodes 2>/dev/null || true)
        if grep -q '"adapter_known": true' <<<"$nodes" && ! grep -q '"adapter_known": false' <<<"$nodes" &&
            ! ctl "$n" -o json routes 2>/dev/null | grep -q '"state": "down"'; then break; fi
        kill -0 "${PIDS[$((n - 1))]}" 2>/dev/null || { echo "ftnetd on node$n exited"; exit 1; }
        [ "$i" = 600 ] && { echo "node$n did not finish the endpoint exchange or bring its routes up in 60 s"; exit 1; }
        sleep 0.1
    done
done
grep -h -E "endpoint exchange|Adding route" "$WORK/node1.log" | head -8

if [ "$NODES" != 2 ]; then
    step "node1: ftnetctl nodes"
    ctl 1 nodes
    step "ping across ftnet0: every node -> every other node, IPv4 and IPv6"
    failed=0
    for a in $ALL; do
        line="node$a ->"
        for b in $ALL; do
            [ "$a" = "$b" ] && continue
            for addr in "169.254.1.$b" "fe80::a9fe:1:$(printf %x "$b")%ftnet0"; do
                if ip netns exec "$P-n$a" ping -c 1 -W 2 "$addr" >/dev/null 2>&1; then line+=" $addr ok"; else
                    line+=" $addr FAILED"
                    failed=1
                fi
            done
        done
        echo "$line"
    done
    [ $failed = 0 ] || { echo "some pairs did not answer"; exit 1; }
fi

step "node1: ftnetctl membership (the view every node agreed on, and quorum)"
for _ in $(seq 100); do
    ctl 1 -o json membership 2>/dev/null | grep -q "\"name\": \"node$NODES\"" && break
    sleep 0.1
done
ctl 1 membership

step "Resources: group web (config/lab/resources.toml) online on its first preferred owner, node1"
for _ in $(seq 100); do
    ctl 1 -o json group show web 2>/dev/null | grep -q '"state": "online"' && break
    sleep 0.1
done
ctl 1 group show web
ctl 2 resource list
echo "a plain host ($P-probe) reaches the group's addresses, answered and announced by node1's engine:"
ip netns exec "$P-probe" ping -c 2 -i 0.2 198.18.1.50 | tail -2
ip netns exec "$P-probe" ping -c 2 -i 0.2 fd00:1::50 | tail -2
ip -n "$P-probe" neigh show 198.18.1.50
for _ in $(seq 50); do ctl 1 -o json dns 2>/dev/null | grep -q '"state": "registered"' && break; sleep 0.1; done
echo "DNS (dig @198.18.1.99, the records node1 registered with TSIG-signed updates):"
for q in "web.ftlab.example A" "web.ftlab.example AAAA" "-x 198.18.1.50"; do
    ip netns exec "$P-probe" dig +noall +answer @198.18.1.99 $q
done

step "Resources: ftnetctl group move web node2 (offline on node1 first, then online on node2)"
ctl 2 group move web node2
if [ "$SITES" = 2 ]; then
    # node2 is on site B: the group comes online there with ipB.
    echo "node2 is on site B: ipA and ip6A stay offline there, ipB comes online; the plain host reaches it through the router:"
    ip netns exec "$P-probe" ping -c 2 -i 0.2 198.19.1.50 | tail -2
else
    ip netns exec "$P-probe" ping -c 2 -i 0.2 198.18.1.50 | tail -2
    echo "the plain host's neighbour entry followed the gratuitous ARP (node2's public port is 00:00:5e:00:53:21):"
    ip -n "$P-probe" neigh show 198.18.1.50
fi
for _ in $(seq 50); do ctl 2 -o json dns 2>/dev/null | grep -q '"state": "registered"' && break; sleep 0.1; done
ctl 2 dns
ip netns exec "$P-probe" dig +noall +answer @198.18.1.99 web.ftlab.example A
ctl 1 log -n 200 | grep -E "RESOURCE|DNS" | tail -8

step "node1: ftnetctl interfaces"
ctl 1 interfaces

step "node1: ftnetctl routes"
ctl 1 routes

step "ping across ftnet0: node1 -> node2 (169.254.1.2), node2 -> node1 (fe80::a9fe:1:1%ftnet0)"
ip netns exec "$P-n1" ping -c 5 -i 0.2 169.254.1.2
ip netns exec "$P-n2" ping -c 5 -i 0.2 fe80::a9fe:1:1%ftnet0

step "TCP transfer of 100 MiB across ftnet0, node1 -> node2, with SHA-256 at both ends"
ip netns exec "$P-n2" "$ROOT/build/ftnet-xfer" recv 5001 >"$WORK/recv.out" &
RECV=$!
for _ in $(seq 50); do grep -q listening "$WORK/recv.out" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$P-n1" "$ROOT/build/ftnet-xfer" send 169.254.1.2 5001 100M 7 >"$WORK/send.out"
wait "$RECV"
read -r _ sbytes ssum ssecs <"$WORK/send.out"
read -r _ rbytes rsum rsecs < <(grep received "$WORK/recv.out")
echo "sent     $sbytes bytes, sha256 $ssum"
echo "received $rbytes bytes, sha256 $rsum"
if [ "$ssum" != "$rsum" ] || [ "$sbytes" != "$rbytes" ]; then
    echo "checksum MISMATCH"
    exit 1
fi
awk -v b="$rbytes" -v s="$rsecs" 'BEGIN { printf "checksums match; %.0f Mbit/s\n", b * 8 / s / 1e6 }'

step "node1: routes after the traffic (it used the best route: cluster, IPv6)"
ctl 1 routes

step "The host's own traffic on the DPDK-owned ports: TCP from a plain host ($P-probe) to node1's host address on every network, while ftnet0 carries 64 MiB"
ip netns exec "$P-n2" "$ROOT/build/ftnet-xfer" recv 5003 >"$WORK/recv3.out" &
RECV=$!
for _ in $(seq 50); do grep -q listening "$WORK/recv3.out" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$P-n1" "$ROOT/build/ftnet-xfer" send 169.254.1.2 5003 64M 11 >"$WORK/send3.out" &
SEND=$!
for i in 1 2 3; do
    for addr in "198.18.$i.1" "fd00:$i::1"; do
        ip netns exec "$P-n1" "$ROOT/build/ftnet-xfer" recv "610$i" >"$WORK/hrecv.out" &
        HRECV=$!
        for _ in $(seq 50); do grep -q listening "$WORK/hrecv.out" 2>/dev/null && break; sleep 0.1; done
        ip netns exec "$P-probe" "$ROOT/build/ftnet-xfer" send "$addr" "610$i" 8M "$i" >"$WORK/hsend.out"
        wait "$HRECV"
        read -r _ sbytes ssum _ <"$WORK/hsend.out"
        read -r _ rbytes rsum rsecs < <(grep received "$WORK/hrecv.out")
        if [ "$ssum" != "$rsum" ] || [ "$sbytes" != "$rbytes" ]; then
            echo "host transfer to $addr: checksum MISMATCH"
            exit 1
        fi
        awk -v a="$addr" -v b="$rbytes" -v s="$rsecs" 'BEGIN { printf "probe -> node1 %-12s TCP %d bytes intact, %.0f Mbit/s\n", a, b, b * 8 / s / 1e6 }'
    done
done
wait "$SEND" "$RECV"
read -r _ sbytes ssum _ <"$WORK/send3.out"
read -r _ rbytes rsum _ < <(grep received "$WORK/recv3.out")
[ "$ssum" = "$rsum" ] && [ "$sbytes" = "$rbytes" ] || { echo "tunnel transfer: checksum MISMATCH"; exit 1; }
echo "and the tunnel's 64 MiB meanwhile: intact"
ctl 1 hosts

step "Failover: the cluster network silently drops everything for 2 s during a 64 MiB TCP transfer"
ctl 1 events >"$WORK/events1.txt" 2>/dev/null &
EV1=$!
ctl 2 events >"$WORK/events2.txt" 2>/dev/null &
EV2=$!
ip netns exec "$P-n2" "$ROOT/build/ftnet-xfer" recv 5002 >"$WORK/recv2.out" &
RECV=$!
for _ in $(seq 50); do grep -q listening "$WORK/recv2.out" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$P-n1" "$ROOT/build/ftnet-xfer" send 169.254.1.2 5002 64M 9 200 >"$WORK/send2.out" &
SEND=$!
sleep 1
echo "cutting the cluster network in the switch (links stay up; only heartbeats can tell)"
ip netns exec "$P-sw" nft add table netdev ftlab
for port in $(for n in $ALL; do echo "n$n-cluster"; done); do
    ip netns exec "$P-sw" nft "add chain netdev ftlab $port { type filter hook ingress device $port priority 0; }"
    ip netns exec "$P-sw" nft add rule netdev ftlab "$port" drop
done
sleep 2
echo "restoring it"
ip netns exec "$P-sw" nft delete table netdev ftlab
wait "$SEND" "$RECV"
sleep 0.5
kill "$EV1" "$EV2" 2>/dev/null || true
echo "node1 events:"
cat "$WORK/events1.txt"
echo "node2 events:"
cat "$WORK/events2.txt"
read -r _ sbytes ssum _ <"$WORK/send2.out"
read -r _ rbytes rsum _ < <(grep received "$WORK/recv2.out")
echo "sent $sbytes bytes sha256 $ssum; received $rbytes bytes sha256 $rsum"
if [ "$ssum" != "$rsum" ] || [ "$sbytes" != "$rbytes" ]; then
    echo "checksum MISMATCH"
    exit 1
fi
echo "the transfer survived the failover and the failback intact"

step "node1: counters"
ctl 1 counters

step "node2: cluster log"
ctl 2 log -n 20

if [ "$KEEP" = "--keep" ]; then
    step "Lab left running: namespaces $P-n1 to $P-n$NODES; sockets /run/ftnet/lab-node1..$NODES.sock. Press Enter to tear down."
    read -r _
fi
step "Tearing down"
