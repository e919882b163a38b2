#!/usr/bin/env bash
# Whole-pipeline benchmark: a simulated session (SIZE² px, LIGHTS lights of one filter, 20 bias, 15 darks,
# 15 flats, 15 dark-flats) through `lerar run` (defaults: masters, calibration with cosmetic correction, measure,
# register, LN reference and Local Normalization, integration, autocrop, report); with SIRIL=1, Siril's
# equivalent script (bias/dark/flat masters, calibration with cosmetic correction from the dark, global star
# registration, stack with rejection) on the same files in the same run, and the ratios.
set -euo pipefail
SIZE=${SIZE:-2048}
LIGHTS=${LIGHTS:-24}
DIR=${BENCH_DIR:-bench-output/pipeline-$SIZE-$LIGHTS}
LERAR=${LERAR:-.build/release/lerar}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SESSION=$DIR/session
source "$(dirname "$0")/bench-common.sh"
simulate_once "$SESSION" "$SIZE" "$LIGHTS" --filters L
rm -rf "$DIR/lerar"
lerar_result=$(bench_measure lerar pipeline "$LERAR" run "$SESSION" -o "$DIR/lerar")
"$LERAR" verify "$DIR"/lerar/master/masterLight_*_autocrop.xisf --truth "$SESSION/truth" | sed 's/^/  /' >&2
if [ "${SIRIL:-0}" = 1 ]; then
    # Siril works on sequences in folders of its own: the same files, linked with the extension it expects.
    work=$DIR/siril
    siril_session "$SESSION" "$work" ""
    siril_result=$(bench_measure siril pipeline siril-cli -d "$work" -s "$work/pipeline.ssf")
    "$LERAR" verify "$work"/result.fit --truth "$SESSION/truth" --filter L | sed 's/^/  /' >&2
    read -r ls lk <<< "$lerar_result"; read -r ss sk <<< "$siril_result"
    printf 'ratio  pipeline Siril/Lerar wall %.2f×   peak RSS Lerar/Siril %.2f×\n' "$(echo "$ss / $ls" | bc -l)" "$(echo "$lk / $sk" | bc -l)"
fi
