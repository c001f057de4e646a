#!/usr/bin/env bash
# Builds the Docker recipe with podman/buildah on a Debian base made locally (no container
# registry needed) and smoke-tests it: JupyterLab answers, and the GoNB kernel executes
# notebook 01 inside the image. Not part of make test (it takes about 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v podman >/dev/null || ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends podman buildah debootstrap fuse-overlayfs >/dev/null
fi
BASE=localhost/convlens-base:bookworm
if ! podman image exists "$BASE"; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  root=$(mktemp -d /var/tmp/convlens-rootfs.XXXX)
  debootstrap --variant=minbase bookworm "$root" ${mirror:+"$mirror"} >/dev/null
  tar -C "$root" -c . | podman import - "$BASE" >/dev/null
  rm -rf "$root"
  echo "base image $BASE made with debootstrap"
fi
scripts/docker-context.sh
podman build --isolation chroot --network host --build-arg BASE="$BASE" --build-arg GOPROXY="$(go env GOPROXY)" \
  -t localhost/convlens:test docker/.build
ctr=$(buildah from localhost/convlens:test)
trap 'buildah rm "$ctr" >/dev/null' EXIT
buildah run --isolation chroot --network host "$ctr" -- bash -c '
  set -e
  cd /home/jovyan/notebooks
  jupyter lab --no-browser --port 8899 --ServerApp.token= >/tmp/lab.log 2>&1 &
  lab=$!
  for i in $(seq 1 30); do curl -fs localhost:8899/api >/tmp/api.json 2>/dev/null && break; sleep 1; done
  echo "JupyterLab $(jupyter lab --version): $(cat /tmp/api.json); server config: $(ls ~/.jupyter/jupyter_server_config.json)"
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 01-building-blocks.ipynb --output /tmp/01-executed.ipynb
  python3 -c "import json; nb=json.load(open(\"/tmp/01-executed.ipynb\")); errs=[o for c in nb[\"cells\"] for o in c.get(\"outputs\",[]) if o.get(\"output_type\")==\"error\"]; print(\"notebook 01:\", len(nb[\"cells\"]), \"cells,\", len(errs), \"errors\"); raise SystemExit(1 if errs else 0)"
  kill $lab'
echo "docker-test: image localhost/convlens:test built; JupyterLab answered; notebook 01 executed in it"
