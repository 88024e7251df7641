"""The load master: binds Locust's master/worker channel, waits for its workers, hands each the
plan and its share, starts them together, and writes every row they stream back for the harness
(wire.py), then each worker's totals. It never sends load itself."""

from __future__ import annotations

import logging
import signal
import sys
import time
from typing import Any, TextIO

import gevent
from gevent.event import Event
from locust.env import Environment

from . import wire
from .plan import Plan, Secrets

log = logging.getLogger("srcnet_load.master")

# After the last scenario's end and graceful stop, how long workers may take to report.
REPORT_SECONDS = 30.0
# After a stop (Ctrl-C), how long to wait for what the workers ran.
STOP_REPORT_SECONDS = 10.0


class LoadMaster:
    def __init__(self, plan: Plan, secrets: Secrets, workers: int, bind_host: str, bind_port: int, out: TextIO) -> None:
        self.plan = plan
        self.secrets = secrets
        self.workers = workers
        self.out = out
        self.env = Environment(user_classes=[])
        self.runner = self.env.create_master_runner(bind_host, bind_port)
        self.index: dict[str, str] = {}  # client id -> worker name (w0, w1, ...)
        self.ready: dict[str, str] = {}  # client id -> host
        self.done: dict[str, dict[str, Any]] = {}
        self.failure: str | None = None
        self.stopped = False
        self._changed = Event()
        for name, handler in (
            ("srcnet_rows", self._on_rows),
            ("srcnet_ready", self._on_ready),
            ("srcnet_done", self._on_done),
            ("srcnet_fail", self._on_fail),
        ):
            self.runner.register_message(name, handler)

    # -- messages ---------------------------------------------------------------------------

    def _name(self, client_id: str) -> str:
        return self.index.get(client_id, client_id)

    def _on_rows(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.out.write(wire.lines(self._name(msg.node_id), msg.data))

    def _on_ready(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.ready[msg.node_id] = str(msg.data.get("host", ""))
        self._changed.set()

    def _on_done(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.done[msg.node_id] = msg.data
        self._changed.set()

    def _on_fail(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.failure = f"worker on {msg.data.get('host', '?')}: {msg.data.get('error', 'failed')}"
        self._changed.set()

    def stop(self) -> None:
        """Ctrl-C: every worker ends now and reports what it ran."""
        if not self.stopped:
            self.stopped = True
            self.runner.send_message("srcnet_stop")
            self._changed.set()

    # -- the run ----------------------------------------------------------------------------

    def _wait(self, until: float, done: Any) -> bool:
        while not done():
            left = until - time.time()
            if left <= 0:
                return False
            self._changed.clear()
            self._changed.wait(min(left, 1.0))
        return True

    def run(self, connect_seconds: float) -> str:
        """The campaign's load from the workers' connection to their reports; the end status."""
        gevent.signal_handler(signal.SIGINT, self.stop)
        gevent.signal_handler(signal.SIGTERM, self.stop)
        try:
            return self._run(connect_seconds)
        finally:
            self.out.flush()
            self.runner.quit()

    def _run(self, connect_seconds: float) -> str:
        deadline = time.time() + connect_seconds
        if not self._wait(deadline, lambda: len(self.runner.clients) >= self.workers or self.stopped):
            return self._end(f"failed\t{len(self.runner.clients)} of {self.workers} workers connected within {connect_seconds:.0f} s")
        if self.stopped:
            return self._end("stopped")
        clients = sorted(self.runner.clients)[: self.workers]
        for k, cid in enumerate(clients):
            self.index[cid] = f"w{k}"
            self.runner.send_message("srcnet_plan", {"plan": self.plan, "secrets": self.secrets, "worker": k, "workers": self.workers}, client_id=cid)
        if not self._wait(time.time() + connect_seconds, lambda: len(self.ready) >= self.workers or self.failure is not None or self.stopped):
            return self._end(f"failed\t{self.failure or f'{len(self.ready)} of {self.workers} workers ready in time'}")
        if self.failure is not None:
            return self._end(f"failed\t{self.failure}")
        if self.stopped:
            return self._end("stopped")
        # A moment for the go message to reach every worker before the first iteration is due.
        origin = time.time() + 0.2
        self.out.write(wire.start(origin, self.workers))
        self.runner.send_message("srcnet_go", {"origin": origin})
        scenarios = self.plan["scenarios"]
        last = max((s["startSeconds"] + s["durationSeconds"] + s["gracefulStopSeconds"] for s in scenarios), default=0.0)
        all_done = lambda: len(self.done) >= self.workers  # noqa: E731
        finished = self._wait(origin + last + REPORT_SECONDS, lambda: all_done() or self.stopped)
        if self.stopped and not all_done():
            finished = self._wait(time.time() + STOP_REPORT_SECONDS, all_done)
        for cid in clients:
            d = self.done.get(cid)
            if d is None:
                continue
            name = self._name(cid)
            for phase, service, n in d.get("dropped", []):
                self.out.write(wire.dropped(name, phase, service, int(n)))
            total = sum(int(n) for _, _, n in d.get("dropped", []))
            self.out.write(wire.worker_line(name, str(d.get("host", self.ready.get(cid, ""))), str(d.get("node", "")), int(d["requests"]), int(d["errors"]), int(d["iterations"]), total))
        if not finished:
            missing = [self._name(c) for c in clients if c not in self.done]
            return self._end(f"lost-workers\t{', '.join(missing)} did not report")
        return self._end("stopped" if self.stopped else "complete")

    def _end(self, status: str) -> str:
        self.out.write(f"end\t{status}\n")
        return status.split("\t")[0]


def main(plan: Plan, secrets: Secrets, workers: int, bind_host: str, bind_port: int, connect_seconds: float) -> int:
    master = LoadMaster(plan, secrets, workers, bind_host, bind_port, sys.stdout)
    status = master.run(connect_seconds)
    return 0 if status in ("complete", "stopped") else 1
