"""A master and two worker processes, started as the harness starts them, against a real HTTP
server: the rows the master writes are every worker's rows, the totals each worker reports add
up to them, and the arrival rate is split exactly (each worker starts every second iteration)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from plans import reads_plan, scenario
from servers import file_server

RATE = 40.0
SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_merge_and_split(tmp_path: Path) -> None:
    files: dict[str, bytes] = {}
    with file_server(files) as (base, seen):
        plan, served = reads_plan(base, [scenario({"kind": "constant-arrival-rate", "rate": RATE, "maxConcurrent": 20}, SECONDS)])
        files.update(served)
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "srcnet_load"]
        master = subprocess.Popen([*cmd, "master", "--plan", str(tmp_path / "plan.json"), "--workers", "2", "--bind-port", str(port), "--connect-seconds", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        # A worker needs nothing but the master's host and port.
        workers = [subprocess.Popen([*cmd, "worker", "--master-host", "127.0.0.1", "--master-port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for _ in range(2)]
        try:
            out, err = master.communicate(timeout=60)
            for w in workers:
                w.wait(timeout=20)
        finally:
            for p in (master, *workers):
                if p.poll() is None:
                    p.kill()
                    p.wait()
        requests_served = len(seen)
    assert master.returncode == 0, err
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0][0] == "start" and lines[0][2] == "2"
    assert lines[-1] == ["end", "complete"]
    origin = float(lines[0][1])
    reqs = [x for x in lines if x[0] == "req"]
    ops = [x for x in lines if x[0] == "op"]
    totals = {x[1]: x for x in lines if x[0] == "worker"}
    assert set(totals) == {"w0", "w1"}
    # Every request the server saw is a row, and the workers' totals add up to the rows.
    n = int(round(RATE * SECONDS))
    assert len(reqs) == requests_served == n
    assert sum(int(t[4]) for t in totals.values()) == len(reqs)
    for w in ("w0", "w1"):
        mine = [x for x in reqs if x[1] == w]
        assert totals[w][3] == ""  # local processes: no Slurm node
        assert int(totals[w][4]) == len(mine)
        assert int(totals[w][5]) == sum(1 for x in mine if x[8] == "0") == 0
        # The split: each worker ran exactly half of the iterations.
        assert int(totals[w][6]) == n // 2
        assert len([x for x in ops if x[1] == w]) == n // 2
    # Sent times follow the schedule: iteration i at i / RATE; the two workers interleave.
    sent = sorted(float(x[2]) - origin for x in reqs)
    for i, t in enumerate(sent):
        assert abs(t - i / RATE) < 0.15, (i, t)
