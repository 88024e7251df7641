#!/usr/bin/env bash
# A Slurm cluster on this host (slurmctld, munged and N slurmd: nodes n1..nN) for trying the
# Slurm engine of `testbed sim sweep` without a cluster; state in a temporary folder, removed on exit.
#   bash scripts/local-slurm.sh [--nodes N]    start (Ctrl-C stops); prints `export SLURM_CONF=...`
#   bash scripts/local-slurm.sh down <dir>     stop one whose holder was killed
# Needs Debian's slurmctld slurmd slurm-client munge (bash scripts/setup.sh --test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx cluster/local-slurm-main.ts "$@"
