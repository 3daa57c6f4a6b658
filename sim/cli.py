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

from sim.config import CONFIG_DIR, check_override_keys, to_plain
from sim.errors import ConfigError
from sim.results import Result
from sim.simulation import Simulation


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


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> dict:
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        # a sweep is parallel across jobs (the launcher's workers): one thread per job
        # keeps 2 workers on 2 cores from fighting over 4 threads
        numba.set_num_threads(1)
    try:
        simulation = Simulation(to_plain(cfg))
    except ConfigError as err:
        print(f"cxsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    result = simulation.run()
    result.save(folder, formats=tuple(cfg.output.formats))
    if cfg.output.plots:
        result.plot(folder)
    print(format_summary(result, folder))
    return {k: v for k, v in result.summary.items() if k != "config"}


def main() -> None:
    """Entry point of the `cxsim` command."""
    try:
        check_override_keys([a for a in sys.argv[1:] if not a.startswith("-")])
    except ConfigError as err:
        print(f"cxsim: error: {err}", file=sys.stderr)
        sys.exit(2)
    _app()
