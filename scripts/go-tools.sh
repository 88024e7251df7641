#!/usr/bin/env bash
# Builds pinned Go tools with `go install` into .tools/go/<tool>-<version>/ (git-ignored) and
# links them into .tools/bin. Static binaries (CGO off), so they also run inside the stack's images.
#   scripts/go-tools.sh toxiproxy
set -euo pipefail
cd "$(dirname "$0")/.."
TOXIPROXY_VERSION=v2.12.0
mkdir -p .tools/bin
export PATH="$PATH:/usr/local/go/bin"
build() { # name version module binary-name-from-go-install
  local name=$1 version=$2 module=$3 built=$4
  local dir=".tools/go/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    echo "setup: building $name $version with go install" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    CGO_ENABLED=0 GOBIN="$PWD/$dir.tmp" go install "$module@$version"
    [ "$built" = "$name" ] || mv "$dir.tmp/$built" "$dir.tmp/$name"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  ln -sf "../go/$name-$version/$name" ".tools/bin/$name"
}
for tool in "$@"; do
  case "$tool" in
    toxiproxy) build toxiproxy "$TOXIPROXY_VERSION" github.com/Shopify/toxiproxy/v2/cmd/server server ;;
    *) echo "setup: unknown Go tool $tool" >&2; exit 2 ;;
  esac
done
