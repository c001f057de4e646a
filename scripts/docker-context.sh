#!/usr/bin/env bash
# Fills docker/.build, the Docker build context: the Go toolchain of go.mod's Go version
# (golang.org/toolchain through the Go module proxy, with the ordinary go command), the
# host's CA bundle and a git archive of HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
GO_VERSION=${GO_VERSION:-$(go env GOVERSION | sed 's/^go//')}
ctx=docker/.build
rm -rf "$ctx"; mkdir -p "$ctx"
dir=$(go mod download -json "golang.org/toolchain@v0.0.1-go${GO_VERSION}.linux-amd64" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$ctx/go" && chmod -R u+w "$ctx/go"
chmod +x "$ctx/go/bin/"* "$ctx/go/pkg/tool/"*/* # module files carry no execute bits
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-bundle.crt"
git archive --format=tar -o "$ctx/convlens.tar" HEAD
cp docker/Dockerfile "$ctx/Dockerfile"
echo "docker build context ready: $ctx (Go $GO_VERSION)"
