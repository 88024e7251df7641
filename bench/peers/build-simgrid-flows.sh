#!/usr/bin/env bash
# Builds the SimGrid benchmark peer: build-simgrid-flows.sh OUT
# Rebuilds only when OUT is missing or older than simgrid_flows.cpp.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTPUT_BINARY" >&2
  exit 2
fi
out=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/simgrid_flows.cpp"

if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
  exit 0
fi

# Check the headers and the library, not just the package name (works on any dpkg/non-dpkg system).
if ! echo '#include <simgrid/s4u.hpp>' | g++ -std=c++17 -fsyntax-only -x c++ - 2>/dev/null; then
  echo "build-simgrid-flows: SimGrid headers not found; install them with: apt-get install -y libsimgrid-dev" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
# Compile to a temp name and rename, so an interrupted build never leaves a stale-but-newer binary.
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
if ! g++ -O2 -std=c++17 "$src" -o "$tmp" -lsimgrid; then
  echo "build-simgrid-flows: compilation failed (is libsimgrid-dev 3.32 installed?)" >&2
  exit 1
fi
mv -f "$tmp" "$out"
