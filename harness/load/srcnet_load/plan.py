"""The campaign plan the TypeScript side writes (harness/campaigns/load-plan.ts has the same
shape): endpoints, the allowlist, the workload drawn from the synthetic dataset, the upload pool
and the scenarios (one per phase and service, each an executor). Never a secret: the master gets
those from a 0600 file and hands them to its workers with the plan."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any, Literal, NotRequired, TypedDict

Service = Literal["tap", "soda", "webdav", "rucio", "ingest"]
SERVICES: tuple[Service, ...] = ("tap", "soda", "webdav", "rucio", "ingest")


class Stage(TypedDict):
    target: float
    durationSeconds: float


class Executor(TypedDict):
    kind: Literal["constant-arrival-rate", "ramping-arrival-rate", "constant-vus", "ramping-vus"]
    # arrival-rate executors (open model)
    rate: NotRequired[float]
    startRate: NotRequired[float]
    maxConcurrent: NotRequired[int]
    # VU executors (closed model)
    vus: NotRequired[int]
    startVUs: NotRequired[int]
    stages: NotRequired[list[Stage]]


class Scenario(TypedDict):
    name: str
    phase: str
    service: Service
    startSeconds: float
    durationSeconds: float
    # An iteration still running when the phase ends gets this long to finish.
    gracefulStopSeconds: float
    mix: dict[str, float]
    executor: Executor


class TapQuery(TypedDict):
    kind: Literal["cone", "range", "join", "async"]
    adql: str
    expectRows: int | None


class Cutout(TypedDict):
    id: str
    ra: float
    dec: float
    radiusDeg: float


class PoolFile(TypedDict):
    bytes: int
    adler32: str
    md5: str


class Site(TypedDict):
    name: str
    url: str
    rse: str


class Replica(TypedDict):
    site: str
    url: str


class SeededFile(TypedDict):
    name: str
    pool: int
    replicas: list[Replica]


class Endpoints(TypedDict):
    tap: str | None
    soda: str | None
    rucio: str | None
    ingest: str | None
    sites: list[Site]


class RucioPlan(TypedDict):
    account: str
    auth: Literal["userpass", "token"]
    scope: str


class IngestPlan(TypedDict):
    template: dict[str, Any]
    didPrefix: str


class Plan(TypedDict):
    allowHosts: list[str]
    timeoutSeconds: float
    prefix: str
    endpoints: Endpoints
    rucio: RucioPlan
    # Payloads are made again from (poolSeed, index) on each worker: nothing large crosses the wire.
    poolSeed: int
    pool: list[PoolFile]
    reads: list[SeededFile]
    tap: list[TapQuery]
    catalogueGrows: bool
    soda: list[Cutout]
    copies: int
    ingest: IngestPlan | None
    scenarios: list[Scenario]


class Secrets(TypedDict, total=False):
    rucio_username: str
    rucio_password: str
    rucio_token: str


def payload(seed: int, index: int, size: int) -> bytes:
    """Pool payload `index`: SHA-256 in counter mode over (seed, index, block), as the harness
    makes it (harness/campaigns/files.ts), so a worker anywhere has the same bytes."""
    out = bytearray()
    block = 0
    while len(out) < size:
        out += hashlib.sha256(f"srcnet-campaign:{seed}:{index}:{block}".encode()).digest()
        block += 1
    return bytes(out[:size])


def payloads(plan: Plan) -> list[bytes]:
    """Every pool payload, checked against the checksums the harness computed: a mismatch means
    the two sides disagree on how payloads are made, and every integrity check would fail."""
    out = []
    for i, f in enumerate(plan["pool"]):
        b = payload(plan["poolSeed"], i, f["bytes"])
        if hashlib.md5(b).hexdigest() != f["md5"] or f"{zlib.adler32(b):08x}" != f["adler32"]:
            raise ValueError(f"pool payload {i} does not match the plan's checksums")
        out.append(b)
    return out
