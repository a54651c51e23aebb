#!/bin/bash
# Prepares a production host for ftnetd, from its config, and undoes it:
#   - reserves hugepages for eal.memory_mb (plus a margin) with
#     dpdk-hugepages.py and mounts hugetlbfs;
#   - loads vfio-pci and binds every [[port]] with driver = "pci" to it with
#     dpdk-devbind.py, remembering each NIC's kernel driver;
#   - --undo binds the NICs back to the drivers they had and frees the pages.
#
#   scripts/host-setup.sh [--config /etc/ftnet/ftnet.toml] [--undo] [--dry-run]
#
# Installed as ftnet-host-setup (ftnet-host-setup.service runs it before
# ftnetd). Exit status: 0 done, 1 a step failed (named), 2 usage or config.
set -euo pipefail

config=/etc/ftnet/ftnet.toml
undo=0
dry=0
state_dir=${FTNET_STATE_DIR:-/var/lib/ftnet}
while [ $# -gt 0 ]; do
    case "$1" in
        --config) config=$2; shift 2 ;;
        --undo) undo=1; shift ;;
        --dry-run) dry=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "host-setup: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -r "$config" ] || { echo "host-setup: cannot read $config" >&2; exit 2; }

# What the config asks for: "memory_mb no_huge" then one PCI address per line.
plan=$(python3 - "$config" <<'PY'
import sys, tomllib
try:
    with open(sys.argv[1], "rb") as f:
        c = tomllib.load(f)
except Exception as e:
    print(f"host-setup: {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(2)
eal = c.get("eal", {})
print(eal.get("memory_mb", 512), 1 if eal.get("no_huge", False) else 0)
for p in c.get("port", []):
    if p.get("driver") == "pci" and p.get("pci"):
        print(p["pci"])
PY
) || exit 2
read -r memory_mb no_huge <<<"$(head -n1 <<<"$plan")"
mapfile -t nics < <(tail -n +2 <<<"$plan")
state="$state_dir/host-setup.drivers"

run() {
    echo "+ $*"
    [ "$dry" = 1 ] || "$@" || { echo "host-setup: failed: $*" >&2; exit 1; }
}

# The kernel driver a NIC is bound to now ("" when none).
driver_of() {
    local link="/sys/bus/pci/devices/$1/driver"
    [ -e "$link" ] && basename "$(readlink -f "$link")" || true
}

if [ "$undo" = 0 ]; then
    if [ "$no_huge" = 0 ]; then
        # Pages for the EAL's memory and a quarter more for DPDK's own use.
        run dpdk-hugepages.py --pagesize 2M --setup "$(( memory_mb + memory_mb / 4 ))M"
    fi
    if [ ${#nics[@]} -gt 0 ]; then
        run modprobe vfio-pci
        [ "$dry" = 1 ] || mkdir -p "$state_dir"
        for nic in "${nics[@]}"; do
            [ -e "/sys/bus/pci/devices/$nic" ] || [ "$dry" = 1 ] || { echo "host-setup: no PCI device $nic (port.pci in $config)" >&2; exit 1; }
            was=$(driver_of "$nic")
            if [ "$was" = vfio-pci ]; then
                echo "$nic is already bound to vfio-pci"
                continue
            fi
            [ "$dry" = 1 ] || echo "$nic $was" >>"$state"
            run dpdk-devbind.py --bind vfio-pci "$nic"
        done
    fi
    echo "host-setup: ready for ftnetd (${#nics[@]} NIC(s) on vfio-pci, $( [ "$no_huge" = 0 ] && echo "hugepages for $memory_mb MB" || echo "no hugepages: eal.no_huge"))"
else
    if [ -r "$state" ]; then
        while read -r nic was; do
            if [ -n "$was" ] && [ "$was" != vfio-pci ]; then
                run dpdk-devbind.py --bind "$was" "$nic"
            else
                run dpdk-devbind.py --unbind "$nic"
            fi
        done <"$state"
        [ "$dry" = 1 ] || rm -f "$state"
    else
        echo "host-setup: no NIC was bound by host-setup ($state absent)"
    fi
    [ "$no_huge" = 1 ] || run dpdk-hugepages.py --clear
    echo "host-setup: undone"
fi
