#!/bin/bash
# srcnet-testbed/dachs entrypoint: configure DaCHS from the environment, start
# PostgreSQL, import the dataset mounted at /data, serve on :8080 in the
# foreground beside the ingestion service on :8081 (ingest.py), and print
# "srcnet-dachs: ready" once TAP answers with all rows and ingestion answers.
#
# Env: DACHS_SERVER_URL (external base URL, default http://localhost:8080),
#      DACHS_AUTHORITY (IVOA authority, default srcnet.testbed),
#      DACHS_READY_TIMEOUT (seconds to wait for TAP after the import, default 120).
# Signals: TERM/INT stop ingestion, DaCHS and PostgreSQL and exit 0; HUP restarts the
#      DaCHS server so it re-reads /etc/gavo.rc (see srcnet-dachs-set-url).
# --configure-only: write /etc/gavo.rc and exit (used at image build time).
set -u

DATA=/data
RC=/etc/gavo.rc
PIDFILE=/var/gavo/state/web.pid
PG_VERSION=15
PG_DATA=/var/lib/postgresql/$PG_VERSION/main
PG_CONF=/etc/postgresql/$PG_VERSION/main/postgresql.conf
PG_CTL=/usr/lib/postgresql/$PG_VERSION/bin/pg_ctl

info() { echo "srcnet-dachs: $*"; }
fail() {
	echo "srcnet-dachs: FAILED: $*" >&2
	for f in /var/gavo/logs/dcErrors /var/gavo/logs/dcInfos; do
		[ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 40 "$f" >&2; }
	done
	stop_all
	exit 1
}

write_rc() {
	local url="${DACHS_SERVER_URL:-http://localhost:8080}"
	url="${url%/}"
	case "$url" in
		http://*|https://*) ;;
		*) echo "srcnet-dachs: DACHS_SERVER_URL must start with http:// or https:// (got '$url')" >&2; exit 2;;
	esac
	local auth="${DACHS_AUTHORITY:-srcnet.testbed}"
	cat >"$RC" <<EOF
# written by srcnet-dachs-entrypoint at container start
[web]
bindAddress: 0.0.0.0
serverPort: 8080
serverURL: $url
sitename: SRCNet testbed DaCHS
preloadRDs: srcnet/q

[ivoa]
authority: $auth

[async]
maxTAPRunning: 8
maxUserUWSRunningDefault: 8
EOF
	chmod 644 "$RC"
	SERVER_URL="$url"
	AUTHORITY="$auth"
}

DACHS_PID=""
INGEST_PID=""
RESTARTING=0
STATE=/run/srcnet-dachs
mkdir -p "$STATE"

start_server() {
	rm -f "$PIDFILE"
	dachs serve start -f &
	DACHS_PID=$!
	echo "$DACHS_PID" >"$STATE/server.pid"
}

# stop_pid PID GRACE_TENTHS: SIGTERM, then SIGKILL after GRACE_TENTHS/10 s
stop_pid() {
	local pid="$1" grace="$2"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 "$grace"); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
}

# stop_server GRACE_TENTHS: the DaCHS server (default 5 s of grace)
stop_server() {
	stop_pid "$DACHS_PID" "${1:-50}"
	DACHS_PID=""
	rm -f "$PIDFILE" "$STATE/server.pid"
}

# The ingestion service, as dachsroot (the importing user; its DB profile owns
# the srcnet tables).  setpriv execs, so INGEST_PID is python itself and gets
# the SIGTERM directly.
start_ingest() {
	setpriv --reuid=dachsroot --regid=gavo --init-groups \
		python3 /usr/local/lib/srcnet-dachs/ingest.py &
	INGEST_PID=$!
	echo "$INGEST_PID" >"$STATE/ingest.pid"
}

stop_ingest() {
	stop_pid "$INGEST_PID" 30
	INGEST_PID=""
	rm -f "$STATE/ingest.pid"
}

# PostgreSQL's cluster 15/main, started the way pg_ctlcluster does it but
# without its ~2 s of polling.
pg_start() {
	runuser -u postgres -- "$PG_CTL" start -w -t 60 -D "$PG_DATA" \
		-o "-c config_file=$PG_CONF" -l "/var/log/postgresql/postgresql-$PG_VERSION-main.log" >/dev/null
}
pg_stop() {
	runuser -u postgres -- "$PG_CTL" stop -m fast -D "$PG_DATA" >/dev/null 2>&1
}

stop_all() {
	stop_ingest   # first, so no product is half-written when PostgreSQL stops
	stop_server 50
	pg_stop
}

on_term() {
	info "stopping"
	stop_all
	exit 0
}

on_hup() {
	# /etc/gavo.rc changed (srcnet-dachs-set-url): restart the server so it
	# re-reads it.  Before the server has started there is nothing to do.
	[ -n "$DACHS_PID" ] || return 0
	RESTARTING=1
	info "restarting the server for serverURL $(sed -n 's/^serverURL: //p' "$RC")"
	stop_server 100
	start_server
}

# wait_for PID: wait until PID exits (signals interrupt `wait`; retry)
wait_for() {
	local pid="$1" rc
	while true; do
		wait "$pid"
		rc=$?
		kill -0 "$pid" 2>/dev/null || return "$rc"
	done
}

if [ "${1:-}" = "--configure-only" ]; then
	write_rc
	exit 0
fi

T0=$(date +%s.%N)
trap on_term TERM INT
trap on_hup HUP
write_rc

[ -r "$DATA/catalogue.csv" ] || { echo "srcnet-dachs: FAILED: $DATA/catalogue.csv not found (mount the dataset directory at $DATA)" >&2; exit 1; }
[ -d "$DATA/files" ] || info "no $DATA/files (dataset without payloads): only the catalogue is served"

rm -f "$PIDFILE"
rm -f "$PG_DATA/postmaster.pid"   # left behind if the container was killed
pg_start || { tail -n 20 "/var/log/postgresql/postgresql-$PG_VERSION-main.log" >&2; fail "PostgreSQL did not start"; }
T1=$(date +%s.%N)

# The DaCHS server boots (python imports, RD preload) while the dataset is
# imported; "ready" waits for both.  The import runs as dachsroot (owner of
# /var/gavo); the server is started as root and drops to the gavo user
# ([web]user).
start_server
runuser -u dachsroot -- dachs --suppress-log imp srcnet/q >/tmp/srcnet-import.log 2>&1 &
wait_for $! || { cat /tmp/srcnet-import.log >&2; fail "dachs imp srcnet/q"; }
T2=$(date +%s.%N)

# After the import, which recreates the srcnet tables the service writes to
# (it re-inserts products it published before a container restart).
start_ingest

python3 /usr/local/lib/srcnet-dachs/ready.py --data "$DATA" \
	--timeout "${DACHS_READY_TIMEOUT:-120}" --pidfile "$STATE/server.pid" \
	--ingest-pidfile "$STATE/ingest.pid" &
wait_for $! || fail "TAP did not become ready"
T3=$(date +%s.%N)
info "$(awk -v a="$T0" -v b="$T1" -v c="$T2" -v d="$T3" 'BEGIN { printf "started in %.1f s (postgres %.1f s, import %.1f s, then ready after %.1f s)", d-a, b-a, c-b, d-c }'); serverURL $SERVER_URL, authority $AUTHORITY"
echo "srcnet-dachs: ready"

# Either process ending ends the container (non-zero), so the stack sees it.
while true; do
	done_pid=""
	wait -n -p done_pid "$DACHS_PID" "$INGEST_PID"
	rc=$?
	if [ "$RESTARTING" = 1 ]; then
		RESTARTING=0
		continue
	fi
	if [ -z "${done_pid:-}" ]; then
		continue   # `wait` interrupted by a signal
	elif [ "$done_pid" = "$INGEST_PID" ]; then
		echo "srcnet-dachs: ingestion service exited unexpectedly (status $rc)" >&2
		INGEST_PID=""
	elif [ "$done_pid" = "$DACHS_PID" ]; then
		echo "srcnet-dachs: DaCHS server exited unexpectedly (status $rc)" >&2
		DACHS_PID=""
	else
		continue   # the server replaced by a HUP restart
	fi
	stop_all
	[ "$rc" -eq 0 ] && rc=1
	exit "$rc"
done
