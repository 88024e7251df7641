"""The transfer service's configuration: one JSON file, validated into frozen dataclasses.

Every problem is reported as ``ConfigError`` naming the file, the key, what was expected and what
was found; ``python3 -m srcnet_fts`` prints it and exits with status 2. The optimizer's parameter
names are those of OPTIMIZER.md (``optimizer.Params``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from optimizer import Params


class ConfigError(Exception):
    def __init__(self, file: str, key: str, expected: str, found: object) -> None:
        self.file, self.key, self.expected, self.found = file, key, expected, found
        super().__init__(f"{file}: {key}: expected {expected}, found {found!r}")


@dataclass(frozen=True)
class PathConfig:
    """The WAN path of one (source site, destination site) pair: a TCP proxy in front of the source."""

    source: str
    destination: str
    via: str
    """host:port the destination connects to instead of the source's own endpoint."""


@dataclass(frozen=True)
class Config:
    listen_host: str = "127.0.0.1"
    listen_port: int = 8446
    sites: Mapping[str, Tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """Site name -> its storage endpoints, "host:port" (or "host" for any port)."""
    paths: Tuple[PathConfig, ...] = ()
    optimizer: Params = Params()
    optimizer_enabled: bool = True
    """false: FTS's optimizer mode 0, every link runs ``optimizer.max_active`` at once."""
    interval_seconds: float = 300.0
    """How often the optimizer runs (also ``optimizer.steady_interval_seconds``)."""
    file_timeout_seconds: float = 3600.0
    """Whole copy of one file, checksums included."""
    connect_timeout_seconds: float = 10.0
    """Connection and metadata operations (stat, mkdir, checksum queries) on each endpoint."""
    max_workers: int = 64
    """Global cap on transfers running at once, over all links."""
    log_file: Optional[str] = None
    """Append one JSON line per ended transfer attempt here."""
    vo_name: str = "srcnet"


_TOP_KEYS = {"listen", "sites", "paths", "optimizer", "interval_seconds", "file_timeout_seconds",
             "connect_timeout_seconds", "max_workers", "log_file", "vo_name"}


def _check(file: str, key: str, value: Any, kind: type | Tuple[type, ...], expected: str) -> Any:
    if isinstance(value, bool) and kind is not bool and (kind == int or kind == (int, float)):
        raise ConfigError(file, key, expected, value)
    if not isinstance(value, kind):
        raise ConfigError(file, key, expected, value)
    return value


def _endpoint(file: str, key: str, value: Any) -> str:
    _check(file, key, value, str, 'a string "host:port" or "host"')
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    if not host or (port and not port.isdigit()) or "/" in value:
        raise ConfigError(file, key, '"host:port" or "host"', value)
    return value


def _positive(file: str, key: str, value: Any, integer: bool = False) -> Any:
    kind: type | Tuple[type, ...] = int if integer else (int, float)
    _check(file, key, value, kind, "a positive integer" if integer else "a positive number")
    if value <= 0:
        raise ConfigError(file, key, "a positive number", value)
    return value


def parse(raw: Any, file: str = "<config>") -> Config:
    """Validate a decoded JSON document into a Config."""
    _check(file, "(top level)", raw, dict, "a JSON object")
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(file, unknown[0], "one of " + ", ".join(sorted(_TOP_KEYS)), unknown[0])
    kw: Dict[str, Any] = {}

    listen = _check(file, "listen", raw.get("listen", {}), dict, 'an object {"host": ..., "port": ...}')
    if "host" in listen:
        kw["listen_host"] = _check(file, "listen.host", listen["host"], str, "a string")
    if "port" in listen:
        port = _check(file, "listen.port", listen["port"], int, "an integer port 1-65535")
        if not 0 < port < 65536:
            raise ConfigError(file, "listen.port", "an integer port 1-65535", port)
        kw["listen_port"] = port

    sites_raw = _check(file, "sites", raw.get("sites", {}), dict, 'an object {"SITE": ["host:port", ...]}')
    sites: Dict[str, Tuple[str, ...]] = {}
    owner: Dict[str, str] = {}
    for name, eps in sites_raw.items():
        if isinstance(eps, str):
            eps = [eps]
        _check(file, f"sites.{name}", eps, list, 'a list of "host:port"')
        if not eps:
            raise ConfigError(file, f"sites.{name}", "at least one endpoint", eps)
        sites[name] = tuple(_endpoint(file, f"sites.{name}[{i}]", e) for i, e in enumerate(eps))
        for e in sites[name]:
            if e in owner:
                raise ConfigError(file, f"sites.{name}", f"an endpoint no other site has ({owner[e]} has it)", e)
            owner[e] = name
    kw["sites"] = sites

    paths_raw = _check(file, "paths", raw.get("paths", []), list, "a list of path objects")
    paths: List[PathConfig] = []
    seen = set()
    for i, p in enumerate(paths_raw):
        key = f"paths[{i}]"
        _check(file, key, p, dict, '{"source": SITE, "destination": SITE, "via": "host:port"}')
        for k in ("source", "destination", "via"):
            if k not in p:
                raise ConfigError(file, f"{key}.{k}", "present", None)
        for k in ("source", "destination"):
            if p[k] not in sites:
                raise ConfigError(file, f"{key}.{k}", "a site named in sites (" + ", ".join(sites) + ")", p[k])
        via = _endpoint(file, f"{key}.via", p["via"])
        if ":" not in via:
            raise ConfigError(file, f"{key}.via", '"host:port"', via)
        if (p["source"], p["destination"]) in seen:
            raise ConfigError(file, key, "one path per (source, destination) pair", f"{p['source']}->{p['destination']}")
        seen.add((p["source"], p["destination"]))
        paths.append(PathConfig(p["source"], p["destination"], via))
    kw["paths"] = tuple(paths)

    opt = dict(_check(file, "optimizer", raw.get("optimizer", {}), dict, "an object of optimizer parameters"))
    if "enabled" in opt:
        kw["optimizer_enabled"] = _check(file, "optimizer.enabled", opt.pop("enabled"), bool, "true or false")
    names = {f.name: f for f in dataclasses.fields(Params)}
    for k, v in opt.items():
        if k not in names:
            raise ConfigError(file, f"optimizer.{k}", "one of enabled, " + ", ".join(names), k)
        if k == "mode":
            _check(file, "optimizer.mode", v, str, "conservative, normal or aggressive")
        elif names[k].type in ("int", int):
            _check(file, f"optimizer.{k}", v, int, "an integer")
        else:
            _check(file, f"optimizer.{k}", v, (int, float), "a number")
    if "interval_seconds" in raw:
        interval = _positive(file, "interval_seconds", raw["interval_seconds"])
        if "steady_interval_seconds" in opt and opt["steady_interval_seconds"] != interval:
            raise ConfigError(file, "optimizer.steady_interval_seconds", f"the same as interval_seconds ({interval})",
                              opt["steady_interval_seconds"])
        opt["steady_interval_seconds"] = interval
    try:
        params = Params(**opt)
    except ValueError as e:
        raise ConfigError(file, "optimizer", "consistent parameters", str(e)) from None
    kw["optimizer"] = params
    kw["interval_seconds"] = float(params.steady_interval_seconds)

    for k in ("file_timeout_seconds", "connect_timeout_seconds"):
        if k in raw:
            kw[k] = float(_positive(file, k, raw[k]))
    if "max_workers" in raw:
        kw["max_workers"] = _positive(file, "max_workers", raw["max_workers"], integer=True)
    if raw.get("log_file") is not None:
        kw["log_file"] = _check(file, "log_file", raw["log_file"], str, "a file path")
    if "vo_name" in raw:
        kw["vo_name"] = _check(file, "vo_name", raw["vo_name"], str, "a string")
    return Config(**kw)


def load(path: str) -> Config:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ConfigError(path, "(file)", "a readable file", e.strerror) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(path, f"(line {e.lineno} column {e.colno})", "valid JSON", e.msg) from None
    return parse(raw, path)
