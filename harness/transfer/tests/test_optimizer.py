"""The optimizer against its decision table, optimizer-cases.json: the same rows the simulator's
implementation is tested against (test/sim/srcnet/optimizer.test.ts). The rows were derived by
hand from OPTIMIZER.md; nothing here computes an expected value."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from optimizer import (  # noqa: E402
    REASONS,
    LinkState,
    _round_half_away,
    Params,
    Sample,
    decide,
    order,
    success_rate,
    with_overrides,
)

TABLE: Dict[str, Any] = json.loads((HERE.parent / "optimizer-cases.json").read_text())
DEFAULTS = Params(**TABLE["defaults"])


def test_defaults_are_the_descriptions() -> None:
    # The table's defaults are OPTIMIZER.md's, and so are this implementation's.
    assert DEFAULTS == Params()


@pytest.mark.parametrize("row", TABLE["decisions"], ids=[r["name"] for r in TABLE["decisions"]])
def test_decision(row: Dict[str, Any]) -> None:
    params = with_overrides(DEFAULTS, **row.get("params", {}))
    previous = None if row["previous"] is None else LinkState(**row["previous"])
    sample = Sample(**row["sample"])
    expected = row["expected"]

    d = decide(params, previous, sample)

    assert d.active == expected["active"], row["why"]
    assert d.reason == expected["reason"], row["why"]
    assert list(d.adjusted) == expected["adjusted"], row["why"]
    assert d.state is not None
    assert d.state.active == expected["active"]
    assert math.isclose(d.state.ema, expected["ema"], rel_tol=1e-12, abs_tol=0), row["why"]
    # The new memory is this run's measurement.
    assert (d.state.success_rate, d.state.retries, d.state.filesize_avg) == (sample.success_rate, sample.retries, sample.filesize_avg)


def test_every_rule_has_a_row() -> None:
    reasons = {r["expected"]["reason"] for r in TABLE["decisions"]}
    assert reasons == set(REASONS)
    adjusted = {a for r in TABLE["decisions"] for a in r["expected"]["adjusted"]}
    assert adjusted == {"min", "max", "queue", "streams"}


@pytest.mark.parametrize("row", TABLE["success_rate"], ids=[f'{r["finished"]}-{r["failed"]}' for r in TABLE["success_rate"]])
def test_success_rate(row: Dict[str, Any]) -> None:
    assert success_rate(row["finished"], row["failed"]) == row["expected"], row["why"]


def test_order_rounds_halves_away_from_zero() -> None:
    # C's round(), not Python's round-half-to-even (round(2.5) == 2).
    assert [_round_half_away(x) for x in (2.5, -2.5, 0.5, 0.49999999999999994, 8.4742, 8.505)] == [3, -3, 1, 0, 8, 9]
    assert order(1e9) == 9
    assert order(2.98e8) == 8
    assert order(0) == -math.inf
    assert order(-1) == -math.inf


def test_params_reject_an_empty_range() -> None:
    with pytest.raises(ValueError):
        Params(min_active=10, max_active=5)
