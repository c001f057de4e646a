#!/usr/bin/env bash
# Installs the XLA CPU PJRT plugin where go-xla finds it by name
# (~/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so), from the PyPI wheel
# lammps-jax-pjrt-cpu (OpenXLA's CPU plugin, PJRT API v0.115, Apache-2.0).
# Idempotent: does nothing when the pinned plugin is already in place.
set -euo pipefail
WHEEL_NAME=lammps-jax-pjrt-cpu
WHEEL_VERSION=0.11.2
WHEEL_SHA256=1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1
SO_SHA256=ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2
DEST=${GOXLA_PLUGIN_DIR:-$HOME/.local/lib/go-xla}
SO=$DEST/pjrt_c_api_cpu_plugin.so

if [ -f "$SO" ] && [ "$(cat "$DEST/pjrt_c_api_cpu_plugin.sha256" 2>/dev/null)" = "$SO_SHA256" ]; then
  echo "XLA CPU plugin already installed: $SO"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-xla-plugin: only linux/amd64 has a pinned wheel; on other platforms use GoMLX's auto-install (-backend xla)" >&2; exit 1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Downloading $WHEEL_NAME==$WHEEL_VERSION from PyPI..."
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$WHEEL_NAME==$WHEEL_VERSION"
whl=$(ls "$tmp"/*.whl)
echo "$WHEEL_SHA256  $whl" | sha256sum -c --quiet -
python3 - "$whl" "$tmp/x" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
echo "$SO_SHA256  $tmp/x/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so" | sha256sum -c --quiet -
mkdir -p "$DEST/licenses-pjrt-cpu"
cp "$tmp"/x/lammps_jax_pjrt_cpu-*.dist-info/licenses/* "$DEST/licenses-pjrt-cpu/"
install -m 0755 "$tmp/x/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so" "$SO.tmp"
mv "$SO.tmp" "$SO"
echo "$SO_SHA256" > "$DEST/pjrt_c_api_cpu_plugin.sha256"
echo "Installed XLA CPU plugin: $SO"
