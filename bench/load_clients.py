"""What the load's clients cost per request, each against a named peer measured in the same run,
on a local server in this process (so the server's own work is in both): pyvo's sync TAP query of
a 1000-row VOTable against a bare requests POST of the same form; its parse against counting
<TR> elements; the Rucio client's add_dataset against a bare requests POST to
the same path; Locust's session (LibrarySession) against a bare requests.Session; the FITS header
port against astropy.io.fits. Prints a ratio per line (milliseconds per call, then the ratio).

    npm run bench:load-clients   ($(bash scripts/python-venv.sh)/bin/python bench/load_clients.py)
"""

from __future__ import annotations

import locust  # noqa: F401  isort: skip  (gevent's monkey-patching first)

import io
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import gevent
import numpy as np
import requests
from astropy.io import fits
from astropy.io.votable import parse as votable_parse
from astropy.io.votable.tree import Field, Info, Resource, TableElement, VOTableFile
from gevent.pywsgi import WSGIServer
from locust.event import Events
from pyvo.dal import TAPService
from pyvo.dal.tap import TAPResults

from srcnet_load.services.session import LibrarySession
from srcnet_load.services.soda import fits_header

ROWS = 1000


def votable(rows: int, tabledata: bool) -> bytes:
    v = VOTableFile()
    res = Resource(type="results")
    v.resources.append(res)
    res.infos.append(Info(name="QUERY_STATUS", value="OK"))
    t = TableElement(v)
    res.tables.append(t)
    t.fields.extend([Field(v, name="obs_publisher_did", datatype="char", arraysize="*"), Field(v, name="s_ra", datatype="double"), Field(v, name="s_dec", datatype="double"), Field(v, name="t_min", datatype="double")])
    t.create_arrays(rows)
    t.array["obs_publisher_did"] = [f"ivo://skao.int/sv?product-{i:06d}" for i in range(rows)]
    for c in ("s_ra", "s_dec", "t_min"):
        t.array[c] = np.random.default_rng(1).uniform(0, 360, rows)
    out = io.BytesIO()
    v.to_xml(out, tabledata_format="tabledata" if tabledata else "binary2")
    return out.getvalue()


TD, B2 = votable(ROWS, True), votable(ROWS, False)
FITS_BODY = io.BytesIO()
fits.PrimaryHDU(np.zeros((64, 64), dtype=np.float32)).writeto(FITS_BODY)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    n = int(environ.get("CONTENT_LENGTH") or 0)
    if n:
        environ["wsgi.input"].read(n)
    if path == "/auth/userpass":
        start_response("200 OK", [("X-Rucio-Auth-Token", "tok"), ("Content-Length", "0")])
        return [b""]
    if path.startswith("/dids/") and method == "POST":
        start_response("201 Created", [("Content-Length", "7")])
        return [b"Created"]
    if path == "/tap/sync":
        body = TD
        start_response("200 OK", [("Content-Type", "application/x-votable+xml"), ("Content-Length", str(len(body)))])
        return [body]
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]


def per_call(f: Callable[[], Any], seconds: float = 2.0) -> float:
    """Milliseconds per call: runs `f` for about `seconds` after a warm-up."""
    for _ in range(5):
        f()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        f()
        n += 1
    return (time.perf_counter() - t0) / n * 1000


def line(what: str, mine: float, peer_name: str, peer: float) -> None:
    print(f"{what:<44} {mine:8.3f} ms   vs {peer_name:<36} {peer:8.3f} ms   ratio {mine / peer:6.2f}")


def main() -> None:
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.init_socket()
    # Inherited by each connection: without it a small response waits for the client's delayed
    # ACK (Nagle), 40 ms a request, which would hide every client's cost.
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        events = Events()
        session = LibrarySession(frozenset(["127.0.0.1"]), events.request, 10.0)
        bare = requests.Session()
        form = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT TOP 1000 * FROM ivoa.obscore", "RESPONSEFORMAT": "application/x-votable+xml;serialization=TABLEDATA"}
        tap = TAPService(f"{base}/tap", session=session)
        print(f"TAP result: {ROWS} rows, {len(TD)} bytes as TABLEDATA, {len(B2)} as BINARY2")
        line(
            "pyvo run_sync (1000 rows, TABLEDATA)",
            per_call(lambda: len(tap.run_sync(form["QUERY"], RESPONSEFORMAT=form["RESPONSEFORMAT"]))),
            "bare requests POST, body read",
            per_call(lambda: bare.post(f"{base}/tap/sync", data=form).content),
        )
        line(
            "astropy parse + TAPResults (TABLEDATA)",
            per_call(lambda: len(TAPResults(votable_parse(io.BytesIO(TD))))),
            "count <TR> elements (a regex)",
            per_call(lambda: len(re.findall(rb"<TR[\s>]", TD))),
        )
        line(
            "astropy parse + TAPResults (BINARY2)",
            per_call(lambda: len(TAPResults(votable_parse(io.BytesIO(B2))))),
            "astropy parse + TAPResults (TABLEDATA)",
            per_call(lambda: len(TAPResults(votable_parse(io.BytesIO(TD))))),
        )
        line(
            "LibrarySession POST (Locust, row event)",
            per_call(lambda: session.post(f"{base}/dids/s/n", data="{}").content),
            "bare requests POST",
            per_call(lambda: bare.post(f"{base}/dids/s/n", data="{}").content),
        )

        from srcnet_load.services.rucio import _Client

        args: dict[str, Any] = {"rucio_host": base, "auth_host": base, "account": "bench", "auth_type": "userpass", "creds": {"username": "u", "password": "p"}, "timeout": 10}
        client = _Client(session, None, **args)
        # The same client on a plain requests.Session (as rucio-clients makes it; no token file).
        plain = _Client(requests.Session(), None, **args)
        headers = {"X-Rucio-Auth-Token": "tok", "X-Rucio-Account": "bench", "X-Rucio-VO": "def"}
        k = iter(range(10**9))
        line(
            "Rucio add_dataset (on LibrarySession)",
            per_call(lambda: client.add_dataset("s", f"d{next(k)}")),
            "bare requests POST, same path",
            per_call(lambda: bare.post(f"{base}/dids/s/d{next(k)}", data='{"type": "DATASET"}', headers=headers).content),
        )
        line(
            "Rucio add_dataset (plain requests.Session)",
            per_call(lambda: plain.add_dataset("s", f"d{next(k)}")),
            "bare requests POST, same path",
            per_call(lambda: bare.post(f"{base}/dids/s/d{next(k)}", data='{"type": "DATASET"}', headers=headers).content),
        )
        body = FITS_BODY.getvalue()
        line(
            "FITS header port (soda.fits_header)",
            per_call(lambda: fits_header(body)),
            "astropy fits.Header.fromstring",
            per_call(lambda: fits.Header.fromstring(body[:2880])),
        )
    finally:
        server.stop(timeout=2)
        gevent.sleep(0)


if __name__ == "__main__":
    main()
