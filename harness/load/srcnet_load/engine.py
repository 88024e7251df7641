"""A worker's share of the campaign, on gevent: every scenario (a phase x service executor) from
its start to its end, each iteration a greenlet running the service's operation of the mix.

Iterations still running when their phase ends get the scenario's graceful stop, then are
killed: an operation that announced its start then stays begun and never finished, which the
harness records as unfinished. `stop()` (the master's stop, Ctrl-C) ends every scenario at once
with a short grace, so what ran is flushed and reported."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
from gevent.event import Event
from gevent.pool import Group

from . import executors
from .plan import Scenario

# The golden ratio's fractional part: a low-discrepancy sequence over iteration numbers makes the
# mix exact over any stretch of iterations, and the same every run.
_PHI = 0.6180339887498949
# Grace after stop(): long enough for a request in flight to end and be recorded.
STOP_GRACE_SECONDS = 2.0


def pick(mix: list[tuple[str, float]], n: int) -> str:
    total = sum(w for _, w in mix)
    x = ((n * _PHI) % 1.0) * total
    for op, w in mix:
        if x < w:
            return op
        x -= w
    return mix[-1][0]


@dataclass
class Iteration:
    """What a service's operation knows of its iteration."""

    scenario: Scenario
    op: str
    # The iteration's number in the scenario (open model), or the VU's number times a large stride
    # plus its count (closed model): unique within the scenario across workers.
    n: int
    vu: int
    worker: int


@dataclass
class Tally:
    iterations: int = 0
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)


Body = Callable[[Iteration], None]


class Engine:
    def __init__(self, scenarios: list[Scenario], worker: int, workers: int, origin_epoch: float, body: Body) -> None:
        self.scenarios = scenarios
        self.worker = worker
        self.workers = workers
        self.origin = origin_epoch
        self.body = body
        self.tally = Tally()
        self._stop = Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> Tally:
        """Runs every scenario to its end (or until stop()); returns the counts."""
        drivers = [gevent.spawn(self._scenario, sc) for sc in self.scenarios]
        gevent.joinall(drivers)
        return self.tally

    # -- one scenario -----------------------------------------------------------------------

    def _sleep_until(self, epoch: float) -> bool:
        """Waits until `epoch`; False when stopped first."""
        delay = epoch - time.time()
        if delay > 0:
            return not self._stop.wait(delay)
        return not self._stop.is_set()

    def _scenario(self, sc: Scenario) -> None:
        start = self.origin + sc["startSeconds"]
        end = start + sc["durationSeconds"]
        mix = [(op, float(w)) for op, w in sc["mix"].items() if w > 0]
        group = Group()
        if executors.is_open(sc["executor"]):
            self._open(sc, start, mix, group)
        else:
            self._closed(sc, start, end, mix, group)
        # The phase is over: running iterations get the graceful stop, then are killed.
        grace = STOP_GRACE_SECONDS if self._stop.is_set() else max(0.0, end + sc["gracefulStopSeconds"] - time.time())
        group.join(timeout=grace)
        group.kill(block=True, timeout=5)

    def _iteration(self, sc: Scenario, op: str, n: int, vu: int) -> None:
        self.tally.iterations += 1
        self.body(Iteration(sc, op, n, vu, self.worker))

    def _open(self, sc: Scenario, start: float, mix: list[tuple[str, float]], group: Group) -> None:
        ex = sc["executor"]
        cap = max(1, executors.share(int(ex.get("maxConcurrent", 1)), self.worker, self.workers))
        key = (sc["phase"], sc["service"])
        for i, offset in executors.arrivals(ex, sc["durationSeconds"]):
            if i % self.workers != self.worker:
                continue
            if not self._sleep_until(start + offset):
                return
            if len(group) >= cap:
                self.tally.dropped[key] = self.tally.dropped.get(key, 0) + 1
                continue
            group.spawn(self._iteration, sc, pick(mix, i), i, i)

    def _closed(self, sc: Scenario, start: float, end: float, mix: list[tuple[str, float]], group: Group) -> None:
        ex = sc["executor"]
        duration = sc["durationSeconds"]
        total = executors.max_vus(ex, duration)
        for vu in range(self.worker, total, self.workers):
            group.spawn(self._vu, sc, vu, total, start, end, mix)
        if not self._sleep_until(end):
            return

    def _vu(self, sc: Scenario, vu: int, total: int, start: float, end: float, mix: list[tuple[str, float]]) -> None:
        ex = sc["executor"]
        duration = sc["durationSeconds"]
        count = 0
        while not self._stop.is_set():
            now = time.time()
            if now >= end:
                return
            t = now - start
            if t < 0:
                if not self._sleep_until(start):
                    return
                continue
            if vu >= executors.vus_at(ex, duration, t):
                # Not active now (ramping): wait until the target reaches this VU.
                if not self._sleep_until(start + executors.next_change(ex, duration, t, vu)):
                    return
                continue
            n = count * max(1, total) + vu
            count += 1
            self._iteration(sc, pick(mix, n), n, vu)
