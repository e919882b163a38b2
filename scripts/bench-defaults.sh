#!/usr/bin/env bash
# The measurements behind the integration defaults (docs/defaults.md): for each SIZE:LIGHTS in CASES, the hard
# session of bench-scaling.sh (seeing 2.2–4.5 px, transparency 0.6–1, a meridian flip, rotation, gradients, two
# satellite trails, a large faint galaxy) stacked by `lerar run` with each frame weighting and each pixel rejection
# for the LN-normalized frames, every master scored by `lerar verify` against the simulator's truth. One output
# folder per session with --keep-intermediates, so a changed setting recomputes only the LN reference, the fits
# and the integration. Writes docs/defaults-table.md.
set -euo pipefail
CASES=${CASES:-"2048:12 2048:24 2048:48 2048:96"}
CHOICES=${CHOICES:-"psf-snr:auto noise:auto psf-signal:auto psf-snr:winsorized psf-snr:linear-fit psf-snr:esd psf-snr:sigma"}
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-docs/defaults-table.md}
ROOT=${BENCH_DIR:-bench-output/scaling}
source "$(dirname "$0")/bench-common.sh"
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2]) if d.get(sys.argv[2]) is not None else 'nan')" "$@"; }
{
    echo "| lights | weights | rejection (resolved) | stack noise (×1e-5) | truth stars recovered | median FWHM (px) | trail residue (σ) | flatness (% of sky) | galaxy flux | integrate (s) |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
for case in $CASES; do
    hard_session "$case"
    work=$DIR/defaults; rm -rf "$work"; mkdir -p "$work"
    for choice in $CHOICES; do
        weights=${choice%%:*}; rejection=${choice##*:}
        printf 'integration:\n  weights: %s\n  rejection: %s\n' "$weights" "$rejection" > "$work/config.yaml"
        "$LERAR" run "$session" -o "$work/run" --config "$work/config.yaml" --keep-intermediates --json > "$work/run.json" 2> "$work/run.err" \
            || { tail -20 "$work/run.err" >&2; exit 1; }
        master=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stacks'][0]['master'])" "$work/run.json")
        log=$(ls -t "$work"/run/logs/run-*.log | head -1)
        resolved=$(grep -h '^.* stack .*rejection' "$log" | tail -1 | grep -o 'rejection [a-z-]*' | sed 's/rejection //')
        seconds=$(python3 -c "import json,sys; print(next(s['seconds'] for s in json.load(open(sys.argv[1]))['stages'] if s['stage'] == 'integrate'))" "$work/run.json")
        "$LERAR" verify "$master" --truth "$session/truth" --json > "$work/verify.json" 2> /dev/null
        v=$work/verify.json
        printf '| %s | %s | %s%s | %.2f | %s / %s | %.2f | %.2f | %.3f | %.3f | %.1f |\n' "$lights" "$weights" "$rejection" \
            "${resolved:+ ($resolved)}" "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['backgroundNoise'] * 1e5)" "$v")" \
            "$(json_field "$v" recoveredStars)" "$(json_field "$v" truthStarsInField)" "$(json_field "$v" medianFWHM)" \
            "$(json_field "$v" trailResidueSigma)" "$(json_field "$v" flatnessPercent)" "$(json_field "$v" extendedObjectFluxRatio)" \
            "$seconds" | tee -a "$OUT.tmp" >&2
    done
    rm -rf "$work/run"
done
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT" >&2
cat "$OUT"
