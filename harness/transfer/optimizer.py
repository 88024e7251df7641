"""FTS3's optimizer decision for one link, for the testbed's transfer service.

Given what a link did during the last interval and the link's memory of its previous decision,
the next limit on its active transfers. The algorithm, its parameters and their sources are in
OPTIMIZER.md beside this file (the one description shared with the simulator's
sim/srcnet/components/optimizer.ts); the rule numbers below are that document's. Pure, standard
library only: ``decide`` returns the new memory, it changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal, Optional, Tuple

Mode = Literal["conservative", "normal", "aggressive"]

REASONS: Tuple[str, ...] = (
    "no-information",
    "range-fixed",
    "low-success-improving",
    "low-success-worse",
    "low-success",
    "no-throughput",
    "queue-emptying",
    "smaller-files",
    "throughput-down",
    "throughput-down-small",
    "throughput-up",
    "throughput-same",
)


@dataclass(frozen=True)
class Params:
    """The optimizer's configuration; names and defaults as in OPTIMIZER.md."""

    min_active: int = 2
    max_active: int = 130
    mode: Mode = "normal"
    increase_step: int = 1
    aggressive_increase_step: int = 2
    decrease_step: int = 1
    ema_alpha: float = 0.1
    low_success_rate: float = 97
    base_success_rate: float = 96
    max_streams: int = 16
    steady_interval_seconds: float = 300

    def __post_init__(self) -> None:
        if self.min_active < 1 or self.max_active < self.min_active:
            raise ValueError(f"need 1 <= min_active <= max_active, got {self.min_active}, {self.max_active}")
        if self.mode not in ("conservative", "normal", "aggressive"):
            raise ValueError(f"mode must be conservative, normal or aggressive, got {self.mode!r}")


@dataclass(frozen=True)
class LinkState:
    """A link's memory: its last decision and what that run measured."""

    active: int
    success_rate: float
    ema: float
    """Exponential moving average of the throughput, bytes per second."""
    retries: int
    filesize_avg: float
    """Bytes."""


@dataclass(frozen=True)
class Sample:
    """What a link did during the interval just over (see OPTIMIZER.md, "What it measures")."""

    success_rate: float
    """Percent; 100 when no transfer ended."""
    throughput: float
    """Bytes per second."""
    filesize_avg: float
    """Bytes."""
    queue: int
    retries: int = 0


@dataclass(frozen=True)
class Decision:
    active: int
    """The link's new limit on active transfers."""
    reason: str
    adjusted: Tuple[str, ...] = field(default=())
    """Adjustments of rule 7, in the order applied: "min", "max", "queue", "streams"."""
    state: Optional[LinkState] = None
    """The link's new memory."""


def _round_half_away(x: float) -> int:
    """C's round(): halves away from zero, exactly (Python's round() rounds halves to even)."""
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return -r if x < 0 else r


def order(x: float) -> float:
    """round(log10(x)) for x > 0, minus infinity otherwise."""
    return float(_round_half_away(math.log10(x))) if x > 0 else -math.inf


def success_rate(finished: int, failed: int) -> float:
    """The interval's success rate in percent: ceil(100 x finished / ended), 100 when nothing ended."""
    ended = finished + failed
    return float(math.ceil(finished * 100 / ended)) if ended > 0 else 100.0


def decide(params: Params, previous: Optional[LinkState], sample: Sample) -> Decision:
    """Rules 1 to 7 of OPTIMIZER.md for one link and one interval."""
    p, s = params, sample
    lo, hi = p.min_active, p.max_active

    def done(active: int, ema: float, reason: str, adjusted: Tuple[str, ...] = ()) -> Decision:
        state = LinkState(active, s.success_rate, ema, s.retries, s.filesize_avg)
        return Decision(active, reason, adjusted, state)

    if previous is None:  # rule 1
        return done(lo + (hi - lo) // 2, s.throughput, "no-information")
    prev = previous
    ema = p.ema_alpha * s.throughput + (1 - p.ema_alpha) * prev.ema if s.throughput > 0 else prev.ema  # rule 2
    if lo == hi:  # rule 3
        return done(lo, ema, "range-fixed")

    if s.success_rate < p.low_success_rate:  # rule 4
        if s.success_rate > prev.success_rate and s.success_rate >= p.base_success_rate and s.retries <= prev.retries:
            nxt, reason = prev.active, "low-success-improving"
        elif s.success_rate < prev.success_rate:
            nxt, reason = prev.active - p.decrease_step, "low-success-worse"
        else:
            nxt, reason = prev.active - p.decrease_step, "low-success"
    elif ema == 0:  # rule 5
        nxt, reason = prev.active, "no-throughput"
    else:  # rule 6
        step = p.increase_step if p.mode == "conservative" else p.aggressive_increase_step
        if s.queue < prev.active:
            nxt, reason = prev.active, "queue-emptying"
        elif ema < prev.ema:
            if order(s.filesize_avg) < order(prev.filesize_avg):
                nxt, reason = prev.active + step, "smaller-files"
            elif order(ema) < order(prev.ema):
                nxt, reason = prev.active - p.decrease_step, "throughput-down"
            else:
                nxt, reason = prev.active, "throughput-down-small"
        elif ema > prev.ema:
            nxt, reason = prev.active + step, "throughput-up"
        else:
            nxt, reason = prev.active + step, "throughput-same"

    adjusted: list[str] = []  # rule 7
    if nxt < lo:
        nxt = lo
        adjusted.append("min")
    elif nxt > hi:
        nxt = hi
        adjusted.append("max")
    if p.mode == "conservative":
        if nxt > prev.active and s.queue < nxt:
            nxt = prev.active
            adjusted.append("queue")
    elif nxt > prev.active and nxt > s.queue * p.max_streams:
        nxt = prev.active
        adjusted.append("streams")
    return done(nxt, ema, reason, tuple(adjusted))


def with_overrides(params: Params, **overrides: object) -> Params:
    """``params`` with some fields replaced (by their configuration names)."""
    return replace(params, **overrides)  # type: ignore[arg-type]
