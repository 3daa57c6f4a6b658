"""Benchmark of the simulator: customer-days per second, peak memory, service-centre cost.

Each run is a fresh process (so peak memory is that run's own), after a warm-up that
loads numba's compiled kernels from cache. Variants:

    core      word of mouth and service centre off (issue 2's target: 1M x 365 < 20 s)
    wom       + word of mouth on the default small-world network (graph build included)
    full      + the simpy service centre at default contact rates (target: 1M x 365 < 60 s)

Prospects (0.7) and lapsed ex-customers (0.3) per customer as in the default market, so 1M
customers is 2M people.
It also times the default `cxsim` command end to end (target: < 5 s with start-up).

    .venv/bin/python experiments/bench_core.py                       # all variants, 10k-1M
    .venv/bin/python experiments/bench_core.py --sizes 1000000 --variants full
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "core": ["word_of_mouth.positive_contacts=0", "word_of_mouth.negative_contacts=0",
             "service_centre.enabled=false"],
    "wom": ["service_centre.enabled=false"],
    "full": [],
}

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from sim import Simulation, load_config
from sim.analysis.results import Result
customers = int(sys.argv[1])
cfg = load_config([f"population.customers={customers}",
                   f"population.prospects={round(0.7 * customers)}",
                   "days=365", *sys.argv[2:]])
t1 = time.perf_counter()
model = Simulation(cfg).model
t2 = time.perf_counter()
serve_s = 0.0
if model.support is not None:
    serve = model.support.serve
    def timed(*args):
        global serve_s
        start = time.perf_counter()
        out = serve(*args)
        serve_s += time.perf_counter() - start
        return out
    model.support.serve = timed
while model.running:
    model.step()
t3 = time.perf_counter()
result = Result.from_model(model)
t4 = time.perf_counter()
print(json.dumps({
    "people": model.n_people, "import_s": t1 - t0, "build_s": t2 - t1, "days_s": t3 - t2,
    "tables_s": t4 - t3, "serve_s": serve_s,
    "calls": float(result.daily.service_calls.sum()),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run(customers: int, overrides: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(customers), *overrides],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_cli() -> float:
    exe = Path(sys.executable).parent / "cxsim"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([str(exe), f"hydra.run.dir={tmp}/run"], capture_output=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--no-cli", action="store_true", help="skip timing the cxsim command")
    args = parser.parse_args()
    run(1000, [])  # warm-up: compile or load the numba cache
    print(f"{'variant':>7} {'customers':>10} {'build s':>8} {'days s':>8} {'total s':>8} "
          f"{'cust-days/s':>12} {'peak MB':>8} {'calls':>9} {'us/call':>8}")
    for variant in args.variants:
        for n in args.sizes:
            r = run(n, VARIANTS[variant])
            total = r["import_s"] + r["build_s"] + r["days_s"] + r["tables_s"]
            per_call = 1e6 * r["serve_s"] / r["calls"] if r["calls"] else float("nan")
            print(f"{variant:>7} {n:>10,} {r['build_s']:>8.2f} {r['days_s']:>8.2f} "
                  f"{total:>8.2f} {n * 365 / r['days_s']:>12,.0f} {r['peak_mb']:>8.0f} "
                  f"{r['calls']:>9,.0f} {per_call:>8.1f}")
    if not args.no_cli:
        cli = min(time_cli() for _ in range(3))
        print(f"default cxsim run (10k customers, 7k prospects, 3k lapsed x 365 days, tables and "
              f"plots): {cli:.2f} s wall, best of 3")


if __name__ == "__main__":
    main()
