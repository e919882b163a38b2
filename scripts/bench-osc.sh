#!/usr/bin/env bash
# One-shot-colour benchmark: a simulated OSC session (SIZE² px RGGB, LIGHTS lights, 20 bias, 15 darks, 15 flats,
# 15 dark-flats) through `lerar run` (calibration and cosmetic correction on the mosaic, VNG debayer, registration,
# LN, integration into an RGB master; the finish is off, as Siril's script has none — `make bench-finish` times it);
# with SIRIL=1, Siril's OSC script (masters, `preprocess … -cfa -equalize_cfa
# -debayer`, `register`, `stack`) on the same files in the same run, and the ratios.
set -euo pipefail
SIZE=${SIZE:-2048}
LIGHTS=${LIGHTS:-24}
DIR=${BENCH_DIR:-bench-output/osc-$SIZE-$LIGHTS}
LERAR=${LERAR:-.build/release/lerar}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SESSION=$DIR/session
source "$(dirname "$0")/bench-common.sh"
simulate_once "$SESSION" "$SIZE" "$LIGHTS" --osc
rm -rf "$DIR/lerar"
printf 'finish:\n  mode: off\n' > "$DIR/no-finish.yaml"
lerar_result=$(bench_measure lerar osc-pipeline "$LERAR" run "$SESSION" -o "$DIR/lerar" --config "$DIR/no-finish.yaml")
"$LERAR" verify "$DIR"/lerar/master/masterLight_*_autocrop.xisf --truth "$SESSION/truth" | sed 's/^/  /' >&2
# Drizzle ×2 (Bayer drizzle from the calibrated mosaics) as a second run: its cost per frame, from the log.
printf 'integration:\n  drizzle: 2\nfinish:\n  mode: off\n' > "$DIR/drizzle.yaml"
rm -rf "$DIR/lerar-drizzle"
bench_measure lerar osc-pipeline+drizzle "$LERAR" run "$SESSION" -o "$DIR/lerar-drizzle" --config "$DIR/drizzle.yaml" > /dev/null
grep -ho "drizzled ×[^→]*" "$DIR"/lerar-drizzle/logs/run-*.log | sed 's/^/  /' >&2
if [ "${SIRIL:-0}" = 1 ]; then
    work=$DIR/siril
    siril_session "$SESSION" "$work" "-cfa -equalize_cfa -debayer"
    siril_result=$(bench_measure siril osc-pipeline siril-cli -d "$work" -s "$work/pipeline.ssf")
    "$LERAR" verify "$work"/result.fit --truth "$SESSION/truth" | sed 's/^/  /' >&2
    read -r ls lk <<< "$lerar_result"; read -r ss sk <<< "$siril_result"
    printf 'ratio  OSC pipeline Siril/Lerar wall %.2f×   peak RSS Lerar/Siril %.2f×\n' "$(echo "$ss / $ls" | bc -l)" "$(echo "$lk / $sk" | bc -l)"
fi
