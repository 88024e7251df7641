"""Shared fixtures: Locust (and with it gevent's monkey-patching) is imported first, as the
engine's entry point does."""

from __future__ import annotations

import locust  # noqa: F401  isort: skip
