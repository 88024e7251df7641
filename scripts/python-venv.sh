#!/usr/bin/env bash
# The load engine's Python environment: a venv under .tools/ (git-ignored) keyed by the hash of
# harness/load/requirements.lock, installed with --require-hashes; a new lock makes a new venv.
# Prints the venv's path. Fast when it is already there.
#   scripts/python-venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lock=harness/load/requirements.lock
key=$(sha256sum "$lock" | cut -c1-16)
venv=".tools/venv-load-$key"
if [ ! -f "$venv/.complete" ]; then
  echo "setup: creating $venv (Locust, pyvo, rucio-clients, pytest from $lock)" >&2
  rm -rf "$venv"
  # pyenv's or Debian's python3, whichever is first: both are 3.11 here.
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir --no-deps --require-hashes -r "$lock"
  # The project's own package, importable from anywhere (workers run with any working directory).
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD/harness/load" > "$site/srcnet-load.pth"
  touch "$venv/.complete"
fi
# Older venvs of earlier locks are removed (each is ~200 MB).
for old in .tools/venv-load-*; do
  [ "$old" = "$venv" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$PWD/$venv"
