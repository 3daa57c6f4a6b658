"""`cxsim key=value ...`: run the simulator from the command line (a Hydra app).

Results go to Hydra's run folder (outputs/DATE/TIME, or multirun/... with --multirun):
the tables as parquet and csv, summary.json and plots/*.png.
"""

import sys
from pathlib import Path

import hydra
import numba
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config import CONFIG_DIR, check_composes, check_override_keys, to_plain
from sim.errors import ConfigError
from sim.results import Result
from sim.simulation import Simulation
from sim.sweep import check_sweep, finish_interrupted, sweep_job


def format_summary(result: Result, folder: Path | None = None) -> str:
    """The few lines a run prints: the figures a strategist asks for first."""
    s = result.summary
    cfg = result.config
    pop = cfg["population"]
    retention = (
        f"{s['retention_days'] // 30}-month retention"
        if s["retention_days"] >= 30
        else f"{s['retention_days']}-day retention"
    )
    lines = [
        f"cxsim {s['version']}: {s['journey']} journey, {pop['customers']:,} customers + "
        f"{pop['prospects']:,} prospects, {s['days']} days, seed {s['seed']}",
        f"  active customers at the end  {s['active_customers']:>12,}",
        f"  {retention:<28} {100 * s['retention']:>11.1f}%  (of the day-0 base)",
        f"  revenue                      {s['revenue']:>12,.0f}",
        f"  profit                       {s['profit']:>12,.0f}",
        f"  NPS, true                    {s['nps']:>+12.1f}",
        f"  NPS, survey (last 90 days)   {s['nps_survey_90d']:>+12.1f}",
    ]
    if folder is not None:
        lines.append(f"  results: {folder}")
    return "\n".join(lines)


def _run_and_write(
    simulation: Simulation, folder: Path, progress: bool | None, in_sweep: bool = False
) -> Result:
    """Simulate, then write plots and tables; summary.json comes last (a job's done marker)."""
    result = simulation.run(progress=progress)
    output = result.config["output"]
    if output["plots"] is True or (output["plots"] == "auto" and not in_sweep):
        result.plot(folder)
    result.save(folder, formats=tuple(output["formats"]))
    return result


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> dict:
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:  # one job of a sweep: resumable, failures recorded
        # a sweep is parallel across jobs (the launcher's workers): one thread per job
        # keeps 2 workers on 2 cores from fighting over 4 threads
        numba.set_num_threads(1)
        return sweep_job(
            to_plain(cfg), folder, lambda c: _run_and_write(Simulation(c), folder, False, True)
        )
    try:
        simulation = Simulation(to_plain(cfg))
    except ConfigError as err:
        print(f"cxsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    result = _run_and_write(simulation, folder, progress=None)  # a progress bar on a terminal
    print(format_summary(result, folder))
    return {k: v for k, v in result.summary.items() if k != "config"}


def main() -> None:
    """Entry point of the `cxsim` command."""
    args = sys.argv[1:]
    overrides = [a for a in args if not a.startswith("-")]
    try:
        check_override_keys(overrides)
        if "--multirun" in args or "-m" in args:
            check_sweep(overrides)  # every swept value, before any job starts
        else:
            check_composes(overrides)  # keys Hydra alone would reject (a misspelt touchpoint)
    except ConfigError as err:
        print(f"cxsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    try:
        _app()
    finally:
        finish_interrupted()  # a sweep stopped by a failed job or Ctrl-C still gets its table
