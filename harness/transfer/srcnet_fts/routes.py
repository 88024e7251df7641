"""WAN paths: which site a URL belongs to, what its link is called, and the source URL rewritten
to go through the pair's path.

In an HTTP third-party copy the destination pulls, so only the source URL is rewritten: its
host:port becomes the pair's path (a TCP proxy in front of the source). A URL whose host is no
known site goes direct, and its link is named by the URLs' host:port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from .config import Config

DEFAULT_PORTS = {"http": 80, "dav": 80, "https": 443, "davs": 443, "root": 1094, "xroot": 1094}


@dataclass(frozen=True)
class Route:
    source_site: str
    dest_site: str
    link: str
    """"SOURCE->DESTINATION"."""
    source_url: str
    """The URL the destination is told to pull from (through the path, if there is one)."""
    via: Optional[str]


def _host_port(url: str) -> Tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    return host.lower(), f"{host.lower()}:{port}" if port else host.lower()


class Router:
    def __init__(self, config: Config) -> None:
        self._by_endpoint: Dict[str, str] = {}
        self._by_host: Dict[str, str] = {}
        for site, endpoints in config.sites.items():
            for e in endpoints:
                if ":" in e:
                    self._by_endpoint[e.lower()] = site
                else:
                    self._by_host[e.lower()] = site
        self._paths = {(p.source, p.destination): p.via for p in config.paths}

    def site_of(self, url: str) -> Optional[str]:
        host, endpoint = _host_port(url)
        return self._by_endpoint.get(endpoint) or self._by_host.get(host)

    def route(self, source_url: str, dest_url: str) -> Route:
        src_site, dst_site = self.site_of(source_url), self.site_of(dest_url)
        src_name = src_site or _host_port(source_url)[1]
        dst_name = dst_site or _host_port(dest_url)[1]
        via = self._paths.get((src_site, dst_site)) if src_site and dst_site else None
        rewritten = source_url
        if via is not None:
            parts = urlsplit(source_url)
            netloc = via
            if parts.username or parts.password:
                netloc = parts.netloc.rsplit("@", 1)[0] + "@" + via
            rewritten = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return Route(src_name, dst_name, f"{src_name}->{dst_name}", rewritten, via)
