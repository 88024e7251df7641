#!/usr/bin/env bash
# The Python parts' tests (the load engine, harness/load), with the venv scripts/python-venv.sh makes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/python-venv.sh)
exec "$venv/bin/python" -m pytest harness/load/tests -q -p no:cacheprovider "$@"
