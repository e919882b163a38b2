#!/usr/bin/env bash
# `make bench`: release-build benchmarks; results printed and saved under bench-output/.
set -euo pipefail
mkdir -p bench-output
.build/release/lerar-bench bench-output "${BENCH_SIZE:-4096}" "${BENCH_REPEATS:-7}"
