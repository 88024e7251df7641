"""The transfer log: one row per file transfer attempt (one FTS file entry that was queued), kept
in memory for ``GET /srcnet/transfers`` and, when configured, appended to a JSONL file once the
attempt ends. The fields are those records/transfer-record.ts exports (times in epoch seconds)."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, Iterator, List, Optional

from .jobs import FILE_TERMINAL, FileTransfer, JobStore


def _file_name(f: FileTransfer) -> str:
    meta = f.file_metadata if isinstance(f.file_metadata, dict) else {}
    if meta.get("scope") and meta.get("name"):
        return f"{meta['scope']}:{meta['name']}"
    from urllib.parse import urlsplit

    return urlsplit(f.dest_surl).path


def row_of(f: FileTransfer) -> Dict[str, Any]:
    meta = f.file_metadata if isinstance(f.file_metadata, dict) else {}
    return {
        "transfer_id": str(f.file_id),
        "job_id": f.job_id,
        "request_id": str(meta.get("request_id") or ""),
        "file": _file_name(f),
        "source_site": f.source_site,
        "dest_site": f.dest_site,
        "link": f.link,
        "bytes": f.filesize or f.transferred,
        "submit": f.submit_time,
        "start": f.start_time,
        "end": f.finish_time,
        "state": f.file_state,
        "error": f.reason if f.file_state != "FINISHED" else "",
        "link_actives": f.link_actives,
        "source_url": f.source_surl,
        "pull_url": f.pull_url,
        "dest_url": f.dest_surl,
        "copy_mode": f.copy_mode,
    }


class TransferLog:
    def __init__(self, store: JobStore, path: Optional[str] = None) -> None:
        self._lock = threading.Lock()
        self._rows: Dict[int, Dict[str, Any]] = {}
        self._order: List[int] = []
        self._path = path
        self._file = open(path, "a", buffering=1) if path else None
        store.on_file_change.append(self._changed)

    def _changed(self, f: FileTransfer) -> None:
        if f.submit_time is None:  # a replica never tried
            return
        row = row_of(f)
        with self._lock:
            if f.file_id not in self._rows:
                self._order.append(f.file_id)
            already_ended = self._rows.get(f.file_id, {}).get("state") in FILE_TERMINAL
            self._rows[f.file_id] = row
            if self._file is not None and row["state"] in FILE_TERMINAL and not already_ended:
                self._file.write(json.dumps(row) + "\n")

    def refresh(self, f: FileTransfer) -> None:
        """Update a row after its attempt's final fields were set (no second JSONL line)."""
        with self._lock:
            if f.file_id in self._rows:
                self._rows[f.file_id] = row_of(f)

    def rows(self) -> Iterator[Dict[str, Any]]:
        with self._lock:
            snapshot = [dict(self._rows[i]) for i in self._order]
        return iter(snapshot)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
