"""Calibration to observed series with Optuna: the parameters that make the model fit the data.

    from sim.studies.calibrate import calibrate
    data = pd.DataFrame({"measure": "survival", "day": [90, 180, 365],
                         "value": [0.85, 0.74, 0.60]})
    fit = calibrate(data, {"churn.daily_hazard_at_neutral": (0.0002, 0.002),
                           "churn.attitude_sensitivity": (0.5, 2.0)},
                    trials=60, replications=2, folder="calibrate/retail")
    fit.best       # the fitted parameters
    fit.fit        # measure, day, observed, simulated (mean and range over replications)

`cxsim-calibrate --data observed.csv -p churn.attitude_sensitivity=0.5:2 ...`
(sim/app/calibrate.py) does the same from the shell. The folder then holds
`calibrated.yaml`, an overlay that `cxsim` runs directly (`cxsim --config-dir FOLDER
--config-name calibrated`), the trial table, the fit table and plots/fit.png, and
`study.db`: Optuna's sqlite storage, so that running the same command again continues the
study (up to `trials` finished trials).

The data: one row per observation, columns `measure`, `day`, `value` and optionally
`weight`. Measures (MEASURES) are read off each run at the observation's day:
`survival` (share of the day-0 customers still customers), any column of the daily table
(`nps`, `csat`, `active`, ...), `cumulative_<column>` (its running total) and either with
`_per_customer` (divided by the day-0 customers). The loss is the weighted mean squared
error, each measure's errors scaled by the mean absolute observed value of that measure,
of the mean over replications. Every trial runs the same replications (common random
numbers), so trials differ by their parameters and not by their noise.

Trials run in rounds: each round asks the sampler for `parallel_trials` trials and runs
them (x replications) as one batch, in this process on `jobs` joblib workers or, with
`launcher="joblib"` / `"ray"` / `"submitit_slurm"` (sim.studies.launchers.LAUNCHERS) and
launcher_overrides (`hydra.launcher.partition=NAME`), as one Hydra multirun whose chunks
are kept in FOLDER/batch. A round that was stopped (Ctrl-C, a failed chunk, a killed
driver) has its trials marked failed and their parameters queued again, so the same
command resumes it with the same points, and on a launcher only the chunks not yet done
run again.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.config import GROUPS, load_config
from sim.config.schema import Num
from sim.errors import ConfigError
from sim.files import write_atomic, write_json
from sim.studies.batch import Batch, declared_rule
from sim.studies.launchers import check_launcher
from sim.studies.sensitivity import check_range, parse_parameter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SAMPLERS = ("tpe", "cmaes")
STUDY = "cxsim-calibrate"
SUFFIX = "_per_customer"
MEASURES = "survival | a daily column | cumulative_<daily column>, each optionally + _per_customer"


def measure_series(result: Any, measure: str, custom: Mapping[str, Any] | None = None
                   ) -> np.ndarray:
    """One measure of a run by day (index = day of the run, or the custom measure's own)."""
    if custom and measure in custom:
        return np.asarray(custom[measure](result), dtype=float)
    name = measure.removesuffix(SUFFIX)
    daily = result.daily
    if name == "survival":
        base = result.cohorts[result.cohorts.cohort == 0].sort_values("age_days")
        series = base.retention.to_numpy(dtype=float)
    elif name in daily.columns:
        series = daily[name].to_numpy(dtype=float)
    elif name.startswith("cumulative_") and name.removeprefix("cumulative_") in daily.columns:
        series = np.cumsum(daily[name.removeprefix("cumulative_")].to_numpy(dtype=float))
    else:
        raise ConfigError(f"unknown measure {measure!r}; measures: {MEASURES}")
    if measure.endswith(SUFFIX):
        series = series / max(1, result.config["population"]["customers"])
    return series


def check_data(data: pd.DataFrame, days: int, custom: Sequence[str] = ()) -> pd.DataFrame:
    """The observations, checked: columns, known measures, days within the run, finite values."""
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    missing = [c for c in ("measure", "day", "value") if c not in data.columns]
    if missing:
        raise ConfigError(
            f"data: missing column {missing[0]}; the data needs columns measure, day, value "
            "(and optionally weight)"
        )
    data = data.copy()
    if "weight" not in data.columns:
        data["weight"] = 1.0
    if data.empty:
        raise ConfigError("data: no observations")
    for col in ("day", "value", "weight"):
        values = pd.to_numeric(data[col], errors="coerce")
        if not np.isfinite(values).all():
            raise ConfigError(f"data: column {col} must hold finite numbers in every row")
        data[col] = values
    bad = data[(data.day < 0) | (data.day >= days) | (data.day != data.day.round())]
    if not bad.empty:
        raise ConfigError(
            f"data: day must be a whole day in [0, {days - 1}] (the run has days={days}); "
            f"got {bad.day.iloc[0]:g}"
        )
    data["day"] = data.day.astype(int)
    for m in data.measure.unique():
        name = str(m).removesuffix(SUFFIX)
        stem = name.removeprefix("cumulative_")
        if name != "survival" and stem not in _DAILY_COLUMNS and m not in custom:
            raise ConfigError(f"data: unknown measure {m!r}; measures: {MEASURES}")
    return data.reset_index(drop=True)


_DAILY_COLUMNS = (
    "active", "new", "won_back", "churned", "prospects", "lapsed", "revenue", "gross_margin",
    "cost_service", "cost_acquisition", "profit", "mean_attitude", "mean_expectation",
    "promoters", "passives", "detractors", "nps", "visits", "episodes", "episodes_delighted",
    "episodes_pained", "csat", "survey_invited", "survey_responses", "survey_nps_30d",
    "survey_csat_30d", "wom_positive", "wom_negative", "referrals", "reviews",
    "review_average", "service_calls", "purchases", "buyers_13w",
)


class Observed:
    """The simulated value of each observation in a run (a picklable batch measure)."""

    def __init__(self, data: pd.DataFrame, custom: Mapping[str, Any] | None = None):
        self.rows = list(zip(data.measure, data.day, strict=True))
        self.custom = dict(custom or {})

    def __call__(self, result: Any) -> dict[str, float]:
        cache: dict[str, np.ndarray] = {}
        out = {}
        for i, (m, day) in enumerate(self.rows):
            if m not in cache:
                cache[m] = measure_series(result, m, self.custom)
            out[f"obs_{i}"] = float(cache[m][day])
        return out


def loss(data: pd.DataFrame, simulated: np.ndarray) -> float:
    """Weighted mean squared error, each measure scaled by its mean absolute observed value."""
    scale = data.groupby("measure").value.transform(lambda v: max(float(np.abs(v).mean()), 1e-9))
    err = (simulated - data.value.to_numpy()) / scale.to_numpy()
    w = data.weight.to_numpy()
    return float(np.sum(w * err**2) / np.sum(w))


@dataclass
class Calibration:
    """A finished calibration: best parameters, every trial, and the fit to the data."""

    best: dict[str, float]
    loss: float
    trials: pd.DataFrame
    fit: pd.DataFrame  # measure, day, observed, simulated, sim_low, sim_high
    overlay: str  # the calibrated.yaml text
    folder: Path | None = None

    def plot(self, folder: str | Path | None = None) -> "Figure":
        """The data and the calibrated model's series, one panel per measure."""
        import matplotlib.pyplot as plt

        measures = list(pd.unique(self.fit.measure))
        fig, axes = plt.subplots(1, len(measures), figsize=(5.2 * len(measures), 4),
                                 layout="constrained", squeeze=False)
        for ax, m in zip(axes[0], measures, strict=True):
            part = self.fit[self.fit.measure == m].sort_values("day")
            ax.fill_between(part.day, part.sim_low, part.sim_high, alpha=0.25, color="#4C72B0",
                            label="model: range over replications")
            ax.plot(part.day, part.simulated, color="#4C72B0", label="model (calibrated)")
            ax.plot(part.day, part.observed, "o", color="black", ms=4, label="data")
            ax.set_title(m)
            ax.set_xlabel("day")
        axes[0][0].legend(loc="best")
        fig.suptitle(f"Calibrated fit (loss {self.loss:.4g}): "
                     + ", ".join(f"{k}={v:.4g}" for k, v in self.best.items()), fontsize=9)
        if folder is not None:
            path = Path(folder) / "plots" / "fit.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=120)
        return fig


def overlay_text(overrides: Sequence[str], best: Mapping[str, float], base: Mapping) -> str:
    """A primary config for `cxsim --config-dir DIR --config-name calibrated`: the defaults,
    the base's overrides and the fitted values."""
    groups = [o for o in overrides if o.split("=", 1)[0] in GROUPS]
    default = load_config([o for o in overrides if o.split("=", 1)[0] in GROUPS])
    values: dict[str, Any] = {}
    changed = {**_diff(default, base), **dict(best)}
    for key, value in changed.items():
        node = values
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    import yaml

    lines = [
        "# Calibrated by cxsim-calibrate. Run it with:",
        "#   cxsim --config-dir THIS_FOLDER --config-name calibrated [more overrides]",
        "defaults:",
        "  - config",
        *(f"  - override /{g.split('=', 1)[0]}: {g.split('=', 1)[1]}" for g in groups),
        "  - _self_",
        "",
    ]
    return "\n".join(lines) + yaml.safe_dump(values, sort_keys=False)


def _diff(a: Mapping, b: Mapping, prefix: str = "") -> dict[str, Any]:
    """Dotted keys whose values differ from a to b (sections of the journey excluded)."""
    out = {}
    for k, v in b.items():
        key = f"{prefix}{k}"
        if key in GROUPS:
            continue
        if isinstance(v, Mapping) and isinstance(a.get(k), Mapping):
            out.update(_diff(a[k], v, key + "."))
        elif a.get(k) != v:
            out[key] = v
    return out


def calibrate(
    data: pd.DataFrame | str | Path,
    parameters: Mapping[str, tuple[float, float] | None] | Sequence[str],
    overrides: Sequence[str] = (),
    trials: int = 40,
    replications: int = 2,
    sampler: str = "tpe",
    seed: int = 0,
    jobs: int = 1,
    folder: str | Path | None = None,
    progress: bool | None = False,
    parallel_trials: int = 1,
    launcher: str | None = None,
    launcher_overrides: Sequence[str] = (),
    chunk_size: int | None = None,
    measures: Mapping[str, Any] | None = None,
) -> Calibration:
    """Fit parameters (key -> (low, high), or "key=low:high" specs) to observed series.

    data: a DataFrame or CSV path (measure, day, value[, weight]). trials: finished trials
    wanted in the study (a resumed study runs only the rest). replications: runs averaged
    per trial (the same for every trial); jobs: worker processes for them. sampler: tpe or
    cmaes (Optuna's, seeded). parallel_trials: trials asked of the sampler at once and run
    as one batch (points x replications on the `jobs` workers): more use of the workers
    when trials x replications is small, at the price of the sampler learning from each
    result a little later. launcher: None (this process) or a Hydra launcher name
    (sim.studies.launchers.LAUNCHERS) that runs each round as one multirun, with
    launcher_overrides and chunk_size as in Batch.run; then parallel_trials is how many
    trials a round gives the launcher's workers. measures: more measures by name, each a
    picklable function of a sim.analysis.results.Result returning its series indexed by the
    data's day (for example a transformation of the run's own days into calendar time;
    experiments/cdnow.py).
    """
    import optuna

    if launcher is not None:
        check_launcher(launcher, launcher_overrides)

    if sampler not in SAMPLERS:
        raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    for name, v, low in (("trials", trials, 1), ("replications", replications, 1),
                         ("parallel_trials", parallel_trials, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ConfigError(f"{name} must be an integer >= {low}; got {v!r}")
    if isinstance(data, str | Path):
        if not Path(data).exists():
            raise ConfigError(f"data: no such file {data}")
        data = pd.read_csv(data)
    if not isinstance(parameters, Mapping):
        parameters = dict(parse_parameter(p) for p in parameters)
    if not parameters:
        raise ConfigError("parameters: name at least one parameter to fit (key=low:high)")
    ranges = {k: check_range(k, r) for k, r in parameters.items()}
    batch = Batch(overrides)
    data = check_data(data, batch.base["days"], tuple(measures or ()))
    batch.check([{k: r[0] for k, r in ranges.items()}, {k: r[1] for k, r in ranges.items()}])
    measure = Observed(data, measures)

    def simulate(point: Mapping[str, float]) -> pd.DataFrame:
        table = batch.run([point], replications=replications, jobs=jobs, measure=measure,
                          check=False)
        return table[[f"obs_{i}" for i in range(len(data))]]

    def suggest(trial: "optuna.Trial") -> dict[str, float]:
        point = {}
        for key, (low, high) in ranges.items():
            rule = declared_rule(key)
            if isinstance(rule, Num) and rule.integer:
                point[key] = trial.suggest_int(key, round(low), round(high))
            else:
                point[key] = trial.suggest_float(key, low, high)
        return point

    columns = [f"obs_{i}" for i in range(len(data))]

    def run_trials(study: "optuna.Study", count: int) -> None:
        """Ask for up to `parallel_trials` trials at once, run them as one batch, tell."""
        from tqdm import tqdm

        disable = None if progress is None else not progress
        with tqdm(total=count, unit="trial", desc="cxsim-calibrate", disable=disable) as bar:
            while count > 0:
                asked = [study.ask() for _ in range(min(parallel_trials, count))]
                try:
                    points = [suggest(t) for t in asked]
                    table = batch.run(points, replications=replications, jobs=jobs,
                                      measure=measure, check=False, launcher=launcher,
                                      launcher_overrides=launcher_overrides,
                                      folder=None if folder is None else folder / "batch",
                                      chunk_size=chunk_size)
                except BaseException:
                    requeue(study, asked)
                    raise
                for i, t in enumerate(asked):
                    sims = table.loc[table.point == i, columns].mean().to_numpy()
                    study.tell(t, loss(data, sims))
                count -= len(asked)
                bar.update(len(asked))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = None
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        storage = f"sqlite:///{folder.resolve() / 'study.db'}"
        write_atomic(folder / "data.csv", lambda tmp: data.to_csv(tmp, index=False))
    algo = (
        optuna.samplers.TPESampler(seed=seed)
        if sampler == "tpe"
        else optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    )
    study = optuna.create_study(study_name=STUDY, storage=storage, sampler=algo,
                                direction="minimize", load_if_exists=True)
    spec = {"parameters": {k: list(r) for k, r in ranges.items()}, "overrides": list(overrides),
            "replications": replications, "sampler": sampler,
            "data": hashlib.sha1(data.to_csv(index=False).encode()).hexdigest()[:16]}
    old = study.user_attrs.get("spec")
    if old is not None and old != spec:
        changed = [k for k in spec if old.get(k) != spec[k]]
        raise ConfigError(
            f"{folder} holds a different calibration (it differs in {', '.join(changed)}); "
            "choose another folder to start a new one"
        )
    study.set_user_attr("spec", spec)
    requeue(study, [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING])
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    if trials > done:
        run_trials(study, trials - done)
    best = {k: float(v) for k, v in study.best_params.items()}
    sims = simulate(best).to_numpy()
    fit = data[["measure", "day"]].assign(
        observed=data.value, simulated=sims.mean(axis=0), sim_low=sims.min(axis=0),
        sim_high=sims.max(axis=0),
    )
    table = study.trials_dataframe(attrs=("number", "value", "params", "state", "duration"))
    table.columns = [c.removeprefix("params_") for c in table.columns]
    base = batch.config(best)
    base["replication"] = batch.base["replication"]
    result = Calibration(best, float(study.best_value), table, fit,
                         overlay_text(overrides, best, base), folder)
    if folder is not None:
        _save(result, folder)
    return result


def requeue(study: Any, trials: Sequence[Any]) -> None:
    """Trials of a stopped round (or left running by a killed driver): marked failed, and
    their parameters queued again in order, so the next round asks the same points."""
    import optuna

    for t in trials:
        if t.params:
            study.enqueue_trial(t.params)
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)


def _save(result: Calibration, folder: Path) -> None:
    import matplotlib.pyplot as plt

    for name in ("trials", "fit"):
        t: pd.DataFrame = getattr(result, name)
        write_atomic(folder / f"{name}.csv", lambda tmp, t=t: t.to_csv(tmp, index=False))
    write_atomic(folder / "calibrated.yaml", lambda tmp: tmp.write_text(result.overlay))
    write_json(folder / "best.json", {"parameters": result.best, "loss": result.loss,
                                      "trials": len(result.trials)})
    plt.close(result.plot(folder))
