#!/usr/bin/env bash
# Installs every dependency of ftnet with apt-get and builds it into build/.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Needs root (apt-get, and later network namespaces and DPDK).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    # build
    build-essential g++ meson ninja-build pkg-config git
    clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
    # the product's core
    libdpdk-dev dpdk-dev dpdk libnuma-dev libhyperscan-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    # well-kept libraries instead of hand-written code
    libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libssl-dev
    libipsec-mb-dev  # AES-GCM per packet (issue 9: chosen against OpenSSL by bench/aead_bench)
    libldns-dev      # DNS update messages and TSIG (engine/dns)
    # the lab and the integration tests: real clients, captures, faults
    iproute2 ethtool iputils-ping iperf3 tcpdump tshark nftables procps python3
    dnsmasq-base bind9 bind9-dnsutils  # a real DHCP server and a real DNS server for the resources tests
    systemd man-db util-linux  # systemd-analyze verify of the units, man -l of the pages, setpriv (read-only clients)
)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (it installs packages with apt-get)" >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; the answer does not matter here.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    for attempt in 1 2 3; do
        if apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; then break; fi
        [ "$attempt" = 3 ] && { echo "setup.sh: apt-get failed" >&2; exit 1; }
        sleep 5
    done
fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release
fi
ninja -C build
