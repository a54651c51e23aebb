#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, replays every regression
# input (tests/fuzz/regressions/TARGET: inputs that once crashed), then
# fuzzes each target for SECONDS from the committed seeds
# (tests/fuzz/corpus/TARGET; new inputs go to build-fuzz/corpus, never into
# the repository). A crash is copied to tests/fuzz/regressions/TARGET, named
# by its hash, so that it is replayed by every later run once committed; the
# script then fails.
#
#   scripts/fuzz.sh                 # 10 s per target (part of scripts/test.sh)
#   scripts/fuzz.sh --seconds 3600  # a campaign: an hour per target
#   scripts/fuzz.sh --seconds 600 --jobs 2 physical_input
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
jobs=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(physical_input hello neighbor mgmt config dhcp resources policy)

if ! command -v clang++ >/dev/null; then
    echo "fuzz.sh: clang++ is missing (scripts/setup.sh installs it)" >&2
    exit 1
fi
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang CXX=clang++ meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=true -Dtests=false -Dbench=false \
        -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-fuzz $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
status=0
for t in "${targets[@]}"; do
    bin=build-fuzz/tests/fuzz/fuzz_$t
    seeds=tests/fuzz/corpus/$t
    regressions=tests/fuzz/regressions/$t
    work=build-fuzz/corpus/$t
    crashes=build-fuzz/crashes/$t
    mkdir -p "$work" "$crashes"
    if compgen -G "$regressions/*" >/dev/null; then
        echo "fuzz.sh: $t: replaying $(ls "$regressions" | wc -l) regression input(s)"
        "$bin" -runs=0 "$regressions"/* >"$crashes/replay.log" 2>&1 || {
            tail -40 "$crashes/replay.log"
            echo "fuzz.sh: $t: a regression input fails again" >&2
            status=1
            continue
        }
    fi
    echo "fuzz.sh: $t: fuzzing for ${seconds}s from $(ls "$seeds" | wc -l) seed(s)"
    parallel=()
    [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
    if ! "$bin" "$work" "$seeds" -max_total_time="$seconds" "${parallel[@]}" -rss_limit_mb=4096 \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$crashes/fuzz.log" 2>&1; then
        tail -40 "$crashes/fuzz.log"
        mkdir -p "$regressions"
        for c in "$crashes"/crash-* "$crashes"/leak-* "$crashes"/timeout-* "$crashes"/oom-*; do
            [ -f "$c" ] || continue
            cp "$c" "$regressions/$(basename "$c")"
            echo "fuzz.sh: $t: kept $regressions/$(basename "$c"): commit it with the fix" >&2
        done
        status=1
        continue
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$crashes/fuzz.log" | tr '\n' ' ' | sed "s/^/fuzz.sh: $t: /"
    echo
done
exit $status
