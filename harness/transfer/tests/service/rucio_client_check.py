"""Run inside the Rucio image (its own Python): Rucio's FTS3Transfertool against the service.

Submits one transfer the way the conveyor submitter does (build_job_params + submit), polls it with
bulk_query the way the poller does, and exercises query, update_priority, cancel and whoami.
Prints one JSON line with what it saw; exit status 0 when every step worked.
    python rucio_client_check.py FTS_URL SOURCE_URL DEST_URL SIZE ADLER32
"""

import json
import sys
import time
import uuid
from types import SimpleNamespace

from rucio.transfertool.fts3 import FTS3Transfertool, build_job_params


def rse(name):
    return SimpleNamespace(name=name, id=uuid.uuid4().hex, attributes={},
                           is_tape=lambda: False, is_tape_or_staging_required=lambda: False)


def main():
    fts, src, dst, size, adler32 = sys.argv[1:6]
    src_rse, dst_rse = rse("A"), rse("B")
    request_id = uuid.uuid4().hex
    rws = SimpleNamespace(request_id=request_id, scope="test", name="rucio-file", activity="User Subscriptions",
                          request_type="TRANSFER", byte_count=int(size), md5=None, adler32=adler32,
                          account="root", priority=3, attributes={})
    source = SimpleNamespace(rse=src_rse, url=src, scheme="davs")
    transfer = SimpleNamespace(rws=rws, src=source, dst=SimpleNamespace(rse=dst_rse, scheme="davs"),
                               sources=[source], dest_url=dst, source_url=lambda s: s.url)
    out = {}
    tt = FTS3Transfertool(fts)
    params = build_job_params([transfer])
    out["job_params"] = params
    job_id = tt.submit([transfer], params)
    out["job_id"] = job_id
    deadline = time.time() + 60
    while True:
        resps = tt.bulk_query({job_id: {request_id: {"request_id": request_id}}})
        report = resps[job_id].get(request_id) if isinstance(resps[job_id], dict) else None
        state = report.job_response["job_state"] if report else None
        if state in ("FINISHED", "FAILED", "FINISHEDDIRTY", "CANCELED") or time.time() > deadline:
            break
        time.sleep(0.5)
    f = report.file_response
    out.update(job_state=state, file_state=f["file_state"], request_id=f["file_metadata"]["request_id"],
               start_time=f["start_time"], finish_time=f["finish_time"], multi_sources=report._multi_sources,
               src_url=report._src_url, dst_url=report._dst_url)
    # Both times in the format the report parses (it calls strptime in initialize()).
    for k in ("start_time", "finish_time"):
        time.strptime(f[k], "%Y-%m-%dT%H:%M:%S")
    out["query"] = tt.query([job_id])[0]["job_state"]
    out["priority"] = tt.update_priority(job_id, 5)["priority"]
    out["cancel"] = tt.cancel([job_id])["http_status"]
    out["whoami_vos"] = tt.whoami()["vos"]
    # A second job canceled while queued or running.
    other = SimpleNamespace(**{**vars(transfer), "dest_url": dst + "-second"})
    second = tt.submit([other], dict(params))
    out["cancel_second"] = tt.cancel([second])["job_state"]
    lost = tt.bulk_query({str(uuid.uuid1()): {}, job_id: {}})
    out["lost"] = [k for k, v in lost.items() if v is None]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
