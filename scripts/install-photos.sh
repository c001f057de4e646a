#!/usr/bin/env bash
# Installs three sample photos from Debian's python3-skimage (scikit-image's data folder)
# into ~/.cache/convlens/photos: chelsea.png (a cat, CC0), coffee.png (CC0) and
# astronaut.png (NASA, public domain). Only the package file is downloaded and unpacked
# (apt-get download + dpkg-deb); nothing is installed. Idempotent.
set -euo pipefail
DEST=${CONVLENS_PHOTOS_DIR:-$HOME/.cache/convlens/photos}
if [ -f "$DEST/chelsea.png" ] && [ -f "$DEST/coffee.png" ] && [ -f "$DEST/astronaut.png" ]; then
  echo "photos already installed: $DEST"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1 || { apt-get update -qq && apt-get download python3-skimage >/dev/null; })
dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
mkdir -p "$DEST"
for f in chelsea coffee astronaut; do
  cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/$f.png" "$DEST/$f.png"
done
cat > "$DEST/LICENSES.txt" <<'TXT'
From Debian's python3-skimage (scikit-image, skimage/data):
chelsea.png  - Stefan van der Walt's cat Chelsea, CC0 (public domain dedication)
coffee.png   - Rachel Michetti, CC0
astronaut.png - Eileen Collins, NASA, public domain
TXT
echo "installed sample photos into $DEST"
