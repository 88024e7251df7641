#!/usr/bin/env bash
# The transfer service's Python environment: a venv under .tools/ (git-ignored) made from Debian's
# /usr/bin/python3 with --system-site-packages, so that the Debian packages the service runs on
# (python3-gfal2, python3-flask, python3-waitress) are importable; only pytest comes from PyPI,
# installed with --require-hashes from harness/transfer/requirements.lock. Keyed by the lock's
# hash; a new lock makes a new venv. Prints the venv's path. Fast when it is already there.
#   scripts/transfer-venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lock=harness/transfer/requirements.lock
key=$(sha256sum "$lock" | cut -c1-16)
venv=".tools/venv-transfer-$key"
if [ ! -f "$venv/.complete" ]; then
  echo "setup: creating $venv (Debian python3 + system packages, pytest from $lock)" >&2
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir --no-deps --require-hashes -r "$lock"
  # The service's package, importable from anywhere.
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD/harness/transfer" > "$site/srcnet-transfer.pth"
  touch "$venv/.complete"
fi
for old in .tools/venv-transfer-*; do
  [ "$old" = "$venv" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$PWD/$venv"
