"""Iteration schedules against closed forms: a constant rate r starts iteration i at i / r; a
linear ramp from 0 to R over T starts iteration i where R t^2 / (2T) = i, so at sqrt(2 i T / R);
workers' shares are the one-worker schedule dealt out, and add up to it."""

from __future__ import annotations

import math

import pytest

from srcnet_load.executors import arrivals, max_vus, share, vus_at


def test_constant_rate_starts_at_i_over_r() -> None:
    got = list(arrivals({"kind": "constant-arrival-rate", "rate": 4.0}, 2.5))
    assert [i for i, _ in got] == list(range(10))
    assert [t for _, t in got] == pytest.approx([i / 4 for i in range(10)], abs=1e-12)


def test_fractional_rate() -> None:
    # 0.2/s for 30 s: 6 iterations, at 0, 5, ..., 25 s.
    assert [t for _, t in arrivals({"kind": "constant-arrival-rate", "rate": 0.2}, 30)] == pytest.approx([0, 5, 10, 15, 20, 25])


def test_linear_ramp_matches_the_integral() -> None:
    # 0 -> 10/s over 10 s: 50 iterations in all, iteration i at sqrt(2 i T / R) = sqrt(2 i).
    ex = {"kind": "ramping-arrival-rate", "startRate": 0.0, "stages": [{"target": 10.0, "durationSeconds": 10.0}]}
    got = list(arrivals(ex, 10))  # type: ignore[arg-type]
    assert len(got) == 50
    for i, t in got:
        assert t == pytest.approx(math.sqrt(2 * i), abs=1e-9)


def test_ramp_up_hold_and_down() -> None:
    # 2/s, up to 6/s over 4 s (16 iterations), hold 6/s for 2 s (12), down to 0 over 3 s (9): 37.
    ex = {"kind": "ramping-arrival-rate", "startRate": 2.0, "stages": [{"target": 6.0, "durationSeconds": 4.0}, {"target": 6.0, "durationSeconds": 2.0}, {"target": 0.0, "durationSeconds": 3.0}]}
    got = list(arrivals(ex, 9))  # type: ignore[arg-type]
    assert len(got) == 37
    times = [t for _, t in got]
    assert times == sorted(times)
    # Iteration 16 is the first of the hold, at 4 s exactly; iteration 28 the first of the ramp down.
    assert times[16] == pytest.approx(4.0)
    assert times[28] == pytest.approx(6.0)
    # In the ramp down, 6 t - t^2 = i - 28 (rate 6 - 2 t, from 6 s).
    for i in range(29, 37):
        dt = 3 - math.sqrt(9 - (i - 28))
        assert times[i] == pytest.approx(6 + dt, abs=1e-9)


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_workers_deal_out_the_schedule(workers: int) -> None:
    ex = {"kind": "constant-arrival-rate", "rate": 13.0}
    whole = list(arrivals(ex, 5))  # type: ignore[arg-type]
    parts = [[x for x in whole if x[0] % workers == k] for k in range(workers)]
    assert sorted(x for p in parts for x in p) == whole
    assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1
    assert sum(share(50, k, workers) for k in range(workers)) == 50


def test_vus() -> None:
    ex = {"kind": "ramping-vus", "startVUs": 0, "stages": [{"target": 4.0, "durationSeconds": 4.0}, {"target": 0.0, "durationSeconds": 2.0}]}
    assert [vus_at(ex, 6, t) for t in (0, 0.99, 1.0, 2.5, 3.99, 4.0, 5.0, 5.99)] == [0, 0, 1, 2, 3, 4, 2, 0]  # type: ignore[arg-type]
    assert max_vus(ex, 6) == 4  # type: ignore[arg-type]
    assert vus_at({"kind": "constant-vus", "vus": 3}, 10, 5) == 3  # type: ignore[arg-type]


def test_connections_enough_for_a_ramping_vu_peak() -> None:
    # A ramping-vus scenario has neither maxConcurrent nor vus: its pool must still hold its
    # peak of 40 VUs, or VUs past 10 would wait for a connection and count it as latency.
    from locust.event import Events

    from plans import reads_plan, scenario
    from srcnet_load.plan import payloads
    from srcnet_load.recorder import Recorder
    from srcnet_load.services import Services

    ramp = scenario({"kind": "ramping-vus", "startVUs": 0, "stages": [{"target": 40, "durationSeconds": 10}, {"target": 5, "durationSeconds": 5}]}, 15)
    plan, _ = reads_plan("http://127.0.0.1:9", [ramp])
    s = Services(plan, {}, payloads(plan), Recorder(lambda rows: None), Events().request)
    assert s.ctx.fast.session.client.clientpool.client_args["concurrency"] == 40
