"""The requests-based session the client libraries (pyvo, the Rucio client) send through: Locust's
HttpSession behind the allowlist (http.GuardedSession), adjusted so a row is one HTTP request
measured to its last byte, whatever the library asks for:

- bodies are read before the row is made (`stream=False`): with `stream=True`, which pyvo and the
  Rucio client use, Locust would time the request to its headers and take its size from
  Content-Length (none when chunked). The body is then handed back through `response.raw`, which
  is where those libraries read it;
- redirects are followed here, one hop at a time (requests follows them inside one call, which
  Locust reports as one request): each hop is its own row, and a hop to a host off the allowlist
  is never made; the redirect that pointed there is the failed row (status kept, e.g. 303);
- no request waits longer than the campaign's timeout, whatever timeout the library passes.

Content (a VOTable's status, a FITS header) is judged by the caller afterwards through the
recorder's Scope (`fail_last`)."""

from __future__ import annotations

import io
import time
from typing import Any

import requests
from locust.clients import LocustHttpAdapter

from ..http import GuardedSession, RefusedHost, refuse  # noqa: F401  (refuse: re-exported for the services)
from ..urls import host_allowed, host_of, resolve

# More hops than any service here needs (UWS: one per job action).
MAX_REDIRECTS = 5
# Headers that carry credentials: not sent on to another host:port (requests strips Authorization
# alike); Rucio's token is one.
_CREDENTIALS = ("authorization", "x-rucio-auth-token")
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")


class _Body(io.BytesIO):
    """A response body already read, readable again as pyvo and requests read `response.raw`
    (pyvo wraps `raw.read` with `decode_content=True`; the bytes are already decoded)."""

    def read(self, amt: int | None = None, decode_content: bool | None = None, **_: Any) -> bytes:  # type: ignore[override]
        return super().read(-1 if amt is None else amt)


class LibrarySession(GuardedSession):
    """GuardedSession for pyvo and the Rucio client: one row per HTTP request, to its last byte."""

    def __init__(self, allow: frozenset[str], request_event: Any, timeout_seconds: float, pool_size: int = 10) -> None:
        super().__init__(allow, request_event, timeout_seconds)
        # One session serves every iteration of the worker: as many kept connections per host as
        # iterations may run at once (requests keeps 10, then opens and drops one per request
        # past them, with a warning each time).
        for prefix in ("https://", "http://"):
            self.mount(prefix, LocustHttpAdapter(pool_manager=None, pool_maxsize=max(10, pool_size)))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if args or kwargs.get("catch_response"):
            # Locust's own calling style (name, catch_response, context): the caller judges the response.
            return super().request(method, url, *args, **kwargs)
        follow = bool(kwargs.pop("allow_redirects", True))
        kwargs["stream"] = False
        timeout = kwargs.get("timeout")
        if timeout is None or (isinstance(timeout, (int, float)) and timeout > self.timeout_seconds):
            kwargs["timeout"] = self.timeout_seconds
        history: list[requests.Response] = []
        for hop in range(MAX_REDIRECTS + 1):
            target: str | None = None
            with super().request(method, url, catch_response=True, allow_redirects=False, **kwargs) as r:
                if follow and r.is_redirect:
                    target = resolve(url, r.headers["location"])
                    if not host_allowed(self.allow, target):
                        r.failure(RefusedHost(f"{target}: redirect to a host not on the campaign's allowlist"))
                        target = None
                    elif hop == MAX_REDIRECTS:
                        r.failure(requests.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects"))
                        target = None
            r.raw = _Body(r.content or b"")
            if target is None:
                r.history = history
                return r
            history.append(r)
            method, kwargs = _redirected(method, r.status_code, url, target, kwargs)
            url = target
        raise AssertionError("unreachable")  # the last hop always returns


def _redirected(method: str, status: int, old: str, new: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method and arguments of the request a redirect asks for, as requests rebuilds them
    (RFC 9110 15.4; 301/302 from POST become GET as browsers do); the Location is the whole URL."""
    kw = dict(kwargs)
    kw.pop("params", None)
    headers = {k: v for k, v in (kw.get("headers") or {}).items()}
    if (status == 303 and method != "HEAD") or (status == 302 and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
        for k in ("data", "json", "files"):
            kw.pop(k, None)
        headers = {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
    old_host, new_host = host_of(old), host_of(new)
    if old_host is None or new_host is None or old_host[1] != new_host[1]:
        headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIALS}
    kw["headers"] = headers
    return method, kw
