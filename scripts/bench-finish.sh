#!/usr/bin/env bash
# The finish at SIZE² (default 4096): four linear masters (L, R, G, B: the simulator's sky of each filter with a
# 24-sub stack's noise) through `lerar finish`, REPEATS times, with its time per step and per deconvolution
# iteration; then Siril 1.0.6's equivalents on the same files where it has them (linear_match, rmgreen, asinh, rl,
# savetif; 1.0.6 has no rgbcomp or autostretch command), each timed as its script minus a load-and-save script.
# Writes docs/finish-table.md.
set -euo pipefail
SIZE=${SIZE:-4096}
REPEATS=${REPEATS:-3}
LERAR=${LERAR:-.build/release/lerar}
BENCH=${BENCH:-.build/release/lerar-bench}
OUT=${OUT:-docs/finish-table.md}
ROOT=${BENCH_DIR:-bench-output/finish}
DIR=$ROOT/$SIZE; mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
source "$(dirname "$0")/bench-common.sh"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
[ -f "$DIR/masterLight_B.fits" ] || { echo "writing four ${SIZE}² masters (once; kept in $DIR)" >&2; "$BENCH" finish-masters "$DIR" "$SIZE"; }

: > "$DIR/lerar.times"; : > "$DIR/steps.tsv"
for repeat in $(seq "$REPEATS"); do
    bench_measure lerar "finish ${SIZE}²" "$LERAR" finish "$DIR"/masterLight_{L,R,G,B}.fits -o "$DIR/final" --overwrite >> "$DIR/lerar.times"
    python3 - "$DIR/final/finish.json" >> "$DIR/steps.tsv" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
for step in f["steps"]:
    print("%s\t%.3f" % (step["name"], step["seconds"]))
print("per iteration\t%.4f" % f["deconvolution"]["secondsPerIteration"])
PY
done
lerar_s=$(cut -d' ' -f1 "$DIR/lerar.times" | median); lerar_kb=$(cut -d' ' -f2 "$DIR/lerar.times" | median)
step_median() { awk -F'\t' -v s="$1" '$1 == s { print $2 }' "$DIR/steps.tsv" | median; }

siril_row() { echo "| $1 | — | — |"; }
if command -v siril-cli > /dev/null; then
    work=$DIR/siril; rm -rf "$work"; mkdir -p "$work"
    for f in L R G B; do ln -s "$DIR/masterLight_$f.fits" "$work/$f.fit"; done
    "$LERAR" convert "$DIR/final/RGB_linear.xisf" "$work/rgb.fit" --overwrite > /dev/null
    fwhm=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["psf"]; print((p["fwhmMajor"]*p["fwhmMinor"])**0.5)' "$DIR/final/finish.json")
    sigma=$(echo "$fwhm / 2.3548" | bc -l)
    siril_time() {   # siril_time NAME IMAGE COMMAND: median wall time of load IMAGE, COMMAND, save, REPEATS times
        printf 'requires 1.0.0\nload %s\n%s\nsave out_%s\n' "$2" "$3" "$1" > "$work/$1.ssf"
        for repeat in $(seq "$REPEATS"); do bench_measure siril "$1" siril-cli -d "$work" -s "$work/$1.ssf"; done | cut -d' ' -f1 | median
    }
    base_gray=$(siril_time base_gray L "")
    base_rgb=$(siril_time base_rgb rgb "")
    minus() { echo "$1 - $2" | bc -l | awk '{ printf "%.2f", ($1 < 0 ? 0 : $1) }'; }
    linear_match=$(minus "$(siril_time linear_match R "linear_match G 0 0.92")" "$base_gray")
    rmgreen=$(minus "$(siril_time rmgreen rgb "rmgreen 0")" "$base_rgb")
    asinh=$(minus "$(siril_time asinh rgb "asinh 100")" "$base_rgb")
    rl10=$(siril_time rl10 L "rl $sigma 0 10"); rl30=$(siril_time rl30 L "rl $sigma 0 30")
    rl_per=$(echo "($rl30 - $rl10) / 20" | bc -l | awk '{ printf "%.3f", $1 }')
    rl30_net=$(minus "$rl30" "$base_gray")
    printf 'requires 1.0.0\nload rgb\nsavetif out_tif\n' > "$work/savetif.ssf"
    tif=$(minus "$(for r in $(seq "$REPEATS"); do bench_measure siril savetif siril-cli -d "$work" -s "$work/savetif.ssf"; done | cut -d' ' -f1 | median)" "$(echo "$base_rgb" )")
fi
{
    echo "Four ${SIZE}² masters, $(nproc) cores, median of $REPEATS; \`lerar finish\` $(printf '%.1f' "$lerar_s") s wall, peak RSS $(echo "$lerar_kb / 1024" | bc -l | awk '{ printf "%.0f", $1 }') MB (reading four masters and writing six files included)."
    echo
    echo "| step | Lerar (s) | Siril 1.0.6 equivalent | Siril (s) |"
    echo "|---|---|---|---|"
    echo "| LinearFit (R and B to G) | $(step_median LinearFit) | \`linear_match\` (one channel) | ${linear_match:-—} |"
    echo "| ChannelCombination | $(step_median ChannelCombination) | (no \`rgbcomp\` in 1.0.6) | — |"
    echo "| BackgroundNeutralization | $(step_median BackgroundNeutralization) | (GUI only in 1.0.6) | — |"
    echo "| ColorCalibration | $(step_median ColorCalibration) | (PCC needs a plate solve) | — |"
    echo "| SCNR | $(step_median SCNR) | \`rmgreen 0\` | ${rmgreen:-—} |"
    echo "| PSF (Moffat, LN reference or master) | $(step_median PSF) | (Siril 1.0.6 \`rl\` takes a Gaussian σ) | — |"
    echo "| Deconvolution, 30 iterations | $(step_median Deconvolution) | \`rl σ 0 30\` | ${rl30_net:-—} |"
    echo "| — per iteration | $(step_median 'per iteration') | \`rl\` (30 − 10 iterations) / 20 | ${rl_per:-—} |"
    echo "| Stretch RGB (STF) | $(step_median 'Stretch RGB') | \`asinh 100\` | ${asinh:-—} |"
    echo "| Stretch L | $(step_median 'Stretch L') | | |"
    echo "| LRGBCombination | $(step_median LRGBCombination) | (no \`rgbcomp -lum\` in 1.0.6) | — |"
    echo "| 16-bit TIFF | (in the wall time) | \`savetif\` | ${tif:-—} |"
} > "$OUT"
echo "wrote $OUT" >&2
cat "$OUT"
