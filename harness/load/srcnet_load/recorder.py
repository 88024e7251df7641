"""How a worker reports to the harness. Every HTTP request becomes one request row (a row of
requests.arrow); every logical operation that may take several requests (a read that fails over,
an ingestion, an async query) one operation row (operations.arrow). Operations that may outlast
the load announce their start (`begin`): one begun and never finished is still recorded.

Rows come from Locust's own request event, fired by every client the load uses (Locust's
FastHttpSession, and its requests-based HttpSession under pyvo and the Rucio client), so a row is
exactly what Locust measured. What the event cannot know (service, operation, phase, the upload's
site and path) comes from the request's `context`, or from the greenlet's current `Scope` for
requests a client library makes on its own (pyvo's UWS polls, Rucio's calls).

Rows are kept compact (tuples) and go to the master in batches (`flush`), which writes them out
for the harness; formats in wire.py."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from gevent.local import local

# Row tuples (field order is the wire order, wire.py):
#   ("req", t_epoch_sent, service, operation, phase, latency_s, status, ok, bytes, site, path, pool)
#   ("begin", id, t_epoch, service, operation, phase)
#   ("op", id, t_epoch_start, service, operation, phase, seconds, ok, attempts)
Row = tuple[Any, ...]

_current = local()


class Scope:
    """What requests made by a client library belong to: the greenlet's current service, phase and
    a namer (method, url) -> operation. Rows are held until the scope closes, so the caller can
    judge the content afterwards (`fail_last`), as a request counts as ok only when its content is."""

    __slots__ = ("service", "phase", "name", "held", "requests")

    def __init__(self, service: str, phase: str, name: Callable[[str, str], str]) -> None:
        self.service = service
        self.phase = phase
        self.name = name
        self.held: list[list[Any]] = []
        # Requests made in this scope so far (the operation's attempts).
        self.requests = 0

    def fail_last(self) -> None:
        """The last request's content was wrong: it is not ok."""
        if self.held:
            self.held[-1][7] = False


class Recorder:
    def __init__(self, send: Callable[[list[Row]], None], batch_rows: int = 2000) -> None:
        self._send = send
        self._batch_rows = batch_rows
        self.rows: list[Row] = []
        self.requests = 0
        self.errors = 0
        self._ids = itertools.count()

    # -- requests -------------------------------------------------------------------------

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        response: Any = None,
        context: dict[str, Any] | None = None,
        exception: BaseException | None = None,
        start_time: float | None = None,
        url: str | None = None,
        **_: Any,
    ) -> None:
        """Locust's request event: one row."""
        ctx = context or {}
        scope: Scope | None = _current.__dict__.get("scope")
        operation = ctx.get("operation")
        if operation is not None and "sent" in ctx:
            # The load's own calls (storage reads and writes): everything is in the context.
            self._add(
                (
                    "req",
                    start_time or 0.0,
                    ctx["service"],
                    operation,
                    ctx["phase"],
                    response_time / 1000.0,
                    getattr(response, "status_code", 0) or 0,
                    exception is None,
                    (response_length or 0) + ctx["sent"],
                    ctx.get("site", ""),
                    ctx.get("path", ""),
                    ctx.get("pool", -1),
                )
            )
            return
        row: list[Any] = [
            "req",
            start_time or 0.0,
            ctx.get("service") or (scope.service if scope else ""),
            operation or (scope.name(request_type, url or name) if scope else name),
            ctx.get("phase") or (scope.phase if scope else ""),
            response_time / 1000.0,
            int(getattr(response, "status_code", 0) or 0),
            exception is None,
            (response_length or 0) + ctx.get("sent", 0) + _sent_bytes(response, ctx),
            ctx.get("site", ""),
            ctx.get("path", ""),
            ctx.get("pool", -1),
        ]
        if scope is not None and operation is None:
            scope.requests += 1
            scope.held.append(row)
        else:
            self._add(tuple(row))

    def _add(self, row: Row) -> None:
        self.requests += 1
        if not row[7]:
            self.errors += 1
        self.rows.append(row)
        if len(self.rows) >= self._batch_rows:
            self.flush()

    def scope(self, service: str, phase: str, name: Callable[[str, str], str]) -> _ScopeContext:
        return _ScopeContext(self, Scope(service, phase, name))

    # -- operations -----------------------------------------------------------------------

    def begin(self, t_epoch: float, service: str, operation: str, phase: str) -> int:
        i = next(self._ids)
        self.rows.append(("begin", i, t_epoch, service, operation, phase))
        return i

    def operation(self, op_id: int | None, t_epoch: float, service: str, operation: str, phase: str, seconds: float, ok: bool, attempts: int) -> None:
        self.rows.append(("op", -1 if op_id is None else op_id, t_epoch, service, operation, phase, seconds, ok, attempts))
        if len(self.rows) >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            rows, self.rows = self.rows, []
            self._send(rows)


def _sent_bytes(response: Any, ctx: dict[str, Any]) -> int:
    """Request body bytes of a requests-based call (pyvo, Rucio), when the caller did not say."""
    if "sent" in ctx or response is None:
        return 0
    body = getattr(getattr(response, "request", None), "body", None)
    return len(body) if isinstance(body, (bytes, str)) else 0


class _ScopeContext:
    __slots__ = ("recorder", "scope", "outer")

    def __init__(self, recorder: Recorder, scope: Scope) -> None:
        self.recorder = recorder
        self.scope = scope
        self.outer: Scope | None = None

    def __enter__(self) -> Scope:
        self.outer = getattr(_current, "scope", None)
        _current.scope = self.scope
        return self.scope

    def __exit__(self, *exc: object) -> None:
        _current.scope = self.outer
        for row in self.scope.held:
            self.recorder._add(tuple(row))
        self.scope.held = []
