#!/usr/bin/env bash
# The project's Python environments: a venv under .tools/ (git-ignored) keyed by the hash of its
# lock, installed with --require-hashes; a new lock makes a new venv. Prints the venv's path. Fast
# when it is already there.
#   scripts/python-venv.sh            the load engine's (harness/load: Locust, pyvo, rucio-clients,
#                                     pytest, pyarrow), from python3 (pyenv's or Debian's: both 3.11)
#   scripts/python-venv.sh transfer   the transfer service's (harness/transfer): Debian's
#                                     /usr/bin/python3 with --system-site-packages, so that the Debian
#                                     packages it runs on (python3-gfal2, python3-flask,
#                                     python3-waitress) are importable; only pytest comes from PyPI
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-load}"
case "$kind" in
  load) python=python3; flags=(); what="Locust, pyvo, rucio-clients, pytest" ;;
  transfer) python=/usr/bin/python3; flags=(--system-site-packages); what="Debian python3 + system packages, pytest" ;;
  *) echo "python-venv: unknown environment '$kind' (expected load or transfer)" >&2; exit 2 ;;
esac
lock="harness/$kind/requirements.lock"
key=$(sha256sum "$lock" | cut -c1-16)
venv=".tools/venv-$kind-$key"
if [ ! -f "$venv/.complete" ]; then
  echo "setup: creating $venv ($what from $lock)" >&2
  rm -rf "$venv"
  "$python" -m venv "${flags[@]}" "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir --no-deps --require-hashes -r "$lock"
  # The project's own package, importable from anywhere (workers run with any working directory).
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD/harness/$kind" > "$site/srcnet-$kind.pth"
  touch "$venv/.complete"
fi
# Older venvs of earlier locks are removed (each is up to ~200 MB).
for old in ".tools/venv-$kind-"*; do
  [ "$old" = "$venv" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$PWD/$venv"
