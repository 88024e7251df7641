#!/usr/bin/env bash
# The Python parts' tests, each suite with its own venv:
# - the load engine (harness/load) and the transfer optimizer (harness/transfer/tests), with the
#   venv scripts/python-venv.sh makes;
# - the transfer service (harness/transfer/tests/service: real XRootD sites, gfal2), with the venv
#   scripts/python-venv.sh transfer makes from Debian's python3 (gfal2's bindings exist only there).
# Arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/python-venv.sh)
"$venv/bin/python" -m pytest harness/load/tests harness/transfer/tests --ignore=harness/transfer/tests/service \
  -q -p no:cacheprovider "$@"
tvenv=$(bash scripts/python-venv.sh transfer)
# Debian's system packages bring pytest plugins built for another pytest: load none of them.
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 exec "$tvenv/bin/python" -m pytest harness/transfer/tests/service \
  -q -p no:cacheprovider "$@"
