"""Global sensitivity analysis: Morris screening and Sobol indices (SALib) for any KPI.

    from sim.studies.sensitivity import sensitivity
    s = sensitivity(method="morris", kpi="retention", n=20, jobs=2, folder="sens/morris")
    s.indices     # tidy: parameter, index (S1, ST | mu_star, sigma), value, ci_low, ci_high
    s.plot()      # bars of the indices with their 95% intervals

`cxsim-sensitivity --method sobol --kpi profit -n 64 -j 2` (sim/app/sensitivity.py) does the
same from the shell.

Parameters are dotted config keys (any number declared in sim/config/schema.py) with ranges;
DEFAULT_RANGES is the set analysed when none is named. The sample is drawn once (SALib,
seeded) and written to the folder with the problem; the model runs it through the batch
API (sim/studies/batch.py) in chunks, each saved when done, so an interrupted analysis resumes
where it stopped. Every point runs the same replications (common random numbers), so the
indices measure the parameters and not the noise between runs.

With a Hydra launcher (`launcher="joblib"`, `"ray"`, `"submitit_slurm"`, ... and
launcher_overrides such as `["hydra.launcher.partition=NAME"]`; on the shell
`--launcher NAME hydra.launcher.KEY=VALUE`), the whole sample runs as one multirun of
chunks (Batch.run's launcher path): each chunk's result is saved in FOLDER/batch/done as
it finishes, so a rerun of the same command runs only the chunks not yet done. The
indices are the same as in-process, to the bit.

`analyse` is the pipeline with any function of the sample, which is how the Ishigami test
function (known indices) checks it (tests/test_sensitivity.py).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import DESCRIPTIVE, KPIS
from sim.errors import ConfigError
from sim.files import write_atomic, write_json
from sim.studies.batch import Batch, declared_bounds, get_key
from sim.studies.launchers import check_launcher

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("morris", "sobol")

# The behavioural and market constants a researcher asks about first, with plausible
# ranges around the defaults (each within what sim/config/schema.py allows):
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "experience.alpha": (0.6, 1.0),  # curvature 0.88 (Tversky & Kahneman 1992); 0.5-1 later
    "experience.loss_aversion": (1.0, 3.0),  # 2.25 (T&K 1992); meta-analyses ~1.3-2.5
    "experience.expectation_adaptation": (0.02, 0.2),  # per visit (default 0.1)
    "experience.performance_weight": (0.1, 0.4),  # direct effect of quality (default 0.25)
    "experience.tolerance_zone": (0.5, 1.3),  # zone of tolerance, quality points (0.9)
    "memory.episode_weight": (0.1, 0.5),  # share of attitude replaced by an episode
    "memory.half_life_days": (60.0, 365.0),  # fading of attitude
    "churn.daily_hazard_at_neutral": (0.0002, 0.001),  # ~7% to ~31% a year
    "churn.attitude_sensitivity": (0.5, 2.0),  # log-odds per unit of attitude
    "acquisition.ad_rate_per_day": (0.0005, 0.002),  # Bass p per day
    "acquisition.referral_rate": (0.0, 0.1),  # Bass q per positive message
    "word_of_mouth.attitude_per_message": (0.0, 0.1),  # hearer's attitude shift
}
CHUNK = 40  # runs between saves of the results


@dataclass(frozen=True)
class Problem:
    """The parameters analysed and their ranges (SALib's `problem`)."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]

    def salib(self) -> dict[str, Any]:
        return {"num_vars": len(self.names), "names": list(self.names),
                "bounds": [list(b) for b in self.bounds]}

    @classmethod
    def of(cls, parameters: Mapping[str, tuple[float, float] | None] | Sequence[str] | None):
        """From key -> (low, high) (None: the default range), specs "key=low:high" or "key"."""
        if parameters is None:
            parameters = dict(DEFAULT_RANGES)
        if not isinstance(parameters, Mapping):
            parameters = dict(parse_parameter(p) for p in parameters)
        if len(parameters) < 2:
            raise ConfigError("parameters: name at least 2 parameters to analyse")
        names, bounds = [], []
        for key, rng in parameters.items():
            low, high = check_range(key, rng)
            names.append(key)
            bounds.append((low, high))
        return cls(tuple(names), tuple(bounds))


def parse_parameter(spec: str) -> tuple[str, tuple[float, float] | None]:
    """ "experience.loss_aversion=1:3" -> (key, (1, 3)); a bare key -> (key, None)."""
    key, _, rng = spec.partition("=")
    key = key.strip()
    if not rng:
        return key, None
    try:
        low, high = (float(x) for x in rng.split(":"))
    except ValueError:
        raise ConfigError(
            f"parameter {spec!r}: write the range as key=low:high (e.g. "
            "experience.loss_aversion=1:3)"
        ) from None
    return key, (low, high)


def check_range(key: str, rng: tuple[float, float] | None) -> tuple[float, float]:
    """A range for key: the one given or the default, within the bounds sim/config/schema.py
    declares."""
    low_ok, high_ok = declared_bounds(key)
    if rng is None:
        if key not in DEFAULT_RANGES:
            raise ConfigError(
                f"parameter {key} has no default range; give one as {key}=low:high "
                f"(allowed: {_allowed(low_ok, high_ok)})"
            )
        rng = DEFAULT_RANGES[key]
    low, high = float(rng[0]), float(rng[1])
    if not np.isfinite([low, high]).all() or low >= high:
        raise ConfigError(f"parameter {key}: the range must be low < high; got {low:g}:{high:g}")
    if (low_ok is not None and low < low_ok) or (high_ok is not None and high > high_ok):
        raise ConfigError(
            f"parameter {key}: range {low:g}:{high:g} goes outside what the model allows "
            f"({_allowed(low_ok, high_ok)})"
        )
    return low, high


def _allowed(low: float | None, high: float | None) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"[{lo}, {hi}]"


def draw_sample(problem: Problem, method: str, n: int, seed: int) -> np.ndarray:
    """SALib's sample: n trajectories (Morris, 4 levels) or n base points (Saltelli/Sobol)."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem.salib(), n, num_levels=4, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem.salib(), n, calc_second_order=False, seed=seed)


def indices_table(problem: Problem, method: str, x: np.ndarray, y: np.ndarray, seed: int):
    """SALib's analysis as a tidy table with 95% bootstrap intervals."""
    rows = []
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem.salib(), x, y, num_levels=4, conf_level=0.95, seed=seed)
        for i, name in enumerate(problem.names):
            half = float(si["mu_star_conf"][i])
            mu_star = float(si["mu_star"][i])
            rows.append((name, "mu_star", mu_star, mu_star - half, mu_star + half))
            rows.append((name, "sigma", float(si["sigma"][i]), np.nan, np.nan))
    else:
        from SALib.analyze import sobol

        # a Generator, not the int: SALib's sobol.analyze ignores a seed of 0 (`if seed:`)
        # and then draws its bootstrap from numpy's global state, so the intervals would
        # change from one call to the next; default_rng(seed) is what it makes of any other
        si = sobol.analyze(problem.salib(), y, calc_second_order=False, conf_level=0.95,
                           seed=np.random.default_rng(seed))
        for index in ("S1", "ST"):
            for i, name in enumerate(problem.names):
                v, half = float(si[index][i]), float(si[f"{index}_conf"][i])
                rows.append((name, index, v, v - half, v + half))
    return pd.DataFrame(rows, columns=["parameter", "index", "value", "ci_low", "ci_high"])


@dataclass
class Sensitivity:
    """A finished analysis: the sample with its outputs, and the indices."""

    problem: Problem
    method: str
    kpi: str
    runs: pd.DataFrame  # one row per sample point: the parameters and the KPI
    indices: pd.DataFrame  # parameter, index, value, ci_low, ci_high

    def plot(self, folder: str | Path | None = None) -> "Figure":
        """Bars of first-order and total indices (Sobol) or mu* and sigma (Morris)."""
        import matplotlib.pyplot as plt

        kinds = ("S1", "ST") if self.method == "sobol" else ("mu_star", "sigma")
        labels = {"S1": "first order S1", "ST": "total ST", "mu_star": "mu* (mean |effect|)",
                  "sigma": "sigma (interactions, non-linearity)"}
        table = self.indices
        order = (
            table[table["index"] == kinds[1 if self.method == "sobol" else 0]]
            .sort_values("value").parameter.tolist()
        )
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.8), layout="constrained")
        y = np.arange(len(order))
        for k, kind in enumerate(kinds):
            part = table[table["index"] == kind].set_index("parameter").loc[order]
            err = np.vstack([part.value - part.ci_low, part.ci_high - part.value])
            err = np.maximum(err, 0.0) if np.isfinite(err).all() else None
            ax.barh(y + (k - 0.5) * 0.4, part.value, height=0.4, xerr=err, capsize=2,
                    label=labels[kind], color=("#4C72B0", "#DD8452")[k])
        ax.set_yticks(y, order)
        ax.axvline(0, color="black", lw=0.6)
        what = "Sobol indices" if self.method == "sobol" else "Morris screening"
        ax.set_title(f"{what} of {self.kpi} ({len(self.runs)} runs; bars: 95% intervals)")
        ax.set_xlabel("share of the KPI's variance" if self.method == "sobol"
                      else f"effect on {self.kpi} over the parameter's range")
        ax.legend(loc="lower right")
        if folder is not None:
            path = Path(folder) / "plots" / "sensitivity.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=120)
        return fig

    def save(self, folder: str | Path, plots: bool = True) -> Path:
        folder = Path(folder)
        for name in ("runs", "indices"):
            table: pd.DataFrame = getattr(self, name)
            write_atomic(folder / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp))
            write_atomic(folder / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
        if plots:
            import matplotlib.pyplot as plt

            plt.close(self.plot(folder))
        return folder


def analyse(
    problem: Problem,
    evaluate: Callable[[np.ndarray], np.ndarray],
    method: str = "sobol",
    n: int = 64,
    seed: int = 0,
    folder: str | Path | None = None,
    kpi: str = "y",
    about: Mapping[str, Any] | None = None,
    chunk: int = CHUNK,
) -> Sensitivity:
    """Sample, evaluate in chunks (saved in folder, resumed from it) and analyse.

    evaluate: rows of the sample (points x parameters) -> one output per row.
    about: what else defines the analysis (KPI, overrides, replications); a folder that
    holds a different analysis is refused rather than mixed.
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ConfigError(f"n must be an integer >= 2; got {n!r}")
    x = draw_sample(problem, method, n, seed)
    y = np.full(len(x), np.nan)
    spec = {"method": method, "n": n, "seed": seed, "kpi": kpi, **problem.salib(),
            **dict(about or {})}
    if folder is not None:
        folder = Path(folder)
        y = _resume(folder, spec, y)
    todo = np.flatnonzero(np.isnan(y))
    for start in range(0, len(todo), chunk):
        rows = todo[start : start + chunk]
        y[rows] = np.asarray(evaluate(x[rows]), dtype=float)
        if folder is not None:
            write_atomic(folder / "outputs.npy", lambda tmp: np.save(tmp.open("wb"), y))
    if not np.isfinite(y).all():
        raise ConfigError(f"{kpi} is not finite in every run; choose another KPI or ranges")
    runs = pd.DataFrame(x, columns=list(problem.names)).assign(**{kpi: y})
    return Sensitivity(problem, method, kpi, runs, indices_table(problem, method, x, y, seed))


def _resume(folder: Path, spec: dict[str, Any], y: np.ndarray) -> np.ndarray:
    spec_file = folder / "analysis.json"
    if spec_file.exists():
        old = json.loads(spec_file.read_text())
        if old != json.loads(json.dumps(spec)):
            changed = [k for k in spec if old.get(k) != json.loads(json.dumps(spec[k]))]
            raise ConfigError(
                f"{folder} holds a different analysis (it differs in {', '.join(changed)}); "
                "choose another folder to start a new one"
            )
        saved = folder / "outputs.npy"
        if saved.exists():
            done = np.load(saved)
            if done.shape == y.shape:
                return done
    write_json(spec_file, spec)
    return y


class ModelOutput:
    """The mean KPI over replications of each sample point, run as a batch (picklable).

    launcher, launcher_overrides, folder, chunk_size: Batch.run's, for a batch on a Hydra
    launcher (folder: where its chunks are kept).
    """

    def __init__(self, batch: Batch, problem: Problem, kpi: str, replications: int, jobs: int,
                 progress: bool | None = False, launcher: str | None = None,
                 launcher_overrides: Sequence[str] = (), folder: str | Path | None = None,
                 chunk_size: int | None = None):
        self.batch, self.problem, self.kpi = batch, problem, kpi
        self.replications, self.jobs, self.progress = replications, jobs, progress
        self.launcher, self.launcher_overrides = launcher, list(launcher_overrides)
        self.folder, self.chunk_size = folder, chunk_size

    def __call__(self, x: np.ndarray) -> np.ndarray:
        points = [dict(zip(self.problem.names, row, strict=True)) for row in x]
        table = self.batch.run(points, replications=self.replications, jobs=self.jobs,
                               progress=self.progress, launcher=self.launcher,
                               launcher_overrides=self.launcher_overrides, folder=self.folder,
                               chunk_size=self.chunk_size)
        return table.groupby("point")[self.kpi].mean().sort_index().to_numpy()


OUTPUTS = (*KPIS, *DESCRIPTIVE)


def sensitivity(
    parameters: Mapping[str, tuple[float, float] | None] | Sequence[str] | None = None,
    kpi: str = "retention",
    method: str = "morris",
    n: int = 20,
    replications: int = 1,
    overrides: Sequence[str] = (),
    jobs: int = 1,
    seed: int = 0,
    folder: str | Path | None = None,
    progress: bool | None = False,
    launcher: str | None = None,
    launcher_overrides: Sequence[str] = (),
    chunk_size: int | None = None,
) -> Sensitivity:
    """Morris or Sobol analysis of a KPI of the model over parameters with ranges.

    n: Morris trajectories (runs = n x (parameters + 1)) or Sobol base points (runs = n x
    (parameters + 2); a power of 2). replications: runs averaged per point, the same
    replications for every point. overrides: the base config (`["journey=subscription"]`).
    launcher: None runs the sample here on `jobs` joblib workers, in chunks of 40 runs
    saved as they finish; a Hydra launcher name (sim.studies.launchers.LAUNCHERS) runs it as one
    multirun with launcher_overrides (`hydra.launcher.n_jobs=4`), in chunks of
    chunk_size runs kept in FOLDER/batch (a temporary folder without one).
    """
    if launcher is not None:
        check_launcher(launcher, launcher_overrides)
    if kpi not in OUTPUTS:
        raise ConfigError(f"kpi must be one of {', '.join(OUTPUTS)}; got {kpi!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ConfigError(f"replications must be an integer >= 1; got {replications!r}")
    problem = Problem.of(parameters)
    batch = Batch(overrides)
    batch.check([dict(zip(problem.names, b, strict=True)) for b in zip(*problem.bounds,
                                                                           strict=True)])
    base = {k: get_key(batch.base, k) for k in problem.names}
    about = {"replications": replications, "overrides": list(overrides), "base": base}
    evaluate = ModelOutput(batch, problem, kpi, replications, jobs, progress, launcher,
                           launcher_overrides, None if folder is None else Path(folder) / "batch",
                           chunk_size)
    # on a launcher, the whole sample is one multirun (its chunks are saved as they finish)
    chunk = CHUNK if launcher is None else 2**62
    result = analyse(problem, evaluate, method, n, seed, folder, kpi, about, chunk)
    if folder is not None:
        result.save(folder)
    return result
