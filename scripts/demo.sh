#!/usr/bin/env bash
# `make demo`: simulates a small session (1024×1024, a dozen lights with darks, flats, bias and dark-flats),
# shows what was written, inspects one light and scores it against the truth.
set -euo pipefail
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-demo-output}
rm -rf "$OUT/session"
mkdir -p "$OUT"
"$LERAR" simulate --out "$OUT/session" --size 1024 1024 --lights 12 --filters L --seed 1
echo
"$LERAR" link "$OUT/session" --html "$OUT/links.html"
first_light=$(ls "$OUT"/session/lights/L/*.fits | head -1)
echo
"$LERAR" info "$first_light"
"$LERAR" convert "$first_light" "$OUT/light.xisf" --compression zstd+sh --checksum sha1 --overwrite
echo
echo "Scoring the raw light against the truth (a stack will score far better once the pipeline exists):"
"$LERAR" verify "$first_light" --truth "$OUT/session/truth"
"$LERAR" verify "$first_light" --truth "$OUT/session/truth" --json > "$OUT/verify.json"
echo
echo "demo output in $OUT/ (session/, links.html, light.xisf, verify.json)"
