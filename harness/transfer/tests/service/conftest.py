"""Fixtures: two XRootD sites (A, B) with HTTP TPC, a WAN path A->B (toxiproxy with a latency
toxic, or a small forwarder when toxiproxy is not built), and the transfer service started as
``python -m srcnet_fts``. Everything started here is stopped in ``finally``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
TRANSFER = HERE.parent.parent
REPO = TRANSFER.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(TRANSFER))

from fts_service import Service, http  # noqa: E402  (re-exported for the tests)
from sites import Forwarder, XrdSite, free_port, make_ca, wait_port  # noqa: E402

TOXIPROXY = REPO / ".tools" / "bin" / "toxiproxy"
PATH_LATENCY_MS = 150


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="srcnet-fts-test-"))
    os.chmod(d, 0o755)  # the XRootD user must traverse it
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def pki(workdir: Path) -> Path:
    certdir = make_ca(workdir / "pki")
    os.environ["X509_CERT_DIR"] = str(certdir)
    return workdir / "pki"


@pytest.fixture(scope="session")
def sites(workdir: Path, pki: Path) -> Iterator[Dict[str, XrdSite]]:
    started: List[XrdSite] = []
    try:
        for name in ("A", "B"):
            s = XrdSite(name, workdir / name, pki)
            s.start()
            started.append(s)
        yield {s.name: s for s in started}
    finally:
        for s in started:
            s.stop()


class Path_:
    """The WAN path A->B: toxiproxy with a latency toxic if built, else a forwarder."""

    def __init__(self, target_port: int) -> None:
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.forwarder: Optional[Forwarder] = None
        self.port = free_port()
        self.kind = "toxiproxy" if TOXIPROXY.exists() else "forwarder"
        if self.kind == "toxiproxy":
            self.api = free_port()
            self.proc = subprocess.Popen([str(TOXIPROXY), "-host", "127.0.0.1", "-port", str(self.api)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(self.api)
            base = f"http://127.0.0.1:{self.api}"
            st, _ = http("POST", f"{base}/proxies", {"name": "a_to_b", "listen": f"127.0.0.1:{self.port}",
                                                      "upstream": f"127.0.0.1:{target_port}"})
            assert st in (200, 201), st
            st, _ = http("POST", f"{base}/proxies/a_to_b/toxics",
                         {"name": "lat", "type": "latency", "stream": "downstream",
                          "attributes": {"latency": PATH_LATENCY_MS, "jitter": 0}})
            assert st in (200, 201), st
        else:
            self.forwarder = Forwarder(target_port, PATH_LATENCY_MS / 1000)
            self.port = self.forwarder.port

    def set_enabled(self, enabled: bool) -> None:
        if self.kind == "toxiproxy":
            st, _ = http("POST", f"http://127.0.0.1:{self.api}/proxies/a_to_b", {"enabled": enabled})
            assert st == 200
        else:
            pytest.skip("cutting the path needs toxiproxy")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.forwarder is not None:
            self.forwarder.stop()


@pytest.fixture(scope="session")
def wan_path(sites: Dict[str, XrdSite]) -> Iterator[Path_]:
    p = Path_(sites["A"].http_port)
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def service(sites: Dict[str, XrdSite], wan_path: Path_, workdir: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    dead = free_port()
    a, b = sites["A"], sites["B"]
    config = {
        "sites": {"A": [f"127.0.0.1:{a.http_port}", f"127.0.0.1:{a.root_port}"],
                  "B": [f"127.0.0.1:{b.http_port}", f"127.0.0.1:{b.root_port}"],
                  "C": [f"127.0.0.1:{dead}"]},
        "paths": [{"source": "A", "destination": "B", "via": f"127.0.0.1:{wan_path.port}"}],
        "optimizer": {"min_active": 1, "max_active": 3},
        "interval_seconds": 1.5,
        "file_timeout_seconds": 60,
        "connect_timeout_seconds": 5,
        "max_workers": 8,
        "log_file": str(workdir / f"{request.module.__name__}-transfers.jsonl"),
    }
    s = Service(config, workdir / f"service-{request.module.__name__}")
    s.dead_port = dead  # type: ignore[attr-defined]
    try:
        yield s
    finally:
        s.stop()
