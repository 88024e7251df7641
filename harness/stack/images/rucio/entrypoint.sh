#!/bin/bash
# Entrypoint of the SRCNet testbed's rucio image.
#
# Environment:
#   RUCIO_DB_URL         SQLAlchemy URL, e.g. postgresql+psycopg://rucio:secret@postgres:5432/rucio (required)
#   RUCIO_ROOT_PASSWORD  password of the userpass identity `root` of account root (required for server)
#   RUCIO_ROLE           server (default) | judge-evaluator | judge-cleaner | daemons
#                        (judge-cleaner is optional: it removes rules whose expires_at has
#                        passed; DELETE /rules/<id> only sets expires_at = now + 1 h;
#                        daemons runs every daemon of RUCIO_DAEMONS in this one container)
#   RUCIO_DAEMONS        for daemons: space-separated, from conveyor-submitter conveyor-poller
#                        conveyor-finisher judge-repairer necromancer reaper (default: all six)
# Optional:
#   RUCIO_LOGLEVEL (INFO), RUCIO_DB_WAIT_SECONDS (60), RUCIO_SCHEMA_WAIT_SECONDS (300),
#   RUCIO_READY_TIMEOUT (120), RUCIO_HTTP_WORKERS (2), RUCIO_HTTP_THREADS (8),
#   RUCIO_ACCESS_LOG (1: gunicorn access log on stderr), RUCIO_JUDGE_SLEEP_TIME (2),
#   RUCIO_JUDGE_THREADS (1), RUCIO_JUDGE_START_SECONDS (60), RUCIO_DAEMON_SLEEP_TIME (2),
#   RUCIO_REPAIRER_DELTA_SECONDS (30: how long a lock stays STUCK before judge-repairer moves it)
#
# stdout carries only the marker line (`srcnet-rucio: ready`,
# `srcnet-rucio: judge-evaluator running`, `srcnet-rucio: judge-cleaner running`,
# `srcnet-rucio: daemons running`);
# every log goes to stderr.
# SIGTERM/SIGINT are forwarded to whatever runs at that moment.
set -uo pipefail

ROLE="${RUCIO_ROLE:-server}"
PY=/opt/rucio/bin/python
BOOT=/opt/rucio/tools/srcnet-bootstrap.py

log() { echo "srcnet-rucio: $*" >&2; }

pids=()
stopping=0
on_term() {
  stopping=1
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
}
trap on_term TERM INT

# wait_pid PID: wait for PID even when the wait is interrupted by a trapped signal;
# returns PID's exit status.
wait_pid() {
  local rc
  while true; do
    wait "$1"; rc=$?
    kill -0 "$1" 2>/dev/null || break
  done
  return "$rc"
}

# step CMD...: run CMD in the background (so SIGTERM is handled at once) and wait for it.
step() {
  "$@" &
  local p=$!
  pids=("$p")
  wait_pid "$p"; local rc=$?
  pids=()
  if [ "$stopping" = 1 ]; then exit 143; fi
  if [ "$rc" != 0 ]; then exit "$rc"; fi
}

ping_ok() {
  ( exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1
    printf 'GET /ping HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    IFS= read -r -t 5 line <&3 || exit 1
    [[ "$line" == HTTP/1.?\ 200* ]] ) 2>/dev/null
}

run_server() {
  step "$PY" "$BOOT" wait-db
  step "$PY" "$BOOT" bootstrap
  local access=()
  if [ "${RUCIO_ACCESS_LOG:-1}" = 1 ]; then access=(--access-logfile -); fi
  log "starting gunicorn on 0.0.0.0:8080"
  # gunicorn's stdout (access log) is sent to stderr: stdout stays for the marker.
  /opt/rucio/bin/gunicorn \
    --bind 0.0.0.0:8080 \
    --workers "${RUCIO_HTTP_WORKERS:-2}" \
    --threads "${RUCIO_HTTP_THREADS:-8}" \
    --worker-class gthread \
    --timeout 120 --graceful-timeout 3 --keep-alive 5 \
    --worker-tmp-dir /dev/shm \
    --error-logfile - "${access[@]}" \
    rucio.web.rest.flaskapi.v1.main:application >&2 &
  local g=$!
  pids=("$g")
  local deadline=$((SECONDS + ${RUCIO_READY_TIMEOUT:-120}))
  until ping_ok; do
    if [ "$stopping" = 1 ]; then wait_pid "$g"; exit 143; fi
    if ! kill -0 "$g" 2>/dev/null; then
      wait_pid "$g"; local rc=$?
      log "ERROR: gunicorn exited (status $rc) before GET /ping answered"
      exit $(( rc == 0 ? 1 : rc ))
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "ERROR: GET /ping did not answer within ${RUCIO_READY_TIMEOUT:-120}s"
      kill -TERM "$g" 2>/dev/null; wait_pid "$g"; exit 1
    fi
    sleep 0.2
  done
  echo "srcnet-rucio: ready"
  wait_pid "$g"; local rc=$?
  if [ "$stopping" = 1 ]; then exit 0; fi
  log "gunicorn exited (status $rc)"
  exit $(( rc == 0 ? 1 : rc ))
}

# run_daemon NAME: a Rucio judge daemon (judge-evaluator or judge-cleaner) in the foreground.
run_daemon() {
  local name=$1
  step "$PY" "$BOOT" wait-db
  step "$PY" "$BOOT" wait-schema
  log "starting rucio-$name (sleep-time ${RUCIO_JUDGE_SLEEP_TIME:-2}s)"
  # Not --run-once: a long-running daemon that picks up new work every few seconds.
  # sleep-time >= 2 keeps Rucio's heartbeat expiry (10 x (sleep-time - 1) s) finite, so a
  # killed daemon's stale heartbeat stops splitting the work after ~10 s.
  local extra=()
  if [ "$name" = judge-evaluator ]; then extra=(--did-limit 1000); fi
  "/opt/rucio/bin/rucio-$name" \
    --threads "${RUCIO_JUDGE_THREADS:-1}" \
    --sleep-time "${RUCIO_JUDGE_SLEEP_TIME:-2}" "${extra[@]}" >&2 &
  local j=$!
  "$PY" "$BOOT" wait-heartbeat "$name" "$j" &
  local w=$!
  pids=("$j" "$w")
  wait_pid "$w"; local wrc=$?
  if [ "$stopping" = 1 ]; then wait_pid "$j"; exit 143; fi
  if ! kill -0 "$j" 2>/dev/null; then
    wait_pid "$j"; local rc=$?
    log "ERROR: rucio-$name exited (status $rc) during start-up"
    exit $(( rc == 0 ? 1 : rc ))
  fi
  if [ "$wrc" != 0 ]; then kill -TERM "$j" 2>/dev/null; wait_pid "$j"; exit 1; fi
  pids=("$j")
  echo "srcnet-rucio: $name running"
  wait_pid "$j"; local rc=$?
  if [ "$stopping" = 1 ]; then exit 0; fi
  log "rucio-$name exited (status $rc)"
  exit $(( rc == 0 ? 1 : rc ))
}

# daemon_args NAME: the arguments a campaign-speed daemon runs with. Intervals are seconds, not
# Rucio's production minutes: a campaign lasts minutes. The poller asks about transfers not
# updated for 2 s (default 60 s); the reaper deletes every tombstoned replica (greedy).
daemon_args() {
  local s="${RUCIO_DAEMON_SLEEP_TIME:-2}"
  case "$1" in
    conveyor-submitter) echo "--sleep-time $s --total-threads 1" ;;
    conveyor-poller) echo "--sleep-time $s --older-than 2" ;;
    conveyor-finisher) echo "--sleep-time $s --total-threads 1" ;;
    judge-repairer|necromancer) echo "--sleep-time $s --threads 1" ;;
    reaper) echo "--sleep-time $s --threads 1 --greedy" ;;
    *) return 1 ;;
  esac
}

# run_daemons: every daemon of RUCIO_DAEMONS as a child; ready once each has a heartbeat; when
# any of them exits the others are stopped and the container exits with its status.
run_daemons() {
  local names=(${RUCIO_DAEMONS:-conveyor-submitter conveyor-poller conveyor-finisher judge-repairer necromancer reaper})
  local name
  for name in "${names[@]}"; do
    daemon_args "$name" >/dev/null || { log "ERROR: unknown daemon '$name' in RUCIO_DAEMONS"; exit 2; }
  done
  step "$PY" "$BOOT" wait-db
  step "$PY" "$BOOT" wait-schema
  local started=()
  for name in "${names[@]}"; do
    log "starting rucio-$name $(daemon_args "$name")"
    # The poller runs in its run-once mode in a loop (poller-loop.py says why).
    local exe="/opt/rucio/bin/rucio-$name"
    if [ "$name" = conveyor-poller ]; then exe=/opt/rucio/tools/rucio-conveyor-poller-loop; fi
    # shellcheck disable=SC2046
    "$exe" $(daemon_args "$name") >&2 &
    started+=("$!")
  done
  pids=("${started[@]}")
  local i
  for i in "${!names[@]}"; do
    "$PY" "$BOOT" wait-heartbeat "${names[$i]}" "${started[$i]}" &
    local w=$!
    pids=("${started[@]}" "$w")
    wait_pid "$w"; local wrc=$?
    if [ "$stopping" = 1 ]; then for p in "${started[@]}"; do wait_pid "$p"; done; exit 143; fi
    if [ "$wrc" != 0 ]; then
      log "ERROR: rucio-${names[$i]} wrote no heartbeat during start-up"
      for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null; done
      for p in "${started[@]}"; do wait_pid "$p"; done
      exit 1
    fi
  done
  pids=("${started[@]}")
  echo "srcnet-rucio: daemons running"
  wait -n "${started[@]}"; local rc=$?
  if [ "$stopping" = 1 ]; then for p in "${started[@]}"; do wait_pid "$p"; done; exit 0; fi
  log "a daemon exited (status $rc): stopping the others"
  for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${started[@]}"; do wait_pid "$p"; done
  exit $(( rc == 0 ? 1 : rc ))
}

case "$ROLE" in
  server|judge-evaluator|judge-cleaner|daemons) ;;
  *) log "ERROR: RUCIO_ROLE must be server, judge-evaluator, judge-cleaner or daemons, got '$ROLE'"; exit 2 ;;
esac

"$PY" "$BOOT" render || exit $?

# Any arguments: run them instead (with the rendered config), e.g. `rucio-admin ...`.
if [ "$#" -gt 0 ]; then exec "$@"; fi

case "$ROLE" in
  server) run_server ;;
  judge-evaluator|judge-cleaner) run_daemon "$ROLE" ;;
  daemons) run_daemons ;;
esac
