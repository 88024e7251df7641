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
install -d -o xrootd -g xrootd /srv/storage/.well-known
printf 'ok\n' > /srv/storage/.well-known/srcnet-health
chown xrootd:xrootd /srv/storage/.well-known/srcnet-health
if [ "$(stat -c %U "$tls/hostkey.pem")" != xrootd ]; then
  install -d -o xrootd -g xrootd /run/xrootd/tls
  install -o xrootd -g xrootd -m 0600 "$tls/hostkey.pem" /run/xrootd/tls/hostkey.pem
  install -o xrootd -g xrootd -m 0644 "$tls/hostcert.pem" /run/xrootd/tls/hostcert.pem
  sed -i "s#^xrd.tls .*#xrd.tls /run/xrootd/tls/hostcert.pem /run/xrootd/tls/hostkey.pem#" /etc/xrootd/srcnet.cfg
fi
echo "srcnet-xrootd: starting site=${SITE:-unknown}" >&2
/usr/bin/xrootd -R xrootd -c /etc/xrootd/srcnet.cfg -n srcnet &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
for _ in $(seq 1 200); do
  if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1094) 2>/dev/null; then
    echo "srcnet-xrootd: ready site=${SITE:-unknown}"
    break
  fi
  kill -0 $pid 2>/dev/null || { wait $pid; exit $?; }
  sleep 0.1
done
wait $pid
