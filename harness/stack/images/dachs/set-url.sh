#!/bin/sh
# srcnet-dachs-set-url URL: change DaCHS's [web]serverURL in a running
# container (e.g. once testcontainers knows the mapped host port):
#   docker exec <container> srcnet-dachs-set-url http://127.0.0.1:49153
# Rewrites /etc/gavo.rc, makes the entrypoint (PID 1) restart the DaCHS
# server, and returns once the server is back: /tap/capabilities advertises
# the new URL, TAP answers with all rows and SODA answers (exit 0; exit 1
# after DACHS_SET_URL_TIMEOUT seconds, default 90).
set -eu
url="${1:?usage: srcnet-dachs-set-url http://host:port}"
url="${url%/}"
case "$url" in
	http://*|https://*) ;;
	*) echo "srcnet-dachs-set-url: URL must start with http:// or https://" >&2; exit 2;;
esac
if grep -qx "serverURL: $url" /etc/gavo.rc; then
	echo "srcnet-dachs-set-url: serverURL is already $url"
	exit 0
fi
sed -i "s|^serverURL:.*|serverURL: $url|" /etc/gavo.rc
kill -HUP 1
sleep 0.5
if python3 /usr/local/lib/srcnet-dachs/ready.py --data /data --expect-url "$url" \
		--timeout "${DACHS_SET_URL_TIMEOUT:-90}" --pidfile /run/srcnet-dachs/server.pid; then
	echo "srcnet-dachs-set-url: serverURL is now $url"
else
	echo "srcnet-dachs-set-url: server did not come back with $url" >&2
	exit 1
fi
