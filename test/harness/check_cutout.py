"""Checks a SODA cutout with astropy, independently of the services that made it.

argv: cutout.fits ra dec radius_deg. Prints JSON: the cutout's shape, the sky position of its
centre pixel, the pixel where the requested centre falls, and the half-width of the cutout in
degrees (its footprint must cover the requested circle unless the image edge cut it).
"""
import json
import sys
import warnings

from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

warnings.simplefilter("ignore")
path, ra, dec, r = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
with fits.open(path) as hdul:
    hdu = next(h for h in hdul if h.data is not None)
    w = WCS(hdu.header).celestial
    ny, nx = hdu.data.shape[-2], hdu.data.shape[-1]
    want = SkyCoord(ra * u.deg, dec * u.deg)
    px, py = w.world_to_pixel(want)
    centre = w.pixel_to_world((nx - 1) / 2, (ny - 1) / 2)
    scale = abs(w.proj_plane_pixel_scales()[0].to_value(u.deg))
    print(json.dumps({
        "shape": list(hdu.data.shape),
        "centre_ra": float(centre.ra.deg),
        "centre_dec": float(centre.dec.deg),
        "requested_px": [float(px), float(py)],
        "pixel_deg": float(scale),
        "half_width_deg": float(scale * max(nx, ny) / 2),
        "separation_deg": float(centre.separation(want).deg),
    }))
