"""The transfer service against real XRootD 5.5 sites: HTTP third-party copies pulled by the
destination through a WAN path, checksums, failures, the FTS3 API Rucio reads, the scheduler's
limits and the transfer log."""

from __future__ import annotations

import os
import time
import uuid
import zlib
from datetime import datetime
from typing import Any, Dict, List

import pytest

from conftest import PATH_LATENCY_MS, Service, http
from sites import XrdSite

RUCIO_FIELDS = "file_state,dest_surl,finish_time,start_time,staging_start,staging_finished,reason,source_surl,file_metadata"


def adler(data: bytes) -> str:
    return "%08x" % zlib.adler32(data)


def make_files(a: XrdSite, b: XrdSite, n: int, size: int, tag: str, dest_scheme: str = "davs") -> List[Dict[str, Any]]:
    out = []
    for i in range(n):
        data = os.urandom(size)
        path = f"srcnet/{tag}/file{i}"
        a.put(path, data)
        out.append({"sources": [a.url(path)], "destinations": [b.url(path, dest_scheme)],
                    "filesize": size, "checksum": f"ADLER32:{adler(data)}", "activity": "test",
                    "metadata": {"request_id": uuid.uuid4().hex, "scope": "test", "name": f"{tag}-file{i}",
                                 "src_rse": "A", "dst_rse": "B", "filesize": size, "adler32": adler(data)},
                    "_data": data, "_path": path})
    return out


def strip(files: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{k: v for k, v in f.items() if not k.startswith("_")} for f in files]


def rows_of(service: Service, job_id: str) -> List[Dict[str, Any]]:
    st, rows = service.get("/srcnet/transfers")
    assert st == 200
    return [r for r in rows if r["job_id"] == job_id]


def test_job_of_several_files_is_pulled_by_the_destination(service: Service, sites: Dict[str, XrdSite]) -> None:
    a, b = sites["A"], sites["B"]
    files = make_files(a, b, 3, 2 * 1024 * 1024, "ok")
    t0 = time.time()
    job_id = service.submit(strip(files), verify_checksum="both", overwrite=True, priority=3,
                            job_metadata={"issuer": "rucio", "multi_sources": False})
    job = service.wait_job(job_id)
    elapsed = time.time() - t0
    assert job["job_state"] == "FINISHED", job
    assert job["http_status"] == "200 Ok"
    for f, spec in zip(job["files"], files):
        assert f["file_state"] == "FINISHED"
        assert f["file_metadata"] == spec["metadata"]
        on_b = (b.data / spec["_path"]).read_bytes()  # read back independently
        assert adler(on_b) == adler(spec["_data"]) and len(on_b) == len(spec["_data"])
    # A third-party pull: B's server was asked to COPY and A's was read by XRootD's TPC client;
    # nothing was streamed through the service.
    assert f"COPY /{files[0]['_path']}" in b.read_log()
    assert "User-Agent: xrootd-tpc" in a.read_log()
    rows = rows_of(service, job_id)
    assert len(rows) == 3
    for r in rows:
        assert r["copy_mode"] == "3rd pull"
        assert r["link"] == "A->B" and (r["source_site"], r["dest_site"]) == ("A", "B")
        # The source URL went through the pair's WAN path, the destination was left alone.
        assert f":{a.http_port}/" not in r["pull_url"] and r["pull_url"] != r["source_url"]
        assert r["state"] == "FINISHED" and r["bytes"] == 2 * 1024 * 1024 and r["error"] == ""
        assert r["submit"] <= r["start"] <= r["end"]
        # The path's latency is a floor: a pull needs at least a request and a reply through it.
        assert r["end"] - r["start"] >= PATH_LATENCY_MS / 1000
    print(f"\n3 x 2 MB job A->B over the path: {elapsed:.2f} s; per file "
          + ", ".join(f"{r['end'] - r['start']:.2f}" for r in rows))


def test_direct_tpc_of_10_mb(service: Service, sites: Dict[str, XrdSite]) -> None:
    a, b = sites["A"], sites["B"]
    # B -> A has no path configured: it goes direct.
    files = make_files(b, a, 1, 10 * 1024 * 1024, "direct10")
    job_id = service.submit(strip(files), verify_checksum="both", overwrite=True)
    job = service.wait_job(job_id)
    assert job["job_state"] == "FINISHED", job
    (r,) = rows_of(service, job_id)
    assert r["link"] == "B->A" and r["pull_url"] == r["source_url"] and r["copy_mode"] == "3rd pull"
    assert adler((a.data / files[0]["_path"]).read_bytes()) == adler(files[0]["_data"])
    print(f"\n10 MB direct TPC over loopback: {r['end'] - r['start']:.3f} s")


def test_wrong_checksum_fails_and_leaves_nothing(service: Service, sites: Dict[str, XrdSite]) -> None:
    a, b = sites["A"], sites["B"]
    files = make_files(a, b, 1, 512 * 1024, "badck")
    files[0]["checksum"] = "ADLER32:" + ("%08x" % ((int(files[0]["checksum"][8:], 16) + 1) & 0xFFFFFFFF))
    job = service.wait_job(service.submit(strip(files), verify_checksum="both", overwrite=True))
    assert job["job_state"] == "FAILED"
    (f,) = job["files"]
    assert f["file_state"] == "FAILED" and "CHECKSUM MISMATCH" in f["reason"]
    assert not (b.data / files[0]["_path"]).exists()


def test_unreachable_source_fails_quickly(service: Service, sites: Dict[str, XrdSite]) -> None:
    b = sites["B"]
    dead = service.dead_port  # type: ignore[attr-defined]
    t0 = time.monotonic()
    job_id = service.submit([{"sources": [f"davs://127.0.0.1:{dead}/srcnet/nowhere"],
                              "destinations": [b.url("srcnet/unreachable/f")], "filesize": 10,
                              "checksum": "ADLER32:00000001", "metadata": {"request_id": "r-dead"}}],
                            verify_checksum="both", overwrite=True)
    job = service.wait_job(job_id, timeout=30)
    assert time.monotonic() - t0 < 30
    assert job["job_state"] == "FAILED" and job["files"][0]["reason"]
    (r,) = rows_of(service, job_id)
    assert r["link"] == "C->B" and r["state"] == "FAILED" and r["error"]


def test_cut_path_fails_quickly(service: Service, sites: Dict[str, XrdSite], wan_path: Any) -> None:
    a, b = sites["A"], sites["B"]
    files = make_files(a, b, 1, 256 * 1024, "cut")
    wan_path.set_enabled(False)
    try:
        t0 = time.monotonic()
        job = service.wait_job(service.submit(strip(files), verify_checksum="both", overwrite=True), timeout=30)
        took = time.monotonic() - t0
    finally:
        wan_path.set_enabled(True)
    assert job["job_state"] == "FAILED" and job["files"][0]["reason"], job
    assert took < 30
    print(f"\ncut path: FAILED after {took:.2f} s: {job['files'][0]['reason']}")


def test_bulk_query_and_cancel(service: Service, sites: Dict[str, XrdSite]) -> None:
    a, b = sites["A"], sites["B"]
    # Six files on the slow A->B link: one or two run, the rest wait in its queue.
    big = make_files(a, b, 6, 1024 * 1024, "cancel")
    j1 = service.submit(strip(big), verify_checksum="both", overwrite=True)
    j2 = service.submit(strip(make_files(b, a, 1, 1024, "bulk")), verify_checksum="both", overwrite=True)
    missing = str(uuid.uuid1())
    st, jobs = service.get(f"/jobs/{j1},{j2},{missing}?files={RUCIO_FIELDS}")
    assert st == 207 and isinstance(jobs, list) and len(jobs) == 3
    by_id = {j["job_id"]: j for j in jobs}
    assert by_id[missing]["http_status"] == "404 Not Found"
    for jid in (j1, j2):
        j = by_id[jid]
        assert j["http_status"] == "200 Ok" and j["job_state"] in ("SUBMITTED", "ACTIVE", "FINISHED")
        assert isinstance(j["job_metadata"], (dict, type(None))) and "files" in j
        for f in j["files"]:
            assert set(f) == set(RUCIO_FIELDS.split(","))
            assert f["file_state"] in ("SUBMITTED", "ACTIVE", "FINISHED")
            assert f["file_metadata"]["request_id"]
            for k in ("start_time", "finish_time"):
                if f[k] is not None:
                    datetime.strptime(f[k], "%Y-%m-%dT%H:%M:%S")
    st, both = service.get(f"/jobs/{j1},{j2}?files={RUCIO_FIELDS}")
    assert st == 200 and len(both) == 2
    st, single = service.get(f"/jobs/{missing}")
    assert st == 404 and single["http_status"] == "404 Not Found"

    st, canceled = http("DELETE", f"{service.url}/jobs/{j1}")
    assert st == 200 and canceled["job_state"] == "CANCELED", canceled
    job = service.wait_job(j1)
    states = [f["file_state"] for f in job["files"]]
    assert job["job_state"] == "CANCELED"
    assert states.count("CANCELED") >= 4 and "SUBMITTED" not in states and "ACTIVE" not in states, states
    rows = rows_of(service, j1)
    assert sum(1 for r in rows if r["state"] == "CANCELED" and r["start"] is None) >= 4
    # Canceling again: the job is terminal, FTS answers 304 inside a 200.
    st, again = http("DELETE", f"{service.url}/jobs/{j1}")
    assert st == 200 and again["http_status"] == "304 Not Modified"
    assert service.wait_job(j2)["job_state"] == "FINISHED"


def test_scheduler_keeps_to_the_limit_and_follows_the_optimizer(service: Service, sites: Dict[str, XrdSite]) -> None:
    a, b = sites["A"], sites["B"]
    files = make_files(a, b, 10, 1024 * 1024, "sched")
    job_id = service.submit(strip(files), verify_checksum="both", overwrite=True)
    job = service.wait_job(job_id, timeout=90)
    assert job["job_state"] == "FINISHED"
    rows = rows_of(service, job_id)
    assert len(rows) == 10
    # At every start, the transfers then running on the link are within the limit it started under
    # (transfers of earlier tests on A->B have all ended).
    for r in rows:
        running = [o for o in rows if o["start"] <= r["start"] < o["end"]]
        assert 1 <= len(running) <= r["link_actives"] <= 3, (r, running)
    st, links = service.get("/srcnet/links")
    assert st == 200
    decisions = [d for d in links["decisions"] if d["link"] == "A->B"]
    assert decisions and decisions[0]["reason"] == "no-information" and decisions[0]["limit"] == 2
    limits = {r["link_actives"] for r in rows}
    assert len(limits) >= 2 or any(d["limit"] != 1 for d in decisions), (limits, decisions)
    (ab,) = [l for l in links["links"] if l["link"] == "A->B"]
    assert ab["active"] == 0 and ab["queued"] == 0 and 1 <= ab["limit"] <= 3 and ab["finished"] >= 10


def test_transfer_log_file_has_each_ended_attempt(service: Service) -> None:
    import json

    st, rows = service.get("/srcnet/transfers")
    ended = [r for r in rows if r["state"] in ("FINISHED", "FAILED", "CANCELED")]
    path = json.loads(service.config_file.read_text())["log_file"]
    logged = [json.loads(line) for line in open(path)]
    assert {r["transfer_id"] for r in logged} == {r["transfer_id"] for r in ended}
    for r in rows:
        assert r["submit"] is not None
        if r["start"] is not None:
            assert r["submit"] <= r["start"]
        if r["end"] is not None and r["start"] is not None:
            assert r["start"] <= r["end"]


def test_health_and_version(service: Service) -> None:
    st, h = service.get("/srcnet/health")
    assert st == 200 and h["status"] == "ok"
    st, v = service.get("/")
    assert st == 200 and v["api"]["major"] == 3
    st, who = service.get("/whoami")
    assert st == 200 and who["vos"] and uuid.UUID(who["base_id"])


@pytest.mark.parametrize("body,needle", [
    ({"files": []}, "No transfers"),
    ({"files": [{"sources": ["davs://h/a"], "destinations": ["davs://h/b"]}], "params": {"multihop": True}}, "Multihop"),
])
def test_rejected_submissions(service: Service, body: Dict[str, Any], needle: str) -> None:
    st, r = http("POST", service.url + "/jobs", body)
    assert st == 400 and needle in r["message"]
