"""TAP through pyvo against a TAP 1.1 / UWS 1.1 server (standard_servers.Tap, VOTables written by
astropy): each request is one row named as campaign records name it, ok only when its status and its
content are right; an async job is created, run, polled (bounded), read and deleted, with one
`async-query` operation paired with its `begin`; a job URL off the allowlist is never followed."""

from __future__ import annotations

import time

import gevent
import pytest

from recording import OK, OPERATION, SERVICE, STATUS, brief, plan_for, worker
from standard_servers import TABLEDATA, Query, Tap, serve


def tap_plan(base: str, queries: list[tuple[str, str, int | None]], **extra: object) -> dict:
    port = base.rsplit(":", 1)[1]
    return plan_for(
        "tap",
        {"cone": 1, "range": 1, "join": 1, "async": 1},
        allow=[f"127.0.0.1:{port}"],
        endpoints={"tap": f"{base}/tap"},
        tap=[{"kind": k, "adql": a, "expectRows": e} for k, a, e in queries],
        **extra,
    )


@pytest.mark.filterwarnings("ignore::pyvo.dal.exceptions.DALOverflowWarning")
def test_sync_queries_are_ok_only_with_the_right_answer() -> None:
    server = Tap(
        {
            "q-right": Query(rows=3),
            "q-big": Query(rows=1000),
            "q-short": Query(rows=4),
            "q-error-200": Query(status="ERROR"),  # DaCHS: 200 with QUERY_STATUS ERROR
            "q-error-400": Query(status="ERROR", http_status=400),  # TAP 1.1
            "q-no-status": Query(rows=3, status=None),
            "q-overflow": Query(rows=2, status="OVERFLOW"),
            "q-any": Query(rows=9),
        }
    )
    queries: list[tuple[str, str, int | None]] = [
        ("cone", "q-right", 3),
        ("cone", "q-big", 1000),
        ("cone", "q-short", 5),
        ("cone", "q-error-200", 0),
        ("cone", "q-error-400", 0),
        ("cone", "q-no-status", 3),
        ("cone", "q-overflow", 2),
        ("cone", "q-any", None),
    ]
    with serve(server) as (base, seen):
        w = worker(tap_plan(base, queries))
        for n in range(len(queries)):
            w.run("cone", n)
        rows = w.rows()
    assert brief(rows) == [
        ("tap", "sync-query", 200, True),
        ("tap", "sync-query", 200, True),
        ("tap", "sync-query", 200, False),
        ("tap", "sync-query", 200, False),
        ("tap", "sync-query", 400, False),
        ("tap", "sync-query", 200, False),
        ("tap", "sync-query", 200, True),
        ("tap", "sync-query", 200, True),
    ]
    # What pyvo sent: TAP 1.1's sync request, one per query, asking for TABLEDATA.
    assert [(s.method, s.path) for s in seen] == [("POST", "/tap/sync")] * len(queries)
    for s, (_, adql, _) in zip(seen, queries):
        assert s.form() == {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": adql, "RESPONSEFORMAT": TABLEDATA}
    # One Locust request event per request, and each row counts the bytes both ways.
    assert len(w.events) == len(rows)
    big = rows[1]
    assert big[8] > 1000 * 40 + len(seen[1].body)
    assert all(r[4] == "steady" for r in rows)


def test_a_growing_catalogue_allows_more_rows_never_fewer() -> None:
    server = Tap({"q-more": Query(rows=5), "q-fewer": Query(rows=2)})
    with serve(server) as (base, _):
        w = worker(tap_plan(base, [("range", "q-more", 3), ("range", "q-fewer", 3)], catalogueGrows=True))
        w.run("range", 0)
        w.run("range", 1)
        assert [r[OK] for r in w.rows()] == [True, False]


def test_queries_of_the_picked_kind_taken_in_turn() -> None:
    server = Tap({"c0": Query(rows=1), "c1": Query(rows=1), "r0": Query(rows=1)})
    with serve(server) as (base, seen):
        w = worker(tap_plan(base, [("cone", "c0", 1), ("cone", "c1", 1), ("range", "r0", 1)]))
        for op, n in [("cone", 0), ("cone", 1), ("cone", 2), ("range", 5), ("join", 0), ("join", 1), ("join", 2)]:
            w.run(op, n)
        # No join query in the workload: any query, in turn.
        assert [s.form()["QUERY"] for s in seen] == ["c0", "c1", "c0", "r0", "c0", "c1", "r0"]


def test_an_async_job_is_created_run_polled_read_and_deleted() -> None:
    # After RUN the job is QUEUED, then each read of it moves one phase on.
    server = Tap({"q-async": Query(rows=7, phases=["QUEUED", "EXECUTING", "EXECUTING", "COMPLETED"])})
    with serve(server) as (base, seen):
        w = worker(tap_plan(base, [("async", "q-async", 7)]))
        w.run("async", 0)
        rows = w.rows()
        begins, ops = w.rows("begin"), w.rows("op")
    # UWS 1.1 as pyvo walks it: the creation's 303 to the job (followed: a read of the job), the
    # job read again by AsyncTAPJob, RUN (303, followed), polls until COMPLETED, the result, DELETE.
    assert [(s.method, s.path) for s in seen] == [
        ("POST", "/tap/async"),
        ("GET", "/tap/async/0"),
        ("GET", "/tap/async/0"),
        ("POST", "/tap/async/0/phase"),
        ("GET", "/tap/async/0"),
        ("GET", "/tap/async/0"),
        ("GET", "/tap/async/0"),
        ("GET", "/tap/async/0/results/result"),
        ("DELETE", "/tap/async/0"),
    ]
    assert seen[0].form()["RESPONSEFORMAT"] == TABLEDATA
    assert seen[3].form() == {"PHASE": "RUN"}
    assert brief(rows) == [
        ("tap", "async-create", 303, True),
        ("tap", "async-poll", 200, True),
        ("tap", "async-poll", 200, True),
        ("tap", "async-run", 303, True),
        ("tap", "async-poll", 200, True),
        ("tap", "async-poll", 200, True),
        ("tap", "async-poll", 200, True),
        ("tap", "async-result", 200, True),
        ("tap", "async-delete", 303, True),
    ]
    assert len(w.events) == len(rows)
    assert server.deleted == ["0"] and server.jobs == {}
    # One operation for the job, announced first and paired by its id; attempts: its 9 requests.
    assert len(begins) == 1 and len(ops) == 1
    _, bid, bt, bservice, boperation, bphase = begins[0]
    _, oid, ot, oservice, ooperation, ophase, seconds, ok, attempts = ops[0]
    assert (bservice, boperation, bphase) == ("tap", "async-query", "steady") == (oservice, ooperation, ophase)
    assert oid == bid and ot == bt
    assert ok is True and attempts == 9
    # Its time includes the pause between the two polls (0.1 s, the first of the back-off).
    assert seconds >= 0.1


def test_a_failed_job_fails_on_the_poll_that_says_so_and_is_still_deleted() -> None:
    server = Tap({"q-fails": Query(rows=1, phases=["QUEUED", "ERROR"])})
    with serve(server) as (base, seen):
        w = worker(tap_plan(base, [("async", "q-fails", 1)]))
        w.run("async", 0)
        rows = w.rows()
        (op,) = w.rows("op")
    assert brief(rows)[-2:] == [("tap", "async-poll", 200, False), ("tap", "async-delete", 303, True)]
    assert not any(r[OPERATION] == "async-result" for r in rows)
    assert ("GET", "/tap/async/0/results/result") not in [(s.method, s.path) for s in seen]
    assert server.deleted == ["0"]
    assert op[7] is False and op[8] == len(rows)


def test_a_job_location_off_the_allowlist_is_never_followed() -> None:
    with serve(Tap({})) as (elsewhere, elsewhere_seen):
        server = Tap({"q-away": Query(rows=1, job_location=f"{elsewhere}/tap/async/0")})
        with serve(server) as (base, seen):
            w = worker(tap_plan(base, [("async", "q-away", 1)]))
            w.run("async", 0)
            rows = w.rows()
            (op,) = w.rows("op")
    # The creation that pointed there is the failed request; nothing reached the other host.
    assert brief(rows) == [("tap", "async-create", 303, False)]
    assert elsewhere_seen == []
    assert [(s.method, s.path) for s in seen] == [("POST", "/tap/async")]
    assert op[7] is False and op[8] == 1


def test_waiting_for_a_job_is_bounded() -> None:
    # A job that never completes. Timeout 0.2 s: the polls may wait 12 x 0.2 = 2.4 s in all, with
    # pauses of 0.1 s growing by half up to 1 s: 0.1 + 0.15 + 0.225 + 0.3375 + 0.50625 + 0.759375
    # = 2.08 s (six pauses; a seventh of 1 s would pass 2.4 s): seven polls.
    server = Tap({"q-stuck": Query(rows=1, phases=["QUEUED", "EXECUTING"])})
    with serve(server) as (base, _):
        w = worker(tap_plan(base, [("async", "q-stuck", 1)], timeoutSeconds=0.2))
        t0 = time.time()
        w.run("async", 0)
        elapsed = time.time() - t0
        rows = w.rows()
        (op,) = w.rows("op")
    ops = [r[OPERATION] for r in rows]
    run_at = ops.index("async-run")
    # After RUN: the redirect's read of the job, then the seven polls.
    assert ops[run_at + 1 :] == ["async-poll"] * 8 + ["async-delete"]
    assert all(r[OK] for r in rows)
    assert op[7] is False and op[8] == len(rows)
    assert 2.0 < elapsed < 5.0
    assert server.deleted == ["0"]


def test_no_tap_endpoint_is_a_failed_request_not_a_crash() -> None:
    plan = plan_for("tap", {"cone": 1}, allow=["127.0.0.1"], tap=[{"kind": "cone", "adql": "q", "expectRows": 1}, {"kind": "async", "adql": "q", "expectRows": 1}])
    w = worker(plan)
    w.run("cone", 0)
    w.run("async", 0)
    rows = w.rows()
    assert [(r[SERVICE], r[OPERATION], r[STATUS], r[OK]) for r in rows] == [("tap", "sync-query", 0, False), ("tap", "async-create", 0, False)]
    (op,) = w.rows("op")
    assert op[7] is False


def test_concurrent_queries_share_the_session_without_dropping_connections(caplog: pytest.LogCaptureFixture) -> None:
    # 30 iterations at once (the scenario's maxConcurrent): each its own row, each connection kept.
    server = Tap({"q-slow": Query(rows=2, delay_seconds=0.2)})
    with serve(server) as (base, seen):
        plan = tap_plan(base, [("cone", "q-slow", 2)])
        plan["scenarios"][0]["executor"]["maxConcurrent"] = 30
        w = worker(plan)
        t0 = time.time()
        gevent.joinall([gevent.spawn(w.run, "cone", n) for n in range(30)], timeout=10)
        elapsed = time.time() - t0
        rows = w.rows()
    assert len(rows) == 30 and all(r[OK] for r in rows), [(r[STATUS], r[OK]) for r in rows]
    assert elapsed < 0.2 * 30 / 2  # they overlapped
    assert "Connection pool is full" not in caplog.text


def test_a_tap_endpoint_off_the_allowlist_is_never_contacted() -> None:
    with serve(Tap({"q": Query(rows=1)})) as (base, seen):
        plan = tap_plan(base, [("cone", "q", 1)])
        plan["allowHosts"] = ["127.0.0.1:1"]
        w = worker(plan)
        w.run("cone", 0)
        rows = w.rows()
    assert brief(rows) == [("tap", "sync-query", 0, False)]
    assert seen == []
