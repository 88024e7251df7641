"""A load worker: connects to the master with nothing but its host and port, gets the plan (and
the secrets) in a message, runs its share of every scenario and streams its rows back.

Messages (Locust's custom messages over its master/worker channel):
    master -> worker  srcnet_plan  {plan, secrets, worker, workers}
    worker -> master  srcnet_ready {host} (clients set up, e.g. its Rucio token)
    master -> worker  srcnet_go    {origin} (every worker is ready: the load starts at origin)
    master -> worker  srcnet_stop  (end now: Ctrl-C, or the harness gave up)
    worker -> master  srcnet_rows  [row, ...] (recorder.py's tuples)
    worker -> master  srcnet_done  {host, requests, errors, iterations, dropped: [[phase, service, n]]}
    worker -> master  srcnet_fail  {host, error} (the plan could not be set up here)
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import traceback
from typing import Any

import gevent
from locust.env import Environment

from .engine import Engine
from .plan import Plan, Secrets, payloads
from .recorder import Recorder
from .services import Services

log = logging.getLogger("srcnet_load.worker")


class LoadWorker:
    def __init__(self, master_host: str, master_port: int) -> None:
        self.env = Environment(user_classes=[])
        self.runner = self.env.create_worker_runner(master_host, master_port)
        self.host = socket.gethostname()
        # Under Slurm, the node the worker runs on (several nodes may share a host name on one machine).
        self.node = os.environ.get("SLURMD_NODENAME", "")
        self.engine: Engine | None = None
        self.recorder = Recorder(lambda rows: self.runner.send_message("srcnet_rows", rows))
        self.env.events.request.add_listener(self.recorder.on_request)
        self.runner.register_message("srcnet_plan", self._on_plan)
        self.runner.register_message("srcnet_go", self._on_go)
        self.runner.register_message("srcnet_stop", self._on_stop)
        self.services: Services | None = None
        self.share = (0, 1)
        self._flusher = gevent.spawn(self._flush_every, 0.5)

    def _flush_every(self, seconds: float) -> None:
        while True:
            gevent.sleep(seconds)
            self.recorder.flush()

    def _on_stop(self, environment: Environment, msg: Any, **_: Any) -> None:
        if self.engine is not None:
            self.engine.stop()

    def _on_plan(self, environment: Environment, msg: Any, **_: Any) -> None:
        gevent.spawn(self._prepare, msg.data)

    def _prepare(self, data: dict[str, Any]) -> None:
        plan: Plan = data["plan"]
        secrets: Secrets = data.get("secrets") or {}
        self.share = (int(data["worker"]), int(data["workers"]))
        try:
            services = Services(plan, secrets, payloads(plan), self.recorder, self.env.events.request)
            services.prepare()
        except Exception as e:  # the plan cannot run here: say so, the master stops the campaign
            log.error("setting up the load failed: %s", traceback.format_exc())
            self.runner.send_message("srcnet_fail", {"host": self.host, "error": f"{type(e).__name__}: {e}"})
            return
        self.services = services
        self.runner.send_message("srcnet_ready", {"host": self.host})

    def _on_go(self, environment: Environment, msg: Any, **_: Any) -> None:
        if self.services is not None:
            gevent.spawn(self._run, self.services, float(msg.data["origin"]))

    def _run(self, services: Services, origin: float) -> None:
        worker, workers = self.share
        self.engine = Engine(services.plan["scenarios"], worker, workers, origin, services.run)
        tally = self.engine.run()
        self.recorder.flush()
        self.runner.send_message(
            "srcnet_done",
            {
                "host": self.host,
                "node": self.node,
                "requests": self.recorder.requests,
                "errors": self.recorder.errors,
                "iterations": tally.iterations,
                "dropped": [[p, s, n] for (p, s), n in tally.dropped.items()],
            },
        )

    def wait(self) -> None:
        """Until the master says quit (or the connection to it is lost for good).

        Ctrl-C in a terminal reaches the whole process group: a worker leaves it to the master,
        which stops every worker and waits for what they ran. SIGTERM (the harness giving up on
        the master) ends this worker's load at once, flushing what it ran."""
        gevent.signal_handler(signal.SIGINT, lambda: None)
        gevent.signal_handler(signal.SIGTERM, self._terminate)
        self.runner.greenlet.join()

    def _terminate(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        self.recorder.flush()
        self.runner.greenlet.kill(block=False)
