#!/opt/rucio/bin/python
"""Rucio's conveyor-poller at campaign speed: its own `run(once=True)`, again and again in one process.

A long-running poller marks every request it asks FTS about and leaves it alone for 600 s
(rucio.core.request.get_and_mark_next, processed_at_delay) unless the answer was final; in
production the receiver hears the ends through a message broker first. The stack has no broker,
and a campaign lasts minutes: in run-once mode the poller does not mark, so each pass asks about
every submitted transfer older than --older-than seconds. The daemon's code and heartbeats are
Rucio's (41.5.1's `poller.poller`, the function `run` calls); only the loop is here, so Python and
Rucio are loaded once, and a pass waits 1 s, not 10, for its heartbeat to settle (one poller).
"""

import argparse
import signal
import sys
import time

from rucio.common.logging import setup_logging
from rucio.core.topology import ExpiringObjectCache, Topology
from rucio.daemons.conveyor import poller


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sleep-time', type=float, default=2)
    ap.add_argument('--older-than', type=int, default=2)
    ap.add_argument('--fts-bulk', type=int, default=100)
    ap.add_argument('--db-bulk', type=int, default=1000)
    args = ap.parse_args()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        poller.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    setup_logging(process_name=poller.DAEMON_NAME)
    topology = ExpiringObjectCache(ttl=300, new_obj_fnc=lambda: Topology())
    while not stopping:
        poller.poller(once=True, older_than=args.older_than, fts_bulk=args.fts_bulk, db_bulk=args.db_bulk,
                      partition_wait_time=1, cached_topology=topology, total_threads=1)
        # Sleep in short steps so a SIGTERM ends the loop at once.
        until = time.monotonic() + args.sleep_time
        while not stopping and time.monotonic() < until:
            time.sleep(0.1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
