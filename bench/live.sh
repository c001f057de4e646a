#!/usr/bin/env bash
# The live engine per image, side by side in one run (bench/live/main.go): convlens compiled
# to WebAssembly in headless Chromium, onnxruntime-web 1.31.1 (wasm backend, one thread) on
# the same ONNX files in the same browser, and the same Go code natively on SimpleGo and XLA
# CPU. Models: LeNet and TinyVGG (64×64×3) from convlens' presets, and a ResNet-18-shaped
# model at 224 (bench/onnx_resnet18.py), random weights.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-onnx-tools.sh >/dev/null
scripts/install-xla-plugin.sh >/dev/null
PY=${CONVLENS_ONNX_VENV:-$HOME/.cache/convlens/onnx-venv}/bin/python
ORT=${CONVLENS_ORT_WEB:-$HOME/.cache/convlens/ort-web}
[ -f "$ORT/node_modules/onnxruntime-web/dist/ort.min.js" ] || npm install --silent --prefix "$ORT" onnxruntime-web@1.31.1 >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" bench/onnx_resnet18.py "$tmp/r18.onnx" "$tmp/batch.npy" 1 >/dev/null
go run ./bench/live -ort "$ORT/node_modules/onnxruntime-web/dist" -resnet18 "$tmp/r18.onnx" -iters "${ITERS:-10}"
