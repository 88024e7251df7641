"""The transfer service as a child process (``python -m srcnet_fts`` with a JSON config) and a
small JSON HTTP client for its API; shared by the service's tests (conftest.py) and
bench/transfer_service.py. ``stop`` ends the process it started."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Tuple

from sites import free_port, wait_port

TRANSFER = Path(__file__).resolve().parent.parent.parent  # harness/transfer: srcnet_fts's parent


def http(method: str, url: str, body: Any = None, timeout: float = 10) -> Tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read().decode(), e.code
    if "/srcnet/transfers" in url:
        return status, [json.loads(line) for line in raw.splitlines() if line.strip()]
    return status, (json.loads(raw) if raw else None)


class Service:
    def __init__(self, config: Dict[str, Any], folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = dict(config, listen={"host": "127.0.0.1", "port": self.port})
        self.config_file = folder / "config.json"
        self.config_file.write_text(json.dumps(config, indent=1))
        self.log = folder / "service.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "srcnet_fts", "--config", str(self.config_file)],
                                     cwd=TRANSFER, stdout=self._out, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, timeout=20)
        except TimeoutError:
            self.stop()
            raise RuntimeError("service did not start:\n" + self.log.read_text())

    def get(self, path: str) -> Tuple[int, Any]:
        return http("GET", self.url + path)

    def submit(self, files: List[Dict[str, Any]], **params: Any) -> str:
        st, body = http("POST", self.url + "/jobs", {"files": files, "params": params})
        assert st == 200, body
        return str(body["job_id"])

    def wait_job(self, job_id: str, timeout: float = 60) -> Dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            st, job = self.get(f"/jobs/{job_id}?files=file_state,dest_surl,finish_time,start_time,staging_start,"
                               "staging_finished,reason,source_surl,file_metadata")
            assert st == 200, job
            if job["job_state"] in ("FINISHED", "FINISHEDDIRTY", "FAILED", "CANCELED"):
                return job
            if time.monotonic() > end:
                raise AssertionError(f"job {job_id} still {job['job_state']} after {timeout} s: {job}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._out.close()
