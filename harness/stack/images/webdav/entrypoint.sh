#!/bin/bash
# Env: SITE (the site's name, for logs). The storage area may be a tmpfs mounted by the stack.
set -euo pipefail
mkdir -p /srv/storage/.tmp
chown -R www-data:www-data /srv/storage
nginx -t -q
echo "srcnet-webdav: ready site=${SITE:-unknown}"
exec nginx -g 'daemon off;'
