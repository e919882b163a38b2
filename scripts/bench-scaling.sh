#!/usr/bin/env bash
# How cost grows: for each SIZE:LIGHTS in CASES, a session as hard as real ones (seeing 2.2–4.5 px, transparency
# 0.6–1, 120 s subs, a meridian flip, rotation, gradients, two satellite trails, a large faint galaxy) run through
# `lerar run` and Siril's standard script on the same files, REPEATS times each; writes docs/performance.md's
# measured table (median wall time and peak RSS of the repeats, the ratio, Lerar's time per stage).
set -euo pipefail
CASES=${CASES:-"2048:24 2048:48 2048:96 4096:24"}
REPEATS=${REPEATS:-3}
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-docs/performance-table.md}
ROOT=${BENCH_DIR:-bench-output/scaling}
command -v siril-cli > /dev/null || { echo "siril-cli is needed (make bench-siril installs it)" >&2; exit 1; }
source "$(dirname "$0")/bench-common.sh"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
walls() { cut -d' ' -f1 "$1" | xargs printf '%.1f, ' | sed 's/, $//'; }   # a .times file's wall times, listed
{
    echo "| frames × size | Lerar wall (s) | Siril wall (s) | Lerar/Siril | Lerar peak RSS (MB) | Siril peak RSS (MB) | Lerar stages (s) | Siril stages (s) |"
    echo "|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
for case in $CASES; do
    hard_session "$case"
    : > "$DIR/lerar.times"; : > "$DIR/siril.times"
    for repeat in $(seq "$REPEATS"); do
        rm -rf "$DIR/lerar"
        bench_measure lerar "$size-$lights" "$LERAR" run "$session" -o "$DIR/lerar" >> "$DIR/lerar.times"
        grep -ho 'time per stage: .*' "$DIR"/lerar/logs/run-*.log | tail -1 | sed 's/time per stage: //' > "$DIR/lerar.stages"
        siril_session "$session" "$DIR/siril" ""   # afresh: Siril's links and sequences of the last repeat would be read again
        bench_measure siril "$size-$lights" siril-cli -d "$DIR/siril" -s "$DIR/siril/pipeline.ssf" >> "$DIR/siril.times"
        siril_stages "$DIR/.siril.log" > "$DIR/siril.stages"
    done
    ls=$(cut -d' ' -f1 "$DIR/lerar.times" | median); lk=$(cut -d' ' -f2 "$DIR/lerar.times" | median)
    ss=$(cut -d' ' -f1 "$DIR/siril.times" | median); sk=$(cut -d' ' -f2 "$DIR/siril.times" | median)
    stages=$(cat "$DIR/lerar.stages"); siril_stages=$(cat "$DIR/siril.stages")
    # The medians, with every repeat beside them when there are several (the spread is the machine's noise).
    repeats=""
    if [ "$REPEATS" -gt 1 ]; then
        repeats=" (repeats $(walls "$DIR/lerar.times") / Siril $(walls "$DIR/siril.times"))"
    fi
    printf '| %s × %s²%s | %.1f | %.1f | %.2f× | %.0f | %.0f | %s | %s |\n' "$lights" "$size" "$repeats" "$ls" "$ss" "$(echo "$ls / $ss" | bc -l)" \
        "$(echo "$lk / 1024" | bc -l)" "$(echo "$sk / 1024" | bc -l)" "$stages" "$siril_stages" >> "$OUT.tmp"
done
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT" >&2
cat "$OUT"
