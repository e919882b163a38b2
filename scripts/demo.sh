#!/usr/bin/env bash
# `make demo`: writes a small synthetic light in FITS and XISF (compressed) and shows what `lerar info` sees.
set -euo pipefail
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-demo-output}
mkdir -p "$OUT"
"$LERAR" test-pattern "$OUT/light.fits" --size 1024 --overwrite
"$LERAR" convert "$OUT/light.fits" "$OUT/light.xisf" --compression zstd+sh --checksum sha1 --overwrite
"$LERAR" convert "$OUT/light.xisf" "$OUT/light_f32.fits" --sample-format float32 --overwrite
"$LERAR" info "$OUT/light.fits" "$OUT/light.xisf" "$OUT/light_f32.fits"
"$LERAR" info --json "$OUT/light.xisf" > "$OUT/info.json"
echo "demo files and info.json written to $OUT/"
