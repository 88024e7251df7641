"""HTTP clients that send only to hosts on the campaign's allowlist. The harness checks the
configured endpoints before any traffic; these check every URL the load builds or a library
follows (UWS job locations, redirects, access URLs), so a response cannot send load elsewhere.
A refused request is a row like a transport error (status 0, not ok), not silence."""

from __future__ import annotations

import time
from typing import Any

import requests
from locust.clients import HttpSession
from locust.contrib.fasthttp import FastHttpSession

from .urls import host_allowed

USER_AGENT = "srcnet-testbed-campaign"


class RefusedHost(requests.ConnectionError):
    """A request to a host off the allowlist, refused before anything was sent."""


def refuse(request_event: Any, method: str, url: str, context: dict[str, Any], why: str) -> None:
    """A request not sent (a host off the allowlist, no endpoint configured): a row like a
    transport error (status 0, not ok), through Locust's request event as every other row."""
    request_event.fire(
        request_type=method,
        name=url,
        response_time=0.0,
        response_length=0,
        response=None,
        context=context,
        exception=RefusedHost(why),
        start_time=time.time(),
        url=url,
    )


class GuardedSession(HttpSession):
    """Locust's requests-based session (fires Locust's request event for every call) that refuses
    hosts off the allowlist, on every hop (services/session.py follows redirects one hop a call,
    so each is its own row); what pyvo and the Rucio client send through."""

    def __init__(self, allow: frozenset[str], request_event: Any, timeout_seconds: float) -> None:
        super().__init__(base_url="", request_event=request_event, user=None)
        self.allow = allow
        self.timeout_seconds = timeout_seconds
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_seconds)
        return super().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # Every hop passes here (requests follows redirects through send).
        if not host_allowed(self.allow, request.url or ""):
            raise RefusedHost(f"{request.url}: host not on the campaign's allowlist")
        return super().send(request, **kwargs)


class GuardedFastSession:
    """Locust's FastHttpSession (geventhttpclient) for bulk storage traffic, behind the allowlist,
    never following redirects."""

    def __init__(self, allow: frozenset[str], request_event: Any, timeout_seconds: float, concurrency: int) -> None:
        self.allow = allow
        # The allowlist's verdict per URL: bulk reads go to a few thousand URLs over and over.
        self._allowed: dict[str, bool] = {}
        self.request_event = request_event
        self.session = FastHttpSession(
            base_url="",
            request_event=request_event,
            user=None,
            network_timeout=timeout_seconds,
            connection_timeout=timeout_seconds,
            concurrency=max(10, concurrency),
            max_retries=0,
        )

    def request(self, method: str, url: str, context: dict[str, Any], **kwargs: Any) -> Any:
        """The response (a context manager with catch_response), or None when refused (the row is
        recorded as a transport error)."""
        allowed = self._allowed.get(url)
        if allowed is None:
            allowed = host_allowed(self.allow, url)
            if len(self._allowed) < 100_000:
                self._allowed[url] = allowed
        if not allowed:
            refuse(self.request_event, method, url, context, f"{url}: host not on the campaign's allowlist")
            return None
        headers = kwargs.pop("headers", None) or {}
        headers.setdefault("User-Agent", USER_AGENT)
        return self.session.request(method, url, context=context, catch_response=True, allow_redirects=False, headers=headers, **kwargs)
