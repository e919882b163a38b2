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
