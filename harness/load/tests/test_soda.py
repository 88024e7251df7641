"""SODA through pyvo against a SODA sync endpoint answering with FITS files written by astropy: a
cutout is ok only when it is a FITS image no wider than the circle asked for (1.5 x its diameter
plus two pixels); the whole image, an HTML page, a truncated file or an HTTP error are not."""

from __future__ import annotations

import pytest
from astropy.io import fits

from recording import OK, STATUS, brief, plan_for, worker
from srcnet_load.services.soda import fits_header
from standard_servers import Soda, fits_image, serve

FITS = "application/fits"
RADIUS = 0.1  # degrees: a cutout may be 1.5 x 0.2 + 2 x 0.01 = 0.32 degrees wide at 0.01 degree pixels

# ID -> (what the server answers, whether the cutout is right)
CASES: dict[str, tuple[tuple[int, str, bytes], bool]] = {
    "small": ((200, FITS, fits_image(20, 20, 0.01)), True),  # 0.20 degrees
    "just-inside": ((200, FITS, fits_image(31, 31, 0.01)), True),  # 0.31
    "just-outside": ((200, FITS, fits_image(33, 20, 0.01)), False),  # 0.33 along the first axis
    "whole": ((200, FITS, fits_image(400, 400, 0.01)), False),  # 4 degrees: the whole image
    "cd-matrix": ((200, FITS, fits_image(20, 20, 0.01, cd=True)), True),
    "cd-whole": ((200, FITS, fits_image(20, 400, 0.01, cd=True)), False),
    "cube": ((200, FITS, fits_image(20, 20, 0.01, planes=5)), True),
    "html": ((200, "text/html", b"<html><body>cutout service</body></html>" * 100), False),
    "truncated": ((200, FITS, fits_image(20, 20, 0.01)[:2000]), False),
    "missing": ((404, "text/plain", b"no such product"), False),
    "server-error": ((500, "text/plain", b"oops"), False),
}


def test_cutouts_are_ok_only_when_they_are_cut() -> None:
    ids = list(CASES)
    cutouts = [{"id": f"ivo://test/{i}?{name}", "ra": 150.125 + k, "dec": -30.5, "radiusDeg": RADIUS} for k, (i, name) in enumerate(zip(range(len(ids)), ids))]
    server = Soda({c["id"]: CASES[name][0] for c, name in zip(cutouts, ids)})
    with serve(server) as (base, seen):
        port = base.rsplit(":", 1)[1]
        w = worker(plan_for("soda", {"cutout": 1}, allow=[f"127.0.0.1:{port}"], endpoints={"soda": f"{base}/soda/dlget"}, soda=cutouts))
        for n in range(len(cutouts)):
            w.run("cutout", n)
        rows = w.rows()
    assert brief(rows) == [("soda", "cutout", CASES[name][0][0], CASES[name][1]) for name in ids]
    assert len(w.events) == len(rows)
    # What pyvo sent: one GET each, with the product's ID and the circle as "ra dec radius".
    assert [(s.method, s.path) for s in seen] == [("GET", "/soda/dlget")] * len(ids)
    for s, c in zip(seen, cutouts):
        assert s.query["ID"] == [c["id"]]
        assert [float(x) for x in s.query["CIRCLE"][0].split()] == [c["ra"], c["dec"], c["radiusDeg"]]
    # Bytes of a row: the whole answer.
    assert rows[ids.index("whole")][8] == len(CASES["whole"][0][2])


@pytest.mark.parametrize("name", ["small", "whole", "cd-matrix", "cube"])
def test_the_header_port_reads_what_astropy_reads(name: str) -> None:
    body = CASES[name][0][2]
    mine = fits_header(body)
    theirs = fits.Header.fromstring(body[: 2880 * 2])
    assert mine is not None
    for key in ("NAXIS", "NAXIS1", "NAXIS2", "CDELT1", "CDELT2", "CD1_1", "CD2_2"):
        if key in theirs:
            assert float(mine[key]) == float(theirs[key]), key
        else:
            assert key not in mine
    assert mine["SIMPLE"] == "T"
    assert fits_header(b"x" * 2880) is None


def test_no_soda_endpoint_is_a_failed_request() -> None:
    w = worker(plan_for("soda", {"cutout": 1}, allow=["127.0.0.1"], soda=[{"id": "x", "ra": 1.0, "dec": 2.0, "radiusDeg": 0.1}]))
    w.run("cutout", 0)
    assert [(r[STATUS], r[OK]) for r in w.rows()] == [(0, False)]
