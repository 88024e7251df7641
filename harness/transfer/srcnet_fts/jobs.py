"""Jobs and their files, with FTS3's states, in memory and thread-safe.

Job states: SUBMITTED, ACTIVE, FINISHED, FINISHEDDIRTY, FAILED, CANCELED. File states: SUBMITTED,
ACTIVE, FINISHED, FAILED, CANCELED and NOT_USED (the other replicas of a multi-source file, tried
in order when the one before fails, as FTS does). A file that fails is not retried here: Rucio
resubmits. Times are epoch seconds inside; the API formats them as FTS does.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

FILE_TERMINAL = ("FINISHED", "FAILED", "CANCELED")
JOB_TERMINAL = ("FINISHED", "FINISHEDDIRTY", "FAILED", "CANCELED")
CANCEL_REASON = "Job canceled by the user"


@dataclass
class FileTransfer:
    file_id: int
    file_index: int
    job_id: str
    source_surl: str
    dest_surl: str
    file_state: str
    filesize: int
    checksum: Optional[str]
    file_metadata: Any
    activity: str
    selection_strategy: Optional[str]
    # Set by the scheduler when the file is routed.
    source_site: str = ""
    dest_site: str = ""
    link: str = ""
    pull_url: str = ""
    """The source URL as the destination is told to read it (through the pair's WAN path)."""
    submit_time: Optional[float] = None
    """When this attempt was queued (None for a NOT_USED replica never tried)."""
    start_time: Optional[float] = None
    finish_time: Optional[float] = None
    reason: str = ""
    transferred: int = 0
    link_actives: int = 0
    copy_mode: str = ""


@dataclass
class Job:
    job_id: str
    priority: int
    verify_checksum: str
    overwrite: bool
    job_metadata: Any
    params: Dict[str, Any]
    vo_name: str
    submit_time: float
    files: List[FileTransfer] = field(default_factory=list)
    job_state: str = "SUBMITTED"
    job_finished: Optional[float] = None
    reason: str = ""
    job_type: str = "N"

    @property
    def multi_sources(self) -> bool:
        return self.job_type == "R"


def _outcome(entries: List[FileTransfer]) -> str:
    """One logical file (all replicas of a file_index): FINISHED, FAILED, CANCELED or PENDING."""
    states = {f.file_state for f in entries}
    if "FINISHED" in states:
        return "FINISHED"
    if states & {"SUBMITTED", "ACTIVE"}:
        return "PENDING"
    if "CANCELED" in states:
        return "CANCELED"
    return "FAILED"


class JobStore:
    """All jobs; every change under one lock. Listeners hear of each file state change."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.jobs: Dict[str, Job] = {}
        self._next_file_id = 1
        self.on_file_change: List[Callable[[FileTransfer], None]] = []

    def new_job_id(self) -> str:
        return str(uuid.uuid1())

    def add(self, job: Job, files: List[Dict[str, Any]]) -> Job:
        """``files``: one dict per (file_index, source, destination) entry, in order."""
        now = time.time()
        with self.lock:
            if job.job_id in self.jobs:
                raise KeyError(job.job_id)
            first_of_index: Dict[int, bool] = {}
            for spec in files:
                idx = spec["file_index"]
                state = "NOT_USED" if idx in first_of_index else "SUBMITTED"
                first_of_index[idx] = True
                f = FileTransfer(file_id=self._next_file_id, job_id=job.job_id, file_state=state,
                                 submit_time=now if state == "SUBMITTED" else None, **spec)
                self._next_file_id += 1
                job.files.append(f)
            self.jobs[job.job_id] = job
            self._update_job(job)
            for f in job.files:
                if f.file_state == "SUBMITTED":
                    self._notify(f)
        return job

    def get(self, job_id: str) -> Optional[Job]:
        with self.lock:
            return self.jobs.get(job_id)

    def _notify(self, f: FileTransfer) -> None:
        for cb in self.on_file_change:
            cb(f)

    def _update_job(self, job: Job) -> None:
        if job.job_state == "CANCELED":
            return
        by_index: Dict[int, List[FileTransfer]] = {}
        for f in job.files:
            by_index.setdefault(f.file_index, []).append(f)
        outcomes = [_outcome(v) for v in by_index.values()]
        if "PENDING" in outcomes:
            started = any(f.file_state not in ("SUBMITTED", "NOT_USED") for f in job.files)
            job.job_state = "ACTIVE" if started else "SUBMITTED"
            return
        if all(o == "FINISHED" for o in outcomes):
            job.job_state = "FINISHED"
        elif "FINISHED" in outcomes:
            job.job_state = "FINISHEDDIRTY"
        elif "CANCELED" in outcomes:
            job.job_state = "CANCELED"
        else:
            job.job_state = "FAILED"
        job.job_finished = time.time()
        failed = sum(1 for o in outcomes if o != "FINISHED")
        job.reason = "" if failed == 0 else f"One or more files failed. Please have a look at the details for more information ({failed}/{len(outcomes)} failed)"

    def start(self, f: FileTransfer, link_actives: int) -> bool:
        """A queued file takes a slot; False if it is no longer SUBMITTED (canceled meanwhile)."""
        with self.lock:
            if f.file_state != "SUBMITTED":
                return False
            f.file_state = "ACTIVE"
            f.start_time = time.time()
            f.link_actives = link_actives
            self._update_job(self.jobs[f.job_id])
            self._notify(f)
            return True

    def end(self, f: FileTransfer, state: str, reason: str, transferred: int, copy_mode: str = "") -> Optional[FileTransfer]:
        """An active file ended. Returns the next replica to try (now SUBMITTED), if any."""
        assert state in FILE_TERMINAL
        with self.lock:
            job = self.jobs[f.job_id]
            if f.file_state in FILE_TERMINAL:  # canceled while running: keep CANCELED
                state, reason = f.file_state, f.reason or reason
            f.file_state = state
            f.reason = reason
            f.finish_time = time.time()
            f.transferred = transferred
            f.copy_mode = copy_mode
            nxt = None
            if state == "FAILED" and job.job_state != "CANCELED":
                for other in job.files:
                    if other.file_index == f.file_index and other.file_state == "NOT_USED":
                        other.file_state = "SUBMITTED"
                        other.submit_time = time.time()
                        nxt = other
                        break
            self._update_job(job)
            self._notify(f)
            if nxt is not None:
                self._notify(nxt)
            return nxt

    def cancel(self, job_id: str) -> List[FileTransfer]:
        """Cancel a job not yet ended: its queued and active files become CANCELED. Returns the
        files that were ACTIVE (the caller stops their copies)."""
        now = time.time()
        active: List[FileTransfer] = []
        with self.lock:
            job = self.jobs[job_id]
            if job.job_state in JOB_TERMINAL:
                return active
            job.job_state = "CANCELED"
            job.job_finished = now
            job.reason = CANCEL_REASON
            for f in job.files:
                if f.file_state in ("SUBMITTED", "ACTIVE"):
                    if f.file_state == "ACTIVE":
                        active.append(f)
                    f.file_state = "CANCELED"
                    f.reason = CANCEL_REASON
                    f.finish_time = now
                    self._notify(f)
        return active

    def set_priority(self, job_id: str, priority: int) -> Job:
        with self.lock:
            job = self.jobs[job_id]
            job.priority = max(1, min(5, priority))
            return job
