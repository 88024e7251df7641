"""SODA load with pyvo: circular cutouts of the dataset's FITS images and cubes
(`dlget?ID=…&CIRCLE=ra dec r`). A cutout is ok when it is a FITS file whose image spans about the
requested circle: the plan does not carry the product's size, so "a real cut" is judged from the
cutout's own header (NAXISn x |CDELTn| against the circle's diameter), which a whole-product
answer fails unless the product is barely larger than the circle.

The header is read by the few lines below rather than astropy.io.fits: only the primary header's
first blocks are needed, and this is about three times faster than astropy's Header parser
(harness/load/bench_clients.py prints both)."""

from __future__ import annotations

import math

from pyvo.dal.adhoc import SodaQuery

from ..engine import Iteration
from ..plan import Cutout
from . import Context
from .session import refuse

FITS_BLOCK = 2880
CARD = 80
# Header blocks read at most (a cutout's header is one or two).
MAX_HEADER_BLOCKS = 8


def fits_header(body: bytes) -> dict[str, str] | None:
    """The primary header's cards as keyword -> value text (comment removed), or None when the
    bytes are not FITS (FITS 4.0: 2880-byte blocks of 80-character cards, `SIMPLE  =` first,
    `END` last)."""
    if len(body) < FITS_BLOCK or len(body) % FITS_BLOCK != 0 or not body.startswith(b"SIMPLE  ="):
        return None
    text = body[: min(len(body), MAX_HEADER_BLOCKS * FITS_BLOCK)].decode("ascii", "replace")
    cards: dict[str, str] = {}
    for i in range(0, len(text), CARD):
        c = text[i : i + CARD]
        key = c[:8].strip()
        if key == "END":
            return cards
        if c[8:10] == "= ":
            cards[key] = c[10:].split("/", 1)[0].strip()
    return None


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else math.nan
    except ValueError:
        return math.nan


def cutout_ok(body: bytes, radius_deg: float) -> bool:
    """The cutout is a FITS image (SIMPLE = T, two or more axes) no wider than the circle asked
    for, allowing for pixel rounding and the projection (1.5 x the diameter plus two pixels)."""
    h = fits_header(body)
    if h is None or h.get("SIMPLE") != "T":
        return False
    if not _number(h.get("NAXIS")) >= 2:
        return False
    for i in (1, 2):
        n = _number(h.get(f"NAXIS{i}"))
        if not n > 0:
            return False
        step = abs(_number(h.get(f"CDELT{i}", h.get(f"CD{i}_{i}"))))
        if math.isfinite(step) and step > 0 and n * step > 1.5 * 2 * radius_deg + 2 * step:
            return False
    return True


def cutout(ctx: Context, it: Iteration, c: Cutout) -> bool:
    """One cutout; True when the service returned a proper one."""
    phase = it.scenario["phase"]
    base = ctx.plan["endpoints"]["soda"]
    if base is None:
        refuse(ctx.request_event, "GET", "", {"service": "soda", "operation": "cutout", "phase": phase}, "no SODA endpoint configured")
        return False
    with ctx.recorder.scope("soda", phase, lambda m, u: "cutout") as scope:
        before = scope.requests
        try:
            query = SodaQuery(base, circle=(c["ra"], c["dec"], c["radiusDeg"]), id=c["id"], session=ctx.session)
            body = query.execute_stream().read()
            query.raise_if_error()
            ok = cutout_ok(body, c["radiusDeg"])
        except Exception:  # an HTTP error (the row says so already), or nothing sent
            ok = False
        if not ok and scope.requests > before:
            scope.fail_last()
        return ok


def run(ctx: Context, it: Iteration) -> None:
    cutouts = ctx.plan["soda"]
    if cutouts:
        cutout(ctx, it, cutouts[it.n % len(cutouts)])
