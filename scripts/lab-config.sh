#!/usr/bin/env bash
# Prints the lab config of node K in a cluster of N nodes, made from
# config/lab/node1.toml (node 1 of the two-node lab): node K has address
# .K on every network (198.18.<net>.K, fd00:<net>::K) and every other node
# as a peer. config/lab/node1.toml and node2.toml are exactly what this
# prints for N = 2 (tests/lab_config_test.sh checks it).
#
# usage: lab-config.sh N K      (2 <= N <= 64, 1 <= K <= N)
set -euo pipefail
N=${1:?usage: lab-config.sh N K}
K=${2:?usage: lab-config.sh N K}
if ! [[ $N =~ ^[0-9]+$ && $K =~ ^[0-9]+$ ]] || ((N < 2 || N > 64 || K < 1 || K > N)); then
    echo "lab-config.sh: need 2 <= N <= 64 nodes and 1 <= K <= N (got N=$N K=$K)" >&2
    exit 2
fi
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
    -e "s#^ipv4 = \"198\\.18\\.([0-9]+)\\.1/24\"#ipv4 = \"198.18.\\1.$K/24\"#" \
    -e "s#^ipv6 = \"fd00:([0-9]+)::1/64\"#ipv6 = \"fd00:\\1::$K/64\"#"

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
        echo "  ipv4 = \"198.18.$i.$p\""
        echo "  ipv6 = \"fd00:$i::$p\""
    done
done
