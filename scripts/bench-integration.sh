#!/usr/bin/env bash
# Integration benchmark: 24 frames of 4096×4096 (UInt16 FITS), average + winsorized sigma clipping 4/3, no
# normalization; wall time and peak RSS from /usr/bin/time. With SIRIL=1, Siril's `stack … rej w 4 3 -nonorm`
# runs on the same files in the same run, and the ratio is printed.
set -euo pipefail
COUNT=${BENCH_FRAMES:-24}
SIZE=${BENCH_SIZE:-4096}
DIR=${BENCH_DIR:-bench-output/stack}
mkdir -p "$DIR/frames"
DIR=$(cd "$DIR" && pwd)
FRAMES=$DIR/frames
if [ ! -f "$FRAMES/frame_$(printf %04d "$COUNT").fit" ]; then
    echo "writing $COUNT frames of ${SIZE}×${SIZE} to $FRAMES…"
    .build/release/lerar-bench stack-frames "$FRAMES" "$COUNT" "$SIZE"
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
source "$(dirname "$0")/bench-common.sh"
frames=("$FRAMES"/frame_*.fit)
lerar_result=$(bench_measure lerar integrate .build/release/lerar integrate "${frames[@]}" -o "$DIR/lerar_result.fits" --normalization none \
    --rejection winsorized --sigma 4 3 --overwrite)
if [ "${SIRIL:-0}" = 1 ]; then
    command -v siril-cli >/dev/null || { echo "siril-cli not found (make bench-siril installs it)" >&2; exit 1; }
    rm -f "$FRAMES"/siril_* "$FRAMES"/*.seq
    printf 'requires 1.0.0\nlink siril_\nstack siril_ rej w 4 3 -nonorm -out=../siril_result\n' > "$DIR/siril.ssf"
    siril_result=$(bench_measure siril integrate siril-cli -d "$FRAMES" -s "$DIR/siril.ssf")
    read -r ls lk <<< "$lerar_result"
    read -r ss sk <<< "$siril_result"
    printf 'ratio    Siril/Lerar wall %.2f×   peak RSS Lerar/Siril %.2f×\n' "$(echo "$ss / $ls" | bc -l)" "$(echo "$lk / $sk" | bc -l)"
fi
