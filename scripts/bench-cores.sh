#!/usr/bin/env bash
# How `lerar run` scales with cores (issue 15, item 3): for each SIZE:LIGHTS in CASES, a session as hard as real
# ones (bench-common.sh's hard_session) run on the first N cores of this machine (taskset, and LERAR_CORES=N so the
# frames in flight are those of an N-core machine) for each N in CORES; writes a markdown table of wall time, the
# speed-up over the fewest cores, peak RSS, frames in flight and Lerar's time per stage.
#
# Made for a lent many-core machine that has no Swift toolchain and none of the system libraries:
#   scripts/bench-cores.sh --bundle FILE.tar.gz   (here) builds `lerar` with the Swift runtime linked in
#       (--static-swift-stdlib), strips it, and packs it with the shared libraries it loads (all but glibc's own)
#       as bin/lerar and lib/ (about 35 MB: within what a device call carries);
#   mkdir -p /tmp/lerar && tar xzf FILE.tar.gz -C /tmp/lerar && LERAR=/tmp/lerar/bin/lerar scripts/bench-cores.sh
#       (there) runs the table, with LD_LIBRARY_PATH set to the bundle's lib/.
# Cores are limited with taskset; a sandbox may not enforce CPU affinity, so the script checks first that a busy
# loop on two cores gets only two, and says so in the table when it does not.
set -euo pipefail
if [ "${1:-}" = "--bundle" ]; then
    archive=${2:?usage: scripts/bench-cores.sh --bundle FILE.tar.gz}
    scratch=${STATIC_BUILD_DIR:-.build-static}
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product lerar >&2
    staging=$(mktemp -d); trap 'rm -rf "$staging"' EXIT
    mkdir -p "$staging/bin" "$staging/lib"
    cp "$scratch/release/lerar" "$staging/bin/lerar"
    strip "$staging/bin/lerar"
    ldd "$scratch/release/lerar" | awk '/=> \// { print $3 }' | while read -r library; do
        case "$(basename "$library")" in
            libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|ld-linux*) ;;
            *) cp -L "$library" "$staging/lib/" ;;
        esac
    done
    LD_LIBRARY_PATH="$staging/lib" "$staging/bin/lerar" --version > /dev/null
    tar czf "$archive" -C "$staging" bin lib
    ls -l "$archive" >&2
    exit 0
fi

LERAR=${LERAR:-.build/release/lerar}
CASES=${CASES:-"2048:24 4096:24"}
REPEATS=${REPEATS:-1}
OUT=${OUT:-docs/performance-cores.md}
ROOT=${BENCH_DIR:-bench-output/cores}
available=$(nproc --all)
CORES=${CORES:-"2 4 8 16"}
bundle_lib=$(cd "$(dirname "$LERAR")/.." && pwd)/lib
[ -d "$bundle_lib" ] && export LD_LIBRARY_PATH="$bundle_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
command -v taskset > /dev/null || { echo "taskset (util-linux) is needed" >&2; exit 1; }
# Does taskset hold? Four busy processes on two cores for a second: about 2 s of CPU if it does, 4 s if not.
affinity_check() {
    /usr/bin/time -f "%U" -o "$ROOT/.affinity" taskset -c 0-1 sh -c 'for i in 1 2 3 4; do timeout 1 sh -c "while :; do :; done" & done; wait' 2> /dev/null || true
    awk '{ print ($1 < 3.0) ? "held" : "not held" }' "$ROOT/.affinity"
}
mkdir -p "$ROOT"
affinity=$(affinity_check)
echo "taskset: CPU affinity $affinity" >&2
source "$(dirname "$0")/bench-common.sh"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
{
    echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $available cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); Lerar $("$LERAR" --version 2>/dev/null || echo '?'); median of $REPEATS; CPU affinity (taskset) $affinity$([ "$affinity" = held ] || echo ': every row ran on all cores, so only the frames in flight differ')."
    echo
    echo "| frames × size | cores | wall (s) | speed-up | peak RSS (MB) | frames in flight | stages (s) |"
    echo "|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
for case in $CASES; do
    hard_session "$case"
    first_wall=""
    for cores in $CORES; do
        [ "$cores" -le "$available" ] || { echo "skipping $cores cores: this machine has $available" >&2; continue; }
        : > "$DIR/cores-$cores.times"
        for repeat in $(seq "$REPEATS"); do
            rm -rf "$DIR/lerar-$cores"
            bench_measure "lerar-$cores" "$size-$lights on $cores cores" \
                taskset -c "0-$((cores - 1))" env LERAR_CORES="$cores" "$LERAR" run "$session" -o "$DIR/lerar-$cores" --json >> "$DIR/cores-$cores.times"
        done
        wall=$(cut -d' ' -f1 "$DIR/cores-$cores.times" | median); kb=$(cut -d' ' -f2 "$DIR/cores-$cores.times" | median)
        [ -n "$first_wall" ] || first_wall=$wall
        # The run's --json summary is the end of its output; the log has the time per stage.
        in_flight=$(grep -o '"framesInFlight" *: *[0-9]*' "$DIR/.lerar-$cores.log" | grep -o '[0-9]*$' || echo "?")
        stages=$(grep -ho 'time per stage: .*' "$DIR"/lerar-"$cores"/logs/run-*.log | tail -1 | sed 's/time per stage: //')
        printf '| %s × %s² | %s | %.1f | %.1f× | %.0f | %s | %s |\n' "$lights" "$size" "$cores" "$wall" "$(echo "$first_wall / $wall" | bc -l)" \
            "$(echo "$kb / 1024" | bc -l)" "$in_flight" "$stages" >> "$OUT.tmp"
        rm -rf "$DIR/lerar-$cores"
    done
done
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT" >&2
cat "$OUT"
