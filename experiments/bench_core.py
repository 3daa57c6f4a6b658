"""Benchmark of the core simulator: customer-days per second and peak memory.

Runs each size in a fresh process (so peak memory is that run's own) after a warm-up
that loads numba's compiled kernels from cache, and times the default `cxsim` command
end to end. Prints a table; targets (issue 2): 1M customers x 365 days under 20 s with
peak memory under 2 GB, the default run (10k x 365) under 5 s including start-up.

    .venv/bin/python experiments/bench_core.py            # 10k, 100k, 1M
    .venv/bin/python experiments/bench_core.py 1000000    # chosen sizes
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from sim import Simulation, load_config
customers = int(sys.argv[1])
cfg = load_config([f"population.customers={customers}",
                   f"population.prospects={customers}", "days=365"])
t1 = time.perf_counter()
sim = Simulation(cfg)
t2 = time.perf_counter()
model = sim.model
while model.running:
    model.step()
t3 = time.perf_counter()
from sim.results import Result
result = Result.from_model(model)
t4 = time.perf_counter()
print(json.dumps({
    "customers": customers, "people": model.n_people,
    "import_s": t1 - t0, "build_s": t2 - t1, "days_s": t3 - t2, "tables_s": t4 - t3,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "active_end": result.summary["active_customers"],
}))
"""


def run_size(customers: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(customers)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_cli() -> float:
    exe = Path(sys.executable).parent / "cxsim"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([str(exe), f"hydra.run.dir={tmp}/run"], capture_output=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    run_size(1000)  # warm-up: compile or load the numba cache
    print(f"{'customers':>10} {'people':>10} {'days s':>8} {'total s':>8} "
          f"{'cust-days/s':>12} {'people-days/s':>14} {'peak MB':>8}")
    for n in sizes:
        r = run_size(n)
        total = r["import_s"] + r["build_s"] + r["days_s"] + r["tables_s"]
        print(f"{n:>10,} {r['people']:>10,} {r['days_s']:>8.2f} {total:>8.2f} "
              f"{n * 365 / r['days_s']:>12,.0f} {r['people'] * 365 / r['days_s']:>14,.0f} "
              f"{r['peak_mb']:>8.0f}")
    cli = min(time_cli() for _ in range(3))
    print(f"default cxsim run (10k customers + 10k prospects x 365 days, tables and plots): "
          f"{cli:.2f} s wall, best of 3")


if __name__ == "__main__":
    main()
