"""What the master writes for the harness (harness/campaigns/load-output.ts reads it): one record
a line, fields separated by tabs, in the order below. Times are seconds since the Unix epoch;
text fields never hold a tab or a newline (they are replaced by spaces).

    start   origin_epoch  workers
    req     worker  t_sent  service  operation  phase  latency_s  status  ok  bytes  site  path  pool
    begin   worker  id  t  service  operation  phase
    op      worker  id  t_start  service  operation  phase  seconds  ok  attempts
    dropped worker  phase  service  count
    worker  worker  host  node  requests  errors  iterations  dropped   (node: the Slurm node, or "")
    end     status  [message]   (complete | stopped | failed | lost-workers)

`id` pairs an operation with its `begin` within one worker; -1 is an operation that never
announced itself. `ok` is 1 or 0; `pool` is -1 for rows that are not uploads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _text(s: Any) -> str:
    s = str(s)
    if "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return s


def _num(x: Any) -> str:
    return repr(float(x)) if isinstance(x, float) else str(x)


def lines(worker: str, rows: Iterable[tuple[Any, ...]]) -> str:
    """The lines of a batch of a worker's rows (recorder.py's tuples)."""
    out: list[str] = []
    w = _text(worker)
    for r in rows:
        kind = r[0]
        if kind == "req":
            _, t, service, operation, phase, latency, status, ok, nbytes, site, path, pool = r
            out.append(
                f"req\t{w}\t{t!r}\t{_text(service)}\t{_text(operation)}\t{_text(phase)}\t{latency!r}\t{status}\t{1 if ok else 0}\t{nbytes}\t{_text(site)}\t{_text(path)}\t{pool}\n"
            )
        elif kind == "begin":
            _, i, t, service, operation, phase = r
            out.append(f"begin\t{w}\t{i}\t{t!r}\t{_text(service)}\t{_text(operation)}\t{_text(phase)}\n")
        elif kind == "op":
            _, i, t, service, operation, phase, seconds, ok, attempts = r
            out.append(f"op\t{w}\t{i}\t{t!r}\t{_text(service)}\t{_text(operation)}\t{_text(phase)}\t{_num(seconds)}\t{1 if ok else 0}\t{attempts}\n")
        else:
            raise ValueError(f"unknown row kind {kind!r}")
    return "".join(out)


def start(origin_epoch: float, workers: int) -> str:
    return f"start\t{origin_epoch!r}\t{workers}\n"


def dropped(worker: str, phase: str, service: str, count: int) -> str:
    return f"dropped\t{_text(worker)}\t{_text(phase)}\t{_text(service)}\t{count}\n"


def worker_line(worker: str, host: str, node: str, requests: int, errors: int, iterations: int, dropped_total: int) -> str:
    return f"worker\t{_text(worker)}\t{_text(host)}\t{_text(node)}\t{requests}\t{errors}\t{iterations}\t{dropped_total}\n"
