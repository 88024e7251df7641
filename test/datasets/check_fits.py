"""Independent checks of the generated payloads with astropy, zlib and hashlib.

Reads a JSON list on stdin; prints a JSON object {"checked": n, "failures": [...]}.
Each item: {"path", "adler32", "md5", "payload_bytes"} and, for FITS files,
{"fits": true, "s_ra", "s_dec", "s_fov", "em_min", "em_max", "cube"}.
"""
import hashlib
import json
import sys
import warnings
import zlib

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

warnings.simplefilter("ignore")
C = 299792458.0
items = json.load(sys.stdin)
failures = []
checked = {"checksums": 0, "fits": 0}


def fail(item, msg):
    failures.append(f"{item['path']}: {msg}")


for it in items:
    data = open(it["path"], "rb").read()
    if len(data) != it["payload_bytes"]:
        fail(it, f"size {len(data)} != manifest {it['payload_bytes']}")
    if f"{zlib.adler32(data) & 0xFFFFFFFF:08x}" != it["adler32"]:
        fail(it, "adler32 mismatch")
    if hashlib.md5(data).hexdigest() != it["md5"]:
        fail(it, "md5 mismatch")
    checked["checksums"] += 1
    if not it.get("fits"):
        continue
    with fits.open(it["path"]) as hdul:
        h = hdul[0].header
        w = WCS(h)
        if not w.has_celestial:
            fail(it, "no celestial WCS")
            continue
        cel = w.celestial
        nx, ny = h["NAXIS1"], h["NAXIS2"]
        cx, cy = (nx - 1) / 2, (ny - 1) / 2
        centre = cel.pixel_to_world(cx, cy)
        target = SkyCoord(it["s_ra"] * u.deg, it["s_dec"] * u.deg, frame="icrs")
        if centre.separation(target).deg > 1e-6:
            fail(it, f"centre {centre} != {target}")
        left = cel.pixel_to_world(-0.5, cy)
        right = cel.pixel_to_world(nx - 0.5, cy)
        bottom = cel.pixel_to_world(cx, -0.5)
        top = cel.pixel_to_world(cx, ny - 0.5)
        for name, a, b in (("width", left, right), ("height", bottom, top)):
            size = a.separation(b).deg
            if abs(size - it["s_fov"]) > 0.01 * it["s_fov"]:
                fail(it, f"footprint {name} {size} deg != s_fov {it['s_fov']}")
        corners = cel.pixel_to_world(np.array([-0.5, nx - 0.5, nx - 0.5, -0.5]), np.array([-0.5, -0.5, ny - 0.5, ny - 0.5]))
        half_diag = corners.separation(target).deg
        if np.any(np.abs(half_diag - it["s_fov"] / np.sqrt(2)) > 0.01 * it["s_fov"]):
            fail(it, f"corner distances {half_diag} != s_fov/sqrt(2)")
        if it["cube"]:
            if h["NAXIS"] != 3 or not w.has_spectral:
                fail(it, "cube without spectral axis")
                continue
            n3 = h["NAXIS3"]
            freqs = w.spectral.pixel_to_world([-0.5, n3 - 0.5]).to_value(u.Hz)
            wl = sorted(C / f for f in freqs)
            if abs(wl[0] - it["em_min"]) > 1e-6 * it["em_min"] or abs(wl[1] - it["em_max"]) > 1e-6 * it["em_max"]:
                fail(it, f"spectral span {wl} m != [{it['em_min']}, {it['em_max']}]")
        elif h["NAXIS"] != 2:
            fail(it, "image is not 2-D")
    checked["fits"] += 1

print(json.dumps({"checked": checked, "failures": failures[:20]}))
