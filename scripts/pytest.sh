#!/usr/bin/env bash
# The Python parts' tests: the load engine (harness/load) and the transfer service's optimizer
# (harness/transfer), with the venv scripts/python-venv.sh makes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/python-venv.sh)
exec "$venv/bin/python" -m pytest harness/load/tests harness/transfer/tests -q -p no:cacheprovider "$@"
