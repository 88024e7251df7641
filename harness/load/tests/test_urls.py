"""The allowlist and path rules on the cases the harness's TypeScript tests run too."""

from __future__ import annotations

import json
from pathlib import Path

from srcnet_load.urls import allow_set, host_allowed, host_of, path_of, resolve

CASES = json.loads((Path(__file__).parent / "url_cases.json").read_text())


def test_allowlist() -> None:
    allow = allow_set(CASES["allow"])
    for url, want in CASES["allowed"]:
        assert host_allowed(allow, url) is want, url


def test_host_of() -> None:
    for url, want in CASES["hostOf"]:
        assert host_of(url) == (tuple(want) if want is not None else None), url


def test_path_of() -> None:
    for url, want in CASES["pathOf"]:
        assert path_of(url) == want, url


def test_resolve() -> None:
    for base, loc, want in CASES["resolve"]:
        assert resolve(base, loc) == want, (base, loc)
