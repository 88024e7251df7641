"""The REST API: the part of FTS3's that Rucio's fts3 transfertool calls, plus the service's own
``/srcnet/*`` views. Field names, states and time formats are FTS3's (see README.md)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from flask import Flask, Response, request

from .jobs import JOB_TERMINAL, FileTransfer, Job
from .service import Service

API_VERSION = {"major": 3, "minor": 12, "patch": 0}
FILE_FIELDS = ("file_id", "file_index", "job_id", "file_state", "source_surl", "dest_surl", "source_se", "dest_se",
               "start_time", "finish_time", "staging_start", "staging_finished", "reason", "filesize",
               "user_filesize", "checksum", "file_metadata", "activity", "selection_strategy", "transferred",
               "throughput", "tx_duration", "retry", "vo_name")


def fts_time(t: Optional[float]) -> Optional[str]:
    return None if t is None else datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _se(url: str) -> str:
    from urllib.parse import urlsplit

    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname}"


def file_dict(f: FileTransfer, vo: str) -> Dict[str, Any]:
    dur = (f.finish_time - f.start_time) if f.start_time is not None and f.finish_time is not None else None
    return {
        "file_id": f.file_id, "file_index": f.file_index, "job_id": f.job_id, "file_state": f.file_state,
        "source_surl": f.source_surl, "dest_surl": f.dest_surl, "source_se": _se(f.source_surl),
        "dest_se": _se(f.dest_surl), "start_time": fts_time(f.start_time), "finish_time": fts_time(f.finish_time),
        "staging_start": None, "staging_finished": None, "reason": f.reason, "filesize": f.filesize,
        "user_filesize": f.filesize, "checksum": f.checksum, "file_metadata": f.file_metadata,
        "activity": f.activity, "selection_strategy": f.selection_strategy, "transferred": f.transferred,
        "throughput": (f.transferred / dur / 1048576.0) if dur else None, "tx_duration": dur, "retry": 0,
        "vo_name": vo,
    }


def job_dict(job: Job, fields: Optional[List[str]]) -> Dict[str, Any]:
    d: Dict[str, Any] = {
        "job_id": job.job_id, "job_state": job.job_state, "job_type": job.job_type,
        "source_se": _common([_se(f.source_surl) for f in job.files]),
        "dest_se": _common([_se(f.dest_surl) for f in job.files]),
        "submit_time": fts_time(job.submit_time), "job_finished": fts_time(job.job_finished),
        "reason": job.reason, "priority": job.priority, "job_metadata": job.job_metadata,
        "vo_name": job.vo_name, "user_dn": "anonymous", "cred_id": "", "overwrite_flag": job.overwrite,
        "verify_checksum": job.verify_checksum, "retry": 0, "http_status": "200 Ok",
    }
    if fields is not None:
        d["files"] = [{k: v for k, v in file_dict(f, job.vo_name).items() if k in fields} for f in job.files]
    return d


def _common(values: List[str]) -> Optional[str]:
    return values[0] if values and all(v == values[0] for v in values) else None


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, title: str, message: str) -> Response:
    return _json({"status": f"{status} {title}", "message": message}, status)


def _validate_submission(body: Any, vo: str) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Returns (params, file entries) or raises ValueError with FTS-like messages."""
    if not isinstance(body, dict):
        raise ValueError("Badly formatted JSON request (expected an object)")
    if body.get("delete"):
        raise ValueError("Deletion jobs are not supported by this service")
    files = body.get("files")
    if not isinstance(files, list) or not files:
        raise ValueError("No transfers specified")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError("Malformed request: params must be an object")
    if params.get("multihop"):
        raise ValueError("Multihop jobs are not supported by this service")
    if (params.get("bring_online") or -1) > 0:
        raise ValueError("Staging (bring_online) is not supported by this service")
    entries: List[Dict[str, Any]] = []
    for i, spec in enumerate(files):
        if not isinstance(spec, dict):
            raise ValueError(f"Malformed request: files[{i}] must be an object")
        sources, dests = spec.get("sources"), spec.get("destinations")
        if not isinstance(sources, list) or not sources or not isinstance(dests, list) or not dests:
            raise ValueError(f"Missing parameter: files[{i}] needs sources and destinations")
        if len(dests) > 1:
            raise ValueError("Several destinations for one file are not supported by this service")
        for u in list(sources) + list(dests):
            if not isinstance(u, str) or "://" not in u or u.startswith("file:"):
                raise ValueError(f"Invalid value within the request: bad URL {u!r}")
        try:
            filesize = int(float(spec.get("filesize") or 0))
        except (TypeError, ValueError):
            raise ValueError(f"Invalid value within the request: files[{i}].filesize") from None
        checksum = spec.get("checksum") or None
        for s in sources:
            entries.append({"file_index": i, "source_surl": s.strip(), "dest_surl": dests[0].strip(),
                            "filesize": filesize, "checksum": checksum, "file_metadata": spec.get("metadata"),
                            "activity": spec.get("activity") or "default",
                            "selection_strategy": spec.get("selection_strategy")})
    return params, entries


def create_app(service: Service) -> Flask:
    app = Flask("srcnet_fts")
    store, cfg = service.store, service.config

    @app.get("/")
    def version() -> Response:
        return _json({"api": API_VERSION, "schema": API_VERSION, "delegation": API_VERSION,
                      "server": "srcnet_fts (FTS3 REST subset)"})

    @app.get("/whoami")
    def whoami() -> Response:
        return _json({"user_dn": "anonymous", "dn": ["anonymous"], "vos": [cfg.vo_name], "vos_id": [],
                      "roles": [], "delegation_id": "", "base_id": service.base_id, "method": "unauthenticated",
                      "level": {"transfer": "all"}, "is_root": False})

    @app.post("/jobs")
    def submit() -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as e:
            return _error(400, "Bad Request", f"Badly formatted JSON request ({e})")
        try:
            params, entries = _validate_submission(body, cfg.vo_name)
        except ValueError as e:
            return _error(400, "Bad Request", str(e))
        job_id = store.new_job_id()
        if params.get("id_generator") == "deterministic" and params.get("sid"):
            root = uuid.UUID(service.base_id)
            job_id = str(uuid.uuid5(uuid.uuid5(root, cfg.vo_name), str(params["sid"])))
            if store.get(job_id) is not None:
                return _error(409, "Conflict", f"The job {job_id} already exists")
        verify = params.get("verify_checksum")
        if not isinstance(verify, str):
            verify = "none" if verify is False else "both"
        multi = len({e["file_index"] for e in entries}) != len(entries)
        try:
            priority = max(1, min(5, int(params.get("priority") or 3)))
        except (TypeError, ValueError):
            return _error(400, "Bad Request", "Invalid value within the request: priority")
        job = Job(job_id=job_id, priority=priority, verify_checksum=verify.lower() or "both",
                  overwrite=bool(params.get("overwrite", False)), job_metadata=params.get("job_metadata"),
                  params=params, vo_name=cfg.vo_name, submit_time=time.time(), job_type="R" if multi else "N")
        try:
            store.add(job, entries)
        except KeyError:
            return _error(409, "Conflict", f"The job {job_id} already exists")
        return _json({"job_id": job_id})

    @app.get("/jobs")
    def list_jobs() -> Response:
        with store.lock:
            return _json([job_dict(j, None) for j in store.jobs.values() if j.job_state not in JOB_TERMINAL])

    @app.get("/jobs/<job_list>")
    def get_jobs(job_list: str) -> Response:
        ids = [i for i in job_list.split(",") if i]
        files_arg = request.args.get("files")
        fields = [f for f in files_arg.split(",") if f] if files_arg is not None else None
        out: List[Dict[str, Any]] = []
        missing = False
        with store.lock:
            for i in ids:
                job = store.get(i)
                if job is None:
                    missing = True
                    out.append({"job_id": i, "http_status": "404 Not Found",
                                "http_message": f'No job with the id "{i}" has been found'})
                else:
                    out.append(job_dict(job, fields))
        if len(ids) == 1:
            if missing:
                return _json({"status": "404 Not Found", "message": out[0]["http_message"], **out[0]}, 404)
            return _json(out[0])
        return _json(out, 207 if missing else 200)

    @app.get("/jobs/<job_id>/files")
    def get_files(job_id: str) -> Response:
        with store.lock:
            job = store.get(job_id)
            if job is None:
                return _error(404, "Not Found", f'No job with the id "{job_id}" has been found')
            return _json([file_dict(f, job.vo_name) for f in job.files])

    @app.post("/jobs/<job_id>")
    def modify(job_id: str) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            priority = int(body["params"]["priority"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "Bad Request", 'Expected {"params": {"priority": N}}')
        try:
            job = store.set_priority(job_id, priority)
        except KeyError:
            return _error(404, "Not Found", f'No job with the id "{job_id}" has been found')
        with store.lock:
            return _json(job_dict(job, None))

    @app.delete("/jobs/<job_list>")
    def cancel(job_list: str) -> Response:
        ids = [i for i in job_list.split(",") if i]
        out: List[Dict[str, Any]] = []
        multistatus = False
        for i in ids:
            job = store.get(i)
            if job is None:
                out.append({"job_id": i, "http_status": "404 Not Found",
                            "http_message": f'No job with the id "{i}" has been found'})
                multistatus = True
                continue
            was_terminal = job.job_state in JOB_TERMINAL
            running = store.cancel(i)
            service.cancel_files([f.file_id for f in running])
            with store.lock:
                d = job_dict(job, None)
            if was_terminal:
                d.update(http_status="304 Not Modified", http_message="The job is in a terminal state")
                multistatus = True
            else:
                d.update(http_message=None)
            out.append(d)
        if len(ids) == 1:
            status = 404 if out[0]["http_status"].startswith("404") else 200
            return _json(out[0], status)
        return _json(out, 207 if multistatus else 200)

    @app.get("/ban/se")
    def banned() -> Response:
        return _json([])

    @app.get("/srcnet/transfers")
    def transfers() -> Response:
        body = "".join(json.dumps(r) + "\n" for r in service.transfers.rows())
        return Response(body, mimetype="application/x-ndjson")

    @app.get("/srcnet/links")
    def links() -> Response:
        return _json({"interval_seconds": cfg.interval_seconds, "optimizer_enabled": cfg.optimizer_enabled,
                      "links": service.scheduler.links_view(),
                      "decisions": service.scheduler.decision_log[-200:]})

    @app.get("/srcnet/health")
    def health() -> Response:
        with store.lock:
            states: Dict[str, int] = {}
            for j in store.jobs.values():
                states[j.job_state] = states.get(j.job_state, 0) + 1
        return _json({"status": "ok", "jobs": states, "active": service.scheduler.active_total,
                      "max_workers": cfg.max_workers, "gfal2": service.gfal is not None})

    return app
