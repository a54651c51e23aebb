#!/usr/bin/env bash
# Prints the lab config of node K in a cluster of N nodes, made from
# config/lab/node1.toml (node 1 of the two-node lab): node K has address
# .K on every network (198.18.<net>.K, fd00:<net>::K) and every other node
# as a peer. config/lab/node1.toml and node2.toml are exactly what this
# prints for N = 2 (tests/lab_config_test.sh checks it).
#
# With SITES = 2 (scripts/topology.sh's two routed sites), nodes
# ceil(N/2)+1..N are on site B: 198.19.<net>.K and fd01:<net>::K; every
# network lists both sites' subnets and every port its site's gateway, so
# the routes between the sites are cross-subnet.
#
# usage: lab-config.sh N K [SITES]   (2 <= N <= 64, 1 <= K <= N, SITES 1 or 2)
set -euo pipefail
N=${1:?usage: lab-config.sh N K [SITES]}
K=${2:?usage: lab-config.sh N K [SITES]}
SITES=${3:-1}
if ! [[ $N =~ ^[0-9]+$ && $K =~ ^[0-9]+$ ]] || ((N < 2 || N > 64 || K < 1 || K > N)); then
    echo "lab-config.sh: need 2 <= N <= 64 nodes and 1 <= K <= N (got N=$N K=$K)" >&2
    exit 2
fi
if ! [[ $SITES =~ ^[12]$ ]]; then
    echo "lab-config.sh: SITES is 1 or 2 (got $SITES)" >&2
    exit 2
fi
# Node p's first address octets and IPv6 prefix on its site.
v4net() { if ((SITES == 2 && $1 > (N + 1) / 2)); then echo 198.19; else echo 198.18; fi; }
v6net() { if ((SITES == 2 && $1 > (N + 1) / 2)); then echo fd01; else echo fd00; fi; }
V4=$(v4net "$K")
V6=$(v6net "$K")
TEMPLATE="$(dirname "$0")/../config/lab/node1.toml"
NETS=(public cluster storage)

words() {  # 2 -> "two" (the template's wording), otherwise the digits
    case $1 in 2) echo two ;; 3) echo three ;; 4) echo four ;; *) echo "$1" ;; esac
}
nodes_word=$(words "$N")

# Everything up to the first [[peer]], with node 1's own values made K's.
sed -n '/^\[\[peer\]\]/q;p' "$TEMPLATE" | sed -E \
    -e "1s/node 1 of 2: two nodes/node $K of $N: $nodes_word nodes/" \
    -e "s/^id = 1\$/id = $K/" \
    -e "s/^name = \"node1\"\$/name = \"node$K\"/" \
    -e "s/\"ftlab-node1\"/\"ftlab-node$K\"/" \
    -e "s#/lab-node1\\.(sock|log)\"#/lab-node$K.\\1\"#" \
    -e "s#^ipv4 = \"198\\.18\\.([0-9]+)\\.1/24\"#ipv4 = \"$V4.\\1.$K/24\"#" \
    -e "s#^ipv6 = \"fd00:([0-9]+)::1/64\"#ipv6 = \"$V6:\\1::$K/64\"#" | if ((SITES == 2)); then
    sed -E \
        -e "s#^subnets = \[\"198\\.18\\.([0-9]+)\\.0/24\", \"fd00:([0-9]+)::/64\"\]#subnets = [\"198.18.\\1.0/24\", \"198.19.\\1.0/24\", \"fd00:\\2::/64\", \"fd01:\\2::/64\"]#" \
        -e "s#^ipv6 = \"(fd0[01]):([0-9]+)::([0-9]+)/64\"#ipv6 = \"\\1:\\2::\\3/64\"\ngateway4 = \"$V4.\\2.254\"\ngateway6 = \"$V6:\\2::fe\"#"
else
    cat
fi

# Every other node as a peer, on every network.
first=1
for ((p = 1; p <= N; p++)); do
    ((p == K)) && continue
    ((first)) || echo
    first=0
    echo "[[peer]]"
    echo "id = $p"
    echo "name = \"node$p\""
    for ((i = 1; i <= ${#NETS[@]}; i++)); do
        echo "  [[peer.endpoint]]"
        echo "  network = \"${NETS[$((i - 1))]}\""
        echo "  ipv4 = \"$(v4net "$p").$i.$p\""
        echo "  ipv6 = \"$(v6net "$p"):$i::$p\""
    done
done
