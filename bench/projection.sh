#!/usr/bin/env bash
# Projection speed on 10,000 points of 84 values, side by side in one run: openTSNE and
# umap-learn (bench/projection.py) and convlens' t-SNE and UMAP (BenchmarkProjections), each
# with its plane's 10-NN recall.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-torch-anchor.sh >/dev/null
PY=${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" bench/projection.py "$tmp/points.npy" "$(nproc)"
CONVLENS_BENCH_POINTS="$tmp/points.npy" go test -run '^$' -bench BenchmarkProjections -benchtime 1x ./project | grep Benchmark
