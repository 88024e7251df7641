"""A worker's services for one test: a plan, a real Recorder whose batches are collected, and
Locust's request event, so tests see the rows exactly as the master would get them and every
request event that fired."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

from locust.event import Events

from srcnet_load.engine import Iteration
from srcnet_load.plan import Plan, payload, payloads
from srcnet_load.recorder import Recorder
from srcnet_load.services import Services

SEED = 11


def pool_file(i: int, size: int) -> dict[str, Any]:
    b = payload(SEED, i, size)
    return {"bytes": size, "adler32": f"{zlib.adler32(b):08x}", "md5": hashlib.md5(b).hexdigest()}


def plan_for(service: str, mix: dict[str, float], *, allow: list[str], endpoints: dict[str, Any] | None = None, timeout: float = 5.0, **extra: Any) -> Plan:
    """A plan with one scenario (`service`, phase "steady"); endpoints default to none."""
    plan: dict[str, Any] = {
        "allowHosts": allow,
        "timeoutSeconds": timeout,
        "prefix": "run42",
        "endpoints": {"tap": None, "soda": None, "rucio": None, "ingest": None, "sites": [], **(endpoints or {})},
        "rucio": {"account": "loadtester", "auth": "userpass", "scope": "testscope"},
        "poolSeed": SEED,
        "pool": [pool_file(0, 3000), pool_file(1, 5000)],
        "reads": [],
        "tap": [],
        "catalogueGrows": False,
        "soda": [],
        "copies": 2,
        "ingest": None,
        "scenarios": [
            {
                "name": f"steady__{service}",
                "phase": "steady",
                "service": service,
                "startSeconds": 0.0,
                "durationSeconds": 10.0,
                "gracefulStopSeconds": 5.0,
                "mix": mix,
                "executor": {"kind": "constant-arrival-rate", "rate": 1.0, "maxConcurrent": 4},
            }
        ],
    }
    plan.update(extra)
    return plan  # type: ignore[return-value]


@dataclass
class Worker:
    services: Services
    recorder: Recorder
    batches: list[list[tuple[Any, ...]]]
    events: list[dict[str, Any]] = field(default_factory=list)

    def rows(self, kind: str = "req") -> list[tuple[Any, ...]]:
        """Every row of that kind recorded so far (flushed first)."""
        self.recorder.flush()
        return [r for b in self.batches for r in b if r[0] == kind]

    def it(self, op: str, n: int = 0, worker: int = 0) -> Iteration:
        return Iteration(self.services.plan["scenarios"][0], op, n, n, worker)

    def run(self, op: str, n: int = 0, worker: int = 0) -> None:
        self.services.run(self.it(op, n, worker))


def worker(plan: Plan, secrets: dict[str, str] | None = None, prepare: bool = True) -> Worker:
    batches: list[list[tuple[Any, ...]]] = []
    recorder = Recorder(batches.append)
    events = Events()
    fired: list[dict[str, Any]] = []
    events.request.add_listener(recorder.on_request)
    events.request.add_listener(lambda **kw: fired.append(kw))
    services = Services(plan, secrets or {}, payloads(plan), recorder, events.request)  # type: ignore[arg-type]
    if prepare:
        services.prepare()
    return Worker(services, recorder, batches, fired)


# Fields of a request row (recorder.py).
T, SERVICE, OPERATION, PHASE, LATENCY, STATUS, OK, BYTES, SITE, PATH, POOL = range(1, 12)


def brief(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, int, bool]]:
    """(service, operation, status, ok) of each request row, in order."""
    return [(r[SERVICE], r[OPERATION], r[STATUS], r[OK]) for r in rows]
