"""One file's copy with gfal2: an HTTP third-party copy pulled by the destination (or XRootD's own
TPC for root:// URLs), never a streamed copy through this service.

- ``ENABLE_FALLBACK_TPC_COPY`` is off and the copy mode is pinned to "3rd pull": a broken TPC
  fails instead of streaming the bytes through here.
- Checksums: the job's ``ADLER32:<hex>`` is checked against the source before the copy and the
  destination after it ("both", Rucio's default), or one side only, as ``verify_checksum`` says.
  A mismatch fails the file with gfal's "... CHECKSUM MISMATCH ..." reason and the partial or
  wrong destination file is removed.
- Timeouts: the whole copy (``file_timeout``), every connection and metadata call
  (``connect_timeout``), and XRootD's client (``XRD_*`` variables, set before XrdCl loads), so an
  unreachable endpoint fails in seconds.
- ``Credential: none`` on every http(s)/dav(s) request (XrdHttp rejects gfal's default
  ``Credential: gridsite``).
"""

from __future__ import annotations

import errno
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, List, Optional
from urllib.parse import urlsplit


def set_xrootd_client_timeouts(connect_timeout: float) -> None:
    """XrdCl reads these once, when first loaded: call before the first gfal2 context."""
    c = str(max(1, int(connect_timeout)))
    os.environ.setdefault("XRD_CONNECTIONWINDOW", c)
    os.environ.setdefault("XRD_CONNECTIONRETRY", "1")
    os.environ.setdefault("XRD_REQUESTTIMEOUT", c)
    os.environ.setdefault("XRD_STREAMTIMEOUT", c)
    os.environ.setdefault("XRD_TIMEOUTRESOLUTION", "1")


import gfal2  # noqa: E402  (XrdCl reads the XRD_* variables on first use, not here)

HTTP_SCHEMES = ("http", "https", "dav", "davs")
CHECKSUM_MODES = {
    "both": gfal2.checksum_mode.both,
    "source": gfal2.checksum_mode.source,
    "target": gfal2.checksum_mode.target,
    "destination": gfal2.checksum_mode.target,
    "none": gfal2.checksum_mode.none,
}


@dataclass
class CopyResult:
    ok: bool
    reason: str
    bytes: int
    mode: str
    """gfal2's copy mode as it reported it ("3rd pull", ...), "" if it never said."""
    seconds: float


@dataclass(frozen=True)
class CopySpec:
    source: str
    destination: str
    checksum: Optional[str]
    """"ADLER32:0a1b2c3d" (the algorithm name is case-insensitive) or None."""
    verify_checksum: str
    """both, source, target/destination or none."""
    overwrite: bool
    filesize: int = 0


class Copy:
    """One copy; ``cancel`` from another thread stops it (gfal2 cancels the context)."""

    def __init__(self, spec: CopySpec, file_timeout: float, connect_timeout: float,
                 progress: Optional[Callable[[int], None]] = None) -> None:
        self.spec = spec
        self.file_timeout = file_timeout
        self.connect_timeout = connect_timeout
        self.progress = progress
        self.canceled = threading.Event()
        self._ctx: Optional["gfal2.Gfal2Context"] = None
        self._events: List[str] = []

    def _context(self) -> "gfal2.Gfal2Context":
        set_xrootd_client_timeouts(self.connect_timeout)  # no-op once set
        ctx = gfal2.creat_context()
        t = max(1, int(self.connect_timeout))
        ctx.set_opt_string_list("HTTP PLUGIN", "HEADERS", ["Credential: none"])
        ctx.set_opt_boolean("HTTP PLUGIN", "ENABLE_FALLBACK_TPC_COPY", False)
        ctx.set_opt_string("HTTP PLUGIN", "DEFAULT_COPY_MODE", "3rd pull")
        ctx.set_opt_boolean("HTTP PLUGIN", "ENABLE_STREAM_COPY", False)
        ctx.set_opt_integer("HTTP PLUGIN", "OPERATION_TIMEOUT", max(t, int(self.file_timeout)))
        ctx.set_opt_integer("CORE", "NAMESPACE_TIMEOUT", t)
        ctx.set_opt_integer("CORE", "CHECKSUM_TIMEOUT", max(t, int(self.file_timeout)))
        ctx.set_opt_integer("XROOTD PLUGIN", "NORMALIZE_PATH", 1)
        return ctx

    def _params(self, ctx: "gfal2.Gfal2Context") -> "gfal2.TransferParameters":
        s = self.spec
        p = ctx.transfer_parameters()
        p.overwrite = s.overwrite
        p.create_parent = True
        p.strict_copy = False
        p.timeout = max(1, int(self.file_timeout))
        mode = CHECKSUM_MODES.get(str(s.verify_checksum).lower(), gfal2.checksum_mode.both)
        if s.checksum and mode != gfal2.checksum_mode.none:
            algo, _, value = s.checksum.partition(":")
            p.set_checksum(mode, algo.upper(), value.lower().zfill(8) if algo.upper() == "ADLER32" else value)
        elif mode != gfal2.checksum_mode.none:
            # No checksum given: compare source and destination with each other (adler32).
            p.set_checksum(gfal2.checksum_mode.both, "ADLER32", "")
        p.event_callback = self._event
        if self.progress is not None:
            p.monitor_callback = self._monitor
        return p

    def _event(self, event: object) -> None:
        self._events.append(str(getattr(event, "description", "")))

    def _monitor(self, src: str, dst: str, average: float, instant: float, transferred: int, elapsed: int) -> None:
        if self.progress is not None:
            self.progress(int(transferred))

    def mode(self) -> str:
        for e in self._events:
            for m in ("3rd pull", "3rd push", "streamed"):
                if m in e:
                    return m
        return ""

    def run(self) -> CopyResult:
        t0 = time.monotonic()
        s = self.spec
        scheme = urlsplit(s.source).scheme.lower()
        if urlsplit(s.destination).scheme.lower() != scheme and not (
                scheme in HTTP_SCHEMES and urlsplit(s.destination).scheme.lower() in HTTP_SCHEMES):
            return CopyResult(False, f"TRANSFER [{errno.EPROTONOSUPPORT}] different protocols on both ends "
                              "need a streamed copy, which this service does not do", 0, "", 0.0)
        ctx = self._ctx = self._context()
        if self.canceled.is_set():
            return CopyResult(False, "Transfer canceled", 0, "", 0.0)
        try:
            ctx.filecopy(self._params(ctx), s.source, s.destination)
        except gfal2.GError as e:
            reason = f"TRANSFER [{e.code}] {e.message}".strip()
            if self.canceled.is_set():
                reason = "Transfer canceled"
            if self.mode():
                # The copy had begun: whatever reached the destination is not the file.
                self._remove_destination(ctx)
            return CopyResult(False, reason, 0, self.mode(), time.monotonic() - t0)
        finally:
            self._ctx = None
        size = s.filesize
        if not size:
            try:
                size = int(self._context().stat(s.destination).st_size)
            except gfal2.GError:
                size = 0
        mode = self.mode()
        if mode == "streamed":  # cannot happen with the options above; never report it as fine
            return CopyResult(False, "TRANSFER streamed copy refused", size, mode, time.monotonic() - t0)
        return CopyResult(True, "", size, mode, time.monotonic() - t0)

    def _remove_destination(self, ctx: "gfal2.Gfal2Context") -> None:
        try:
            ctx.unlink(self.spec.destination)
        except gfal2.GError:
            pass

    def cancel(self) -> None:
        self.canceled.set()
        ctx = self._ctx
        if ctx is not None:
            try:
                ctx.cancel()
            except gfal2.GError:
                pass
