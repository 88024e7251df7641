"""Rucio load with the Rucio client (rucio-clients' `rucio.client.Client`), as a client of the data
lake calls it: DIDs, replicas and rules. Every request the client makes goes through the worker's
session (allowlist, one row per request, named by the operation); an error the client raises
(RucioException, HTTP errors) is a row that is not ok, never a crash.

The client is made once per worker, before the load (`prepare`): its authentication is not part
of the load and makes no row, as before the load engine moved to Locust. A 401 during the load makes the
client authenticate again (userpass); that request is the row `auth`."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rucio.client import Client
from rucio.client.baseclient import BaseClient
from rucio.common.exception import CannotAuthenticate

from ..engine import Iteration
from ..urls import path_of
from . import Context
from .session import refuse

# The client logs request headers at DEBUG, the password among them (it hides only the token):
# its logger never goes below INFO, whatever level the worker logs at.
_LOG = logging.getLogger("srcnet_load.rucio_client")
_LOG.setLevel(logging.INFO)
# Datasets made by add-did and not yet given a rule (add-rule takes the oldest); bounded, as the
# mix may add more datasets than rules.
MAX_PENDING_DATASETS = 1000


class _Client(Client):
    """rucio.client.Client on the campaign's session. BaseClient makes a plain requests.Session in
    its constructor and again after a 401; both are ignored, so every request (authentication
    included) goes through `session`. Tokens stay in memory: the client would read a token left
    in a file by an earlier run (another server, another account) and write this one to disk."""

    def __init__(self, session: Any, fixed_token: str | None, **kwargs: Any) -> None:
        self._guarded = session
        self._fixed_token = fixed_token
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def session(self) -> Any:
        return self._guarded

    @session.setter
    def session(self, _value: Any) -> None:
        pass

    def _BaseClient__read_token(self) -> bool:  # noqa: N802  (BaseClient's private hook)
        if self._fixed_token is None:
            return False
        self.auth_token = self._fixed_token
        self.headers["X-Rucio-Auth-Token"] = self._fixed_token
        return True

    def _BaseClient__write_token(self) -> None:  # noqa: N802
        pass

    def _BaseClient__get_token(self) -> None:  # noqa: N802
        if self._fixed_token is not None:
            # A token from the secrets cannot be renewed here: the request that was refused stays an error.
            raise CannotAuthenticate("the configured Rucio token was refused")
        BaseClient._BaseClient__get_token(self)  # type: ignore[attr-defined]


def _scrub(text: str, secrets: dict[str, Any]) -> str:
    for v in secrets.values():
        if isinstance(v, str) and v:
            text = text.replace(v, "[hidden]")
    return text


def prepare(ctx: Context, used_services: set[str]) -> None:
    """The Rucio client, authenticated, when a scenario loads Rucio or ingests. Fails (the worker
    reports it and the campaign stops) when the credentials are missing or refused; the error
    names the server, never a secret."""
    plan = ctx.plan
    url = plan["endpoints"]["rucio"]
    if ctx.rucio is not None or url is None or not ({"rucio", "ingest"} & set(used_services)):
        return
    url = url.rstrip("/")
    secrets: dict[str, Any] = dict(ctx.secrets)
    if plan["rucio"]["auth"] == "token":
        token = secrets.get("rucio_token")
        if not token:
            raise ValueError("the plan's Rucio authentication is a token, but the secrets hold no rucio_token")
        # The client has no plain-token type: a bearer token (IAM) is what its "oidc" type sends.
        auth: dict[str, Any] = {"auth_type": "oidc", "creds": {}}
    else:
        token = None
        if not secrets.get("rucio_username") or not secrets.get("rucio_password"):
            raise ValueError("the plan's Rucio authentication is userpass, but the secrets hold no rucio_username and rucio_password")
        auth = {"auth_type": "userpass", "creds": {"username": secrets["rucio_username"], "password": secrets["rucio_password"]}}
    with ctx.recorder.scope("rucio", "", lambda m, u: "auth") as scope:
        try:
            client = _Client(ctx.session, token, rucio_host=url, auth_host=url, account=plan["rucio"]["account"], timeout=plan["timeoutSeconds"], logger=_LOG, **auth)
        except Exception as e:
            raise RuntimeError(f"Rucio client at {url}: {type(e).__name__}: {_scrub(str(e), secrets)}") from None
        finally:
            # Set-up, not load: no row (the harness reads rows from the load's origin on).
            scope.held.clear()
    ctx.rucio = client


@dataclass
class Outcome:
    """A client call: whether it succeeded, what it returned, and the requests (rows) it made."""

    ok: bool
    value: Any
    requests: int


def call(ctx: Context, it: Iteration, operation: str, f: Callable[[Client], Any]) -> Outcome:
    """One client call (generators consumed inside `f`, so their requests are made), its requests
    named `operation`; when it raises, its last request is not ok."""
    phase = it.scenario["phase"]
    client = ctx.rucio
    if client is None:
        refuse(ctx.request_event, "POST", "", {"service": "rucio", "operation": operation, "phase": phase}, "no Rucio endpoint configured")
        return Outcome(False, None, 1)

    def name(method: str, url: str) -> str:
        return "auth" if path_of(url).endswith("/auth/userpass") else operation

    with ctx.recorder.scope("rucio", phase, name) as scope:
        try:
            return Outcome(True, f(client), scope.requests)
        except Exception:  # RucioException (what the server said), requests' errors
            if scope.requests > 0:
                scope.fail_last()
            return Outcome(False, None, scope.requests)


def did_name(ctx: Context, it: Iteration, kind: str) -> str:
    """A DID name under the run's prefix, unique across scenarios, workers and iterations (Rucio's
    default naming convention: letters, digits, '.', '-', '_')."""
    scenario = re.sub(r"[^A-Za-z0-9._-]", "_", it.scenario["name"])
    return f"{ctx.plan['prefix']}-{scenario}-w{it.worker}-{it.n}-{kind}"


def _pending(ctx: Context) -> deque[str]:
    state = ctx.state.setdefault("rucio", {})
    if "datasets" not in state:
        state["datasets"] = deque(maxlen=MAX_PENDING_DATASETS)
    return state["datasets"]


def _add_dataset(ctx: Context, it: Iteration) -> str | None:
    scope = ctx.plan["rucio"]["scope"]
    name = did_name(ctx, it, "ds")
    return name if call(ctx, it, "add-did", lambda c: c.add_dataset(scope, name)).ok else None


def add_did(ctx: Context, it: Iteration) -> None:
    name = _add_dataset(ctx, it)
    if name is not None:
        _pending(ctx).append(name)


def add_replicas(ctx: Context, it: Iteration) -> None:
    """A registration only (no bytes are written): the catalogue side of an upload."""
    plan = ctx.plan
    sites, pool = plan["endpoints"]["sites"], plan["pool"]
    if not sites or not pool:
        return
    site, f = sites[it.n % len(sites)], pool[it.n % len(pool)]
    files = [{"scope": plan["rucio"]["scope"], "name": did_name(ctx, it, "reg"), "bytes": f["bytes"], "adler32": f["adler32"], "md5": f["md5"]}]
    call(ctx, it, "add-replicas", lambda c: c.add_replicas(site["rse"], files))


def list_replicas(ctx: Context, it: Iteration) -> None:
    reads = ctx.plan["reads"]
    if reads:
        did = {"scope": ctx.plan["rucio"]["scope"], "name": reads[it.n % len(reads)]["name"]}
        call(ctx, it, "list-replicas", lambda c: list(c.list_replicas([did])))


def add_rule(ctx: Context, it: Iteration) -> None:
    """A rule for one copy anywhere on the sites, on a dataset add-did made (one is made first
    when none is waiting)."""
    plan = ctx.plan
    pending = _pending(ctx)
    name = pending.popleft() if pending else _add_dataset(ctx, it)
    if name is None:
        return
    rses = "|".join(s["rse"] for s in plan["endpoints"]["sites"])
    dids = [{"scope": plan["rucio"]["scope"], "name": name}]
    call(ctx, it, "add-rule", lambda c: c.add_replication_rule(dids=dids, copies=1, rse_expression=rses, account=plan["rucio"]["account"]))


def list_rules(ctx: Context, it: Iteration) -> None:
    reads = ctx.plan["reads"]
    if reads:
        scope, name = ctx.plan["rucio"]["scope"], reads[it.n % len(reads)]["name"]
        call(ctx, it, "list-rules", lambda c: list(c.list_did_rules(scope, name)))


_OPS: dict[str, Callable[[Context, Iteration], Any]] = {
    "add-did": add_did,
    "add-replicas": add_replicas,
    "list-replicas": list_replicas,
    "add-rule": add_rule,
    "list-rules": list_rules,
}


def run(ctx: Context, it: Iteration) -> None:
    op = _OPS.get(it.op)
    if op is None:
        raise ValueError(f"unknown Rucio operation {it.op!r} (expected one of {', '.join(_OPS)})")
    op(ctx, it)
