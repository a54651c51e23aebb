#!/usr/bin/env bash
# The lab's N-node configs: scripts/lab-config.sh gives exactly the
# committed two-node configs for N = 2, a config ftnetd accepts for every
# node of larger clusters and of two routed sites, and a clear refusal for
# counts out of range.
# usage: lab_config_test.sh SOURCE_ROOT FTNETD
set -euo pipefail
SRC=$1
FTNETD=$2
GEN="$SRC/scripts/lab-config.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

for k in 1 2; do
    if ! diff -u "$SRC/config/lab/node$k.toml" <("$GEN" 2 "$k") >"$TMP/diff"; then
        echo "FAIL: lab-config.sh 2 $k differs from config/lab/node$k.toml:"
        cat "$TMP/diff"
        fail=1
    fi
done

for n in 3 16 64; do
    for k in 1 $((n / 2)) "$n"; do
        "$GEN" "$n" "$k" >"$TMP/c.toml"
        if ! out=$("$FTNETD" --check-config "$TMP/c.toml" 2>&1); then
            echo "FAIL: node $k of $n: ftnetd --check-config refused it: $out"
            fail=1
        fi
        peers=$(grep -c '^\[\[peer\]\]' "$TMP/c.toml")
        if [ "$peers" != $((n - 1)) ]; then
            echo "FAIL: node $k of $n has $peers peers, not $((n - 1))"
            fail=1
        fi
        if grep -q "^id = $k\$" "$TMP/c.toml" && [ "$(grep -c "^id = $k\$" "$TMP/c.toml")" = 1 ]; then :; else
            echo "FAIL: node $k of $n: its own id is not there exactly once"
            fail=1
        fi
    done
done

# Two routed sites: every node's config is accepted; a node of site B has
# site B's addresses and gateways, and every network lists both subnets.
for n in 2 5 16; do
    for k in 1 "$n"; do
        "$GEN" "$n" "$k" 2 >"$TMP/c.toml"
        if ! out=$("$FTNETD" --check-config "$TMP/c.toml" 2>&1); then
            echo "FAIL: node $k of $n on two sites: ftnetd --check-config refused it: $out"
            fail=1
        fi
        site=198.18
        ((k > (n + 1) / 2)) && site=198.19
        if ! grep -q "^gateway4 = \"$site.2.254\"\$" "$TMP/c.toml" || ! grep -q "^ipv4 = \"$site.2.$k/24\"\$" "$TMP/c.toml"; then
            echo "FAIL: node $k of $n on two sites: not on site $site with its gateway"
            fail=1
        fi
        if [ "$(grep -c '^subnets = \["198.18.[0-9].0/24", "198.19.[0-9].0/24", "fd00:[0-9]::/64", "fd01:[0-9]::/64"\]$' "$TMP/c.toml")" != 3 ]; then
            echo "FAIL: node $k of $n on two sites: a network without both sites' subnets"
            fail=1
        fi
    done
done
if "$GEN" 3 1 3 >/dev/null 2>"$TMP/err" || ! grep -q "SITES is 1 or 2" "$TMP/err"; then
    echo "FAIL: lab-config.sh 3 1 3 was not refused clearly"
    fail=1
fi

for bad in "1 1" "65 1" "3 4" "3 0" "x 1"; do
    if "$GEN" $bad >/dev/null 2>"$TMP/err"; then
        echo "FAIL: lab-config.sh $bad was accepted"
        fail=1
    elif ! grep -q "need 2 <= N <= 64" "$TMP/err"; then
        echo "FAIL: lab-config.sh $bad: no clear reason: $(cat "$TMP/err")"
        fail=1
    fi
done

[ $fail = 0 ] && echo "lab configs: ok"
exit $fail
