"""What the load workers read from a URL, by the same rules as the harness
(harness/campaigns/urls.ts): the allowlist (a host, any port, or host:port; a URL without a port
has its scheme's default) and the path a file was written under (the integrity check matches the
workers' writes with the harness's own by path). Shared test vectors: tests/url_cases.json."""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL = re.compile(r"^(https?)://(?:[^/?#@]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?(?:[/?#]|$)", re.IGNORECASE)
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*", re.IGNORECASE)


def host_of(url: str) -> tuple[str, str] | None:
    """(host, host:port) of an http(s) URL, lower case, IPv6 without brackets; None otherwise."""
    m = _URL.match(url)
    if m is None:
        return None
    host = m.group(2).lower().strip("[]")
    port = m.group(3) or ("443" if m.group(1).lower() == "https" else "80")
    return host, f"{host}:{port}"


def allow_set(hosts: Iterable[str]) -> frozenset[str]:
    return frozenset(h.lower().replace("[", "").replace("]", "") for h in hosts)


def host_allowed(allow: frozenset[str], url: str) -> bool:
    h = host_of(url)
    return h is not None and (h[0] in allow or h[1] in allow)


def path_of(url: str) -> str:
    """The path of an absolute URL, without query or fragment."""
    p = _ORIGIN.sub("", url, count=1)
    p = re.sub(r"[?#].*$", "", p, flags=re.DOTALL)
    return p or "/"


def resolve(base: str, loc: str) -> str:
    """`loc` (a Location header, possibly relative) as an absolute URL, relative to `base`."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", loc, re.IGNORECASE):
        return loc
    if loc.startswith("//"):
        m = re.match(r"^[a-z][a-z0-9+.-]*:", base, re.IGNORECASE)
        return f"{m.group(0) if m else 'http:'}{loc}"
    if loc.startswith("/"):
        m = _ORIGIN.match(base)
        return f"{m.group(0) if m else ''}{loc}"
    return re.sub(r"[^/]*$", "", re.sub(r"[?#].*$", "", base)) + loc
