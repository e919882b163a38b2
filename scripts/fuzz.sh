#!/usr/bin/env bash
# `make fuzz`: builds lerar-fuzz with libFuzzer and AddressSanitizer and fuzzes each reader for a set time.
# Usage: scripts/fuzz.sh [SECONDS per target, default 300] [TARGET...]
# Each target starts from its seed corpus (Fuzz/corpus/<target>, kept as it is) plus what earlier runs found
# (.build-fuzz/corpus/<target>); an input that crashes is written to Fuzz/crashes/<target>/, which the test suite
# replays (FuzzCorpusTests), so commit it together with the fix. Prints executions and crashes per target.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-300}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fits-header fits-fz xisf-header xisf-blocks)
JOBS=$(nproc)

swift build -c release --build-path .build-fuzz --product lerar-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLERAR_LIBFUZZER 2>&1 | grep -v "Cannot export" | tail -1
BINARY=$(swift build -c release --build-path .build-fuzz --show-bin-path)/lerar-fuzz

status=0
printf '%-12s %12s %10s %8s\n' target executions exec/s crashes
for target in "${TARGETS[@]}"; do
    work=.build-fuzz/corpus/$target crashes=Fuzz/crashes/$target logs=.build-fuzz/logs/$target
    mkdir -p "$work" "$crashes" "$logs"
    before=$(ls "$crashes")
    # Parallel workers share the working corpus; each writes its own log (fuzz-N.log).
    root=$PWD
    # allocator_may_return_null: an impossible allocation returns NULL as it does without the sanitizer (cfitsio
    # then reports a memory error), instead of counting as a crash; -rss_limit_mb still catches real blow-ups.
    export ASAN_OPTIONS=allocator_may_return_null=1
    (cd "$logs" && rm -f fuzz-*.log && LERAR_FUZZ_TARGET=$target "$BINARY" "$root/$work" "$root/Fuzz/corpus/$target" \
        -jobs="$JOBS" -workers="$JOBS" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$root/$crashes/" -print_final_stats=1 >/dev/null 2>&1) || true
    executions=$(cat "$logs"/fuzz-*.log 2>/dev/null | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {print s + 0}')
    new=$(comm -13 <(echo "$before") <(ls "$crashes"))
    found=$(echo -n "$new" | grep -c . || true)
    [ "$executions" -gt 0 ] || { echo "$target: the fuzzer did not run (see $logs)" >&2; status=1; }
    printf '%-12s %12d %10d %8d\n' "$target" "$executions" $((executions / SECONDS_PER_TARGET)) "$found"
    if [ "$found" -gt 0 ]; then
        status=1
        echo "$new" | sed "s|^|  new crash input: $crashes/|"
    fi
done
exit $status
