# Shared by the benchmark scripts (sourced). Needs DIR set to the benchmark's folder.

# bench_measure LABEL STAGE COMMAND...: runs COMMAND under GNU time, prints its wall time and peak RSS on stderr
# and "seconds kilobytes" on stdout; on failure shows the end of its log and exits.
bench_measure() {
    local label=$1 stage=$2; shift 2
    sync
    /usr/bin/time -f "%e %M" -o "$DIR/.time" "$@" > "$DIR/.$label.log" 2>&1 || { tail -30 "$DIR/.$label.log" >&2; exit 1; }
    read -r seconds kilobytes < "$DIR/.time"
    printf '%-8s %s wall %7.2f s   peak RSS %7.0f MB\n' "$label" "$stage" "$seconds" "$(echo "$kilobytes / 1024" | bc -l)" >&2
    echo "$seconds $kilobytes"
}

# simulate_once SESSION SIZE LIGHTS OPTION...: simulates LIGHTS lights of SIZE² px (seed 1, with the extra
# `lerar simulate` OPTIONs) into SESSION, unless a session is already there: it is kept between runs.
simulate_once() {
    local session=$1 size=$2 lights=$3; shift 3
    [ -f "$session/truth/session.json" ] && return 0
    echo "simulating $lights lights of ${size}×${size} px (once; kept in $session)" >&2
    "$LERAR" simulate --out "$session" --size "$size" "$size" --lights "$lights" --seed 1 --overwrite "$@" > /dev/null
}

# hard_session SIZE:LIGHTS: sets size, lights, DIR ($ROOT/SIZE-LIGHTS, absolute) and session, simulated once as hard
# as real sessions (120 s subs, seeing 2.2–4.5 px, transparency 0.6–1, two satellite trails, a large faint galaxy;
# the simulator adds the meridian flip, rotation and per-sub gradients).
hard_session() {
    size=${1%%:*}; lights=${1##*:}
    DIR=$ROOT/$size-$lights; mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
    session=$DIR/session
    simulate_once "$session" "$size" "$lights" --exposure 120 --seeing 2.2-4.5 --transparency 0.6-1 --trails 2 --extended-object
}

# siril_session SESSION WORK LIGHT_OPTIONS: links the session's bias, the darks of the lights' exposure, flats and lights into Siril's
# folders under WORK (the extension it expects) and writes WORK/pipeline.ssf: masters, calibration with
# LIGHT_OPTIONS added to `preprocess` (e.g. "-cfa -equalize_cfa -debayer"), global star registration, stack.
siril_session() {
    local session=$1 work=$2 options=$3 kind i f
    rm -rf "$work"
    for kind in bias darks flats lights; do mkdir -p "$work/$kind"; done
    i=0; for f in "$session"/bias/*.fits; do i=$((i + 1)); ln -s "$f" "$work/bias/src_$(printf %05d $i).fit"; done
    # The darks of the lights' exposure (the simulator also writes a longer set).
    local light exposure
    light=$(find "$session"/lights -name '*.fits' -print -quit) # not | head: find's SIGPIPE would end the script (pipefail)
    exposure=$(basename "$light" | grep -o '_[0-9.]*s_' | head -1)
    i=0; for f in "$session"/darks/DARK${exposure}*.fits; do i=$((i + 1)); ln -s "$f" "$work/darks/src_$(printf %05d $i).fit"; done
    i=0; for f in "$session"/flats/*.fits "$session"/flats/*/*.fits; do [ -f "$f" ] || continue; i=$((i + 1)); ln -s "$f" "$work/flats/src_$(printf %05d $i).fit"; done
    i=0; for f in "$session"/lights/*.fits "$session"/lights/*/*.fits; do [ -f "$f" ] || continue; i=$((i + 1)); ln -s "$f" "$work/lights/src_$(printf %05d $i).fit"; done
    cat > "$work/pipeline.ssf" <<SSF
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
preprocess light_ -dark=../master_dark -flat=../master_flat -cc=dark $options
register pp_light_
stack r_pp_light_ rej 3 3 -norm=addscale -output_norm -out=../result
SSF
}

# siril_stages LOG: Siril's time per part of the script, from the "Running command" and "Execution time" lines of its
# log: masters (bias, dark and flat stacks, the flats' calibration), calibrate (the lights' preprocess), register, stack.
siril_stages() {
    awk '/Running command:/ { command = $NF }
         /Execution time:/ {
             t = 0
             for (i = 1; i < NF; i++) if ($i ~ /^[0-9.]+$/) {
                 unit = $(i + 1); sub(/\.$/, "", unit)
                 t += $i * (unit == "ms" ? 0.001 : unit == "min" ? 60 : unit == "h" ? 3600 : 1)
             }
             if (command == "preprocess") preprocessed++
             if (preprocessed < 2) masters += t
             else if (command == "preprocess") calibrate += t
             else if (command == "register") register += t
             else if (command == "stack") stack += t
         }
         END { printf "masters %.2f s, calibrate %.2f s, register %.2f s, stack %.2f s", masters, calibrate, register, stack }' "$1"
}
