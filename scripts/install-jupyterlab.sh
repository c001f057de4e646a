#!/usr/bin/env bash
# JupyterLab (pinned, PyPI) in a virtual environment outside the repo,
# ~/.cache/convlens/jupyterlab-venv: the browser UI (`make lab`) and the JupyterLab test of the
# notebooks. The same version is pinned in docker/Dockerfile. Idempotent.
set -euo pipefail
VENV=${CONVLENS_JUPYTERLAB_VENV:-$HOME/.cache/convlens/jupyterlab-venv}
PKGS="jupyterlab==4.6.6"
if [ -x "$VENV/bin/jupyter-lab" ] && [ "$(cat "$VENV/.pinned" 2>/dev/null)" = "$PKGS" ]; then
  echo "JupyterLab already installed: $VENV"
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PKGS
echo "$PKGS" > "$VENV/.pinned"
echo "JupyterLab installed: $VENV ($PKGS)"
