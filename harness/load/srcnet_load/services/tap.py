"""TAP load with pyvo: ADQL queries from the plan, sync (`/sync`, one request) or async (a UWS job
on `/async`: create, run, poll, fetch the result, delete), as a pyvo user runs them. A request
counts as ok only when its status and its content are right: a VOTable whose QUERY_STATUS is
present and not ERROR, with exactly the rows the workload expects (more once the catalogue grows).

Results are asked for as TABLEDATA, as earlier campaigns asked, so the service does the same work
per query and runs stay comparable; pyvo parses any serialisation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
from pyvo.dal import TAPService
from pyvo.dal.tap import AsyncTAPJob, TAPQuery, TAPResults

from ..engine import Iteration
from ..plan import Plan, TapQuery
from ..recorder import Scope
from ..urls import host_allowed, resolve
from . import Context
from .session import refuse

# TAP 1.1's name for TABLEDATA; DaCHS also takes `votable/td`.
TABLEDATA = "application/x-votable+xml;serialization=TABLEDATA"
# Pauses between the polls of an async job: 0.1 s growing by half each poll up to 1 s (as earlier
# campaigns), for at most WAIT_TIMEOUTS request timeouts in all (12: about 120 polls at the
# default 10 s timeout): a job that takes longer is a failed query.
POLL_FIRST_SECONDS = 0.1
POLL_GROWTH = 1.5
POLL_MAX_SECONDS = 1.0
WAIT_TIMEOUTS = 12.0
# A job in any other phase (ERROR, ABORTED, HELD, ...) fails on the poll that reports it.
_LIVE = frozenset({"PENDING", "QUEUED", "EXECUTING", "COMPLETED"})
_REDIRECT = frozenset({301, 302, 303, 307, 308})


def poll_pauses(timeout_seconds: float) -> list[float]:
    """The pauses after each poll but the last: the job is polled len(...) + 1 times at most."""
    budget = WAIT_TIMEOUTS * timeout_seconds
    pauses: list[float] = []
    pause, total = POLL_FIRST_SECONDS, 0.0
    while total + pause <= budget + 1e-9:
        pauses.append(pause)
        total += pause
        pause = min(POLL_MAX_SECONDS, pause * POLL_GROWTH)
    return pauses


def result_rows(result: TAPResults) -> int:
    """Rows of a result, or -1 without a QUERY_STATUS (DALI requires one; pyvo would assume OK) or
    with QUERY_STATUS ERROR (pyvo raises for it already). OVERFLOW is a result."""
    statuses = [i.value for i in result.votable.iter_info() if (i.name or "").upper() == "QUERY_STATUS"]
    if not statuses or "ERROR" in statuses:
        return -1
    return len(result)


def rows_ok(plan: Plan, rows: int, expect: int | None) -> bool:
    """While the campaign ingests products the catalogue only grows: an answer may then hold more
    rows than the dataset alone gives, never fewer."""
    return rows >= 0 and (expect is None or rows == expect or (plan["catalogueGrows"] and rows > expect))


def _service(ctx: Context) -> TAPService:
    svc = ctx.state.get("tap")
    if svc is None:
        svc = ctx.state["tap"] = TAPService(str(ctx.plan["endpoints"]["tap"]).rstrip("/"), session=ctx.session)
    return svc


def _step(scope: Scope, f: Callable[[], Any]) -> tuple[bool, Any]:
    """Runs one client call; (False, None) when it raised, with its last request marked not ok
    (when it made one: an error before sending leaves the previous request's row alone)."""
    before = scope.requests
    try:
        return True, f()
    except Exception:  # pyvo's DAL errors, requests' errors, unparseable answers
        if scope.requests > before:
            scope.fail_last()
        return False, None


def _sync(ctx: Context, it: Iteration, adql: str, operation: str, right: Callable[[int], bool]) -> tuple[int, int]:
    """One sync query, its row named `operation` and ok when `right(rows)`: the rows (-1 when the
    answer is not a result) and the requests made."""
    phase = it.scenario["phase"]
    if ctx.plan["endpoints"]["tap"] is None:
        refuse(ctx.request_event, "POST", "", {"service": "tap", "operation": operation, "phase": phase}, "no TAP endpoint configured")
        return -1, 1
    with ctx.recorder.scope("tap", phase, lambda m, u: operation) as scope:
        done, result = _step(scope, lambda: _service(ctx).run_sync(adql, RESPONSEFORMAT=TABLEDATA))
        rows = result_rows(result) if done else -1
        if done and not right(rows):
            scope.fail_last()
        return rows, scope.requests


def query_rows(ctx: Context, it: Iteration, adql: str, operation: str) -> tuple[int, int]:
    """A sync query whose row is ok for any result (the ingestion's discovery query): its rows
    (-1 when not a result) and the requests made."""
    return _sync(ctx, it, adql, operation, lambda rows: rows >= 0)


def sync_query(ctx: Context, it: Iteration, q: TapQuery) -> bool:
    def right(rows: int) -> bool:
        return rows_ok(ctx.plan, rows, q["expectRows"])

    return right(_sync(ctx, it, q["adql"], "sync-query", right)[0])


class _Stage:
    """Names the requests pyvo makes for one step of the job. A GET while creating or running is
    the job document a redirect leads to, which is a read of the job's phase like a poll."""

    def __init__(self) -> None:
        self.current = "async-create"

    def __call__(self, method: str, url: str) -> str:
        if method == "GET" and self.current in ("async-create", "async-run"):
            return "async-poll"
        return self.current


def async_query(ctx: Context, it: Iteration, q: TapQuery) -> bool:
    """One UWS job: each request its own row, and one `async-query` operation row for the whole
    job (its time includes the pauses between polls; attempts: the requests it made), announced
    first. The job is deleted whatever happened once it exists, so a campaign leaves no jobs
    (unless the iteration is stopped past its graceful stop: then the operation stays begun)."""
    plan = ctx.plan
    phase = it.scenario["phase"]
    t0 = time.time()
    op = ctx.recorder.begin(t0, "tap", "async-query", phase)
    base = plan["endpoints"]["tap"]
    if base is None:
        refuse(ctx.request_event, "POST", "", {"service": "tap", "operation": "async-create", "phase": phase}, "no TAP endpoint configured")
        ctx.recorder.operation(op, t0, "tap", "async-query", phase, time.time() - t0, False, 1)
        return False
    stage = _Stage()
    with ctx.recorder.scope("tap", phase, stage) as scope:
        job_url, ok = _create(ctx, scope, base.rstrip("/"), q)
        job: AsyncTAPJob | None = None
        if ok and job_url is not None:
            ok, job = _run(ctx, scope, stage, job_url, q)
        if job_url is not None:
            stage.current = "async-delete"
            ok = _delete(ctx, scope, job_url, job) and ok
        attempts = scope.requests
    ctx.recorder.operation(op, t0, "tap", "async-query", phase, time.time() - t0, ok, attempts)
    return ok


def _create(ctx: Context, scope: Scope, base: str, q: TapQuery) -> tuple[str | None, bool]:
    """Creates the job as pyvo's AsyncTAPJob.create does (POST to /async, following the redirect
    to the job), keeping the job's URL from the redirect even when what follows fails, so it can
    be deleted. A job URL off the allowlist is a bad answer: never followed, never deleted."""
    query = TAPQuery(base, q["adql"], mode="async", session=ctx.session, RESPONSEFORMAT=TABLEDATA)
    done, response = _step(scope, query.submit)
    if not done:
        return None, False
    first = response.history[0] if response.history else response
    location = first.headers.get("Location") if first.status_code in _REDIRECT else None
    job_url = resolve(query.queryurl, location) if location else None
    if job_url is not None and not host_allowed(ctx.session.allow, job_url):
        job_url = None
    try:
        response.raise_for_status()
    except Exception:  # the refused redirect, or an HTTP error: that row is already not ok
        return job_url, False
    if job_url is None:
        # Not a UWS answer (no redirect to a job): the create request failed.
        scope.fail_last()
    return job_url, job_url is not None


def _run(ctx: Context, scope: Scope, stage: _Stage, job_url: str, q: TapQuery) -> tuple[bool, AsyncTAPJob | None]:
    """Reads the job, runs it, polls it (bounded) and fetches its result: whether the result is
    right, and the job (None when its document could not be read)."""
    stage.current = "async-poll"
    done, job = _step(scope, lambda: AsyncTAPJob(job_url, session=ctx.session))
    if not done:
        return False, None
    stage.current = "async-run"
    if not _step(scope, job.run)[0]:
        return False, job
    stage.current = "async-poll"
    phase = ""
    pauses = poll_pauses(ctx.plan["timeoutSeconds"])
    for i in range(len(pauses) + 1):
        done, phase = _step(scope, lambda: job.phase)
        if not done:
            return False, job
        if phase not in _LIVE:
            scope.fail_last()
            return False, job
        if phase == "COMPLETED" or i == len(pauses):
            break
        gevent.sleep(pauses[i])
    if phase != "COMPLETED":
        return False, job
    stage.current = "async-result"
    done, result = _step(scope, job.fetch_result)
    ok = done and rows_ok(ctx.plan, result_rows(result), q["expectRows"])
    if done and not ok:
        scope.fail_last()
    return ok, job


def _delete(ctx: Context, scope: Scope, job_url: str, job: AsyncTAPJob | None) -> bool:
    """pyvo's delete (DELETE, not following the redirect to the job list); the same request when
    there is no job object (its document could not be read)."""
    if job is not None:
        return _step(scope, job.delete)[0]

    def delete() -> None:
        ctx.session.delete(job_url, allow_redirects=False).raise_for_status()

    return _step(scope, delete)[0]


def run(ctx: Context, it: Iteration) -> None:
    """A query of the kind the mix picked (any when the workload has none of that kind), the
    scenario's queries taken in turn."""
    queries = ctx.plan["tap"]
    pool = [q for q in queries if q["kind"] == it.op] or queries
    if not pool:
        return
    q = pool[it.n % len(pool)]
    if q["kind"] == "async":
        async_query(ctx, it, q)
    else:
        sync_query(ctx, it, q)
