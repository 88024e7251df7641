"""Plans for the tests, shaped as the harness writes them (harness/campaigns/load-plan.ts)."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from srcnet_load.plan import Plan, payload


def pool_file(seed: int, i: int, size: int) -> dict[str, Any]:
    b = payload(seed, i, size)
    return {"bytes": size, "adler32": f"{zlib.adler32(b):08x}", "md5": hashlib.md5(b).hexdigest()}


def reads_plan(base: str, scenarios: list[dict[str, Any]], size: int = 1024, files: int = 4) -> tuple[Plan, dict[str, bytes]]:
    """A plan of WebDAV reads of `files` seeded files (two replicas each, both served by `base`),
    and the files to serve."""
    seed = 7
    served: dict[str, bytes] = {}
    reads = []
    for i in range(files):
        for r in (0, 1):
            served[f"/site{r}/f{i}.bin"] = payload(seed, 0, size)
        reads.append({"name": f"f{i}", "pool": 0, "replicas": [{"site": f"S{r}", "url": f"{base}/site{r}/f{i}.bin"} for r in (0, 1)]})
    plan: Plan = {
        "allowHosts": ["127.0.0.1"],
        "timeoutSeconds": 10,
        "prefix": "test",
        "endpoints": {"tap": None, "soda": None, "rucio": None, "ingest": None, "sites": [{"name": "S0", "url": f"{base}/site0", "rse": "S0"}]},
        "rucio": {"account": "root", "auth": "userpass", "scope": "test"},
        "poolSeed": seed,
        "pool": [pool_file(seed, 0, size)],  # type: ignore[list-item]
        "reads": reads,  # type: ignore[typeddict-item]
        "tap": [],
        "catalogueGrows": False,
        "soda": [],
        "copies": 2,
        "ingest": None,
        "scenarios": scenarios,  # type: ignore[typeddict-item]
    }
    return plan, served


def scenario(executor: dict[str, Any], duration: float, *, start: float = 0.0, phase: str = "steady", service: str = "webdav", mix: dict[str, float] | None = None, grace: float = 5.0) -> dict[str, Any]:
    return {
        "name": f"{phase}__{service}",
        "phase": phase,
        "service": service,
        "startSeconds": start,
        "durationSeconds": duration,
        "gracefulStopSeconds": grace,
        "mix": mix or {"read": 1},
        "executor": executor,
    }
