#!/usr/bin/env bash
# Per-frame stage timings on one 4096×4096 frame of the integration benchmark, in process (no file I/O):
# star analysis, Lanczos-3 resampling, Local Normalization (background models, star photometry, surfaces), and
# debayering the frame taken as an RGGB mosaic (VNG, bilinear, super-pixel).
set -euo pipefail
FRAME=${BENCH_DIR:-bench-output/stack}/frames/frame_0002.fit
[ -f "$FRAME" ] || { echo "run scripts/bench-integration.sh first (it writes the frames)" >&2; exit 1; }
for stage in analyze resample ln drizzle debayer-vng debayer-bilinear debayer-superpixel; do .build/release/lerar-bench stage "$stage" "$FRAME" "${BENCH_REPEATS:-5}"; done
