"""The service's parts wired together: jobs, routes, the transfer log, the scheduler and gfal2."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Callable, Dict, Optional

from .config import Config
from .jobs import FileTransfer, JobStore
from .records import TransferLog
from .routes import Router
from .scheduler import MoveOutcome, MoverFn, Scheduler

log = logging.getLogger("srcnet_fts")


class GfalMover:
    """The scheduler's mover: one gfal2 copy per file, cancellable by file id."""

    def __init__(self, store: JobStore, file_timeout: float, connect_timeout: float) -> None:
        from . import mover  # imports gfal2

        self._mover = mover
        self.store = store
        self.file_timeout, self.connect_timeout = file_timeout, connect_timeout
        self._copies: Dict[int, "mover.Copy"] = {}
        self._lock = threading.Lock()

    def __call__(self, f: FileTransfer, progress: Callable[[int], None]) -> MoveOutcome:
        m = self._mover
        job = self.store.get(f.job_id)
        assert job is not None
        spec = m.CopySpec(source=f.pull_url or f.source_surl, destination=f.dest_surl, checksum=f.checksum,
                          verify_checksum=job.verify_checksum, overwrite=job.overwrite, filesize=f.filesize)
        copy = m.Copy(spec, self.file_timeout, self.connect_timeout, progress)
        with self._lock:
            self._copies[f.file_id] = copy
        try:
            r = copy.run()
        finally:
            with self._lock:
                self._copies.pop(f.file_id, None)
        log.info("file %s %s %s -> %s: %s in %.2f s (%s) %s", f.file_id, f.link, spec.source, spec.destination,
                 "FINISHED" if r.ok else "FAILED", r.seconds, r.mode or "-", r.reason)
        return MoveOutcome(r.ok, r.reason, r.bytes, r.mode)

    def cancel(self, file_id: int) -> None:
        with self._lock:
            copy = self._copies.get(file_id)
        if copy is not None:
            copy.cancel()

    def cancel_all(self) -> None:
        with self._lock:
            copies = list(self._copies.values())
        for c in copies:
            c.cancel()


class Service:
    def __init__(self, config: Config, mover: Optional[MoverFn] = None) -> None:
        self.config = config
        self.base_id = str(uuid.uuid4())
        self.store = JobStore()
        self.router = Router(config)
        self.gfal: Optional[GfalMover] = None
        if mover is None:
            self.gfal = GfalMover(self.store, config.file_timeout_seconds, config.connect_timeout_seconds)
            mover = self.gfal
        self.scheduler = Scheduler(self.store, self.router, mover, config.optimizer, config.interval_seconds,
                                   config.max_workers, config.optimizer_enabled)
        # After the scheduler: rows then carry the route the scheduler set.
        self.transfers = TransferLog(self.store, config.log_file)
        self.scheduler.on_end = self.transfers.refresh

    def start(self) -> None:
        self.scheduler.start()

    def cancel_files(self, file_ids: list[int]) -> None:
        if self.gfal is not None:
            for i in file_ids:
                self.gfal.cancel(i)

    def stop(self) -> None:
        self.scheduler.stop(self.gfal.cancel_all if self.gfal is not None else None)
        self.transfers.close()
