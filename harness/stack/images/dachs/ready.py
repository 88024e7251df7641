"""Readiness check run by the entrypoint (and srcnet-dachs-set-url): waits until the
ingestion service on 127.0.0.1:8081 answers /health, DaCHS on 127.0.0.1:8080
answers TAP with as many ivoa.obscore rows as /data/catalogue.csv has plus the
products ingested at run time, and, when the dataset has FITS payloads, the
SODA service describes one of them (this also makes sure the srcnet/q RD is
loaded).  Exit 0 when ready; exit 1 on a wrong row count, when the server
process (pid in --pidfile) or the ingestion service (--ingest-pidfile) is
gone, or after --timeout seconds."""
import argparse
import csv
import glob
import json
import os
import sys
import time
import urllib.parse
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/data")
ap.add_argument("--timeout", type=float, default=120)
ap.add_argument("--pidfile", default="")
ap.add_argument("--base", default="http://127.0.0.1:8080")
ap.add_argument("--ingest", default="http://127.0.0.1:8081")
ap.add_argument("--ingest-pidfile", default="")
ap.add_argument("--expect-url", default="",
    help="also wait until /tap/capabilities advertises this serverURL")
args = ap.parse_args()

with open(os.path.join(args.data, "catalogue.csv"), newline="", encoding="utf-8") as f:
    expected = sum(1 for _ in csv.DictReader(f))
has_fits = bool(glob.glob(os.path.join(args.data, "files", "*", "*.fits")))


def get(path, **params):
    url = f"{args.base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode("utf-8", "replace")


def tap(query):
    text = get("/tap/sync", REQUEST="doQuery", LANG="ADQL", RESPONSEFORMAT="text/csv;header=present", QUERY=query)
    return text.strip().splitlines()[1:]


def alive(pidfile):
    if not pidfile:
        return True
    try:
        with open(pidfile) as f:
            os.kill(int(f.read().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


def server_alive():
    return alive(args.pidfile)


def ingested():
    """Products the ingestion service has put into ivoa.obscore."""
    with urllib.request.urlopen(args.ingest + "/health", timeout=10) as r:
        return int(json.load(r)["products"])


deadline = time.monotonic() + args.timeout
last = "no answer yet"
gone_since = None
while time.monotonic() < deadline:
    if not server_alive():
        # tolerate a restart (srcnet-dachs-set-url) in progress
        gone_since = gone_since or time.monotonic()
        if time.monotonic() - gone_since > 15:
            print("srcnet-dachs: the DaCHS server process is gone", file=sys.stderr)
            sys.exit(1)
    else:
        gone_since = None
    if not alive(args.ingest_pidfile):
        print("srcnet-dachs: the ingestion service is gone", file=sys.stderr)
        sys.exit(1)
    try:
        if args.expect_url and (args.expect_url + "/tap").encode() not in get("/tap/capabilities").encode():
            raise ValueError("capabilities do not show " + args.expect_url + " yet")
        # Products may be ingested or deleted meanwhile: bracket the count.
        before = ingested()
        got = int(tap("SELECT COUNT(*) AS n FROM ivoa.obscore")[0])
        after = ingested()
        if not expected + min(before, after) <= got <= expected + max(before, after):
            print(f"srcnet-dachs: FAILED: ivoa.obscore has {got} rows, catalogue.csv {expected}"
                  f" and the ingestion service {before}..{after}", file=sys.stderr)
            sys.exit(1)
        if has_fits:
            pubdid = tap("SELECT TOP 1 pubdid FROM srcnet.files WHERE mime='image/fits'")[0].strip()
            if 'name="CIRCLE"' not in get("/srcnet/q/dl/dlmeta", ID=pubdid):
                print(f"srcnet-dachs: FAILED: no SODA CIRCLE parameter for {pubdid}", file=sys.stderr)
                sys.exit(1)
        sys.exit(0)
    except (OSError, ValueError, IndexError, KeyError) as e:
        last = repr(e)
    time.sleep(0.2)
print(f"srcnet-dachs: TAP not ready after {args.timeout:.0f} s: {last}", file=sys.stderr)
sys.exit(1)
