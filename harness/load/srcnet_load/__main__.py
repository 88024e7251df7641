"""`python -m srcnet_load master ...` and `python -m srcnet_load worker ...`: see --help."""

from __future__ import annotations

# Locust patches the standard library for gevent on import: before anything opens a socket.
import locust  # noqa: F401  isort: skip

import argparse
import json
import logging
import os
import sys

from .master import main as master_main
from .worker import LoadWorker


def _read_json(path: str, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"srcnet_load: {path}: expected a readable JSON {what}, found {e}") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="srcnet_load", description="The testbed's load engine: a Locust master or worker.")
    sub = p.add_subparsers(dest="role", required=True)
    m = sub.add_parser("master", help="run the campaign plan on N workers; rows on stdout")
    m.add_argument("--plan", required=True, help="the plan JSON the harness wrote")
    m.add_argument("--secrets", help="a 0600 JSON file of secrets handed to the workers (never logged)")
    m.add_argument("--workers", type=int, required=True)
    m.add_argument("--bind-host", default="127.0.0.1")
    m.add_argument("--bind-port", type=int, default=5557)
    m.add_argument("--connect-seconds", type=float, default=60.0, help="how long to wait for the workers")
    w = sub.add_parser("worker", help="connect to a master and run its share of the plan")
    w.add_argument("--master-host", required=True)
    w.add_argument("--master-port", type=int, default=5557)
    a = p.parse_args(argv)
    # Locust's own messages go to stderr (the harness keeps them in the run's log); stdout is rows.
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("SRCNET_LOAD_LOG", "WARNING"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if a.role == "master":
        if a.workers < 1:
            raise SystemExit("srcnet_load: --workers: expected an integer >= 1")
        plan = _read_json(a.plan, "plan")
        secrets = _read_json(a.secrets, "secrets file") if a.secrets else {}
        return master_main(plan, secrets, a.workers, a.bind_host, a.bind_port, a.connect_seconds)  # type: ignore[arg-type]
    worker = LoadWorker(a.master_host, a.master_port)
    worker.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
