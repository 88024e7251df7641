"""The operations of each service, as SRCNet's users and services do them, with their clients:
Locust's FastHttpSession for bulk storage traffic, pyvo for TAP and SODA, the Rucio client for
Rucio (both on Locust's requests-based session, session.py). `Services.run` is an iteration's
body: the operation its scenario's mix picked."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

from .. import executors
from ..engine import Iteration
from ..http import GuardedFastSession, GuardedSession
from ..plan import Plan, Scenario, Secrets
from ..recorder import Recorder
from ..urls import allow_set
from .session import LibrarySession


@dataclass
class Context:
    """What every operation may use; one per worker."""

    plan: Plan
    secrets: Secrets
    payloads: list[bytes]
    recorder: Recorder
    request_event: Any
    fast: GuardedFastSession
    # What pyvo and the Rucio client send through (a LibrarySession: one row per HTTP request).
    session: GuardedSession
    # Per service, state an operation keeps between iterations (e.g. Rucio's last datasets).
    state: dict[str, Any] = field(default_factory=dict)
    # The Rucio client (rucio.client.Client on `session`), when a scenario uses Rucio; rucio.prepare.
    rucio: Any = None

    def now(self) -> float:
        return time.time()


def _most_at_once(s: Scenario) -> int:
    ex = s["executor"]
    return int(ex.get("maxConcurrent", 1)) if executors.is_open(ex) else executors.max_vus(ex, s["durationSeconds"])


class Services:
    def __init__(self, plan: Plan, secrets: Secrets, payloads: list[bytes], recorder: Recorder, request_event: Any) -> None:
        self.plan = plan
        allow = allow_set(plan["allowHosts"])
        # Connections enough for the most iterations any scenario runs at once (a ramping-vus
        # scenario's peak of its stages), so no iteration waits for a pooled connection.
        concurrency = max((_most_at_once(s) for s in plan["scenarios"]), default=10)
        self.ctx = Context(
            plan=plan,
            secrets=secrets,
            payloads=payloads,
            recorder=recorder,
            request_event=request_event,
            fast=GuardedFastSession(allow, request_event, plan["timeoutSeconds"], concurrency),
            session=LibrarySession(allow, request_event, plan["timeoutSeconds"], concurrency),
        )
        # Only the services the plan loads are imported (pyvo and the Rucio client take a while).
        used = sorted({s["service"] for s in plan["scenarios"]})
        self._ops = {name: importlib.import_module(f".{name}", __name__) for name in used}

    def prepare(self) -> None:
        """Before the load: clients that need a round trip first (a Rucio token)."""
        used = set(self._ops)
        for module in self._ops.values():
            prepare = getattr(module, "prepare", None)
            if prepare is not None:
                prepare(self.ctx, used)

    def run(self, it: Iteration) -> None:
        self._ops[it.scenario["service"]].run(self.ctx, it)
