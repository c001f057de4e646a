#!/usr/bin/env bash
# Runs the benchmark suite and regenerates docs/PERFORMANCE.md (make bench). PyTorch eager
# CPU (scripts/install-torch-anchor.sh) is measured in the same run, alternating with
# convlens round by round, on the same models, batches and thread count; without it the
# bench says so and runs the rest. CONVLENS_BENCH_TORCH=0 skips it, BENCH_ROUNDS sets rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=${BENCH_RAW:-out/bench/raw.txt}
anchor=$(dirname "$raw")/torch.jsonl
rounds=${BENCH_ROUNDS:-4}
threads=$(nproc)
mkdir -p "$(dirname "$raw")"
: > "$raw"
: > "$anchor"
run() { echo "+ go test $*" | tee -a "$raw"; go test -run '^$' "$@" 2>&1 | tee -a "$raw"; }

torch_py=""
if [ "${CONVLENS_BENCH_TORCH:-1}" = 0 ]; then
  echo '{"what": "unavailable", "why": "skipped (CONVLENS_BENCH_TORCH=0)"}' > "$anchor"
elif scripts/install-torch-anchor.sh; then
  torch_py=${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}/bin/python
else
  echo "PyTorch anchor unavailable (install failed); benchmarking convlens alone" >&2
  echo '{"what": "unavailable", "why": "scripts/install-torch-anchor.sh failed (no PyPI?)"}' > "$anchor"
fi
torch() {
  [ -n "$torch_py" ] || return 0
  echo "+ torch_throughput.py $*" | tee -a "$raw"
  if ! "$torch_py" bench/torch_throughput.py --threads "$threads" --repeats 1 "$@" | tee -a "$anchor"; then
    echo '{"what": "unavailable", "why": "bench/torch_throughput.py failed"}' >> "$anchor"
  fi
}

# Each training configuration runs PyTorch then convlens back to back, so the two figures of a
# round met the same load on this shared machine (perfdoc.py pairs them round by round).
for round in $(seq "$rounds"); do
  for model in lenet tinyvgg resnet; do
    for batch in 64 256; do
      torch --only train --model "$model" --batch "$batch" --round "$round"
      run -bench "^BenchmarkTrainStep\$/^xla\$/^$model\$/^batch=$batch\$" -benchtime 30x -timeout 60m ./training
    done
  done
  run -bench 'BenchmarkTrainStepDevices' -benchtime 20x ./training
  torch --only explain --round "$round"
  run -bench 'BenchmarkMethods/xla/lenet/batch=.*/^(saliency|grad-cam)$' -benchtime 30x ./explain
done
run -bench 'BenchmarkStoreConvInputsPaired' -benchtime 30x ./training
run -bench 'BenchmarkDevicesPaired' -benchtime 40x ./training
run -bench '^BenchmarkTrainStep$/go' -benchtime 10x -timeout 60m ./training
run -bench 'BenchmarkStatistics' -benchtime 200x ./training
run -bench 'BenchmarkForwardVsTaps' -benchtime 100x ./layers
run -bench 'BenchmarkViews' -benchtime 10x ./vizhtml
run -bench 'BenchmarkMethods' -benchtime 5x ./explain
run -bench 'BenchmarkIntegratedGradientsMemory' -benchtime 2x ./explain
# Executed tutorial notebooks: time and bytes (written to out/notebooks/summary.json by the notebook test).
if [ "${BENCH_NOTEBOOKS:-1}" != 0 ]; then
  CONVLENS_REQUIRE_NOTEBOOKS=1 CONVLENS_NB_OUT="$PWD/out/notebooks" go test -count=1 -timeout 40m ./notebooks | tee -a "$raw"
fi
python3 bench/perfdoc.py "$raw" out/notebooks/summary.json "$anchor" > docs/PERFORMANCE.md.new
mv docs/PERFORMANCE.md.new docs/PERFORMANCE.md
echo "wrote docs/PERFORMANCE.md"
