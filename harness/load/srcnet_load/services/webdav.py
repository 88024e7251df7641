"""Storage load over HTTP (WebDAV): uploads of pool payloads, and reads that fail over between a
file's replicas, each GET checked by size and MD5. Locust's FastHttpSession: bulk reads are the
one path where the client's own cost per request matters (harness/README.md)."""

from __future__ import annotations

import hashlib
import time

from ..engine import Iteration
from ..urls import path_of
from . import Context


def put(ctx: Context, it: Iteration, pool: int, site: str, url: str, operation: str = "PUT") -> bool:
    """PUT of pool payload `pool` to `url`; the row carries site, path and pool so the integrity
    check can read back exactly what was written. True when the server stored it."""
    body = ctx.payloads[pool]
    context = {"service": "webdav", "operation": operation, "phase": it.scenario["phase"], "sent": len(body), "site": site, "path": path_of(url), "pool": pool}
    with_resp = ctx.fast.request("PUT", url, context, data=body, headers={"content-type": "application/octet-stream"})
    if with_resp is None:
        return False
    with with_resp as r:
        # XRootD's HTTP server answers 200 to a PUT that stored the file, WebDAV servers 201 or 204.
        ok = r.status_code in (200, 201, 204)
        if ok:
            r.success()
        else:
            r.failure(f"HTTP {r.status_code}")
        return ok


def get(ctx: Context, it: Iteration, url: str, md5: str, size: int) -> bool:
    """GET that checks the content: the right size and MD5, else the replica is not a good copy."""
    context = {"service": "webdav", "operation": "GET", "phase": it.scenario["phase"], "sent": 0}
    with_resp = ctx.fast.request("GET", url, context)
    if with_resp is None:
        return False
    with with_resp as r:
        if r.status_code != 200:
            r.failure(f"HTTP {r.status_code}")
            return False
        content = r.content or b""
        if len(content) != size or hashlib.md5(content).hexdigest() != md5:
            r.failure("content differs from the replica's checksum")
            return False
        r.success()
        return True


def upload(ctx: Context, it: Iteration) -> None:
    """One upload to the next site in turn, under the run's prefix."""
    plan = ctx.plan
    sites = plan["endpoints"]["sites"]
    if not sites or not plan["pool"]:
        return
    site = sites[it.n % len(sites)]
    pool = it.n % len(plan["pool"])
    put(ctx, it, pool, site["name"], f"{site['url']}/campaign/{plan['prefix']}/up/{it.scenario['name']}-{it.n}.bin")


def read(ctx: Context, it: Iteration) -> None:
    """A read as a data-lake client does it: the replicas in turn (starting from a different one
    each time) until one returns a good copy. One row per attempt, one operation row for the read."""
    plan = ctx.plan
    reads = plan["reads"]
    if not reads:
        return
    n = it.n
    f = reads[n % len(reads)]
    pool = plan["pool"][f["pool"]]
    t0 = time.time()
    attempts = 0
    ok = False
    replicas = f["replicas"]
    for i in range(len(replicas)):
        attempts += 1
        if get(ctx, it, replicas[(n + i) % len(replicas)]["url"], pool["md5"], pool["bytes"]):
            ok = True
            break
    ctx.recorder.operation(None, t0, "webdav", "read", it.scenario["phase"], time.time() - t0, ok, attempts)


def run(ctx: Context, it: Iteration) -> None:
    if it.op == "upload":
        upload(ctx, it)
    else:
        read(ctx, it)
