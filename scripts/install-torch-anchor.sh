#!/usr/bin/env bash
# PyTorch (CPU eager), torchvision, its ONNX exporter (onnxscript), onnx, onnxruntime,
# pytorch-grad-cam, Captum, Quantus, Zennit, openTSNE and umap-learn, pinned from PyPI, in
# ~/.cache/convlens/torch-venv: the references the ONNX zoo and explanation tests compare convlens with (make test), and the
# peer make bench measures beside it. PyPI's torch wheel pulls the CUDA libraries (about
# 4 GB, ~4 minutes); it runs on the CPU. Idempotent. grad-cam 1.5.7 is published as a source
# archive only, hence --prefer-binary rather than --only-binary.
set -euo pipefail
. "$(dirname "$0")/pinned-venv.sh"
pinned_venv "PyTorch tools" "${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}" python \
  "torch==2.15.0 torchvision==0.29.2 onnxscript==0.7.2 onnx==1.23.2 onnxruntime==1.32.0 grad-cam==1.5.7 captum==0.9.0 onnx2torch==1.5.15 quantus==0.6.0 zennit==0.5.1 openTSNE==1.0.4 umap-learn==0.5.12" --prefer-binary
