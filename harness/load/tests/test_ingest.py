"""The ingestion workflow against Rucio's REST API (standard_servers.Rucio, through the Rucio
client), WebDAV storage, an ingestion service and TAP: what each is sent, in order; one row per
request under its own service; the `ingest` operation announced and paired, with its attempts,
and `rucio-discoverable` / `tap-discoverable` once found; every wait bounded."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest

from recording import OPERATION, PATH, POOL, SITE, Worker, brief, plan_for, worker
from srcnet_load.services import ingest
from standard_servers import Ingestion, Rucio, Seen, Storage, Tap, serve

USER, PASSWORD = "loader", "pw-9f3a1c"
DID_PREFIX = "ivo://test.skao/~?"
TEMPLATE = {"dataproduct_type": "image", "obs_collection": "SV-test", "s_ra": 150.1, "s_dec": -30.2, "access_format": "image/fits"}


@dataclass
class Stack:
    rucio: Rucio
    storage: Storage
    ingestion: Ingestion
    tap: Tap
    seen: dict[str, list[Seen]]
    w: Worker


@contextmanager
def stack(visible_after: int = 1, copies: int = 2, put_status: int = 201) -> Iterator[Stack]:
    """Rucio (replicas AVAILABLE from their second listing), storage, the ingestion service and a
    TAP service that finds a published product from its `visible_after + 1`-th query on."""
    ingestion = Ingestion()
    queries: dict[str, int] = {}

    def catalogue(adql: str) -> int | None:
        m = re.fullmatch(r"SELECT obs_publisher_did FROM ivoa\.obscore WHERE obs_publisher_did = '(.*)'", adql)
        if m is None:
            return None
        did = m.group(1).replace("''", "'")
        if not any(p["obs_publisher_did"] == did for p in ingestion.products):
            return 0
        queries[did] = queries.get(did, 0) + 1
        return 1 if queries[did] > visible_after else 0

    storage, tap = Storage(put_status), Tap({}, catalogue)
    with ExitStack() as es:
        sbase, sseen = es.enter_context(serve(storage))
        rucio = Rucio(USER, PASSWORD, tokens=["tok-A"], pfn_base=sbase)
        rucio.available_after = 1
        rbase, rseen = es.enter_context(serve(rucio))
        ibase, iseen = es.enter_context(serve(ingestion))
        tbase, tseen = es.enter_context(serve(tap))
        sites = [{"name": f"S{i}", "url": f"{sbase}/{rse}", "rse": rse} for i, rse in enumerate(["RSE_A", "RSE_B", "RSE_C"])]
        plan = plan_for(
            "ingest",
            {"ingest": 1},
            allow=[b.replace("http://", "") for b in (sbase, rbase, ibase, tbase)],
            endpoints={"rucio": rbase, "ingest": ibase, "tap": f"{tbase}/tap", "sites": sites},
            ingest={"template": TEMPLATE, "didPrefix": DID_PREFIX},
            copies=copies,
            catalogueGrows=True,
        )
        w = worker(plan, {"rucio_username": USER, "rucio_password": PASSWORD})
        del rseen[:]  # the client's authentication, before the load
        yield Stack(rucio, storage, ingestion, tap, {"rucio": rseen, "storage": sseen, "ingest": iseen, "tap": tseen}, w)


def test_one_ingestion_from_pfns_to_discoverable() -> None:
    with stack() as s:
        s.w.run("ingest", 1)
        rows, begins, ops = s.w.rows(), s.w.rows("begin"), s.w.rows("op")
    name = "run42-steady__ingest-w0-1-ing"
    lfn = f"testscope:{name}"
    plan = s.w.services.plan
    pool = plan["pool"][1]  # iteration 1 of a pool of 2
    # Iteration 1 writes to the sites in turn from the second: RSE_B and RSE_C.
    lfns = [x for x in s.seen["rucio"] if x.path.endswith("/lfns2pfns")]
    assert [(x.path, x.query) for x in lfns] == [(f"/rses/{rse}/lfns2pfns", {"scheme": ["http"], "operation": ["write"], "lfn": [lfn]}) for rse in ("RSE_B", "RSE_C")]
    pfn_paths = [f"/{rse}/testscope/{name}" for rse in ("RSE_B", "RSE_C")]
    assert [(x.method, x.path) for x in s.seen["storage"]] == [("PUT", p) for p in pfn_paths]
    for p in pfn_paths:
        assert hashlib.md5(s.storage.files[p]).hexdigest() == pool["md5"] and len(s.storage.files[p]) == pool["bytes"]
    rucio_calls = [(x.method, x.path) for x in s.seen["rucio"]]
    assert rucio_calls == [
        ("GET", "/rses/RSE_B/lfns2pfns"),
        ("GET", "/rses/RSE_C/lfns2pfns"),
        ("POST", "/replicas"),
        ("POST", "/replicas"),
        ("POST", "/rules/"),
        ("POST", "/replicas/list"),  # COPYING
        ("POST", "/replicas/list"),  # AVAILABLE on both
    ]
    reps = [x.json() for x in s.seen["rucio"] if x.path == "/replicas"]
    assert [r["rse"] for r in reps] == ["RSE_B", "RSE_C"]
    assert all(r["files"] == [{"scope": "testscope", "name": name, "bytes": pool["bytes"], "adler32": pool["adler32"], "md5": pool["md5"]}] for r in reps)
    rule = next(x.json() for x in s.seen["rucio"] if x.path == "/rules/")
    assert (rule["dids"], rule["copies"], rule["rse_expression"], rule["account"]) == ([{"scope": "testscope", "name": name}], 2, "RSE_B|RSE_C", "loadtester")
    # The product published: the template with its identity and where it is.
    (product,) = s.ingestion.products
    first_pfn = f"{s.rucio.pfn_base}{pfn_paths[0]}"
    assert product == {**TEMPLATE, "obs_publisher_did": DID_PREFIX + name, "obs_id": name, "access_url": first_pfn, "access_estsize": math.ceil(pool["bytes"] / 1024)}
    assert [x.form()["QUERY"] for x in s.seen["tap"]] == [f"SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did = '{DID_PREFIX}{name}'"] * 2

    assert brief(rows) == [
        ("rucio", "lfns2pfns", 200, True),
        ("webdav", "PUT", 201, True),
        ("rucio", "lfns2pfns", 200, True),
        ("webdav", "PUT", 201, True),
        ("rucio", "add-replicas", 201, True),
        ("rucio", "add-replicas", 201, True),
        ("rucio", "add-rule", 201, True),
        ("rucio", "list-replicas", 200, True),
        ("rucio", "list-replicas", 200, True),
        ("ingest", "publish", 201, True),
        ("tap", "discover-query", 200, True),  # a result: no rows yet
        ("tap", "discover-query", 200, True),
    ]
    puts = [r for r in rows if r[OPERATION] == "PUT"]
    assert [(r[SITE], r[PATH], r[POOL]) for r in puts] == [("S1", pfn_paths[0], 1), ("S2", pfn_paths[1], 1)]
    assert len(s.w.events) == len(rows) + 1  # and the client's authentication, before the load
    # Operations: the ingestion announced, then found in Rucio, then in TAP, then finished.
    (b,) = begins
    assert b[3:6] == ("ingest", "ingest", "steady")
    assert [o[4] for o in ops] == ["rucio-discoverable", "tap-discoverable", "ingest"]
    rucio_found, tap_found, whole = ops
    assert rucio_found[1] == tap_found[1] == -1 and whole[1] == b[1]
    assert all(o[2] == b[2] for o in ops)  # all measured from the start
    assert all(o[7] is True for o in ops)
    assert (rucio_found[8], tap_found[8], whole[8]) == (1, 1, len(rows))
    # Each was found on its second poll, one pause (0.25 s) after its first.
    assert 0.25 <= rucio_found[6] < tap_found[6] <= whole[6]
    assert tap_found[6] >= 0.5


def test_a_failed_upload_ends_the_ingestion() -> None:
    with stack(put_status=507) as s:
        s.w.run("ingest", 0)
        rows, ops = s.w.rows(), s.w.rows("op")
    assert brief(rows) == [("rucio", "lfns2pfns", 200, True), ("webdav", "PUT", 507, False)]
    assert [(o[4], o[7], o[8]) for o in ops] == [("ingest", False, 2)]
    assert [x.path for x in s.seen["rucio"]] == ["/rses/RSE_A/lfns2pfns"]
    assert s.ingestion.products == []


def test_a_product_tap_never_finds_is_a_failed_ingestion_after_bounded_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "POLLS", 5)
    monkeypatch.setattr(ingest, "POLL_SECONDS", 0.01)
    with stack(visible_after=10**6) as s:
        s.w.run("ingest", 0)
        rows, ops = s.w.rows(), s.w.rows("op")
    assert [r[OPERATION] for r in rows].count("discover-query") == 5
    assert [(o[4], o[7]) for o in ops] == [("rucio-discoverable", True), ("ingest", False)]
    assert ops[-1][8] == len(rows)
