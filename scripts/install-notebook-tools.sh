#!/usr/bin/env bash
# Installs what executing the notebooks headless needs, idempotently:
#   Jupyter's nbconvert/nbclient (Debian packages), GoNB v0.11.1 with goimports and gopls
#   (GoNB's completion and inspection), the GoNB kernel spec, and JupyterLab (its own script). GOBIN (default ~/go/bin) must be on PATH for the kernel.
set -euo pipefail
GONB_VERSION=v0.11.1
GOIMPORTS_VERSION=v0.52.0
GOPLS_VERSION=v0.23.0
GOBIN=${GOBIN:-$(go env GOPATH)/bin}
export PATH="$GOBIN:$PATH"

if ! /usr/bin/python3 -c 'import nbconvert, nbclient, jupyter_client' 2>/dev/null || ! command -v jupyter >/dev/null; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends jupyter-nbconvert jupyter-client jupyter-core python3-nbclient python3-ipykernel >/dev/null
  echo "installed Jupyter nbconvert/nbclient from Debian"
fi

if [ "$("$GOBIN/gonb" --version 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1)" != "$GONB_VERSION" ] || [ ! -x "$GOBIN/goimports" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && go mod init gonb-install >/dev/null 2>&1 &&
    go get "github.com/janpfeifer/gonb@$GONB_VERSION" "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION" >/dev/null 2>&1 &&
    GOBIN="$GOBIN" go install github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports)
  echo "installed gonb $GONB_VERSION and goimports $GOIMPORTS_VERSION into $GOBIN"
fi

if [ "$("$GOBIN/gopls" version 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1)" != "$GOPLS_VERSION" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && go mod init gopls-install >/dev/null 2>&1 &&
    go get "golang.org/x/tools/gopls@$GOPLS_VERSION" >/dev/null 2>&1 &&
    GOBIN="$GOBIN" go install golang.org/x/tools/gopls)
  echo "installed gopls $GOPLS_VERSION into $GOBIN"
fi

if [ ! -f "${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gonb/kernel.json" ]; then
  "$GOBIN/gonb" --install --raw_error --force_deps >/dev/null
  echo "installed the GoNB kernel spec"
fi
"$(dirname "$0")/install-jupyterlab.sh"
echo "notebook tools ready: $(jupyter nbconvert --version 2>/dev/null | head -1) nbconvert, gonb $("$GOBIN/gonb" --version 2>&1 | head -1)"
