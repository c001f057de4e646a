#!/usr/bin/env bash
# Explanation speed on a ResNet-18 at 224×224 on the CPU, side by side in one run:
# pytorch-grad-cam's ScoreCAM and AblationCAM and Zennit's LRP (bench/torch_explain.py)
# against convlens' on the same weights exported to ONNX (BenchmarkExplainImported, XLA
# CPU, compilation excluded), per image, and the ratios. Then the explain page's score
# panel on LeNet (BenchmarkScorePanel).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-torch-anchor.sh >/dev/null
scripts/install-xla-plugin.sh >/dev/null
PY=${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" bench/torch_explain.py "$tmp" "$(nproc)" 2>/dev/null | tee "$tmp/torch.jsonl"
CONVLENS_BENCH_ONNX="$tmp/r18.onnx" CONVLENS_BENCH_INPUT="$tmp/input.npy" CONVLENS_BENCH_LAYER=/layer4/layer4.1/relu_1/Relu \
  go test -run '^$' -bench BenchmarkExplainImported -benchtime 2x ./onnx | tee "$tmp/go.txt"
"$PY" - "$tmp/torch.jsonl" "$tmp/go.txt" <<'PY'
import json, re, sys
ref = {j["what"]: j["seconds_per_image"] for j in map(json.loads, open(sys.argv[1]))}
ours = {m.group(1): float(m.group(2)) for m in re.finditer(r"BenchmarkExplainImported/(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+([0-9.]+) s/image", open(sys.argv[2]).read())}
pairs = [("forward+backward", "saliency"), ("scorecam", "scorecam"), ("ablationcam", "ablation-cam"), ("lrp", "lrp")]
print("| method | reference (s/image) | convlens (s/image) | reference / convlens |")
print("|---|---|---|---|")
for r, o in pairs:
    print(f"| {o} | {ref[r]:.3f} | {ours[o]:.3f} | {ref[r] / ours[o]:.2f}× |")
print(f"\nLRP / one forward + backward: Zennit {ref['lrp'] / ref['forward+backward']:.2f}×, convlens {ours['lrp'] / ours['saliency']:.2f}×")
PY
go test -run '^$' -bench BenchmarkScorePanel -benchtime 3x ./explain | grep Benchmark
