#!/bin/sh
# srcnet-dachs-set-url URL: change DaCHS's [web]serverURL in a running
# container (e.g. once testcontainers knows the mapped host port):
#   docker exec <container> srcnet-dachs-set-url http://127.0.0.1:49153
# Rewrites /etc/gavo.rc, makes the entrypoint (PID 1) restart the DaCHS
# server, and returns once /tap/capabilities advertises the new URL
# (exit 0; exit 1 after DACHS_SET_URL_TIMEOUT seconds, default 60).
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
python3 - "$url" "${DACHS_SET_URL_TIMEOUT:-60}" <<'EOF'
import sys, time, urllib.request
url, timeout = sys.argv[1], float(sys.argv[2])
want = (url + "/tap").encode()
deadline = time.monotonic() + timeout
time.sleep(0.5)
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen("http://127.0.0.1:8080/tap/capabilities", timeout=10) as r:
            if want in r.read():
                print("srcnet-dachs-set-url: serverURL is now " + url)
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
print("srcnet-dachs-set-url: server did not come back with " + url, file=sys.stderr)
sys.exit(1)
EOF
