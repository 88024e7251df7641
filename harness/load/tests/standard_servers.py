"""HTTP servers on 127.0.0.1 that speak the services' standards, for the client libraries to talk
to (no DaCHS or Rucio here; the TypeScript campaign tests run those): TAP 1.1 sync and async with
a UWS 1.1 job state machine, SODA cutouts as FITS files, Rucio's REST API as the rucio-clients
41.5.1 client calls it, WebDAV PUT and an ingestion service. Their artefacts are written by
astropy (VOTables, FITS) and every request is logged, so tests assert on what was sent.

References for the formats: TAP 1.1 (sync/async, results/result, QUERY_STATUS), UWS 1.1 (303 to
the job on creation and on a phase change, the job document, phases), DALI 1.1 (the error
document), FITS 4.0 (via astropy.io.fits), Rucio's flask API (x-json-stream lines, error
responses with ExceptionClass/ExceptionMessage headers and JSON body, 201 on creation)."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from astropy.io import fits
from astropy.io.votable.tree import Field, Info, Resource, TableElement, VOTableFile


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[Seen, str], Reply]


@contextmanager
def serve(route: Route) -> Iterator[tuple[str, list[Seen]]]:
    """Serves `route(request, base URL) -> (status, headers, body)`; yields (base URL, the requests
    seen). Stopped (and joined, bounded) when the block ends."""
    seen: list[Seen] = []
    lock = threading.Lock()
    base = ""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm holds the
            # body until the client's delayed ACK (40 ms a response).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _any(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            u = urlsplit(self.path)
            req = Seen(self.command, u.path, parse_qs(u.query), {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                seen.append(req)
            status, headers, out = route(req, base)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # Room for every connection a test opens at once (the default backlog is 5).
        request_queue_size = 128
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield base, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- VOTables (TAP results) --------------------------------------------------------------------

TABLEDATA = "application/x-votable+xml;serialization=TABLEDATA"
VOTABLE = "application/x-votable+xml"


def votable(rows: int, status: str | None = "OK", tabledata: bool = True) -> bytes:
    """A TAP result of `rows` rows (obs_publisher_did, ra, dec), written by astropy, with its
    QUERY_STATUS INFO in the results resource (none when `status` is None)."""
    v = VOTableFile()
    res = Resource(type="results")
    v.resources.append(res)
    if status is not None:
        res.infos.append(Info(name="QUERY_STATUS", value=status))
    t = TableElement(v)
    res.tables.append(t)
    t.fields.extend([Field(v, name="obs_publisher_did", datatype="char", arraysize="*"), Field(v, name="ra", datatype="double"), Field(v, name="dec", datatype="double")])
    t.create_arrays(rows)
    t.array["obs_publisher_did"] = [f"ivo://test/p{i}" for i in range(rows)]
    t.array["ra"] = np.linspace(0.0, 10.0, rows)
    t.array["dec"] = np.linspace(-5.0, 5.0, rows)
    out = io.BytesIO()
    v.to_xml(out, tabledata_format="tabledata" if tabledata else "binary2")
    return out.getvalue()


def votable_error(message: str) -> bytes:
    """DALI's error document: QUERY_STATUS ERROR, the message, no table."""
    v = VOTableFile()
    res = Resource(type="results")
    v.resources.append(res)
    info = Info(name="QUERY_STATUS", value="ERROR")
    info.content = message
    res.infos.append(info)
    out = io.BytesIO()
    v.to_xml(out)
    return out.getvalue()


# -- TAP with UWS -------------------------------------------------------------------------------

# What a query does, by its ADQL text: the rows it returns and the phases its async job goes
# through after RUN (one step per read of the job; the last phase stays).
@dataclass
class Query:
    rows: int = 0
    status: str | None = "OK"
    http_status: int = 200
    phases: list[str] = field(default_factory=lambda: ["QUEUED", "EXECUTING", "COMPLETED"])
    # Where the creation redirects to (UWS: the job's URL); None: this server's job URL.
    job_location: str | None = None
    # How long a sync answer takes.
    delay_seconds: float = 0.0


@dataclass
class Job:
    id: str
    query: Query
    phase: str = "PENDING"
    script: list[str] = field(default_factory=list)

    def read(self) -> str:
        """A read of the job: the phase moves one step along its script."""
        if self.phase not in ("PENDING",) and self.script:
            self.phase = self.script.pop(0)
        return self.phase


class Tap:
    """A TAP service at `/tap`: POST /sync, POST /async (303 to the job), the job document,
    /phase (GET text, POST PHASE=RUN: 303 to the job), /results/result, DELETE (303 to the list)."""

    def __init__(self, queries: dict[str, Query], catalogue: Callable[[str], int | None] | None = None) -> None:
        self.queries = queries
        # Rows of a query not listed (e.g. the ingestion's discovery queries), or None: unknown.
        self.catalogue = catalogue
        self.jobs: dict[str, Job] = {}
        self.deleted: list[str] = []
        self.lock = threading.Lock()
        self.next_id = 0

    def _query(self, adql: str) -> Query | None:
        q = self.queries.get(adql)
        if q is None and self.catalogue is not None:
            rows = self.catalogue(adql)
            q = Query(rows=rows) if rows is not None else None
        return q

    def _result(self, q: Query | None, fmt: str) -> Reply:
        if q is None:
            return 400, {"Content-Type": VOTABLE}, votable_error("unknown table")
        if q.status == "ERROR":
            return q.http_status, {"Content-Type": VOTABLE}, votable_error("query failed")
        return q.http_status, {"Content-Type": VOTABLE}, votable(q.rows, q.status, tabledata=fmt == TABLEDATA)

    def job_xml(self, job: Job, base: str) -> bytes:
        results = f'<uws:result id="result" xlink:href="{base}/tap/async/{job.id}/results/result"/>' if job.phase == "COMPLETED" else ""
        error = '<uws:errorSummary type="fatal" hasDetail="false"><uws:message>query failed</uws:message></uws:errorSummary>' if job.phase == "ERROR" else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1">'
            f"<uws:jobId>{job.id}</uws:jobId><uws:ownerId xsi:nil=\"true\"/><uws:phase>{job.phase}</uws:phase>"
            '<uws:quote xsi:nil="true"/><uws:creationTime>2026-01-01T00:00:00Z</uws:creationTime>'
            '<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/><uws:executionDuration>600</uws:executionDuration>'
            '<uws:destruction>2026-02-01T00:00:00Z</uws:destruction>'
            '<uws:parameters><uws:parameter id="lang">ADQL</uws:parameter><uws:parameter id="request">doQuery</uws:parameter></uws:parameters>'
            f"<uws:results>{results}</uws:results>{error}</uws:job>"
        ).encode()

    def __call__(self, req: Seen, base: str) -> Reply:
        p = req.path
        if p == "/tap/sync" and req.method == "POST":
            f = req.form()
            q = self._query(f.get("QUERY", ""))
            if q is not None and q.delay_seconds > 0:
                time.sleep(q.delay_seconds)
            return self._result(q, f.get("RESPONSEFORMAT", ""))
        if p == "/tap/async" and req.method == "POST":
            f = req.form()
            q = self._query(f.get("QUERY", "")) or Query()
            with self.lock:
                jid = str(self.next_id)
                self.next_id += 1
                self.jobs[jid] = Job(jid, q, script=list(q.phases))
            return 303, {"Location": q.job_location or f"{base}/tap/async/{jid}"}, b""
        parts = p.split("/")  # ['', 'tap', 'async', id, ...]
        if len(parts) >= 4 and parts[1:3] == ["tap", "async"]:
            job = self.jobs.get(parts[3])
            if job is None:
                return 404, {"Content-Type": "text/plain"}, b"no such job"
            rest = parts[4:]
            if not rest and req.method == "GET":
                job.read()
                return 200, {"Content-Type": "text/xml"}, self.job_xml(job, base)
            if not rest and req.method == "DELETE":
                del self.jobs[job.id]
                self.deleted.append(job.id)
                return 303, {"Location": f"{base}/tap/async"}, b""
            if rest == ["phase"] and req.method == "GET":
                return 200, {"Content-Type": "text/plain"}, job.read().encode()
            if rest == ["phase"] and req.method == "POST":
                if req.form().get("PHASE") == "RUN" and job.phase == "PENDING":
                    job.phase = job.script.pop(0) if job.script else "QUEUED"
                return 303, {"Location": f"{base}/tap/async/{job.id}"}, b""
            if rest == ["results", "result"] and req.method == "GET":
                if job.phase != "COMPLETED":
                    return 404, {"Content-Type": "text/plain"}, b"no result yet"
                return self._result(job.query, TABLEDATA)
        return 404, {"Content-Type": "text/plain"}, b"not found"


# -- SODA ---------------------------------------------------------------------------------------


def fits_image(nx: int, ny: int, step_deg: float, *, cd: bool = False, planes: int = 0) -> bytes:
    """A FITS image (or cube with `planes` planes) written by astropy, `step_deg` per pixel, as
    CDELTn or as a CD matrix."""
    shape = (planes, ny, nx) if planes else (ny, nx)
    hdu = fits.PrimaryHDU(np.zeros(shape, dtype=np.float32))
    h = hdu.header
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
    if cd:
        h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = -step_deg, 0.0, 0.0, step_deg
    else:
        h["CDELT1"], h["CDELT2"] = -step_deg, step_deg
    h["OBJECT"] = ("a/b/c", "a value with slashes")
    out = io.BytesIO()
    hdu.writeto(out)
    return out.getvalue()


class Soda:
    """SODA sync at `/soda/dlget`: answers by ID (`cutouts`: ID -> (status, content type, body))."""

    def __init__(self, cutouts: dict[str, tuple[int, str, bytes]]) -> None:
        self.cutouts = cutouts

    def __call__(self, req: Seen, base: str) -> Reply:
        if req.path != "/soda/dlget" or req.method != "GET":
            return 404, {}, b"not found"
        status, ctype, body = self.cutouts.get(req.query.get("ID", [""])[0], (404, "text/plain", b"no such product"))
        return status, {"Content-Type": ctype}, body


# -- Rucio --------------------------------------------------------------------------------------


def rucio_error(status: int, cls: str, msg: str) -> Reply:
    """An error as Rucio's flask API answers it (web/rest/flaskapi/v1/common.py)."""
    return status, {"Content-Type": "application/octet-stream", "ExceptionClass": cls, "ExceptionMessage": msg}, json.dumps({"ExceptionClass": cls, "ExceptionMessage": msg}).encode()


class Rucio:
    """The REST paths the operations use: /auth/userpass, /dids/{scope}/{name} (POST),
    /dids/{scope}/{name}/rules (GET), /replicas (POST), /replicas/list (POST), /rules/ (POST),
    /rses/{rse}/lfns2pfns (GET)."""

    def __init__(self, username: str = "", password: str = "", tokens: list[str] | None = None, pfn_base: str = "") -> None:
        self.username, self.password = username, password
        # Tokens /auth/userpass hands out, in turn; valid ones are accepted on every other path.
        self.issue = list(tokens or [])
        self.valid: set[str] = set()
        self.pfn_base = pfn_base
        self.dids: dict[tuple[str, str], str] = {}
        self.replicas: dict[tuple[str, str], dict[str, str]] = {}  # did -> rse -> state
        self.rules: list[dict[str, Any]] = []
        # Status to answer on a path prefix instead (e.g. 500 on /rules/), and how many times.
        self.fail: dict[str, tuple[int, int]] = {}
        # Reads of a DID's replicas before they show as AVAILABLE (then COPYING).
        self.available_after = 0
        self.reads: dict[tuple[str, str], int] = {}

    def __call__(self, req: Seen, base: str) -> Reply:
        p = req.path
        for prefix, (status, times) in list(self.fail.items()):
            if p.startswith(prefix) and times > 0:
                self.fail[prefix] = (status, times - 1)
                return rucio_error(status, "RucioException", "injected failure")
        if p == "/auth/userpass":
            if req.headers.get("x-rucio-username") != self.username or req.headers.get("x-rucio-password") != self.password or not self.issue:
                return rucio_error(401, "CannotAuthenticate", "Cannot authenticate with given credentials")
            token = self.issue.pop(0)
            self.valid.add(token)
            return 200, {"X-Rucio-Auth-Token": token, "X-Rucio-Auth-Token-Expires": "Thu, 01 Jan 2099 00:00:00 UTC", "Content-Type": "application/octet-stream"}, b""
        if req.headers.get("x-rucio-auth-token") not in self.valid:
            return rucio_error(401, "CannotAuthenticate", "Cannot authenticate with given credentials")
        parts = [x for x in p.split("/") if x]
        if req.method == "POST" and len(parts) == 3 and parts[0] == "dids":
            did = (parts[1], parts[2])
            if did in self.dids:
                return rucio_error(409, "DataIdentifierAlreadyExists", "Data Identifier already exists!")
            self.dids[did] = req.json()["type"]
            return 201, {}, b"Created"
        if req.method == "GET" and len(parts) == 4 and parts[0] == "dids" and parts[3] == "rules":
            did = {"scope": parts[1], "name": parts[2]}
            lines = [json.dumps({"id": f"r{i}", "scope": did["scope"], "name": did["name"], "state": "OK"}) for i, r in enumerate(self.rules) if did in r["dids"]]
            return 200, {"Content-Type": "application/x-json-stream"}, "".join(line + "\n" for line in lines).encode()
        if req.method == "POST" and p == "/replicas":
            b = req.json()
            for f in b["files"]:
                self.replicas.setdefault((f["scope"], f["name"]), {})[b["rse"]] = "AVAILABLE"
            return 201, {}, b"Created"
        if req.method == "POST" and p == "/replicas/list":
            out = []
            for did in req.json()["dids"]:
                key = (did["scope"], did["name"])
                n = self.reads[key] = self.reads.get(key, 0) + 1
                states = self.replicas.get(key, {})
                shown = {rse: (s if n > self.available_after else "COPYING") for rse, s in states.items()}
                out.append({"scope": key[0], "name": key[1], "bytes": 1, "md5": "", "adler32": "", "pfns": {}, "rses": {rse: [] for rse in states}, "states": shown})
            return 200, {"Content-Type": "application/x-json-stream"}, "".join(json.dumps(x) + "\n" for x in out).encode()
        if req.method == "POST" and p == "/rules/":
            self.rules.append(req.json())
            return 201, {}, json.dumps([f"rule{len(self.rules)}"]).encode()
        if req.method == "GET" and len(parts) == 3 and parts[0] == "rses" and parts[2] == "lfns2pfns":
            rse = parts[1]
            out = {lfn: f"{self.pfn_base}/{rse}/{lfn.replace(':', '/')}" for lfn in req.query.get("lfn", [])}
            return 200, {"Content-Type": "application/json"}, json.dumps(out).encode()
        return rucio_error(404, "RucioException", f"no route {req.method} {p}")


# -- WebDAV and the ingestion service ------------------------------------------------------------


class Storage:
    """WebDAV PUT (201, or `put_status`: e.g. 507 when full) and GET of what was put."""

    def __init__(self, put_status: int = 201) -> None:
        self.files: dict[str, bytes] = {}
        self.put_status = put_status

    def __call__(self, req: Seen, base: str) -> Reply:
        if req.method == "PUT" and self.put_status != 201:
            return self.put_status, {}, b"Insufficient Storage"
        if req.method == "PUT":
            self.files[req.path] = req.body
            return 201, {}, b""
        if req.method == "GET" and req.path in self.files:
            return 200, {}, self.files[req.path]
        return 404, {}, b""


class Ingestion:
    """POST /products: 201, the product kept."""

    def __init__(self) -> None:
        self.products: list[dict[str, Any]] = []

    def __call__(self, req: Seen, base: str) -> Reply:
        if req.method == "POST" and req.path == "/products":
            self.products.append(req.json())
            return 201, {"Content-Type": "application/json"}, b'{"status": "accepted"}'
        return 404, {}, b""
