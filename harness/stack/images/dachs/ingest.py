"""srcnet-dachs ingestion service: the last step of SRCNet's ingestion (after
the upload, the Rucio registration and the replication rule) -- publishing a
product's metadata so that TAP finds it in ivoa.obscore.

ivoa.obscore is a plain view (UNION ALL) over the tables of the RDs published
into it, here srcnet.catalogue_fits and srcnet.catalogue_other, so a row
inserted into srcnet.catalogue_other is in ivoa.obscore as soon as it commits.
Products come without a payload under /data, so that half is the right one
(no SODA; access_url is the posted one).

    POST   /products                      JSON object, fields as a catalogue.csv row
    GET    /products?obs_publisher_did=D  the product as stored (this service's only)
    DELETE /products?obs_publisher_did=D  unpublish a product this service added
    GET    /health                        {"status": "ok", "products": n}

Bookkeeping lives in srcnet_ingest.products (not a DaCHS schema, so not in
TAP), which also says which rows this service may delete.  The entrypoint
starts the service after each `dachs imp srcnet/q`; as that import recreates
the srcnet tables, the service re-inserts the bookkept products first, so they
survive a container restart the way the rest of the container's state does.

Runs as dachsroot and connects as DaCHS's feed profile (gavoadmin), the role
that owns the srcnet tables.  Env: INGEST_PORT (8081), GAVO_ETC (/var/gavo/etc).
"""
import json
import math
import os
import re
import signal
import sys
import threading
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import psycopg2.pool

# The import's own STC-S parser (q.rd's catalogueRowmaker), so an ingested
# s_region is the same 32-gon an imported one would be.
from gavo.stc import parseSimpleSTCS

PORT = int(os.environ.get("INGEST_PORT", "8081"))
GAVO_ETC = os.environ.get("GAVO_ETC", "/var/gavo/etc")
MAX_BODY = 64 * 1024
MAX_CONNECTIONS = 16
TABLE = "srcnet.catalogue_other"


def log(msg):
    print(f"srcnet-dachs-ingest: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------ the product

TEXT, SMALLINT, BIGINT, DOUBLE, REGION = "text", "smallint", "bigint", "double precision", "spoly"
BIGINT_MAX = 2**63 - 1


class Invalid(Exception):
    """A field's problem, worded "<field>: expected ..., found ..."."""


def found(value):
    if value is _MISSING:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


_MISSING = object()
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DID = re.compile(r"ivo://[^\s]+")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+")


def as_text(name, value, required, pattern=None, what="a non-empty string"):
    if not isinstance(value, str):
        raise Invalid(f"{name}: expected {what}, found {found(value)}")
    if value == "":
        # catalogue.csv writes NULL as an empty field
        if required:
            raise Invalid(f"{name}: expected {what}, found \"\"")
        return None
    if "\x00" in value:
        raise Invalid(f"{name}: expected {what} without NUL characters, found {found(value)}")
    if pattern is not None and not pattern.fullmatch(value):
        raise Invalid(f"{name}: expected {what}, found {found(value)}")
    return value


def as_number(name, value, integer, what):
    """A JSON number, or a number written as in catalogue.csv (a string)."""
    if isinstance(value, bool):
        raise Invalid(f"{name}: expected {what}, found {found(value)}")
    if isinstance(value, str):
        v = value.strip()
        if integer and _INT.fullmatch(v):
            return int(v)
        if not integer and _FLOAT.fullmatch(v) and math.isfinite(float(v)):
            return float(v)
        raise Invalid(f"{name}: expected {what}, found {found(value)}")
    if integer and isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if integer and isinstance(value, int):
        return value
    if not integer and isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if math.isfinite(x):
            return x
    raise Invalid(f"{name}: expected {what}, found {found(value)}")


def ranged(lo=None, hi=None):
    def check(x):
        return (lo is None or x >= lo) and (hi is None or x <= hi)
    return check


def number_column(kind, lo=None, hi=None, words=""):
    integer = kind in (SMALLINT, BIGINT)
    what = ("an integer" if integer else "a number") + (f" {words}" if words else "")
    check = ranged(lo, hi)

    def parse(name, value, required):
        if value == "" and not required:
            return None
        x = as_number(name, value, integer, what)
        if not check(x) or (kind == BIGINT and abs(x) > BIGINT_MAX):
            raise Invalid(f"{name}: expected {what}, found {found(value)}")
        return x
    return kind, parse


def text_column(pattern=None, what="a non-empty string"):
    return TEXT, lambda name, value, required: as_text(name, value, required, pattern, what)


def parse_region(name, value, required):
    text = as_text(name, value, required, what="an STC-S region such as \"CIRCLE ICRS ra dec r\"")
    if text is None:
        return None
    try:
        geo = parseSimpleSTCS(text)
        geo.asPoly()
    except Exception:
        raise Invalid(f"{name}: expected an STC-S CIRCLE, POLYGON or BOX in ICRS degrees, found {found(value)}")
    return text


def region_as_spoly(text):
    """pgSphere's spoly text (radians) for an STC-S region, as DaCHS's adapter writes it."""
    poly = parseSimpleSTCS(text).asPoly()
    return "{" + ", ".join("(%r, %r)" % (p.x, p.y) for p in poly.points) + "}"


NONNEG = {"lo": 0, "words": ">= 0"}
# (column, required, (SQL type, parser)): catalogue.csv's columns, in srcnet.catalogue_other's
# order.  Required: what ObsCore needs to identify, locate and fetch a product and to find it
# by position, time and wavelength; calib_level and access_estsize are NOT NULL in the table.
COLUMNS = [
    ("dataproduct_type", True, text_column()),
    ("calib_level", True, number_column(SMALLINT, 0, 4, "in 0..4")),
    ("obs_collection", True, text_column()),
    ("obs_id", True, text_column()),
    ("obs_publisher_did", True, text_column(_DID, "an IVOA identifier (ivo://...)")),
    ("access_url", True, text_column(_URL, "an absolute URL")),
    ("access_format", True, text_column(what="a MIME type")),
    ("access_estsize", True, number_column(BIGINT, **NONNEG)),
    ("target_name", False, text_column()),
    ("s_ra", True, number_column(DOUBLE, 0, 360, "in [0, 360]")),
    ("s_dec", True, number_column(DOUBLE, -90, 90, "in [-90, 90]")),
    ("s_fov", False, number_column(DOUBLE, **NONNEG)),
    ("s_region", False, (REGION, parse_region)),
    ("s_resolution", False, number_column(DOUBLE, **NONNEG)),
    ("s_xel1", False, number_column(BIGINT, **NONNEG)),
    ("s_xel2", False, number_column(BIGINT, **NONNEG)),
    ("t_min", True, number_column(DOUBLE, words="(MJD)")),
    ("t_max", True, number_column(DOUBLE, words="(MJD)")),
    ("t_exptime", False, number_column(DOUBLE, **NONNEG)),
    ("t_resolution", False, number_column(DOUBLE, **NONNEG)),
    ("t_xel", False, number_column(BIGINT, **NONNEG)),
    ("em_min", True, number_column(DOUBLE, words="> 0 (m)")),
    ("em_max", True, number_column(DOUBLE, words="> 0 (m)")),
    ("em_res_power", False, number_column(DOUBLE, **NONNEG)),
    ("em_xel", False, number_column(BIGINT, **NONNEG)),
    ("o_ucd", False, text_column()),
    ("pol_states", False, text_column()),
    ("pol_xel", False, number_column(BIGINT, **NONNEG)),
    ("facility_name", False, text_column()),
    ("instrument_name", False, text_column()),
    ("proposal_id", False, text_column()),
    ("pi_name", False, text_column()),
    ("product_type", False, text_column()),
    ("first_site", False, text_column()),
]
NAMES = [c[0] for c in COLUMNS]


def validate(doc):
    """The product as stored (every column, None for NULL), or Invalid with every problem."""
    if not isinstance(doc, dict):
        raise Invalid(f"body: expected a JSON object, found {found(doc)}")
    problems, product = [], {}
    for name, required, (_, parse) in COLUMNS:
        value = doc.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                problems.append(f"{name}: expected a value (required), found {found(value)}")
            product[name] = None
            continue
        try:
            product[name] = parse(name, value, required)
        except Invalid as e:
            product[name] = None
            problems.append(str(e))
    # Orderings the view's users rely on (interval overlaps in time and wavelength).
    def cmp(lo, hi, strict_positive=False):
        a, b = product.get(lo), product.get(hi)
        if strict_positive and a is not None and a <= 0:
            problems.append(f"{lo}: expected a number > 0 (m), found {found(doc[lo])}")
        elif a is not None and b is not None and b < a:
            problems.append(f"{hi}: expected a number >= {lo} ({a!r}), found {found(doc[hi])}")
    cmp("t_min", "t_max")
    cmp("em_min", "em_max", strict_positive=True)
    for name in doc:
        if name not in product:  # product has every column by now
            problems.append(f"{name}: expected one of the catalogue.csv columns, found an unknown field")
    if problems:
        raise Invalid("\n".join(problems))
    return product


def canonical(product):
    return json.dumps(product, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------- database

def read_profile(name, seen=()):
    """A DaCHS DB profile (/var/gavo/etc/<name>: "key = value" lines, "include <profile>")."""
    if name in seen:
        raise SystemExit(f"srcnet-dachs-ingest: profile include loop at {name}")
    result = {}
    with open(os.path.join(GAVO_ETC, name), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("include "):
                result.update(read_profile(line.split(None, 1)[1].strip(), seen + (name,)))
            elif "=" in line:
                k, v = line.split("=", 1)
                result[k.strip()] = v.strip()
    return result


class Database:
    def __init__(self):
        p = read_profile("feed")
        self.pool = psycopg2.pool.ThreadedConnectionPool(
            1, MAX_CONNECTIONS, dbname=p.get("database", "gavo"), host=p.get("host", "localhost"),
            port=int(p.get("port", "5432")), user=p["user"], password=p.get("password", ""),
            application_name="srcnet-dachs-ingest")
        # ThreadedConnectionPool raises when exhausted; make requests queue instead.
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    @contextmanager
    def cursor(self):
        with self.slots:
            conn = self.pool.getconn()
            broken = False
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                broken = True
                raise
            finally:
                if not broken and not conn.closed:
                    conn.rollback()
                self.pool.putconn(conn, close=broken or bool(conn.closed))


INSERT = "INSERT INTO {} ({}) VALUES ({})".format(
    TABLE, ", ".join(NAMES), ", ".join("%s::spoly" if kind == REGION else "%s" for _, _, (kind, _) in COLUMNS))


def row_values(product):
    return [region_as_spoly(product[n]) if kind == REGION and product[n] is not None else product[n]
            for n, _, (kind, _) in COLUMNS]


def prepare(db):
    """Checks the table still has catalogue.csv's columns, creates the bookkeeping table,
    and re-inserts bookkept products the import at this start has dropped."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            tuple(TABLE.split(".")))
        have = [r[0] for r in cur.fetchall()]
        # Fail at start, not per request, when q.rd's columns and this service drift apart.
        if [c for c in have if c != "accref"] != NAMES:
            raise SystemExit(f"srcnet-dachs-ingest: {TABLE} has columns {have}, expected {NAMES} and accref")
        cur.execute("CREATE SCHEMA IF NOT EXISTS srcnet_ingest")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS srcnet_ingest.products ("
            " obs_publisher_did text PRIMARY KEY,"
            " product text NOT NULL,"  # canonical JSON of the product as stored
            " ingested_at timestamptz NOT NULL DEFAULT now())")
        cur.execute("SELECT obs_publisher_did, product FROM srcnet_ingest.products ORDER BY ingested_at")
        republished = dropped = 0
        for did, text in cur.fetchall():
            cur.execute(f"SELECT 1 FROM {TABLE} WHERE obs_publisher_did = %s LIMIT 1", (did,))
            if cur.fetchone() is not None:
                continue  # no import since the last start: still published
            cur.execute("SELECT 1 FROM srcnet.catalogue_fits WHERE obs_publisher_did = %s LIMIT 1", (did,))
            if cur.fetchone() is not None:
                # The dataset itself has it now: the dataset's row wins.
                cur.execute("DELETE FROM srcnet_ingest.products WHERE obs_publisher_did = %s", (did,))
                dropped += 1
                continue
            cur.execute(INSERT, row_values(json.loads(text)))
            republished += 1
        return republished, dropped


class Conflict(Exception):
    pass


def publish(db, product):
    """201 when published now, 200 when already published with the same content."""
    did, text = product["obs_publisher_did"], canonical(product)
    with db.cursor() as cur:
        if product["s_region"] is not None:
            # pgSphere has the last word on a polygon (e.g. self-crossing ones): a 400, not a 503.
            try:
                cur.execute("SELECT %s::spoly", (region_as_spoly(product["s_region"]),))
            except (psycopg2.DataError, psycopg2.InternalError) as e:
                raise Invalid(f"s_region: expected a region pgSphere accepts, found {found(product['s_region'])}"
                              f" ({str(e).strip().splitlines()[0]})")
        # The primary key serialises concurrent posts of one DID: the second waits for the
        # first to commit and then sees its row.
        cur.execute(
            "INSERT INTO srcnet_ingest.products (obs_publisher_did, product) VALUES (%s, %s)"
            " ON CONFLICT (obs_publisher_did) DO NOTHING RETURNING 1", (did, text))
        if cur.fetchone() is None:
            cur.execute("SELECT product FROM srcnet_ingest.products WHERE obs_publisher_did = %s", (did,))
            row = cur.fetchone()
            if row is not None and row[0] == text:
                return 200
            raise Conflict(f"obs_publisher_did: expected the content it was published with, found different"
                           f" values for {did} (DELETE it first to replace it)")
        cur.execute("SELECT 1 FROM srcnet.catalogue WHERE obs_publisher_did = %s LIMIT 1", (did,))
        if cur.fetchone() is not None:
            raise Conflict(f"obs_publisher_did: expected a DID not yet in the catalogue, found {did},"
                           " which the dataset import published")
        cur.execute(INSERT, row_values(product))
        return 201


def unpublish(db, did):
    with db.cursor() as cur:
        cur.execute("DELETE FROM srcnet_ingest.products WHERE obs_publisher_did = %s RETURNING 1", (did,))
        if cur.fetchone() is None:
            return False
        cur.execute(f"DELETE FROM {TABLE} WHERE obs_publisher_did = %s", (did,))
        return True


def stored(db, did):
    with db.cursor() as cur:
        cur.execute("SELECT product FROM srcnet_ingest.products WHERE obs_publisher_did = %s", (did,))
        row = cur.fetchone()
        return None if row is None else json.loads(row[0])


def count(db):
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM srcnet_ingest.products")
        return cur.fetchone()[0]


# ----------------------------------------------------------------- HTTP

def reject_constant(c):
    raise ValueError(f"{c} is not JSON")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "srcnet-dachs-ingest"
    db = None  # set in main()

    def reply(self, status, doc, headers=()):
        body = (json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, headers=()):
        lines = message.split("\n")
        doc = {"error": lines[0]}
        if len(lines) > 1:
            doc["errors"] = lines
        self.reply(status, doc, headers)

    def log_request(self, code="-", size="-"):
        # Changes and failures only: a load campaign polls /health and GETs a lot.
        if self.command != "GET" or not str(code).startswith("2"):
            self.log_message('"%s" %s', self.requestline, str(code))

    def log_message(self, fmt, *args):
        log(fmt % args)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise Invalid("Content-Length: expected a request body with a Content-Length header, found a chunked one")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise Invalid(f"Content-Length: expected the body's length in bytes, found {found(length) if length else 'nothing'}")
        n = int(length)
        if n > MAX_BODY:
            self.close_connection = True
            raise OverflowError(f"body: expected at most {MAX_BODY} bytes, found {n}")
        return self.rfile.read(n)

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        allowed = {"/products": "GET, POST, DELETE", "/health": "GET"}
        if method != "POST" and self.headers.get("Content-Length", "0") not in ("", "0"):
            self.close_connection = True  # a body nobody reads would be taken for the next request
        if url.path not in allowed:
            return self.error(404, f"path: expected /products or /health, found {found(url.path)}")
        if method not in allowed[url.path].split(", "):
            return self.error(405, f"method: expected {allowed[url.path]} on {url.path}, found {method}",
                              [("Allow", allowed[url.path])])
        try:
            if url.path == "/health":
                return self.reply(200, {"status": "ok", "products": count(self.db)})
            if method == "POST":
                return self.post()
            did = query.get("obs_publisher_did", [""])[0]
            if did == "":
                return self.error(400, "obs_publisher_did: expected a query parameter ?obs_publisher_did=<DID>, found nothing")
            if method == "GET":
                product = stored(self.db, did)
                if product is None:
                    return self.error(404, f"obs_publisher_did: expected a product this service published, found {found(did)}")
                return self.reply(200, product)
            if unpublish(self.db, did):
                return self.reply(200, {"obs_publisher_did": did, "deleted": True})
            return self.error(404, f"obs_publisher_did: expected a product this service published, found {found(did)}")
        except psycopg2.Error as e:
            first = (str(e).strip().splitlines() or [""])[0]
            log(f"database error on {method} {url.path}: {type(e).__name__}: {first}")
            return self.error(503, f"database: expected it to answer, found {type(e).__name__}: {first}")

    def post(self):
        try:
            raw = self.read_body()
        except OverflowError as e:
            return self.error(413, str(e))
        except Invalid as e:
            return self.error(411, str(e))
        try:
            doc = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            return self.error(400, f"body: expected a JSON object, found invalid JSON ({e})")
        try:
            product = validate(doc)
            status = publish(self.db, product)
        except Invalid as e:
            return self.error(400, str(e))
        except Conflict as e:
            return self.error(409, str(e))
        return self.reply(status, {"obs_publisher_did": product["obs_publisher_did"]})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")


def main():
    db = Database()
    republished, dropped = prepare(db)
    Handler.db = db
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    server.daemon_threads = True

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f"listening on :{PORT} ({republished} products republished"
        + (f", {dropped} dropped as the dataset has them" if dropped else "") + ")")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        db.pool.closeall()


if __name__ == "__main__":
    main()
