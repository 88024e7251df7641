"""The ingestion workflow, as SRCNet's ingestion does it: ask Rucio where the file goes on each of
`copies` sites, upload it there, register the replicas, add a rule for the copies, publish the
product's metadata to the ingestion service; then measure how long until it is discoverable in
Rucio (every replica listed AVAILABLE) and in TAP (ObsCore returns it).

Rows: each request its own (Rucio's under service "rucio", the uploads under "webdav", the
publication under "ingest", the discovery queries under "tap"); operations: `ingest` (announced
when it starts; attempts: every request it made), and `rucio-discoverable` / `tap-discoverable`
(seconds from the start until found) when found within the polls."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import gevent

from ..engine import Iteration
from . import Context, rucio, tap, webdav
from .session import refuse

# Polls of Rucio and of TAP until the product is found, and the pause between them (as earlier campaigns).
POLLS = 40
POLL_SECONDS = 0.25


def prepare(ctx: Context, used_services: set[str]) -> None:
    """The Rucio client, which the ingestion uses (the rucio module's prepare makes it once)."""
    rucio.prepare(ctx, used_services)


def _until(found: Callable[[], bool], t0: float) -> float | None:
    """Polls `found` until it holds (bounded); the seconds since `t0` when it did, else None."""
    for i in range(POLLS):
        if found():
            return time.time() - t0
        if i < POLLS - 1:
            gevent.sleep(POLL_SECONDS)
    return None


def publish(ctx: Context, it: Iteration, product: dict[str, object]) -> tuple[bool, int]:
    """POST of the product's metadata to the ingestion service: whether it was taken (201 or
    200), and the requests made."""
    phase = it.scenario["phase"]
    base = ctx.plan["endpoints"]["ingest"]
    if base is None:
        refuse(ctx.request_event, "POST", "", {"service": "ingest", "operation": "publish", "phase": phase}, "no ingestion endpoint configured")
        return False, 1
    body = json.dumps(product)
    with ctx.recorder.scope("ingest", phase, lambda m, u: "publish") as scope:
        try:
            ok = ctx.session.post(f"{base.rstrip('/')}/products", data=body, headers={"content-type": "application/json"}).status_code in (200, 201)
        except Exception:  # a URL requests cannot send to
            ok = False
        if not ok and scope.requests > 0:
            scope.fail_last()
        return ok, scope.requests


def ingest_one(ctx: Context, it: Iteration) -> bool:
    plan = ctx.plan
    phase = it.scenario["phase"]
    t0 = time.time()
    op = ctx.recorder.begin(t0, "ingest", "ingest", phase)
    attempts = 0

    def finish(ok: bool) -> bool:
        ctx.recorder.operation(op, t0, "ingest", "ingest", phase, time.time() - t0, ok, attempts)
        return ok

    def rucio_call(operation: str, f: Callable[[Any], Any]) -> rucio.Outcome:
        nonlocal attempts
        out = rucio.call(ctx, it, operation, f)
        attempts += out.requests
        return out

    all_sites = plan["endpoints"]["sites"]
    if not all_sites or not plan["pool"]:
        return finish(False)
    scope = plan["rucio"]["scope"]
    name = rucio.did_name(ctx, it, "ing")
    lfn = f"{scope}:{name}"
    pool = it.n % len(plan["pool"])
    f = plan["pool"][pool]
    sites = [all_sites[(it.n + k) % len(all_sites)] for k in range(min(plan["copies"], len(all_sites)))]
    dids = [{"scope": scope, "name": name}]

    pfns: list[str] = []
    for s in sites:
        # The PFN for writing with the site's own scheme (http on the local stack).
        scheme = s["url"].split(":", 1)[0].lower()
        got = rucio_call("lfns2pfns", lambda c: c.lfns2pfns(s["rse"], [lfn], operation="write", scheme=scheme))
        pfn = got.value.get(lfn) if got.ok and isinstance(got.value, dict) else None
        if not pfn:
            return finish(False)
        attempts += 1
        if not webdav.put(ctx, it, pool, s["name"], pfn):
            return finish(False)
        pfns.append(pfn)
    for s in sites:
        files = [{"scope": scope, "name": name, "bytes": f["bytes"], "adler32": f["adler32"], "md5": f["md5"]}]
        if not rucio_call("add-replicas", lambda c: c.add_replicas(s["rse"], files)).ok:
            return finish(False)
    rses = "|".join(s["rse"] for s in sites)
    if not rucio_call("add-rule", lambda c: c.add_replication_rule(dids=dids, copies=len(sites), rse_expression=rses, account=plan["rucio"]["account"])).ok:
        return finish(False)

    def in_rucio() -> bool:
        got = rucio_call("list-replicas", lambda c: list(c.list_replicas(dids)))
        if not got.ok or not got.value:
            return False
        states = got.value[0].get("states") or {}
        return all(states.get(s["rse"]) == "AVAILABLE" for s in sites)

    found_rucio = _until(in_rucio, t0)
    if found_rucio is not None:
        ctx.recorder.operation(None, t0, "ingest", "rucio-discoverable", phase, found_rucio, True, 1)

    found_tap: float | None = None
    meta = plan["ingest"]
    if meta is not None:
        did = f"{meta['didPrefix']}{name}"
        product = {**meta["template"], "obs_publisher_did": did, "obs_id": name, "access_url": pfns[0], "access_estsize": math.ceil(f["bytes"] / 1024)}
        published, made = publish(ctx, it, product)
        attempts += made
        if published:
            quoted = did.replace("'", "''")
            adql = f"SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did = '{quoted}'"

            def in_tap() -> bool:
                nonlocal attempts
                rows, made = tap.query_rows(ctx, it, adql, "discover-query")
                attempts += made
                return rows == 1

            found_tap = _until(in_tap, t0)
            if found_tap is not None:
                ctx.recorder.operation(None, t0, "ingest", "tap-discoverable", phase, found_tap, True, 1)
    return finish(found_rucio is not None and (meta is None or found_tap is not None))


def run(ctx: Context, it: Iteration) -> None:
    ingest_one(ctx, it)
