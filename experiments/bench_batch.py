"""Benchmark of the batch API: runs per second of 10,000 customers x 365 days.

Targets (issue 10): at least 5 runs a second on the 2-core machine, so that calibration and
Sobol analyses are not dominated by start-up, and a Morris screening of 10 parameters with
20 trajectories (220 runs) in under 2 minutes. Prints runs per second on 1 worker and on
`workers` workers (one numba thread each), after a warm-up that loads the compiled kernels,
then the wall time of that Morris screening (cxsim-sensitivity's defaults).

With `--launcher NAME` it also runs the same batch on that Hydra launcher (Batch.run's
launcher path: one multirun of chunks, `hydra.launcher.n_jobs=workers` on joblib), from
cold as a user meets it (a new process, Hydra, new workers loading the kernels), and
prints its overhead over the in-process batch, the fixed cost of a launcher batch (2 tiny
runs) and the cost of a rerun that finds every chunk done. `--no-morris` skips the screening.

    .venv/bin/python experiments/bench_batch.py           # 40 runs on 2 workers
    .venv/bin/python experiments/bench_batch.py 100 2
    .venv/bin/python experiments/bench_batch.py 40 2 --launcher joblib --no-morris
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from sim.studies.batch import Batch
from sim.studies.sensitivity import DEFAULT_RANGES, sensitivity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, nargs="?", default=40)
    parser.add_argument("workers", type=int, nargs="?", default=2)
    parser.add_argument("--launcher", help="also time the batch on this Hydra launcher")
    parser.add_argument("--no-morris", action="store_true", help="skip the Morris screening")
    args = parser.parse_args()
    runs, workers = args.runs, args.workers
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
    if args.launcher:
        launcher_overhead(batch, points, table, workers, args.launcher, elapsed)
    if args.no_morris:
        return
    print(f"  load average before the Morris screening: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        s = sensitivity(method="morris", n=20, jobs=workers, folder=tmp)
        elapsed = time.perf_counter() - start
    print(f"Morris screening, {len(DEFAULT_RANGES)} parameters x 20 trajectories "
          f"({len(s.runs)} runs, {workers} workers): {elapsed:.1f} s")


def launcher_overhead(batch: Batch, points: list, table, workers: int, launcher: str,
                      in_process: float) -> None:
    """The same batch on a Hydra launcher: its time, overhead, fixed cost and resume check."""
    import pandas as pd

    settings = [f"hydra.launcher.n_jobs={workers}"] if launcher == "joblib" else []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        on_launcher = batch.run(points, jobs=workers, launcher=launcher,
                                launcher_overrides=settings, folder=tmp)
        elapsed = time.perf_counter() - start
        pd.testing.assert_frame_equal(on_launcher, table)  # the same table, to the bit
        chunks = len(list(Path(tmp, "done").glob("chunk-*.parquet")))
        start = time.perf_counter()
        batch.run(points, jobs=workers, launcher=launcher, launcher_overrides=settings,
                  folder=tmp)
        rerun = time.perf_counter() - start
    tiny = Batch(["population.customers=100", "population.prospects=0", "days=10"])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        tiny.run(points[:2], jobs=workers, launcher=launcher, launcher_overrides=settings,
                 folder=tmp)
        fixed = time.perf_counter() - start
    print(f"  {launcher} launcher:  {len(points) / elapsed:5.2f} runs/s  ({elapsed:.1f} s in "
          f"{chunks} jobs, the same table; {elapsed - in_process:+.1f} s over in-process, "
          f"{(elapsed - in_process) / len(points):+.2f} s a run)")
    print(f"  {launcher} launcher, fixed cost (2 runs of 100 customers x 10 days): {fixed:.1f} s")
    print(f"  {launcher} launcher, rerun with every chunk done: {rerun:.2f} s")


if __name__ == "__main__":
    main()
