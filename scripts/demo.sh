#!/usr/bin/env bash
# `make demo`: simulates a small mono LRGB session (1024×1024, 10 lights per filter with one cloudy and one
# starless sub each, bias, darks, flats, dark-flats, the usual sensor defects), runs the whole pipeline on it with
# `lerar run` (which also finishes the LRGB image into run/final/), scores every stack against the simulator's truth
# with `lerar verify`, and takes a screenshot of the HTML report with headless Chromium.
set -euo pipefail
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-demo-output}
rm -rf "$OUT"
mkdir -p "$OUT"
"$LERAR" simulate --out "$OUT/session" --size 1024 1024 --lights 10 --filters L,R,G,B --cloudy --starless --seed 1
echo
"$LERAR" run "$OUT/session" -o "$OUT/run"
echo
echo "Scoring the stacks against the truth (thresholds: star RMS < 0.1 px, flatness < 1 %, trail residue < 2 σ):"
status=0
for stack in "$OUT"/run/master/masterLight_*_autocrop.xisf; do
    "$LERAR" verify "$stack" --truth "$OUT/session/truth"
    "$LERAR" verify "$stack" --truth "$OUT/session/truth" --json > "${stack%.xisf}.verify.json"
    python3 - "${stack%.xisf}.verify.json" <<'PY' || status=1
import json, sys
r = json.load(open(sys.argv[1]))
checks = [("star RMS", r.get("starRMS"), 0.1), ("flatness", r.get("flatnessPercent"), 1.0), ("trail residue", r.get("trailResidueSigma") or 0, 2.0)]
bad = [f"{name} {value} over {limit}" for name, value, limit in checks if value is None or value >= limit]
print("  verdict: " + ("PASS" if not bad else "FAIL: " + ", ".join(bad)))
sys.exit(1 if bad else 0)
PY
done
report="$OUT/run/report/index.html"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -n "$browser" ]; then
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3000 \
        --user-data-dir="$(mktemp -d)" --screenshot="$OUT/report.png" "file://$(cd "$(dirname "$report")" && pwd)/index.html" > /dev/null 2>&1 \
        && echo "screenshot of the report: $OUT/report.png"
else
    echo "(no headless Chromium for the screenshot: apt-get install chromium)"
fi
echo
[ -f "$OUT/run/final/LRGB.png" ] && echo "final image: $OUT/run/final/LRGB.png (16-bit TIFF and XISF beside it)" || { echo "no final image in $OUT/run/final"; status=1; }
echo "report: $report"
exit $status
