#!/usr/bin/env bash
# ImageNet-size models with the defaults: every convlens command on a ResNet-50 at 224×224
# (torchvision, seeded random weights, exported by PyTorch's default exporter) and 8 images,
# whole process (wall time and peak memory from /usr/bin/time), beside the same jobs in
# PyTorch + pytorch-grad-cam + Captum (bench/torch_imagenet.py), one process each. Prints a
# Markdown table (bench/measured-once.md keeps the last one).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-torch-anchor.sh >/dev/null
PY=${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/convlens" ./cmd/convlens
"$PY" - "$tmp" <<'PY' >/dev/null 2>&1
import sys, warnings; warnings.filterwarnings("ignore")
import numpy as np, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet50(weights=None).eval()
torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), sys.argv[1] + "/resnet50.onnx", opset_version=17)
np.save(sys.argv[1] + "/eight.npy", np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32))
PY
measure() { # prints "seconds|MB"
  /usr/bin/time -f "%e|%M" -o "$tmp/time" "$@" >/dev/null 2>&1 || { echo "failed|-"; return; }
  awk -F'|' '{printf "%.1f|%.0f", $1, $2/1024}' "$tmp/time"
}
M="$tmp/resnet50.onnx" I="$tmp/eight.npy"
echo "| job (ResNet-50, 224×224, 8 images, defaults) | convlens s | convlens MB | PyTorch s | PyTorch MB | target |"
echo "|---|---|---|---|---|---|"
row() { # name target convlens-args... -- torch-job
  local name=$1 target=$2; shift 2
  local args=() ; while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
  local c t
  c=$(measure "$tmp/convlens" "${args[@]}")
  if [ -n "${1:-}" ]; then t=$(measure "$PY" bench/torch_imagenet.py "$1" "$I"); else t="-|-"; fi
  echo "| $name | ${c%%|*} | ${c##*|} | ${t%%|*} | ${t##*|} | $target |"
}
row "inspect" "≤ 1 s" inspect -onnx "$M" -- inspect
row "predict" "≤ 3 s" predict -onnx "$M" -images "$I" -out "$tmp/p.npy" -- predict
row "explain -method gradcam" "≤ 10 s" explain -onnx "$M" -images "$I" -method gradcam -out "$tmp/g.html" -- gradcam
row "explain -method all" "≤ 90 s" explain -onnx "$M" -images "$I" -out "$tmp/a.html" -- all
row "explore (4 images)" "≤ 20 s" explore -onnx "$M" -images "$I" -max-images 4 -out "$tmp/x.html" --
row "report" "≤ 30 s" report -onnx "$M" -images "$I" -out "$tmp/r.html" --
echo
echo "Pages: explain $(stat -c %s "$tmp/a.html" | awk '{printf "%.1f MB", $1/1e6}'), explore $(stat -c %s "$tmp/x.html" | awk '{printf "%.1f MB", $1/1e6}'), report $(stat -c %s "$tmp/r.html" | awk '{printf "%.1f MB", $1/1e6}'); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
