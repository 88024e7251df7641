"""When iterations start, as pure functions of the executor (no clock, no gevent: tested alone).

Arrival-rate executors are an open model: iteration i of the scenario starts at the time the
cumulative rate reaches i, whatever the responses do. With N workers, worker k runs the
iterations i = k, k + N, k + 2N, ...: the rate is split exactly, and the union of the workers'
starts is the one-worker schedule. Each worker may run at most its share of `maxConcurrent`
iterations at once; an iteration that would exceed it is dropped (counted, never run late).

VU executors are a closed model: a VU runs one iteration after another. VU j is active while the
target number of VUs exceeds j; VUs are dealt out to workers as iterations are (j mod N)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from .plan import Executor, Stage

# An iteration due within this of a boundary is counted in (floating-point sums of stage times).
_EPS = 1e-9


def share(total: int, worker: int, workers: int) -> int:
    """Worker `worker`'s part of `total` when dealt out one at a time: parts differ by at most
    one and sum to `total`."""
    return total // workers + (1 if worker < total % workers else 0)


def _segments(start: float, stages: list[Stage], duration: float) -> list[tuple[float, float, float, float]]:
    """Piecewise-linear target as (t0, t1, v0, v1) segments from `start` through the stages, held at
    the last target until `duration`."""
    segs: list[tuple[float, float, float, float]] = []
    t, v = 0.0, float(start)
    for s in stages:
        d = float(s["durationSeconds"])
        if d > 0:
            segs.append((t, t + d, v, float(s["target"])))
        t += d
        v = float(s["target"])
    if t < duration:
        segs.append((t, duration, v, v))
    return segs


def target_at(start: float, stages: list[Stage], duration: float, t: float) -> float:
    """The executor's target (rate or VUs) at `t` seconds into its scenario."""
    for t0, t1, v0, v1 in _segments(start, stages, duration):
        if t0 <= t < t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return float(stages[-1]["target"]) if stages else float(start)


def arrivals(ex: Executor, duration: float) -> Iterator[tuple[int, float]]:
    """(i, seconds into the scenario) of every iteration start of an arrival-rate executor, in
    order, all before `duration`. Constant rate r: i / r. Ramping: where the integral of the
    piecewise-linear rate reaches i (solved exactly per segment)."""
    if ex["kind"] == "constant-arrival-rate":
        rate = float(ex["rate"])
        i = 0
        while True:
            t = i / rate
            if t >= duration - _EPS:
                return
            yield i, t
            i += 1
    if ex["kind"] != "ramping-arrival-rate":
        raise ValueError(f"not an arrival-rate executor: {ex['kind']}")
    done = 0.0  # iterations due before the current segment (the integral so far)
    i = 0
    for t0, t1, r0, r1 in _segments(ex.get("startRate", 0.0), ex.get("stages", []), duration):
        if t0 >= duration:
            return
        t1 = min(t1, duration)
        slope = (r1 - r0) / (t1 - t0) if t1 > t0 else 0.0
        area = r0 * (t1 - t0) + 0.5 * slope * (t1 - t0) ** 2
        # Iterations i with done <= i < done + area start in this segment.
        while i < done + area - _EPS:
            need = i - done  # area to cover from t0
            if abs(slope) < 1e-12:
                dt = need / r0
            else:
                # r0 dt + slope dt^2 / 2 = need; the root in [0, t1 - t0].
                disc = r0 * r0 + 2.0 * slope * need
                dt = (-r0 + math.sqrt(max(0.0, disc))) / slope
            t = t0 + dt
            if t >= duration - _EPS:
                return
            yield i, t
            i += 1
        done += area


def vus_at(ex: Executor, duration: float, t: float) -> int:
    """Active VUs at `t` seconds into a VU executor's scenario."""
    if ex["kind"] == "constant-vus":
        return int(ex["vus"])
    if ex["kind"] != "ramping-vus":
        raise ValueError(f"not a VU executor: {ex['kind']}")
    return int(math.floor(target_at(float(ex.get("startVUs", 0)), ex.get("stages", []), duration, t) + _EPS))


def max_vus(ex: Executor, duration: float) -> int:
    """The most VUs a VU executor ever runs."""
    if ex["kind"] == "constant-vus":
        return int(ex["vus"])
    values = [float(ex.get("startVUs", 0))] + [float(s["target"]) for s in ex.get("stages", [])]
    return int(math.floor(max(values) + _EPS))


def next_change(ex: Executor, duration: float, t: float, vu: int, step: float = 0.05) -> float:
    """The first time after `t` (to `step`) at which VU `vu` becomes active, or `duration`."""
    s = t
    while s < duration:
        s += step
        if vu < vus_at(ex, duration, s):
            return s
    return duration


def is_open(ex: Executor) -> bool:
    return ex["kind"] in ("constant-arrival-rate", "ramping-arrival-rate")
