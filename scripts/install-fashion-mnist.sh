#!/usr/bin/env bash
# Installs Fashion-MNIST (Debian package dataset-fashion-mnist, MIT, Zalando) into
# /usr/share/datasets/fashion-mnist. Idempotent.
set -euo pipefail
if [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then
  echo "Fashion-MNIST already installed: /usr/share/datasets/fashion-mnist"
  exit 0
fi
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null
echo "installed Fashion-MNIST into /usr/share/datasets/fashion-mnist"
