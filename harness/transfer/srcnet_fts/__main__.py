"""python3 -m srcnet_fts --config FILE: serve the API with waitress until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import List, Optional

# optimizer.py sits beside this package (harness/transfer).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from .config import ConfigError, load  # noqa: E402


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m srcnet_fts", description=__doc__)
    ap.add_argument("--config", required=True, help="the service's JSON configuration")
    ap.add_argument("--log-level", default=os.environ.get("SRCNET_FTS_LOG", "INFO"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load(args.config)
    except ConfigError as e:
        print(f"srcnet_fts: configuration error: {e}", file=sys.stderr)
        return 2

    # The XRootD client reads its timeouts once: set them before gfal2 loads it.
    from .mover import set_xrootd_client_timeouts  # noqa: F401

    set_xrootd_client_timeouts(config.connect_timeout_seconds)
    import waitress

    from .api import create_app
    from .service import Service

    service = Service(config)
    app = create_app(service)

    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    service.start()
    logging.getLogger("srcnet_fts").info("listening on %s:%d", config.listen_host, config.listen_port)
    try:
        waitress.serve(app, host=config.listen_host, port=config.listen_port, threads=8, ident="srcnet_fts",
                       _quiet=True)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
