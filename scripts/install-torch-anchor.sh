#!/usr/bin/env bash
# PyTorch (CPU eager) and pytorch-grad-cam, pinned from PyPI, in ~/.cache/convlens/torch-venv:
# the peer `make bench` measures beside convlens. PyPI's torch wheel pulls the CUDA libraries
# (about 4 GB), so this is for `make bench` only, never `make test`. Idempotent. grad-cam 1.5.7
# is published as a source archive only, hence --prefer-binary rather than --only-binary.
set -euo pipefail
. "$(dirname "$0")/pinned-venv.sh"
pinned_venv "PyTorch anchor" "${CONVLENS_TORCH_VENV:-$HOME/.cache/convlens/torch-venv}" python \
  "torch==2.15.0 torchvision==0.29.2 grad-cam==1.5.7" --prefer-binary
