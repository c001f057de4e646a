#!/usr/bin/env bash
# Runs the benchmark suite and regenerates docs/PERFORMANCE.md (make bench).
set -euo pipefail
cd "$(dirname "$0")/.."
raw=${BENCH_RAW:-out/bench/raw.txt}
mkdir -p "$(dirname "$raw")"
: > "$raw"
run() { echo "+ go test $*" | tee -a "$raw"; go test -run '^$' "$@" 2>&1 | tee -a "$raw"; }
run -bench 'BenchmarkTrainStep' -benchtime 10x -timeout 60m ./training
run -bench 'BenchmarkTrainStepDevices' -benchtime 20x ./training
run -bench 'BenchmarkStatistics' -benchtime 200x ./training
run -bench 'BenchmarkForwardVsTaps' -benchtime 100x ./layers
run -bench 'BenchmarkViews' -benchtime 10x ./vizhtml
run -bench 'BenchmarkMethods' -benchtime 5x ./explain
run -bench 'BenchmarkIntegratedGradientsMemory' -benchtime 2x ./explain
# Executed tutorial notebooks: time and bytes (written to out/notebooks/summary.json by the notebook test).
CONVLENS_REQUIRE_NOTEBOOKS=1 CONVLENS_NB_OUT="$PWD/out/notebooks" go test -count=1 -timeout 40m ./notebooks | tee -a "$raw"
python3 bench/perfdoc.py "$raw" out/notebooks/summary.json > docs/PERFORMANCE.md
echo "wrote docs/PERFORMANCE.md"
