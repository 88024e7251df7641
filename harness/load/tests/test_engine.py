"""The executors' models against a deliberately slow endpoint (every response takes 0.5 s):
arrivals keep their rate while responses slow down (open model), VUs wait for their responses
(closed model), and iterations past the concurrency cap are dropped and counted, never late."""

from __future__ import annotations

import time

from locust.event import Events

from srcnet_load.engine import Engine, Iteration
from srcnet_load.http import GuardedFastSession

from plans import scenario
from servers import file_server

DELAY = 0.5


def run(executor: dict, seconds: float) -> tuple[list[float], Engine]:
    """Runs one scenario whose iterations GET a slow file; the server's arrival times (from the
    origin) and the engine."""
    with file_server({"/f": b"x" * 100}, delay_seconds=DELAY) as (base, seen):
        session = GuardedFastSession(frozenset(["127.0.0.1"]), Events().request, 10, 100)

        def body(it: Iteration) -> None:
            with session.request("GET", f"{base}/f", {"service": "webdav", "operation": "GET", "phase": "p"}) as r:
                r.success()

        origin = time.time() + 0.1
        engine = Engine([scenario(executor, seconds, grace=2 * DELAY)], 0, 1, origin, body)  # type: ignore[list-item]
        engine.run()
        return sorted(t - origin for t, _ in seen), engine


def test_open_model_keeps_its_rate_while_responses_slow_down() -> None:
    arrivals, engine = run({"kind": "constant-arrival-rate", "rate": 10.0, "maxConcurrent": 50}, 3.0)
    # 30 iterations at i / 10 s although each response takes 0.5 s (five in flight at once).
    assert len(arrivals) == 30
    for i, t in enumerate(arrivals):
        assert abs(t - i / 10) < 0.15, (i, t)  # far from the 0.5 s a closed model would lag
    assert engine.tally.dropped == {}


def test_closed_model_waits_for_responses() -> None:
    arrivals, engine = run({"kind": "constant-vus", "vus": 2}, 3.0)
    # Two VUs, each one request per 0.5 s: 6 iterations each in 3 s, whatever a rate would say.
    assert 10 <= len(arrivals) <= 12
    assert engine.tally.iterations == len(arrivals)


def test_iterations_past_the_cap_are_dropped_not_late() -> None:
    arrivals, engine = run({"kind": "constant-arrival-rate", "rate": 10.0, "maxConcurrent": 2}, 2.0)
    dropped = engine.tally.dropped[("steady", "webdav")]
    assert len(arrivals) + dropped == 20
    # At most two in flight: two starts per response time (plus the edges).
    assert len(arrivals) <= 2 * (2.0 / DELAY) + 2
    assert dropped >= 8
    # Every request that was sent left on its own schedule slot (a multiple of 0.1 s), not later.
    for t in arrivals:
        assert abs(t * 10 - round(t * 10)) < 0.4, t  # within 40 ms of a slot


def test_an_operation_past_its_graceful_stop_is_stopped_begun_and_never_finished() -> None:
    from srcnet_load.recorder import Recorder

    batches: list[list[tuple]] = []
    recorder = Recorder(batches.append)

    def body(it: Iteration) -> None:
        op = recorder.begin(time.time(), "ingest", "ingest", it.scenario["phase"])
        # Iteration 0 finishes; iteration 1 "polls" far past the phase's end and its grace.
        time.sleep(0.05 if it.n == 0 else 30)
        recorder.operation(op, time.time(), "ingest", "ingest", it.scenario["phase"], 0.05, True, 1)

    started = time.time()
    engine = Engine([scenario({"kind": "constant-arrival-rate", "rate": 4.0, "maxConcurrent": 4}, 0.5, service="ingest", mix={"ingest": 1}, grace=0.3)], 0, 1, started, body)  # type: ignore[list-item]
    engine.run()
    recorder.flush()
    rows = [r for b in batches for r in b]
    assert [r[0] for r in rows] == ["begin", "op", "begin"]
    assert rows[1][1] == rows[0][1]  # the finished one is paired with its own start
    assert rows[2][1] != rows[0][1]
    # Stopped at the phase's end (0.5 s) plus its grace (0.3 s), not after its 30 s.
    assert time.time() - started < 2.0
