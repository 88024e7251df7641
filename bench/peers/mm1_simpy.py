"""M/M/1 queue in SimPy: the peer of bench/kernel.ts (same model, same parameters).

Usage: python mm1_simpy.py CUSTOMERS LAMBDA MU SEED
Prints one line of JSON: wall time of env.run(), mean sojourn, peak RSS.
"""
import json
import random
import resource
import sys
import time

import simpy


def main() -> None:
    customers, lam, mu, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    arrivals = random.Random(seed)
    service = random.Random(seed + 1)
    total = [0.0]

    def customer(env):
        t0 = env.now
        with server.request() as req:
            yield req
            yield env.timeout(service.expovariate(mu))
        total[0] += env.now - t0

    def source(env):
        for _ in range(customers):
            yield env.timeout(arrivals.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    t = time.perf_counter()
    env.run()
    wall = time.perf_counter() - t
    print(json.dumps({
        "simpyVersion": simpy.__version__,
        "wallSeconds": wall,
        "meanSojourn": total[0] / customers,
        "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
