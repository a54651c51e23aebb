#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test: the unit
# tests, and the integration tests that start real ftnetd engines in network
# namespaces. Extra arguments go to `meson test` (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Leftovers of crashed earlier runs never collide with this run (names are
# unique per run), but remove them so they do not pile up.
scripts/topology.sh sweep
exec meson test -C build --print-errorlogs --num-processes 1 "$@"
