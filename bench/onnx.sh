#!/usr/bin/env bash
# ONNX import speed and a ResNet-18-sized model on the CPU: inspect, predict and Grad-CAM on
# 8 images (wall time and peak memory from /usr/bin/time), onnxruntime's predict alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-onnx-tools.sh >/dev/null
PY=${CONVLENS_ONNX_VENV:-$HOME/.cache/convlens/onnx-venv}/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/convlens" ./cmd/convlens
"$PY" bench/onnx_resnet18.py "$tmp/r18.onnx" "$tmp/batch.npy" 8
echo "file: $(stat -c %s "$tmp/r18.onnx") bytes"
run() { /usr/bin/time -f "  wall %e s, peak RSS %M KB" "$tmp/convlens" "$@" 2>&1 | grep -v "^backend" | tail -2; }
echo "inspect:"; run inspect -onnx "$tmp/r18.onnx"
echo "predict 8 images:"; run predict -onnx "$tmp/r18.onnx" -images "$tmp/batch.npy" -top 1 -out "$tmp/l.npy"
echo "explain gradcam 8 images:"; run explain -onnx "$tmp/r18.onnx" -images "$tmp/batch.npy" -method gradcam \
  -layer /layer4/layer4.1/Relu -sanity=false -class-vis=false -out "$tmp/e.html"
