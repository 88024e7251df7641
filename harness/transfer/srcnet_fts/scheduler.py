"""Per-link queues, per-link limits on active transfers, and the optimizer that sets them.

Each link ("SRC->DST") has a queue (highest job priority first, then submission order) and a
limit: a queued file starts only while fewer than the limit are active on its link and fewer than
``max_workers`` are active in all. Before a link's first decision its limit is ``min_active``.
Every ``interval_seconds`` (one clock for all links) ``optimizer.decide`` sets each active link's
next limit from what it did in the interval just over (OPTIMIZER.md, "What it measures").
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional

import optimizer as opt

from .jobs import FileTransfer, JobStore
from .routes import Router

log = logging.getLogger("srcnet_fts.scheduler")

# (file, on_progress(bytes)) -> (ok, reason, bytes, mode); ``cancel(file_id)`` stops it.
MoverFn = Callable[[FileTransfer, Callable[[int], None]], "MoveOutcome"]


@dataclass
class MoveOutcome:
    ok: bool
    reason: str
    bytes: int
    mode: str = ""


@dataclass
class Link:
    name: str
    limit: int
    queues: Dict[int, Deque[FileTransfer]] = field(default_factory=dict)
    active: int = 0
    running: Dict[int, FileTransfer] = field(default_factory=dict)
    memory: Optional[opt.LinkState] = None
    last_reason: str = ""
    last_adjusted: tuple = ()
    decisions: int = 0
    # This interval.
    finished: int = 0
    failed: int = 0
    bytes: int = 0
    finished_sizes: List[int] = field(default_factory=list)
    # Since the start.
    total_finished: int = 0
    total_failed: int = 0
    total_canceled: int = 0
    total_bytes: int = 0
    last_sample: Optional[Dict[str, Any]] = None

    def queued(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def pop(self) -> Optional[FileTransfer]:
        for prio in sorted(self.queues, reverse=True):
            q = self.queues[prio]
            while q:
                f = q.popleft()
                if f.file_state == "SUBMITTED":
                    return f
        return None


class Scheduler:
    def __init__(self, store: JobStore, router: Router, mover: MoverFn, params: opt.Params,
                 interval_seconds: float, max_workers: int, optimizer_enabled: bool = True,
                 on_end: Optional[Callable[[FileTransfer], None]] = None) -> None:
        self.store, self.router, self.mover = store, router, mover
        self.params, self.interval, self.max_workers = params, interval_seconds, max_workers
        self.optimizer_enabled = optimizer_enabled
        self.on_end = on_end
        self.links: Dict[str, Link] = {}
        self.active_total = 0
        self._progress: Dict[int, int] = {}  # file_id -> bytes counted so far
        self._cv = threading.Condition(store.lock)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="transfer")
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._dispatch_loop, name="dispatch", daemon=True),
                         threading.Thread(target=self._optimizer_loop, name="optimizer", daemon=True)]
        self.decision_log: List[Dict[str, Any]] = []
        store.on_file_change.append(self._file_changed)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self, cancel: Optional[Callable[[], None]] = None) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if cancel is not None:
            cancel()
        for t in self._threads:
            t.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _link(self, name: str) -> Link:
        link = self.links.get(name)
        if link is None:
            first = self.params.min_active if self.optimizer_enabled else self.params.max_active
            link = self.links[name] = Link(name, first)
        return link

    # Called under the store's lock by JobStore on every file state change.
    def _file_changed(self, f: FileTransfer) -> None:
        if f.file_state == "SUBMITTED" and f.start_time is None and not f.link:
            route = self.router.route(f.source_surl, f.dest_surl)
            f.source_site, f.dest_site, f.link, f.pull_url = (route.source_site, route.dest_site, route.link,
                                                              route.source_url)
            job = self.store.jobs[f.job_id]
            self._link(f.link).queues.setdefault(job.priority, deque()).append(f)
            self._cv.notify_all()
        elif f.file_state == "CANCELED" and f.start_time is None:
            self._link(f.link).total_canceled += 1

    def _dispatch_loop(self) -> None:
        with self._cv:
            while not self._stop.is_set():
                started = False
                for link in list(self.links.values()):
                    while (link.active < link.limit and self.active_total < self.max_workers):
                        f = link.pop()
                        if f is None:
                            break
                        if not self.store.start(f, link.limit):
                            continue
                        link.active += 1
                        link.running[f.file_id] = f
                        self.active_total += 1
                        self._progress[f.file_id] = 0
                        self._pool.submit(self._run, f, link)
                        started = True
                if not started:
                    self._cv.wait(timeout=1.0)

    def _run(self, f: FileTransfer, link: Link) -> None:
        def progress(n: int) -> None:
            with self._cv:
                done = self._progress.get(f.file_id, 0)
                if n > done:
                    link.bytes += n - done
                    link.total_bytes += n - done
                    self._progress[f.file_id] = n

        try:
            outcome = self.mover(f, progress)
        except Exception as e:  # a bug must fail the file, never leave it ACTIVE
            log.exception("mover failed on file %s", f.file_id)
            outcome = MoveOutcome(False, f"TRANSFER internal error: {e}", 0)
        with self._cv:
            moved = outcome.bytes if outcome.ok else max(outcome.bytes, self._progress.get(f.file_id, 0))
            progress_done = self._progress.pop(f.file_id, 0)
            if moved > progress_done:
                link.bytes += moved - progress_done
                link.total_bytes += moved - progress_done
            state = "FINISHED" if outcome.ok else "FAILED"
            self.store.end(f, state, outcome.reason, outcome.bytes if outcome.ok else moved, outcome.mode)
            if f.file_state == "FINISHED":
                link.finished += 1
                link.total_finished += 1
                link.finished_sizes.append(outcome.bytes)
            elif f.file_state == "FAILED":
                link.failed += 1
                link.total_failed += 1
            else:
                link.total_canceled += 1
            link.active -= 1
            link.running.pop(f.file_id, None)
            self.active_total -= 1
            if self.on_end is not None:
                self.on_end(f)
            self._cv.notify_all()

    def _optimizer_loop(self) -> None:
        next_run = time.monotonic() + self.interval
        while not self._stop.wait(max(0.0, next_run - time.monotonic())):
            next_run += self.interval
            try:
                self.run_optimizer()
            except Exception:
                log.exception("optimizer run failed")

    def run_optimizer(self) -> None:
        """One run over every link with activity (active or queued now, or something ended)."""
        with self._cv:
            for link in self.links.values():
                queued = link.queued()
                if not (link.active or queued or link.finished or link.failed):
                    continue
                active_sizes = [f.filesize for f in link.running.values()]
                sizes = link.finished_sizes + active_sizes
                sample = opt.Sample(
                    success_rate=opt.success_rate(link.finished, link.failed),
                    throughput=link.bytes / self.interval,
                    filesize_avg=(sum(sizes) / len(sizes)) if sizes else 0.0,
                    queue=queued,
                    retries=0,
                )
                link.last_sample = {"success_rate": sample.success_rate, "throughput": sample.throughput,
                                    "filesize_avg": sample.filesize_avg, "queue": sample.queue,
                                    "finished": link.finished, "failed": link.failed}
                if self.optimizer_enabled:
                    d = opt.decide(self.params, link.memory, sample)
                    link.memory, link.limit = d.state, d.active
                    link.last_reason, link.last_adjusted = d.reason, d.adjusted
                else:
                    link.last_reason = "optimizer-disabled"
                link.decisions += 1
                self.decision_log.append({"time": time.time(), "link": link.name, "limit": link.limit,
                                          "reason": link.last_reason, "adjusted": list(link.last_adjusted),
                                          **link.last_sample})
                del self.decision_log[:-1000]
                log.info("optimizer %s: limit %d (%s%s) %s", link.name, link.limit, link.last_reason,
                         "," + ",".join(link.last_adjusted) if link.last_adjusted else "", link.last_sample)
                link.finished = link.failed = link.bytes = 0
                link.finished_sizes = []
            self._cv.notify_all()

    def links_view(self) -> List[Dict[str, Any]]:
        with self._cv:
            return [{
                "link": l.name, "queued": l.queued(), "active": l.active, "limit": l.limit,
                "last_reason": l.last_reason, "last_adjusted": list(l.last_adjusted), "decisions": l.decisions,
                "ema": l.memory.ema if l.memory else None, "last_sample": l.last_sample,
                "finished": l.total_finished, "failed": l.total_failed, "canceled": l.total_canceled,
                "bytes": l.total_bytes,
            } for l in self.links.values()]
