#!/usr/bin/env bash
# Registration benchmark: the integration benchmark's 24 frames of 4096×4096 registered to the first one
# (star detection, matching, Lanczos-3 resampling, writing); with SIRIL=1, Siril's `register` (global star
# alignment) on the same files in the same run, and the ratio.
set -euo pipefail
DIR=${BENCH_DIR:-bench-output/stack}
FRAMES=$DIR/frames
[ -d "$FRAMES" ] || { echo "run scripts/bench-integration.sh first (it writes the frames)" >&2; exit 1; }
DIR=$(cd "$DIR" && pwd); FRAMES=$DIR/frames
source "$(dirname "$0")/bench-common.sh"
frames=("$FRAMES"/frame_*.fit)
rm -rf "$DIR/registered"
lerar_result=$(bench_measure lerar register .build/release/lerar register "${frames[@]}" -o "$DIR/registered" --reference "${frames[0]}" --overwrite)
if [ "${SIRIL:-0}" = 1 ]; then
    rm -f "$FRAMES"/siril_* "$FRAMES"/r_siril_* "$FRAMES"/*.seq
    printf 'requires 1.0.0\nlink siril_\nregister siril_\n' > "$DIR/siril-register.ssf"
    siril_result=$(bench_measure siril register siril-cli -d "$FRAMES" -s "$DIR/siril-register.ssf")
    rm -f "$FRAMES"/r_siril_*
    read -r ls lk <<< "$lerar_result"; read -r ss sk <<< "$siril_result"
    printf 'ratio    register Siril/Lerar wall %.2f×   peak RSS Lerar/Siril %.2f×\n' "$(echo "$ss / $ls" | bc -l)" "$(echo "$lk / $sk" | bc -l)"
fi
