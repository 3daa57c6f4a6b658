"""Sweeps: `cxsim --multirun` over any parameters and replications, gathered into one table.

Hydra expands the sweep into jobs and a launcher runs them: in turn (the default), on
local worker processes (`hydra/launcher=joblib`), on a Ray cluster (`hydra/launcher=ray`)
or on Slurm (`hydra/launcher=submitit_slurm`). Nothing here schedules anything; it only
makes jobs safe to run anywhere and in any order, and gathers what they wrote:

- A job's random streams come from (root seed, replication, stream name) through numpy's
  SeedSequence (sim/rng.py), never from the job's number or worker, so a sweep gives the
  same results whatever the launcher, the number of workers or the order of the jobs.
- Each job writes its tables and then, last and atomically, `summary.json`: a job folder
  with a summary is finished. A job that raises writes `error.json` (its error and
  traceback) and the others go on.
- Run the same sweep again (same command, same `hydra.sweep.dir`) and every job whose
  folder holds a summary of the same config, package version and source code (job.json,
  written before the run) is skipped: a killed, failed or interrupted sweep is resumed
  where it stopped, and nothing computed by other code is mixed in.
- The `SweepTable` callback (configured in configs/config.yaml under hydra.callbacks)
  shows a progress bar while the jobs run and, when the sweep ends (or is interrupted),
  writes `sweep.parquet` and `sweep.csv` in the sweep folder, one row per job: the swept
  parameters, seed, replication, scenario, status, the KPIs of sim/analysis/kpis.py and the error
  of a failed job; then `plots/` (each KPI against each swept parameter, with 95%
  intervals over the other runs) and a report naming each failed job with its error.
"""

import itertools
import json
import logging
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback

from sim.analysis.intervals import mean_interval
from sim.analysis.kpis import DESCRIPTIVE, KPIS, run_kpis
from sim.analysis.plots import save_figure
from sim.analysis.provenance import code_digest
from sim.config import GROUPS, load_config
from sim.config.schema import SCHEMA, MapOf, Opaque
from sim.errors import ConfigError
from sim.files import clear_outputs, remove_stale_tmp, write_atomic, write_json
from sim.studies.scenarios import check_config

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.results import Result

log = logging.getLogger("cxsim")

SUMMARY, ERROR, JOB = "summary.json", "error.json", "job.json"  # job.json: the code that ran
TABLE = "sweep"  # sweep.parquet and sweep.csv in the sweep folder
PARAMS_META = "params"  # table.attrs key: the names of the parameter columns
FIXED = ("seed", "replication", "scenario")  # columns every table has, from each job's config
# the tables a job writes (sim.analysis.results.TABLES), cleared before it runs again
RUN_TABLES = (
    "daily", "customers", "journey_map", "touchpoints_daily", "cohorts", "segments",
    "service_hourly", "messages",
)
STATUSES = ("finished", "failed", "unfinished", "not started")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --- one job -------------------------------------------------------------------------------


def sweep_job(cfg: Mapping[str, Any], folder: Path, run: Callable[[dict], "Result"]) -> dict:
    """One job of a sweep: skipped if its folder holds a summary of this config, else run.

    run(checked_config) simulates and writes the job's outputs, summary.json last. An
    exception is recorded in error.json, then raised again so the launcher sees it too.
    """
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    try:
        checked = check_config(cfg)
        done = finished_summary(folder, checked)
        if done is not None:
            log.info("job %s: already finished with this config, skipped", hc.job.num)
            return _headline(done)
        for name in (SUMMARY, ERROR):
            (folder / name).unlink(missing_ok=True)
        clear_outputs(folder, [f"{t}.{x}" for t in RUN_TABLES for x in ("parquet", "csv")])
        write_json(folder / JOB, {"version": version("cxsim"), "code": code_digest()})
        summary = run(checked).summary
    except Exception as err:
        write_json(
            folder / ERROR,
            {
                "job": hc.job.num,
                "overrides": list(hc.overrides.task),
                "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc(),
            },
        )
        raise
    log.info(
        "job %s: retention %.1f%%, revenue %s, profit %s",
        hc.job.num,
        100 * summary["retention"],
        f"{summary['revenue']:,.0f}",
        f"{summary['profit']:,.0f}",
    )
    return _headline(summary)


def _headline(summary: Mapping[str, Any]) -> dict:
    return {k: v for k, v in summary.items() if k != "config"}


def _json_plain(cfg: Mapping[str, Any]) -> Any:
    """A config as it reads back from summary.json (numpy scalars as numbers, tuples as lists)."""
    return json.loads(json.dumps(cfg, default=lambda x: x.item()))


def finished_summary(folder: Path, checked: Mapping[str, Any]) -> dict | None:
    """The job's summary if it finished with this config, version and source code, else None."""
    try:
        summary = json.loads((folder / SUMMARY).read_text())
        job = json.loads((folder / JOB).read_text())
    except (OSError, ValueError):
        return None
    same_code = job.get("version") == version("cxsim") and job.get("code") == code_digest()
    if not same_code or summary.get("config") != _json_plain(checked):
        return None
    return summary


# --- the jobs a sweep expands to -------------------------------------------------------------


def _is_hydra_key(item: str) -> bool:
    return item.split("=", 1)[0].lstrip("+~").startswith("hydra")


def expand(overrides: Sequence[str]) -> list[tuple[str, ...]] | None:
    """The override lists of a sweep's jobs, in job order (as Hydra's basic sweeper makes them).

    None when a sweep is not a discrete list (an interval, for an optimising sweeper).
    """
    final: OrderedDict[str, list[str]] = OrderedDict()
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        key = o.get_key_element()
        if o.is_sweep_override():
            if not o.is_discrete_sweep():
                return None
            try:
                final[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
            except Exception:  # a glob over config group options: only Hydra knows them
                return None
        else:
            final[key] = [f"{key}={o.get_value_element_as_str()}"]
    return [tuple(job) for job in itertools.product(*final.values())]


def sweep_overrides(multirun_cfg: Mapping[str, Any]) -> list[str]:
    """What the sweeper expanded: hydra.sweeper.params, then the command line's overrides."""
    hydra_cfg = multirun_cfg["hydra"]
    params = hydra_cfg.get("sweeper", {}).get("params") or {}
    return [f"{k}={v}" for k, v in params.items()] + list(hydra_cfg["overrides"]["task"])


def check_sweep(overrides: Sequence[str]) -> None:
    """Check every value a sweep will take before any job starts, naming the key and range.

    A value of a declared parameter is checked by its rule; a config group option (journey,
    scenario, ...) by composing and checking the config, every combination of the swept
    groups together (a scenario written for one journey cannot be swept with another).
    """
    items = [o for o in overrides if not _is_hydra_key(o)]
    parsed = OverridesParser.create().parse_overrides(items)
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    swept = [o for o in parsed if o.is_sweep_override() and o.is_discrete_sweep()]
    first = []
    for o in swept:
        try:
            first.append(f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}")
        except Exception:  # a glob over group options: Hydra checks it
            continue
    _check_composed([*fixed, *first])
    groups = []
    for o in swept:
        key = o.get_key_element().lstrip("+~")
        try:
            values = list(zip(o.sweep_iterator(), o.sweep_string_iterator(), strict=True))
        except Exception:
            continue
        rule = _rule(key)
        if key in GROUPS or rule is None:
            groups.append([f"{key}={text}" for _, text in values])
            continue
        for value, _ in values:
            rule.check(key, value)
        if key.startswith("population."):  # market sizes: each one's memory estimate too
            groups.append([f"{key}={text}" for _, text in values])
    combos = list(itertools.product(*groups))
    if len(combos) > 64:  # too many to compose: each group value on its own
        combos = [(v,) for g in groups for v in g]
    for combo in combos:
        if combo:
            base = [
                f
                for f in [*fixed, *first]
                if f.split("=", 1)[0] not in {c.split("=", 1)[0] for c in combo}
            ]
            _check_composed([*base, *combo])


def _check_composed(overrides: list[str]) -> None:
    """Compose and check a config; a composition error (no such option) is Hydra's to report."""
    try:
        cfg = load_config(overrides)
    except HydraException:
        return
    check_config(cfg)


def _rule(key: str) -> Any:
    """The declared rule of a leaf parameter, or None (a section, a map or the journey)."""
    rule: Any = SCHEMA
    for part in key.split("."):
        if isinstance(rule, Opaque):
            return None
        if isinstance(rule, MapOf):
            rule = rule.schema
            continue
        if not isinstance(rule, Mapping) or part not in rule:
            return None
        rule = rule[part]
    return None if isinstance(rule, Mapping | Opaque | MapOf) else rule


# --- gathering ------------------------------------------------------------------------------


def _job_dirs(sweep_dir: Path) -> list[Path]:
    return [p.parent.parent for p in sweep_dir.glob("**/.hydra/hydra.yaml")]


def _load_yaml(path: Path) -> Any:
    with open(path) as f:
        return yaml.load(f, Loader=_Loader)


def job_status(job_dir: Path) -> str:
    if (job_dir / SUMMARY).exists():
        return "finished"
    if (job_dir / ERROR).exists():
        return "failed"
    return "unfinished"


def _param_value(item: str) -> tuple[str, Any]:
    o = OverridesParser.create().parse_override(item)
    value = o.value()
    if not isinstance(value, str | int | float | bool) or value is None:
        value = o.get_value_element_as_str()
    return o.get_key_element().lstrip("+~"), value


def _read_table(job_dir: Path, name: str) -> pd.DataFrame | None:
    if (job_dir / f"{name}.parquet").exists():
        return pd.read_parquet(job_dir / f"{name}.parquet")
    if (job_dir / f"{name}.csv").exists():
        return pd.read_csv(job_dir / f"{name}.csv")
    return None


def gather(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per job of the sweep in sweep_dir, in job order (see the module docstring).

    Jobs of the sweep that have no folder yet are rows with status "not started"; folders
    left by an earlier, different sweep in the same place are left out.
    """
    sweep_dir = Path(sweep_dir)
    expected = None
    if (sweep_dir / "multirun.yaml").exists():
        expected = expand(sweep_overrides(_load_yaml(sweep_dir / "multirun.yaml")))
    jobs: dict[int, tuple[tuple[str, ...], Path | None]] = {}
    for job_dir in _job_dirs(sweep_dir):
        h = _load_yaml(job_dir / ".hydra" / "hydra.yaml")["hydra"]
        num, task = int(h["job"]["num"]), tuple(h["overrides"]["task"])
        if expected is None or (num < len(expected) and expected[num] == task):
            jobs[num] = (task, job_dir)
    for num, task in enumerate(expected or []):
        jobs.setdefault(num, (task, None))
    rows, params = [], []
    for num in sorted(jobs):
        task, job_dir = jobs[num]
        row: dict[str, Any] = {"job": num}
        values = dict(_param_value(t) for t in task if not _is_hydra_key(t))
        params += [k for k in values if k not in params and k not in FIXED]
        row["status"] = job_status(job_dir) if job_dir else "not started"
        row.update({k: v for k, v in values.items() if k not in FIXED})
        row.update({k: values.get(k) for k in FIXED})
        if job_dir is not None:
            cfg = _load_yaml(job_dir / ".hydra" / "config.yaml")
            row.update(
                seed=cfg["seed"], replication=cfg["replication"], scenario=cfg["scenario"]["name"]
            )
        row.update(dict.fromkeys([*KPIS, *DESCRIPTIVE, "scenario_cost"], float("nan")))
        row["error"] = ""
        if row["status"] == "finished":
            summary = json.loads((job_dir / SUMMARY).read_text())
            segments = _read_table(job_dir, "segments")
            if segments is not None:
                row.update(run_kpis(summary, segments))
        elif row["status"] == "failed":
            row["error"] = json.loads((job_dir / ERROR).read_text())["error"]
        row["overrides"] = " ".join(t for t in task if not _is_hydra_key(t))
        row["job_dir"] = job_dir.relative_to(sweep_dir).as_posix() if job_dir else ""
        rows.append(row)
    columns = [
        "job",
        "status",
        *params,
        *FIXED,
        *KPIS,
        *DESCRIPTIVE,
        "scenario_cost",
        "error",
        "overrides",
        "job_dir",
    ]
    table = pd.DataFrame(rows, columns=columns)
    table.attrs[PARAMS_META] = [*params, *FIXED]
    return table


def read_daily(sweep_dir: str | Path, finished: pd.DataFrame) -> pd.DataFrame:
    """The daily series a comparison draws over time, for the finished jobs of a table."""
    parts = []
    for row in finished.itertuples():
        job_dir = Path(sweep_dir) / row.job_dir
        d = _read_table(job_dir, "daily")
        if d is None:
            continue
        cfg = json.loads((job_dir / SUMMARY).read_text())["config"]
        parts.append(
            pd.DataFrame(
                {
                    "scenario": row.scenario,
                    "seed": row.seed,
                    "replication": row.replication,
                    "day": d.day.to_numpy(),
                    "cumulative_profit": d.profit.cumsum().to_numpy()
                    - cfg["scenario"]["one_off_cost"],
                    "active": d.active.to_numpy(dtype=float),
                    "cumulative_revenue": d.revenue.cumsum().to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else None


def write_table(sweep_dir: str | Path, table: pd.DataFrame) -> Path:
    """sweep.parquet and sweep.csv in the sweep folder, written atomically."""
    sweep_dir = Path(sweep_dir)
    write_atomic(sweep_dir / f"{TABLE}.parquet", lambda tmp: table.to_parquet(tmp, index=False))
    write_atomic(sweep_dir / f"{TABLE}.csv", lambda tmp: table.to_csv(tmp, index=False))
    return sweep_dir / f"{TABLE}.parquet"


def report(table: pd.DataFrame, sweep_dir: Path, plots: Sequence[Path] = ()) -> str:
    """What a sweep did, each failed job named with its error, and how to resume."""
    counts = table.status.value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in STATUSES if counts.get(s, 0)]
    lines = [f"cxsim sweep: {len(table)} jobs in {sweep_dir}: {', '.join(parts) or 'none'}"]
    for status, why in (("failed", None), ("unfinished", "killed or interrupted")):
        bad = table[table.status == status]
        for row in bad.head(20).to_dict("records"):
            detail = row["error"] if why is None else why
            lines.append(f"  {status}: job {row['job']} ({row['overrides']}): {detail}")
        if len(bad) > 20:
            lines.append(f"  ... and {len(bad) - 20} more {status} jobs (the table's error column)")
    lines.append(f"  table: {sweep_dir / TABLE}.parquet (and .csv), one row per job")
    if plots:
        lines.append(f"  plots: {Path(plots[0]).parent}")
    if (table.status != "finished").any():
        lines.append(
            f"  to finish it, run the same command again with hydra.sweep.dir={sweep_dir}: "
            "finished jobs are skipped"
        )
    return "\n".join(lines)


# --- plots ---------------------------------------------------------------------------------


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    return mean_interval(values[np.isfinite(values)])


def sweep_figures(table: pd.DataFrame) -> dict[str, "Figure"]:
    """For each swept parameter, each KPI's mean against it with a 95% interval over runs.

    Runs that differ only in replication or seed are pooled; other swept parameters give
    one line per combination (up to 6 lines; beyond that they are pooled too).
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    done = table[table.status == "finished"]
    params = [c for c in table.attrs.get(PARAMS_META, []) if c not in ("seed", "replication")]
    swept = [p for p in params if done[p].nunique() > 1] if len(done) else []
    figures = {}
    for p in swept:
        others = [q for q in swept if q != p]
        groups = list(done.groupby(others, sort=True)) if others else [((), done)]
        if len(groups) > 6:
            groups = [((), done)]
        numeric = pd.api.types.is_numeric_dtype(done[p])
        xs = sorted(done[p].unique()) if numeric else list(pd.unique(done[p]))
        rows = -(-len(KPIS) // 3)
        fig = Figure(figsize=(13, 3.5 * rows), layout="constrained")
        axes = fig.subplots(rows, 3).ravel()
        cmap = mpl.colormaps["tab10"]
        for ax, kpi in zip(axes, KPIS, strict=False):
            k = 100.0 if kpi in ("retention", "new_retention") else 1.0
            for g, (key, part) in enumerate(groups):
                stats = [_interval(part.loc[part[p] == x, kpi].to_numpy(dtype=float)) for x in xs]
                mid, low, high = (np.array(s) * k for s in zip(*stats, strict=True))
                pos = np.asarray(xs, dtype=float) if numeric else np.arange(len(xs)) + 0.08 * g
                key = key if isinstance(key, tuple) else (key,)
                label = (
                    ", ".join(f"{q}={v}" for q, v in zip(others, key, strict=False)) or "all runs"
                )
                colour = cmap(g % 10)
                if numeric:
                    ax.plot(pos, mid, "o-", color=colour, label=label)
                    ax.fill_between(pos, low, high, color=colour, alpha=0.2, lw=0)
                else:
                    err = np.nan_to_num(np.vstack([mid - low, high - mid]))
                    ax.errorbar(pos, mid, yerr=err, fmt="o", color=colour, capsize=4, label=label)
            if not numeric:
                ax.set_xticks(np.arange(len(xs)), [str(x) for x in xs], rotation=20)
            ax.set_xlabel(p)
            ax.set_title(f"{kpi}{' (%)' if kpi in ('retention', 'new_retention') else ''}")
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        for ax in axes[len(KPIS):]:
            ax.set_axis_off()
        n = int(done.groupby(swept).size().min()) if swept else len(done)
        fig.suptitle(f"KPIs against {p}: mean and 95% interval ({n}+ runs per point)")
        figures[p.replace("/", "_")] = fig
    return figures


def write_figures(figures: Mapping[str, "Figure"], folder: Path) -> list[Path]:
    return [save_figure(fig, folder / "plots" / f"{name}.png") for name, fig in figures.items()]


# --- the callback ---------------------------------------------------------------------------


def _counts(sweep_dir: Path) -> dict[str, int]:
    counts = dict.fromkeys(("finished", "failed", "unfinished"), 0)
    for job_dir in _job_dirs(sweep_dir):
        counts[job_status(job_dir)] += 1
    return counts


class _Progress:
    """A progress bar of the sweep's jobs (done, running, failed), from their folders.

    It reads the files the jobs write, so it works with any launcher that shares the
    sweep folder (local workers, Ray, Slurm), and counts resumed jobs as done at once.
    """

    def __init__(self, sweep_dir: Path, total: int | None, show: bool | None) -> None:
        from tqdm import tqdm

        self.sweep_dir = sweep_dir
        disable = None if show is None else not show  # None: only on a terminal
        self.bar = tqdm(total=total, unit="job", desc="cxsim sweep", disable=disable)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        if not self.bar.disable:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.refresh()

    def refresh(self) -> None:
        c = _counts(self.sweep_dir)
        self.bar.n = c["finished"] + c["failed"]
        self.bar.set_postfix({"running": c["unfinished"], "failed": c["failed"]}, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if not self.bar.disable:
            self.refresh()
        self.bar.close()


_ACTIVE: "SweepTable | None" = None  # the sweep of this process that has started and not ended


class SweepTable(Callback):
    """Hydra callback: progress while a sweep runs, then its table, plots and report.

    progress: "auto" (on a terminal), true or false; plots: write plots/ in the sweep folder.
    """

    def __init__(self, progress: str | bool = "auto", plots: bool = True) -> None:
        if progress not in ("auto", True, False):
            raise ConfigError(
                "hydra.callbacks.sweep_table.progress must be one of auto, true, false; "
                f"got {progress!r}"
            )
        self.progress = None if progress == "auto" else progress
        self.plots = plots
        self.sweep_dir: Path | None = None
        self._bar: _Progress | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Launchers send the callbacks to their workers; the progress bar stays here."""
        return {**self.__dict__, "_bar": None}

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        global _ACTIVE
        from omegaconf import OmegaConf

        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        if self.sweep_dir.is_dir():
            remove_stale_tmp(self.sweep_dir)  # a killed sweep's half-written table
        plain = OmegaConf.to_container(config.hydra, resolve=False)
        jobs = expand(sweep_overrides({"hydra": plain}))
        self._bar = _Progress(self.sweep_dir, len(jobs) if jobs else None, self.progress)
        _ACTIVE = self

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        self.finish()

    def finish(self) -> pd.DataFrame | None:
        """Write the table, plots and report of whatever the jobs have written so far."""
        global _ACTIVE
        _ACTIVE = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.sweep_dir is None:
            return None
        table = gather(self.sweep_dir)
        if (table.status == "not started").all():
            return None  # stopped before any job (Hydra reports why)
        write_table(self.sweep_dir, table)
        plots = write_figures(sweep_figures(table), self.sweep_dir) if self.plots else []
        # the sweep's end-of-run report on stdout: this callback runs under `cxsim --multirun`
        print(report(table, self.sweep_dir, plots), flush=True)
        return table


def finish_interrupted() -> Path | None:
    """Gather the table of a sweep that stopped early (a failed job, Ctrl-C): nothing is lost.

    Returns the folder of the sweep that was stopped, or None if none was running.
    """
    if _ACTIVE is None:
        return None
    sweep_dir = _ACTIVE.sweep_dir
    _ACTIVE.finish()
    return sweep_dir
