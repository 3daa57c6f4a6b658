"""Benchmark of sweeps: 100 runs of 10,000 customers x 365 days with Hydra's joblib launcher.

Target (issue 5): under 2 minutes on the 2-core machine. Prints the wall time of the
sweep, and separately what each run costs before and after simulating (the start-up
cost: Hydra composing the job's config, the job folder, logging, writing the tables),
measured as a sweep of the same shape whose runs simulate 1 day of 10 people.

    .venv/bin/python experiments/bench_sweep.py            # 100 runs on 2 workers
    .venv/bin/python experiments/bench_sweep.py 40 4       # 40 runs on 4 workers
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

CXSIM = str(Path(sys.executable).parent / "cxsim")
LIGHT = ["output.plots=false", "output.formats=[parquet]"]  # what a large sweep needs per run
TINY = ["days=1", "population.customers=10", "population.prospects=10"]


def sweep(folder: Path, runs: int, workers: int, *overrides: str) -> float:
    """Wall time of `cxsim --multirun` over `runs` replications on joblib's workers."""
    start = time.perf_counter()
    subprocess.run(
        [
            CXSIM,
            "--multirun",
            f"replication=range({runs})",
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={workers}",
            f"hydra.sweep.dir={folder}",
            "hydra.callbacks.sweep_table.plots=false",
            *overrides,
        ],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    table = pd.read_parquet(folder / "sweep.parquet")
    assert (table.status == "finished").sum() == runs, "every run must finish"
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([CXSIM, *TINY, f"hydra.run.dir={tmp}/warm"], check=True, capture_output=True)
        full = sweep(tmp / "full", runs, workers, *LIGHT)
        default_outputs = sweep(tmp / "default", runs, workers)
        one = sweep(tmp / "one", 1, workers, *LIGHT, *TINY)
        tiny = sweep(tmp / "tiny", runs, workers, *LIGHT, *TINY)
    per_run_startup = (tiny - one) / (runs - 1)
    rest = (full - tiny) / runs
    print(f"sweep of {runs} runs x 10,000 customers x 365 days, joblib launcher, {workers} workers")
    rows = [
        (
            "wall, parquet tables only (output.plots=false output.formats=[parquet])",
            f"{full:.1f} s",
        ),
        (
            "wall, default outputs (parquet and csv per run; plots only for the sweep)",
            f"{default_outputs:.1f} s",
        ),
        ("fixed start-up of a sweep (1 run of 1 day, 10 people)", f"{one:.1f} s"),
        (
            f"start-up cost per run (a sweep of {runs} runs of 1 day, 10 people)",
            f"{per_run_startup:.2f} s wall = {per_run_startup * workers:.2f} s of a worker",
        ),
        (
            "simulating and writing per run (the rest)",
            f"{rest:.2f} s wall = {rest * workers:.2f} s of a worker",
        ),
    ]
    for label, value in rows:
        print(f"  {label:<74} {value}")


if __name__ == "__main__":
    main()
