#!/bin/bash
# Env: SITE (the site's name, for logs). Certificates: /etc/xrootd/tls/{hostcert,hostkey}.pem and
# the CA folder /etc/grid-security/certificates, mounted by the stack; made self-signed when absent.
set -euo pipefail
tls=/etc/xrootd/tls
ca=/etc/grid-security/certificates
if [ ! -s "$tls/hostcert.pem" ]; then
  mkdir -p "$tls" "$ca"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$(hostname)" \
    -addext "subjectAltName=DNS:$(hostname),DNS:localhost,IP:127.0.0.1" \
    -keyout "$tls/hostkey.pem" -out "$tls/hostcert.pem" 2>/dev/null
  cp "$tls/hostcert.pem" "$ca/$(openssl x509 -hash -noout -in "$tls/hostcert.pem").0"
fi
# XRootD refuses to run as root: its user owns the data, run and TLS files.
install -d -o xrootd -g xrootd /run/xrootd /srv/storage /var/log/xrootd
chown xrootd:xrootd /srv/storage
install -d -o xrootd -g xrootd /srv/storage/.well-known /srv/storage/rucio
printf 'ok\n' > /srv/storage/.well-known/srcnet-health
chown xrootd:xrootd /srv/storage/.well-known/srcnet-health
if [ "$(stat -c %U "$tls/hostkey.pem")" != xrootd ]; then
  install -d -o xrootd -g xrootd /run/xrootd/tls
  install -o xrootd -g xrootd -m 0600 "$tls/hostkey.pem" /run/xrootd/tls/hostkey.pem
  install -o xrootd -g xrootd -m 0644 "$tls/hostcert.pem" /run/xrootd/tls/hostcert.pem
  sed -i "s#^xrd.tls .*#xrd.tls /run/xrootd/tls/hostcert.pem /run/xrootd/tls/hostkey.pem#" /etc/xrootd/srcnet.cfg
fi
# healthy: the server answers the health file over HTTP within 3 s.
healthy() {
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8000 || exit 1
    printf "GET /.well-known/srcnet-health HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3
    IFS= read -r line <&3 && [[ "$line" == HTTP/1.?\ 200* ]]' 2>/dev/null
}

# Supervision from here: a failed probe or a killed server is what the loop handles, not an error.
set +e
stopping=0
pid=
trap 'stopping=1; [ -n "$pid" ] && kill -TERM $pid 2>/dev/null' TERM INT
ready=0
# The server, restarted when it stops answering. XRootD 5.5 can wedge for good under concurrent
# HTTP third-party copies whose clients stat missing paths (a link closed twice: "XrdLink: Unable to
# close ...; bad file descriptor", then "Dispatch on closed link"; cf. xrootd issues #1928, #2480):
# like a site's liveness probe, three failed health checks in a row (about 10 s) end it with KILL
# and it starts again on the same storage. Copies in flight fail; Rucio retries them.
while [ "$stopping" = 0 ]; do
  echo "srcnet-xrootd: starting site=${SITE:-unknown}" >&2
  /usr/bin/xrootd -R xrootd -c /etc/xrootd/srcnet.cfg -n srcnet &
  pid=$!
  for _ in $(seq 1 200); do
    if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1094) 2>/dev/null; then break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" = 0 ] && kill -0 $pid 2>/dev/null; then
    ready=1
    echo "srcnet-xrootd: ready site=${SITE:-unknown}"
  fi
  failures=0
  while [ "$stopping" = 0 ] && kill -0 $pid 2>/dev/null; do
    sleep 3 & wait $!
    if healthy; then failures=0; else failures=$((failures + 1)); fi
    if [ "$failures" -ge 3 ]; then
      echo "srcnet-xrootd: no answer to 3 health checks: restarting the server (site=${SITE:-unknown})" >&2
      kill -KILL $pid 2>/dev/null
      break
    fi
  done
  rc=0
  wait $pid 2>/dev/null || rc=$?
  [ "$stopping" = 1 ] && exit 0
  # A server that cannot start at all is not a hang: give up.
  [ "$ready" = 0 ] && exit $(( rc == 0 ? 1 : rc ))
  sleep 1
done
