#!/usr/bin/env bash
# Idempotent set-up for a fresh machine; fast when everything is already there.
#   scripts/setup.sh           what the main job needs (npm packages)
#   scripts/setup.sh --test    + what the tests need (SimGrid's Python bindings; astropy and
#                              STILTS' votlint for the dataset tests; Chromium for the
#                              dashboard; Docker, debootstrap and toxiproxy for the stack; the
#                              load engine's venv: Locust, pyvo, rucio-clients, pytest; Slurm and
#                              munge for the local cluster of the sweep tests, no service started)
#   scripts/setup.sh --stack   what `testbed stack` and campaigns need (Docker running, toxiproxy
#                              built, the load engine's venv)
#   scripts/setup.sh --bench   + what the benchmarks need (SimGrid C++, SimPy, the C++ peer, wrk as
#                              the harness's peer, Docker, the load engine's venv, Slurm and munge)
# Downloaded and built tools are cached under .tools/ (git-ignored), keyed by version.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-main}"
SIMPY_VERSION=4.1.1

log() { printf 'setup: %s\n' "$*" >&2; }

# npm packages: reinstall only when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "node_modules/.setup-$lock_hash" ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  touch "node_modules/.setup-$lock_hash"
fi

apt_packages=()
case "$mode" in
  main) ;;
  --test) apt_packages=(python3-simgrid python3-astropy stilts chromium docker.io debootstrap python3-venv slurmctld slurmd slurm-client munge xrootd-server xrootd-server-plugins xrootd-client python3-gfal2 gfal2-plugin-http gfal2-plugin-xrootd gfal2-plugin-file python3-flask python3-waitress openssl) ;;
  --stack) apt_packages=(docker.io debootstrap python3-venv xrootd-server xrootd-server-plugins xrootd-client python3-gfal2 gfal2-plugin-http gfal2-plugin-xrootd gfal2-plugin-file python3-flask python3-waitress openssl) ;;
  --bench) apt_packages=(python3-simgrid libsimgrid-dev g++ python3-venv wrk docker.io debootstrap slurmctld slurmd slurm-client munge xrootd-server xrootd-server-plugins xrootd-client python3-gfal2 gfal2-plugin-http gfal2-plugin-xrootd gfal2-plugin-file python3-flask python3-waitress openssl) ;;
  *) echo "setup: unknown mode $mode (expected --test, --bench or --stack)" >&2; exit 2 ;;
esac

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=400 "${missing[@]}" >/dev/null
fi

if [ "$mode" = "--bench" ]; then
  venv=".tools/venv-simpy-$SIMPY_VERSION"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import simpy" 2>/dev/null; then
    log "creating $venv with SimPy $SIMPY_VERSION"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "simpy==$SIMPY_VERSION"
  fi
  mkdir -p .tools/bin
  bash bench/peers/build-simgrid-flows.sh .tools/bin/simgrid-flows
fi

if [ "$mode" = "--test" ] || [ "$mode" = "--stack" ] || [ "$mode" = "--bench" ]; then
  bash scripts/start-dockerd.sh
  bash scripts/go-tools.sh toxiproxy
  bash scripts/python-venv.sh >/dev/null
  bash scripts/python-venv.sh transfer >/dev/null
fi
