"""Rucio's own FTS3 client code (the fts3 transfertool of the Rucio image the stack runs) against
the service: submit as the conveyor submitter does, poll as the poller does, then query,
update_priority, cancel, whoami. Proves the API match, not just our reading of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
import zlib
from pathlib import Path
from typing import Dict

import pytest

from conftest import Service
from sites import XrdSite

HERE = Path(__file__).resolve().parent
IMAGE_REPO = "srcnet-testbed/rucio"


def rucio_image() -> str:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed")
    r = subprocess.run(["docker", "images", IMAGE_REPO, "--format", "{{.Repository}}:{{.Tag}}"],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        pytest.skip(f"docker is not running: {r.stderr.strip()}")
    tags = [t for t in r.stdout.split() if t and not t.endswith(":<none>")]
    if not tags:
        pytest.skip(f"no {IMAGE_REPO} image built here (the stack builds it)")
    return tags[0]


def test_rucio_fts3_transfertool_against_the_service(service: Service, sites: Dict[str, XrdSite],
                                                     workdir: Path) -> None:
    image = rucio_image()
    a, b = sites["A"], sites["B"]
    data = os.urandom(300 * 1024)
    a.put("srcnet/rucio/f", data)
    cfg = workdir / "rucio.cfg"
    cfg.write_text("[common]\nloglevel = WARNING\n[database]\ndefault = sqlite:////tmp/rucio.db\n"
                   "[conveyor]\nuse_deterministic_id = False\n")
    name = f"srcnet-fts-rucio-check-{uuid.uuid4().hex[:8]}"
    cmd = ["docker", "run", "--rm", "--name", name, "--network", "host",
           "-v", f"{cfg}:/opt/rucio/etc/rucio.cfg:ro", "-v", f"{HERE / 'rucio_client_check.py'}:/check.py:ro",
           "--entrypoint", "/opt/rucio/bin/python", image, "/check.py", service.url,
           a.url("srcnet/rucio/f"), b.url("srcnet/rucio/f"), str(len(data)), "%08x" % zlib.adler32(data)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["job_state"] == "FINISHED" and out["file_state"] == "FINISHED", out
    assert out["job_params"]["verify_checksum"] == "both" and out["multi_sources"] is False
    assert out["src_url"] == a.url("srcnet/rucio/f") and out["dst_url"] == b.url("srcnet/rucio/f")
    assert out["query"] == "FINISHED" and out["priority"] == 5
    assert out["cancel"] == "304 Not Modified"  # already finished: FTS's answer
    assert out["cancel_second"] in ("CANCELED", "FINISHED")
    assert len(out["lost"]) == 1 and out["lost"][0] != out["job_id"]
    assert zlib.adler32((b.data / "srcnet/rucio/f").read_bytes()) == zlib.adler32(data)
