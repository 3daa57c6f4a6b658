"""`cxsim key=value ...`: run the simulator from the command line (a Hydra app).

Results go to Hydra's run folder (outputs/DATE/TIME, or multirun/... with --multirun):
the tables as parquet and csv, summary.json and plots/*.png.
"""

import contextlib
import math
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hydra
import numba
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.analysis.results import TABLES, Result
from sim.app.exits import debug_requested, reported
from sim.app.help import for_config as help_for_config
from sim.config import CONFIG_DIR, check_composes, check_override_keys, load_config, to_plain
from sim.errors import ConfigError, RunError
from sim.files import LOCK, acquire_lock, clear_outputs, release_lock, remove_stale_tmp, run_folder
from sim.mechanisms.network import build_network
from sim.simulation import Simulation
from sim.studies.scenarios import check_config
from sim.studies.sweep import check_sweep, finish_interrupted, sweep_job


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
        f"  {retention:<28} {100 * s['retention']:>11.1f}%  (customer retention rate)",
        f"  monthly churn                {100 * s['churn_rate_monthly']:>11.1f}%",
        f"  revenue                      {s['revenue']:>12,.0f}",
        f"  profit                       {s['profit']:>12,.0f}",
        f"  NPS, true                    {_signed(s['nps'])}",
        f"  NPS, survey (last 90 days)   {_signed(s['nps_survey_90d'])}",
        f"  CSAT, true (last 90 days)    {100 * s['csat']:>11.1f}%",
    ]
    if folder is not None:
        lines.append(f"  results: {folder}")
    return "\n".join(lines)


def _signed(x: float | None) -> str:
    """A +/- figure, or n/a when there is none (no survey answers yet: null in summary.json)."""
    return f"{x:>+12.1f}" if x is not None and math.isfinite(x) else f"{'n/a':>12}"


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


# every file a run writes (besides plots/*.png): what a new run into the folder clears first
OUTPUTS = (
    *(f"{t}.{ext}" for t in (*TABLES, "service_hourly", "messages") for ext in ("parquet", "csv")),
    "summary.json",
)
HYDRA_VALUE_FLAGS = ("--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd")
INFO_FLAGS = ("--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i",
              "--shell-completion", "-sc", "--version", "--resolve", "-p", "--package")
_state: dict[str, Any] = {}  # what main() and _app share: the held folder, the running folder


def _held_folder(folder: Path):
    """The folder's lock (taken here, or already by main) and a clean slate for the run."""
    held = _state.get("held")
    if held is not None and held.resolve() == folder.resolve():
        remove_stale_tmp(folder)
        clear_outputs(folder, OUTPUTS)
        return contextlib.nullcontext(folder)
    return run_folder(folder, OUTPUTS)


def _remove_if_empty(folder: Path) -> None:
    """A run rejected before writing anything leaves no empty run folder behind."""
    left = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    if left <= {".hydra", "cxsim.log", LOCK}:
        shutil.rmtree(folder, ignore_errors=True)


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> dict:
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:  # one job of a sweep: resumable, failures recorded
        # a sweep is parallel across jobs (the launcher's workers): one thread per job
        # keeps 2 workers on 2 cores from fighting over 4 threads
        numba.set_num_threads(1)
        with run_folder(folder):
            return sweep_job(
                to_plain(cfg), folder, lambda c: _run_and_write(Simulation(c), folder, False, True)
            )
    _state["folder"] = folder
    try:
        with _held_folder(folder):
            try:
                simulation = Simulation(to_plain(cfg))
            except (ConfigError, RunError):
                _remove_if_empty(folder)
                raise
            result = _run_and_write(simulation, folder, progress=None)  # a bar on a terminal
    except Exception as err:  # main() reports it in one line (Hydra would log it first)
        _state["error"] = err
        return {}
    _state["done"] = True
    print(format_summary(result, folder))
    return {k: v for k, v in result.summary.items() if k != "config"}


def preflight(overrides: Sequence[str]) -> dict[str, Any]:
    """Every check of a single run before Hydra makes its folder: compose, values, journey,
    edge list and memory. Returns the checked config."""
    cfg = load_config(overrides)
    checked = check_config(cfg)  # memory included
    net, pop = checked["network"], checked["population"]
    if net["kind"] == "edge_list":
        build_network("edge_list", pop["customers"] + pop["prospects"], 0.0, None, 0.0,
                      net["path"])
    return checked


def _reference(overrides: Sequence[str], queries: Sequence[str]) -> str:
    """`cxsim --help WORD ...`: the keys of the parameter reference the words pick."""
    check_composes(overrides)  # cxsim's own error for a bad key, as a run would give
    keep = [o for o in overrides if not o.lstrip("+~").startswith("hydra")
            or o.startswith("hydra.searchpath")]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=keep, return_hydra_config=True)
        return help_for_config(cfg, queries)


def _interrupted() -> str:
    """What a Ctrl-C leaves behind and how to go on."""
    sweep = _state.get("sweep_dir")
    if sweep is not None:
        return (
            f"the sweep stopped; finished jobs are kept and listed in {sweep}/sweep.csv; run "
            f"the same command again with hydra.sweep.dir={sweep} to finish it (finished "
            "jobs are skipped)"
        )
    folder = _state.get("folder")
    if folder is None:
        return "nothing was written; run the same command again"
    return (
        f"the run in {folder} stopped before its summary.json (written last), so its "
        "results are incomplete; run the same command again"
    )


def _composable(args: Sequence[str]) -> list[str]:
    """The overrides of a command line (Hydra's own options and their values left out)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in (*HYDRA_VALUE_FLAGS, "--cfg", "-c", "--package", "-p", "--info", "-i",
                   "--experimental-rerun", "--shell-completion", "-sc"):
            skip = a not in ("--shell-completion", "-sc")
        elif not a.startswith("-"):
            out.append(a)
    return out


def main() -> None:
    """Entry point of the `cxsim` command (exit codes: sim.app.exits)."""
    argv = sys.argv[1:]
    debug = debug_requested(argv)
    sys.argv = [sys.argv[0], *argv]
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises; `reported` prints the one line
    _state.clear()
    with reported("cxsim", debug, on_interrupt=_interrupted):
        overrides = _composable(argv)
        queries = [o for o in overrides if "=" not in o]
        if queries and any(a in ("--help", "-h") for a in argv):
            print(_reference([o for o in overrides if "=" in o], queries), end="")
            return
        check_override_keys(overrides)
        multirun = "--multirun" in argv or "-m" in argv
        info = any(a.split("=", 1)[0] in INFO_FLAGS for a in argv)
        custom = any(a.split("=", 1)[0] in HYDRA_VALUE_FLAGS for a in argv)
        if multirun:
            check_sweep(overrides)  # every swept value, before any job starts
        elif not info and not custom:
            check_composes(overrides)  # keys Hydra alone would reject (a misspelt touchpoint)
            preflight([o for o in overrides if not o.startswith("hydra.") or
                       o.startswith("hydra.searchpath")])
        run_dir = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")),
                       None)
        lock = None
        if run_dir and not multirun and not info and "${" not in run_dir:
            lock = acquire_lock(Path(run_dir))  # before Hydra writes .hydra/ into it
            _state["held"] = _state["folder"] = Path(run_dir)
        try:
            _app()
            if "error" in _state:
                raise _state["error"]
        finally:
            # a stopped sweep still gets its table; a Ctrl-C that lands while Hydra ends
            # the sweep leaves it to us to name the folder
            sweep_dir = next((o.split("=", 1)[1] for o in overrides
                              if o.startswith("hydra.sweep.dir=")), None)
            _state["sweep_dir"] = finish_interrupted() or (
                Path(sweep_dir) if multirun and sweep_dir and Path(sweep_dir).is_dir() else None)
            if lock is not None:
                remove_stale_tmp(Path(run_dir))
                release_lock(lock)
                if not _state.get("done"):
                    _remove_if_empty(Path(run_dir))
