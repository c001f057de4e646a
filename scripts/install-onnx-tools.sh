#!/usr/bin/env bash
# A Python virtual environment with onnx, onnxruntime and numpy (pinned, from PyPI) in
# ~/.cache/convlens/onnx-venv: the ONNX tests build models with onnx's helper API and
# compare convlens with onnxruntime. Idempotent: does nothing when the pinned set is there.
set -euo pipefail
VENV=${CONVLENS_ONNX_VENV:-$HOME/.cache/convlens/onnx-venv}
PKGS="numpy==2.3.5 onnx==1.20.0 onnxruntime==1.23.2"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.pinned" 2>/dev/null)" = "$PKGS" ]; then
  echo "onnx tools already installed: $VENV"
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: $PKGS
echo "$PKGS" > "$VENV/.pinned"
echo "onnx tools installed: $VENV ($PKGS)"
