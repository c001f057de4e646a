#!/usr/bin/env bash
# JupyterLab (pinned, PyPI) in a virtual environment outside the repo,
# ~/.cache/convlens/jupyterlab-venv: the browser UI (`make lab`) and the JupyterLab test of the
# notebooks. The same version is pinned in docker/Dockerfile. Idempotent.
set -euo pipefail
. "$(dirname "$0")/pinned-venv.sh"
pinned_venv JupyterLab "${CONVLENS_JUPYTERLAB_VENV:-$HOME/.cache/convlens/jupyterlab-venv}" jupyter-lab "jupyterlab==4.6.6"
