"""The transfer service's throughput against plain gfal2 copies of the same files, measured in the
same run over loopback, and what the service costs per transfer.

Two XRootD 5.5 sites on loopback (A and B, as the service's tests start them: a throw-away CA,
HTTP third-party copy, adler32; no WAN path in between) and two cases of files written on site A:
40 files of 8 MiB (throughput) and 200 files of 64 KiB (cost per transfer). Every copy is an HTTP
third-party copy A -> B pulled by B (davs:// on both ends):

- the named peer: plain gfal2 in this process, K threads with one gfal2 context each, taking the
  case's files in order from a shared list; every context and copy with the service's options
  (harness/transfer/srcnet_fts/mover.py): "3rd pull" with ENABLE_FALLBACK_TPC_COPY and
  ENABLE_STREAM_COPY off, header `Credential: none`, create_parent, overwrite, strict_copy off,
  the file's ADLER32 checked at both ends, the same copy, checksum and namespace timeouts. Its
  wall time is from before the threads start to the last copy's end.
- ours: the service (`python -m srcnet_fts`, its optimizer off with `max_active` K, so its one
  link A->B runs K copies at once like the peer) given the same files as one FTS job, as Rucio
  submits it (POST /jobs with filesize, ADLER32 checksum and request metadata per file,
  verify_checksum both, overwrite), its state polled (GET /jobs/<id>, every 0.1 s) until it has
  ended. Its wall time is from just before the POST to the last file's end as the service's
  transfer log reports it (GET /srcnet/transfers, epoch seconds on this machine's clock), so the
  poll interval does not count; every file must be FINISHED with copy mode "3rd pull".

Each run copies to fresh names on B; its files are checked on B's disk (size) and deleted after
it. One untimed warm-up run of each side first. BENCH_RUNS (default 3) rounds, in each both cases,
the order of peer and ours alternating from one round to the next (peer, ours, ours, peer, ...).
Printed per case: medians of MB/s (10^6 bytes of file content per second of wall time) and the
ratio ours / peer (target >= 0.8); the cost per transfer, the median over rounds of (ours wall -
peer wall) / N in ms; and from the service's transfer log its own per-file times: each copy's
start -> end against the peer's filecopy call, submit -> first start, and the refill gap (a
copy's start after the end that freed its slot). BENCH_ACTIVE sets K (default 4). The machine's
cores are shared by XRootD (both sites), the service and this process, as they would be in CI.

    npm run bench:transfer   ($(bash scripts/python-venv.sh transfer)/bin/python bench/transfer_service.py)
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "harness" / "transfer" / "tests" / "service"
sys.path.insert(0, str(TESTS))

from fts_service import Service, http  # noqa: E402
from sites import XrdSite, make_ca  # noqa: E402

FILE_TIMEOUT = 120
CONNECT_TIMEOUT = 10
# XrdCl reads these when first loaded; the service sets the same (mover.set_xrootd_client_timeouts).
for k, v in (("XRD_CONNECTIONWINDOW", CONNECT_TIMEOUT), ("XRD_CONNECTIONRETRY", 1),
             ("XRD_REQUESTTIMEOUT", CONNECT_TIMEOUT), ("XRD_STREAMTIMEOUT", CONNECT_TIMEOUT),
             ("XRD_TIMEOUTRESOLUTION", 1)):
    os.environ.setdefault(k, str(v))

import gfal2  # noqa: E402

RUNS = max(1, int(os.environ.get("BENCH_RUNS", "3")))
K = max(1, int(os.environ.get("BENCH_ACTIVE", "4")))
CASES: List[Tuple[str, int, int]] = [("8 MiB files", 40, 8 * 1024 * 1024), ("64 KiB files", 200, 64 * 1024)]
JOB_DEADLINE = 600.0
POLL = 0.1
TARGET_RATIO = 0.8


@dataclass
class File:
    path: str
    size: int
    adler32: str


@dataclass
class Run:
    wall: float
    per_file: List[float] = field(default_factory=list)
    """Seconds of each copy (peer: its filecopy call; ours: start -> end in the transfer log)."""
    first_start: Optional[float] = None
    """Ours: submit -> first copy's start, seconds."""
    refill: List[float] = field(default_factory=list)
    """Ours: each copy's start after the end that freed its slot, seconds."""


def gfal_context() -> "gfal2.Gfal2Context":
    """A context with the options mover.Copy gives its own."""
    ctx = gfal2.creat_context()
    t = CONNECT_TIMEOUT
    ctx.set_opt_string_list("HTTP PLUGIN", "HEADERS", ["Credential: none"])
    ctx.set_opt_boolean("HTTP PLUGIN", "ENABLE_FALLBACK_TPC_COPY", False)
    ctx.set_opt_string("HTTP PLUGIN", "DEFAULT_COPY_MODE", "3rd pull")
    ctx.set_opt_boolean("HTTP PLUGIN", "ENABLE_STREAM_COPY", False)
    ctx.set_opt_integer("HTTP PLUGIN", "OPERATION_TIMEOUT", max(t, FILE_TIMEOUT))
    ctx.set_opt_integer("CORE", "NAMESPACE_TIMEOUT", t)
    ctx.set_opt_integer("CORE", "CHECKSUM_TIMEOUT", max(t, FILE_TIMEOUT))
    ctx.set_opt_integer("XROOTD PLUGIN", "NORMALIZE_PATH", 1)
    return ctx


def peer_run(a: XrdSite, b: XrdSite, files: List[File], dest: str) -> Run:
    """K threads, one gfal2 context each, copying the files in order."""
    next_index = [0]
    lock = threading.Lock()
    durations: List[float] = []
    errors: List[str] = []
    ready = threading.Barrier(K + 1)

    def worker() -> None:
        try:
            ctx = gfal_context()
        except gfal2.GError as e:
            errors.append(f"gfal2 context: [{e.code}] {e.message}")
            ready.abort()
            return
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(files) or errors:
                return
            f = files[i]
            p = ctx.transfer_parameters()
            p.overwrite = True
            p.create_parent = True
            p.strict_copy = False
            p.timeout = FILE_TIMEOUT
            p.set_checksum(gfal2.checksum_mode.both, "ADLER32", f.adler32)
            t0 = time.monotonic()
            try:
                ctx.filecopy(p, a.url(f.path), b.url(f"{dest}/{Path(f.path).name}"))
            except gfal2.GError as e:
                with lock:
                    errors.append(f"{f.path}: [{e.code}] {e.message}")
                return
            with lock:
                durations.append(time.monotonic() - t0)

    threads = [threading.Thread(target=worker, name=f"peer-{i}") for i in range(K)]
    for t in threads:
        t.start()
    # Contexts are made before the clock starts: the peer keeps them across files, and the
    # service makes a new one per copy (that cost is the service's).
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    if errors:
        raise RuntimeError(f"gfal2 copy failed ({len(errors)}): {errors[0]}")
    return Run(wall, durations)


def service_run(service: Service, a: XrdSite, b: XrdSite, files: List[File], dest: str) -> Run:
    """The files as one FTS job, as Rucio's submitter sends it; wall time to the last file's end."""
    body = {
        "files": [{
            "sources": [a.url(f.path)], "destinations": [b.url(f"{dest}/{Path(f.path).name}")],
            "filesize": f.size, "checksum": f"ADLER32:{f.adler32}", "activity": "User Subscriptions",
            "selection_strategy": "auto",
            "metadata": {"request_id": uuid.uuid4().hex, "scope": "bench", "name": Path(f.path).name,
                         "src_rse": "A", "dst_rse": "B", "filesize": f.size, "adler32": f.adler32},
        } for f in files],
        "params": {"verify_checksum": "both", "overwrite": True, "priority": 3, "copy_pin_lifetime": -1,
                   "bring_online": None, "job_metadata": {"issuer": "rucio", "multi_sources": False}},
    }
    t0 = time.time()
    st, answer = http("POST", service.url + "/jobs", body, timeout=60)
    if st != 200:
        raise RuntimeError(f"POST /jobs: {st} {answer}")
    job_id = str(answer["job_id"])
    end = time.monotonic() + JOB_DEADLINE
    while True:
        st, job = service.get(f"/jobs/{job_id}")
        if st != 200:
            raise RuntimeError(f"GET /jobs/{job_id}: {st} {job}")
        if job["job_state"] in ("FINISHED", "FINISHEDDIRTY", "FAILED", "CANCELED"):
            break
        if time.monotonic() > end:
            http("DELETE", f"{service.url}/jobs/{job_id}")
            raise RuntimeError(f"job {job_id} still {job['job_state']} after {JOB_DEADLINE} s")
        time.sleep(POLL)
    st, rows = service.get("/srcnet/transfers")
    rows = [r for r in rows if r["job_id"] == job_id]
    bad = [r for r in rows if r["state"] != "FINISHED" or r["copy_mode"] != "3rd pull"]
    if job["job_state"] != "FINISHED" or bad or len(rows) != len(files):
        raise RuntimeError(f"job {job_id} {job['job_state']} ({len(rows)} rows); first bad row: {bad[:1]}")
    starts = sorted(float(r["start"]) for r in rows)
    ends = sorted(float(r["end"]) for r in rows)
    # The i-th start beyond the first K waits for the (i-K)-th end (one link, K slots).
    refill = [s - e for s, e in zip(starts[K:], ends)]
    return Run(ends[-1] - t0, [float(r["end"]) - float(r["start"]) for r in rows], starts[0] - t0, refill)


def check_and_clear(b: XrdSite, files: List[File], dest: str) -> None:
    folder = b.data / dest
    for f in files:
        got = folder / Path(f.path).name
        if not got.is_file() or got.stat().st_size != f.size:
            raise RuntimeError(f"{got}: missing or wrong size after the copy")
    shutil.rmtree(folder)


def make_files(a: XrdSite, tag: str, n: int, size: int) -> List[File]:
    out = []
    for i in range(n):
        data = os.urandom(size)
        path = f"bench/{tag}/f{i:04d}"
        a.put(path, data)
        out.append(File(path, size, "%08x" % zlib.adler32(data)))
    return out


def med(xs: List[float]) -> float:
    return statistics.median(xs)


def print_table(title: str, rows: List[Tuple[str, str]]) -> None:
    w = max(len(r[0]) for r in rows)
    print(f"\n{title}")
    print("-" * min(120, w + 3 + max(len(r[1]) for r in rows)))
    for k, v in rows:
        print(f"{k:<{w}}   {v}")


def main() -> int:
    def on_term(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    work = Path(tempfile.mkdtemp(prefix="srcnet-fts-bench-"))
    os.chmod(work, 0o755)  # the XRootD user must traverse it
    started: List[XrdSite] = []
    service: Optional[Service] = None
    try:
        os.environ["X509_CERT_DIR"] = str(make_ca(work / "pki"))
        for name in ("A", "B"):
            s = XrdSite(name, work / name, work / "pki")
            s.start()
            started.append(s)
        a, b = started
        cases = [(label, make_files(a, f"case{i}", n, size)) for i, (label, n, size) in enumerate(CASES)]
        warm = make_files(a, "warm", 8, 64 * 1024)
        service = Service({
            "sites": {"A": [f"127.0.0.1:{a.http_port}", f"127.0.0.1:{a.root_port}"],
                      "B": [f"127.0.0.1:{b.http_port}", f"127.0.0.1:{b.root_port}"]},
            "optimizer": {"enabled": False, "min_active": K, "max_active": K},
            "interval_seconds": 60,
            "file_timeout_seconds": FILE_TIMEOUT,
            "connect_timeout_seconds": CONNECT_TIMEOUT,
            "log_file": str(work / "transfers.jsonl"),
        }, work / "service")
        print(f"transfer service vs plain gfal2: HTTP TPC A -> B on loopback (davs, ADLER32 both ends), "
              f"K = {K} at once, {RUNS} interleaved rounds; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
        peer_run(a, b, warm, "out/warm-peer")
        check_and_clear(b, warm, "out/warm-peer")
        service_run(service, a, b, warm, "out/warm-ours")
        check_and_clear(b, warm, "out/warm-ours")

        results: Dict[str, Dict[str, List[Run]]] = {label: {"peer": [], "ours": []} for label, _ in cases}
        for r in range(RUNS):
            order = ("peer", "ours") if r % 2 == 0 else ("ours", "peer")
            for ci, (label, files) in enumerate(cases):
                for side in order:
                    dest = f"out/r{r}-c{ci}-{side}"
                    run = (peer_run(a, b, files, dest) if side == "peer"
                           else service_run(service, a, b, files, dest))
                    check_and_clear(b, files, dest)
                    results[label][side].append(run)
                    mb = sum(f.size for f in files) / 1e6
                    print(f"  round {r + 1}/{RUNS} {label:<13} {side:<4} {run.wall:7.3f} s  "
                          f"{mb / run.wall:8.2f} MB/s", flush=True)

        verdicts = []
        for label, files in cases:
            n, mb = len(files), sum(f.size for f in files) / 1e6
            peer, ours = results[label]["peer"], results[label]["ours"]
            peer_mbs = med([mb / x.wall for x in peer])
            ours_mbs = med([mb / x.wall for x in ours])
            ratio = ours_mbs / peer_mbs
            cost = med([(o.wall - p.wall) / n * 1000 for o, p in zip(ours, peer)])
            ok = ratio >= TARGET_RATIO
            verdicts.append(ok)
            print_table(f"{label}: {n} x {files[0].size // 1024} KiB = {mb:.1f} MB, K = {K} (median of {RUNS} "
                        "interleaved rounds)", [
                ("plain gfal2 (peer), MB/s", f"{peer_mbs:8.2f}   walls {', '.join(f'{x.wall:.3f}' for x in peer)} s"),
                ("transfer service (ours), MB/s", f"{ours_mbs:8.2f}   walls {', '.join(f'{x.wall:.3f}' for x in ours)} s"),
                ("ratio ours / peer", f"{ratio:8.2f}   (target >= {TARGET_RATIO}: {'ok' if ok else 'MISSED'})"),
                ("cost per transfer, (ours - peer) / N", f"{cost:8.1f} ms"),
                ("copy time per file: peer filecopy", f"{med([med(x.per_file) for x in peer]) * 1000:8.1f} ms"),
                ("copy time per file: service start -> end", f"{med([med(x.per_file) for x in ours]) * 1000:8.1f} ms"),
                ("service: submit -> first start", f"{med([x.first_start or 0.0 for x in ours]) * 1000:8.1f} ms"),
                ("service: slot refill gap (end -> next start)",
                 f"{med([med(x.refill) for x in ours if x.refill]) * 1000:8.1f} ms"),
            ])
        print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
        return 0 if all(verdicts) else 1
    finally:
        if service is not None:
            service.stop()
        for s in reversed(started):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
