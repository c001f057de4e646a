#!/usr/bin/env bash
# A Python virtual environment with onnx, onnxruntime and numpy (pinned, from PyPI) in
# ~/.cache/convlens/onnx-venv: the ONNX tests build models with onnx's helper API and
# compare convlens with onnxruntime. Idempotent: does nothing when the pinned set is there.
set -euo pipefail
. "$(dirname "$0")/pinned-venv.sh"
pinned_venv "onnx tools" "${CONVLENS_ONNX_VENV:-$HOME/.cache/convlens/onnx-venv}" python \
  "numpy==2.3.5 onnx==1.20.0 onnxruntime==1.23.2" --only-binary=:all:
