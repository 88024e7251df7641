#!/usr/bin/python3
"""Run flow-level network cases through SimGrid 3.32 (CM02) for comparison with our own model.

Usage: /usr/bin/python3 run_cases.py INPUT.json OUTPUT.json
(Debian's python3: the `simgrid` module comes from the python3-simgrid package.)

INPUT:  {"cases": [{"id", "tcpGamma", "links": [{"bandwidth", "latency"}],
                    "flows": [{"start", "bytes", "route": [linkIdx...]}],
                    "bandwidthChanges": [{"time", "link", "bandwidth"}]  (optional)}]}
OUTPUT: {"simgridVersion": "...", "results": [{"id", "completion": [t_flow0, ...]}]}

SimGrid allows one Engine per process, so each case runs in a forked child (at most 2 at once).
The child writes its result to a private temp file; the parent assembles OUTPUT only if every
case succeeded (temp file + rename, so no partial output ever appears).
"""
import json
import os
import shutil
import sys
import tempfile
import traceback

MAX_PARALLEL = 2


def engine_args(gamma):
    # --log first: SimGrid parses it before --cfg, so the "Configuration change" INFO lines are silenced too.
    return [
        "run_cases",
        "--log=root.thres:critical",
        "--cfg=network/model:CM02",
        "--cfg=network/latency-factor:1",
        "--cfg=network/bandwidth-factor:1",
        "--cfg=network/weight-S:0",
        "--cfg=network/crosstraffic:0",
        "--cfg=maxmin/precision:1e-9",
        "--cfg=surf/precision:1e-9",
        # gamma 0 => bound gamma/(2*lat) = 0, which SimGrid's max-min treats as "unbounded".
        "--cfg=network/TCP-gamma:%r" % float(gamma),
    ]


def import_simgrid():
    # Importing the module logs "Configuration change: contexts/factory" to stderr before we can set
    # the log threshold; hide fd 2 just for the import.
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import simgrid  # pylint: disable=import-outside-toplevel
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return simgrid


def validate(case, idx):
    cid = case.get("id", "#%d" % idx)
    links, flows = case["links"], case["flows"]
    for k, l in enumerate(links):
        if not (l["bandwidth"] > 0 and l["latency"] >= 0):
            raise ValueError("case %s link %d: need bandwidth > 0 and latency >= 0" % (cid, k))
    for j, f in enumerate(flows):
        route = f["route"]
        if not route:
            raise ValueError("case %s flow %d: empty route" % (cid, j))
        if len(set(route)) != len(route) or any(not 0 <= k < len(links) for k in route):
            raise ValueError("case %s flow %d: bad route %r" % (cid, j, route))
        if int(f["bytes"]) != f["bytes"] or f["bytes"] < 1:
            raise ValueError("case %s flow %d: bytes must be an integer >= 1" % (cid, j))
        if f["start"] < 0:
            raise ValueError("case %s flow %d: negative start" % (cid, j))
    for ch in case.get("bandwidthChanges", []):
        if not 0 <= ch["link"] < len(links) or ch["bandwidth"] <= 0 or ch["time"] < 0:
            raise ValueError("case %s: bad bandwidth change %r" % (cid, ch))


def simulate(case):
    """Runs one case in the current process (must be a fresh child). Returns (version, completions)."""
    sg = import_simgrid()
    e = sg.Engine(engine_args(case.get("tcpGamma", 0)))

    zone = sg.NetZone.create_full_zone("root")
    links = []
    for k, l in enumerate(case["links"]):
        link = zone.create_link("l%d" % k, float(l["bandwidth"]))  # default policy: SHARED
        link.set_latency(float(l["latency"]))
        links.append(link.seal())

    flows = case["flows"]
    srcs, dsts = [], []
    for i, f in enumerate(flows):
        # Dedicated host pair per flow, so each flow has exactly its own one-way route.
        s = zone.create_host("s%d" % i, 1e9).seal()
        d = zone.create_host("d%d" % i, 1e9).seal()
        zone.add_route(s.netpoint, d.netpoint, None, None,
                       [sg.LinkInRoute(links[k]) for k in f["route"]], False)
        srcs.append(s)
        dsts.append(d)
    changes = sorted(case.get("bandwidthChanges", []), key=lambda c: c["time"])  # stable: input order on ties
    ctl = zone.create_host("ctl", 1e9).seal()  # unconnected host that just runs the controller actor
    zone.seal()

    completion = [None] * len(flows)

    def sender(i, start, size):
        # Sleeping from t=0 for `start` seconds lands exactly on `start`.
        sg.this_actor.sleep_until(start)
        # One-sided host-to-host transfer: no mailbox/receiver needed.
        sg.Comm.sendto(srcs[i], dsts[i], size)
        completion[i] = sg.Engine.clock

    for i, f in enumerate(flows):
        sg.Actor.create("f%d" % i, srcs[i], sender, i, float(f["start"]), int(f["bytes"]))

    if changes:
        def controller():
            for ch in changes:
                sg.this_actor.sleep_until(float(ch["time"]))
                links[ch["link"]].set_bandwidth(float(ch["bandwidth"]))

        sg.Actor.create("bw", ctl, controller)

    e.run()
    missing = [i for i, t in enumerate(completion) if t is None]
    if missing:
        raise RuntimeError("flows %r never completed" % missing)
    return sg.simgrid_version, completion


def child_main(case, out_path):
    """Body of a forked child; never returns."""
    code = 1
    try:
        version, completion = simulate(case)
        with open(out_path, "w", encoding="utf-8") as fh:
            json.dump({"version": version, "completion": completion}, fh)
        code = 0
    except BaseException:  # pylint: disable=broad-except
        sys.stderr.write("run_cases: case %r failed:\n%s" % (case.get("id"), traceback.format_exc()))
    finally:
        sys.stderr.flush()
        os._exit(code)  # skip interpreter/SimGrid teardown (actor threads, atexit handlers)


def run_all(cases, tmpdir):
    pending = list(range(len(cases)))
    running = {}  # pid -> case index
    failed = None
    while (pending and failed is None) or running:
        while pending and failed is None and len(running) < MAX_PARALLEL:
            idx = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child_main(cases[idx], os.path.join(tmpdir, "%d.json" % idx))
            running[pid] = idx
        pid, status = os.wait()
        if pid not in running:
            continue
        idx = running.pop(pid)
        if os.waitstatus_to_exitcode(status) != 0 and failed is None:
            failed = (idx, os.waitstatus_to_exitcode(status))
    if failed is not None:
        idx, code = failed
        what = "signal %d" % -code if code < 0 else "exit code %d" % code
        raise RuntimeError("case %r (index %d) failed with %s" % (cases[idx].get("id"), idx, what))

    version, results = None, []
    for idx, case in enumerate(cases):
        with open(os.path.join(tmpdir, "%d.json" % idx), encoding="utf-8") as fh:
            res = json.load(fh)
        version = res["version"]
        results.append({"id": case["id"], "completion": res["completion"]})
    return version, results


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: /usr/bin/python3 run_cases.py INPUT.json OUTPUT.json\n")
        return 2
    in_path, out_path = argv[1], argv[2]
    try:
        with open(in_path, encoding="utf-8") as fh:
            cases = json.load(fh)["cases"]
        for idx, case in enumerate(cases):
            validate(case, idx)
        tmpdir = tempfile.mkdtemp(prefix="sg_cases_")
        try:
            version, results = run_all(cases, tmpdir)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        if version is None:  # no cases: still report the version
            version = import_simgrid().simgrid_version
        out_dir = os.path.dirname(os.path.abspath(out_path))
        fd, tmp_out = tempfile.mkstemp(prefix=".run_cases_", suffix=".json", dir=out_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"simgridVersion": version, "results": results}, fh, indent=1)
                fh.write("\n")
            os.replace(tmp_out, out_path)
        except BaseException:
            os.unlink(tmp_out)
            raise
    except Exception as exc:  # pylint: disable=broad-except
        sys.stderr.write("run_cases: error: %s\n" % exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
