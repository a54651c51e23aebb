#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test: the unit
# tests, the integration tests that start real ftnetd engines in network
# namespaces, and a short run of every fuzz target over its committed seeds
# (scripts/fuzz.sh, 5 s each: a smoke check that keeps the whole command under
# 30 minutes here; campaigns: scripts/fuzz.sh --seconds N).
# Extra arguments go to `meson test` (e.g. --suite unit) and skip the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Leftovers of crashed earlier runs never collide with this run (names are
# unique per run), but remove them so they do not pile up.
scripts/topology.sh sweep
if [ $# -gt 0 ]; then
    exec meson test -C build --print-errorlogs --num-processes 1 "$@"
fi
status=0
meson test -C build --print-errorlogs --num-processes 1 || status=$?
scripts/fuzz.sh --seconds 5 || status=1
exit $status
