"""A bare Locust loop: the peer of bench/campaign.ts (the harness's load engine with nothing of
the harness's own: no plan, no executors, no rows streamed to the master, no content check).

Each user is a FastHttpUser (geventhttpclient, the client the harness's WebDAV reads use) whose
only task is `self.client.get(path)`, back to back (no wait time). The URL comes from the
environment, so the master and every worker read the same one:

    BARE_LOCUST_URL=http://127.0.0.1:PORT/bench/file.bin \\
      locust -f bench/peers/bare_locust.py --headless --master --expect-workers N -u USERS -r USERS -t 10s --json-file OUT
    BARE_LOCUST_URL=... locust -f bench/peers/bare_locust.py --worker --master-port PORT   (N times)

The rate is read from Locust's own stats (`--json-file`): num_requests over
last_request_timestamp - start_time of the one entry.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, task

_URL = urlsplit(os.environ.get("BARE_LOCUST_URL", "http://127.0.0.1/bench/file.bin"))
_HOST: str = f"{_URL.scheme}://{_URL.netloc}"
_PATH: str = _URL.path or "/"


class BareGet(FastHttpUser):
    host = _HOST
    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(_PATH)
