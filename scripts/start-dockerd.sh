#!/usr/bin/env bash
# Starts dockerd in the background when no Docker engine answers (machines without systemd).
set -euo pipefail
docker info >/dev/null 2>&1 && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "setup: starting dockerd" >&2
mkdir -p .tools
# Its own session: ending the command that started it (and its process group) must not end it.
"${sudo_cmd[@]}" setsid nohup dockerd >.tools/dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "setup: dockerd did not answer within 30 s; see .tools/dockerd.log" >&2
exit 1
