"""Benchmark of the batch API: runs per second of 10,000 customers x 365 days.

Targets (issue 10): at least 5 runs a second on the 2-core machine, so that calibration and
Sobol analyses are not dominated by start-up, and a Morris screening of 10 parameters with
20 trajectories (220 runs) in under 2 minutes. Prints runs per second on 1 worker and on
`workers` workers (one numba thread each), after a warm-up that loads the compiled kernels,
then the wall time of that Morris screening (cxsim-sensitivity's defaults).

    .venv/bin/python experiments/bench_batch.py           # 40 runs on 2 workers
    .venv/bin/python experiments/bench_batch.py 100 2
"""

import os
import sys
import tempfile
import time

from sim.batch import Batch
from sim.sensitivity import DEFAULT_RANGES, sensitivity


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    batch = Batch()
    points = [{"experience.loss_aversion": 1.0 + 2.0 * i / runs} for i in range(runs)]
    batch.run(points[:workers], jobs=workers)  # warm-up: worker processes, kernels loaded
    start, cpu = time.perf_counter(), time.process_time()
    batch.run(points[: max(2, runs // 8)], jobs=1)
    serial = max(2, runs // 8) / (time.perf_counter() - start)
    cpu_per_run = (time.process_time() - cpu) / max(2, runs // 8)
    start = time.perf_counter()
    table = batch.run(points, jobs=workers)
    elapsed = time.perf_counter() - start
    assert len(table) == runs
    c = batch.base["population"]
    print(f"batch of {runs} runs x {c['customers']:,} customers x {batch.base['days']} days")
    print(f"  1 worker:           {serial:5.2f} runs/s  ({cpu_per_run:.2f} CPU s a run: at most "
          f"{workers / cpu_per_run:.1f} runs/s on {workers} idle cores)")
    print(f"  {workers} workers:          {runs / elapsed:5.2f} runs/s  ({elapsed:.1f} s)")
    print(f"  load average before the Morris screening: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        s = sensitivity(method="morris", n=20, jobs=workers, folder=tmp)
        elapsed = time.perf_counter() - start
    print(f"Morris screening, {len(DEFAULT_RANGES)} parameters x 20 trajectories "
          f"({len(s.runs)} runs, {workers} workers): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
