#!/usr/bin/env bash
# One-shot-colour benchmark: a simulated OSC session (SIZE² px RGGB, LIGHTS lights, 20 bias, 15 darks, 15 flats,
# 15 dark-flats) through `lerar run` (calibration and cosmetic correction on the mosaic, VNG debayer, registration,
# LN, integration into an RGB master); with SIRIL=1, Siril's OSC script (masters, `preprocess … -cfa -equalize_cfa
# -debayer`, `register`, `stack`) on the same files in the same run, and the ratios.
set -euo pipefail
SIZE=${SIZE:-2048}
LIGHTS=${LIGHTS:-24}
DIR=${BENCH_DIR:-bench-output/osc-$SIZE-$LIGHTS}
LERAR=${LERAR:-.build/release/lerar}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SESSION=$DIR/session
if [ ! -f "$SESSION/truth/session.json" ]; then
    echo "simulating $LIGHTS OSC lights of ${SIZE}×${SIZE} px (once; kept in $SESSION)" >&2
    "$LERAR" simulate --out "$SESSION" --size "$SIZE" "$SIZE" --lights "$LIGHTS" --osc --seed 1 --overwrite > /dev/null
fi
source "$(dirname "$0")/bench-common.sh"
rm -rf "$DIR/lerar"
lerar_result=$(bench_measure lerar osc-pipeline "$LERAR" run "$SESSION" -o "$DIR/lerar")
"$LERAR" verify "$DIR"/lerar/master/masterLight_*_autocrop.xisf --truth "$SESSION/truth" | sed 's/^/  /' >&2
grep -E "^ *(calibrate|debayer|measure|register|normalize|integrate)" "$DIR"/lerar/logs/run-*.log 2>/dev/null | tail -8 | sed 's/^/  /' >&2 || true
if [ "${SIRIL:-0}" = 1 ]; then
    work=$DIR/siril
    rm -rf "$work"
    for kind in bias darks flats lights; do mkdir -p "$work/$kind"; done
    i=0; for f in "$SESSION"/bias/*.fits; do i=$((i + 1)); ln -s "$f" "$work/bias/src_$(printf %05d $i).fit"; done
    i=0; for f in "$SESSION"/darks/DARK_300*.fits; do i=$((i + 1)); ln -s "$f" "$work/darks/src_$(printf %05d $i).fit"; done
    i=0; for f in "$SESSION"/flats/*.fits "$SESSION"/flats/*/*.fits; do [ -f "$f" ] || continue; i=$((i + 1)); ln -s "$f" "$work/flats/src_$(printf %05d $i).fit"; done
    i=0; for f in "$SESSION"/lights/*.fits "$SESSION"/lights/*/*.fits; do [ -f "$f" ] || continue; i=$((i + 1)); ln -s "$f" "$work/lights/src_$(printf %05d $i).fit"; done
    cat > "$work/osc.ssf" <<'SSF'
requires 1.0.0
cd bias
link bias_
stack bias_ rej 3 3 -nonorm -out=../master_bias
cd ../darks
link dark_
stack dark_ rej 3 3 -nonorm -out=../master_dark
cd ../flats
link flat_
preprocess flat_ -bias=../master_bias
stack pp_flat_ rej 3 3 -norm=mul -out=../master_flat
cd ../lights
link light_
preprocess light_ -dark=../master_dark -flat=../master_flat -cc=dark -cfa -equalize_cfa -debayer
register pp_light_
stack r_pp_light_ rej 3 3 -norm=addscale -output_norm -out=../result
SSF
    siril_result=$(bench_measure siril osc-pipeline siril-cli -d "$work" -s "$work/osc.ssf")
    "$LERAR" verify "$work"/result.fit --truth "$SESSION/truth" | sed 's/^/  /' >&2
    read -r ls lk <<< "$lerar_result"; read -r ss sk <<< "$siril_result"
    printf 'ratio  OSC pipeline Siril/Lerar wall %.2f×   peak RSS Lerar/Siril %.2f×\n' "$(echo "$ss / $ls" | bc -l)" "$(echo "$lk / $sk" | bc -l)"
fi
