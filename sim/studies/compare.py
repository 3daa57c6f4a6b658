"""What-if comparisons: a baseline and scenarios, paired by common random numbers.

Every scenario runs the same R replications as the baseline: replication r of a scenario
has the same root seed and replication number as replication r of the baseline, so it
draws the same random numbers (sim/rng.py: a draw is a pure function of seed,
replication, stream, day and person). The difference between the two runs of a pair is
then the scenario's effect and little else, and the 95% interval of the mean difference
(Student's t over the R paired differences) is much narrower than with independent
seeds (Welch's interval, `paired=False`), for the same number of runs (Law 2015, ch. 11).

    from sim.studies.compare import compare
    cmp = compare(["loyalty_programme", "fix_journey_end"], replications=20, jobs=2)
    cmp.differences          # scenario x KPI: baseline, scenario, difference, 95% interval
    print(cmp.text())        # the plain-language summary
    cmp.save("compare/x")    # tables, summary.md and plots

`cxsim-compare scenario=[loyalty_programme,fix_journey_end]` (sim/app/compare.py) does the
same from the shell; `cxsim-compare --sweep DIR` compares the jobs of a finished
`cxsim --multirun` sweep over `scenario` and `replication` (which may have run on a cluster).
"""

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.intervals import mean_interval, welch_interval
from sim.analysis.kpis import DESCRIPTIVE, KPIS, run_kpis
from sim.analysis.provenance import stamp
from sim.config import check_override_keys
from sim.errors import ConfigError
from sim.files import write_atomic
from sim.studies import uncertainty
from sim.studies.batch import get_key
from sim.studies.report import comparison_figures, report_html, summary_text
from sim.studies.scenarios import Scenario, scenario_config
from sim.studies.sweep import PARAMS_META, gather, read_daily

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.studies.uncertainty import Prior

SERIES = ("cumulative_profit", "active", "cumulative_revenue")  # daily series compared over time
RESERVED = ("scenario", "replication")  # set by the comparison itself, not by overrides
LABELS = {
    "retention": "retention",
    "revenue": "revenue",
    "profit": "profit after the scenario's costs",
    "nps": "NPS",
    "clv": "CLV per customer",
    "roi": "ROI",
}


def compare(
    scenarios: Sequence["str | Scenario"],
    replications: int = 20,
    overrides: Sequence[str] = (),
    baseline: "str | Scenario" = "baseline",
    jobs: int = 1,
    paired: bool = True,
    progress: bool | None = False,
    priors: "Mapping[str, str | Prior] | None" = None,
) -> "Comparison":
    """Run a baseline and scenarios R times each and compare them.

    scenarios: names from configs/scenario/ or Scenario objects; overrides apply to every
    run (`["days=730", "journey=subscription"]`); jobs: parallel worker processes (joblib,
    -1 for every core); paired=False gives the scenarios independent random streams
    (replications R..2R-1, ...) to show what common random numbers buy. Every config is
    composed and checked before the first run.

    priors: behavioural constants drawn once per replication and shared by the baseline
    and every scenario of it (sim/studies/uncertainty.py; `sim.studies.uncertainty.PRIORS` is the
    documented set); the comparison then also reports the probability that each scenario
    pays and the constants its verdict hinges on (`Comparison.uncertainty`).
    """
    base = Scenario.of(baseline, overrides)
    others = [Scenario.of(s, overrides) for s in scenarios]
    if not others:
        raise ConfigError("scenario: name at least one scenario to compare with the baseline")
    names = [base.name, *(s.name for s in others)]
    if len(set(names)) != len(names):
        raise ConfigError(f"scenario: each scenario may appear once; got {', '.join(names)}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise ConfigError(f"replications must be an integer >= 2; got {replications!r}")
    check_override_keys(overrides)
    for item in overrides:
        key = item.split("=", 1)[0].strip().lstrip("+~")
        if key in RESERVED:
            raise ConfigError(
                f"{key} is set by the comparison; pass scenarios as scenario=[a,b] and the "
                f"number of runs as replications (override {item!r})"
            )
    drawn = None
    if priors is not None:
        if not paired:
            raise ConfigError("priors need paired replications (drop --independent)")
        drawn = uncertainty.parse_priors(priors)
    configs = {s.name: scenario_config(s, overrides) for s in [base, *others]}
    tasks = []
    for index, s in enumerate([base, *others]):
        for r in range(replications):
            cfg = copy.deepcopy(configs[s.name])
            cfg["replication"] = cfg["replication"] + (r if paired else index * replications + r)
            if drawn is not None:
                values = uncertainty.draw(drawn, cfg["seed"], cfg["replication"])
                uncertainty.apply(cfg, configs[base.name], values)
            tasks.append((s.name, cfg))
    runs, daily = _run_all(tasks, jobs, progress, list(drawn or ()))
    about = {s.name: _describe(s, configs[s.name]) for s in [base, *others]}
    result = Comparison.from_runs(runs, daily, baseline=base.name, paired=paired, about=about)
    first = configs[base.name]
    result.provenance = stamp(
        overrides=list(overrides),
        scenarios={s.name: list(s.config_overrides) for s in [base, *others]},
        seed=first["seed"],
        replications=sorted({int(c["replication"]) for _, c in tasks}),
    )
    if drawn is not None:
        result.priors = drawn
        result.uncertainty = uncertainty.verdict_table(runs, base.name)
    return result


def _describe(s: Scenario, cfg: dict[str, Any]) -> dict[str, Any]:
    named = s.named_file
    return {
        "description": cfg["scenario"]["description"]
        if named or not s.overrides
        else "the baseline with " + " ".join(s.overrides),
        "cost_stated": s.cost_stated or not s.overrides,
        "cost_per_day": cfg["money"]["cx_investment_per_day"],
        "one_off_cost": cfg["scenario"]["one_off_cost"],
        "days": cfg["days"],
        "customers": cfg["population"]["customers"],
        "journey": cfg["journey"]["name"],
        "service_level_seconds": cfg["service_centre"]["service_level_seconds"],
        "currency": cfg["money"].get("currency", ""),
    }


def _run_one(
    cfg: dict[str, Any], one_thread: bool = False
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """One run: its KPIs and the daily series compared over time.

    one_thread: on a worker of a parallel comparison, numba's kernels use one thread each,
    so that the workers do not fight over the cores.
    """
    from sim.simulation import Simulation

    if one_thread:
        import numba

        numba.set_num_threads(1)
    result = Simulation(cfg).run()
    d = result.daily
    one_off = cfg["scenario"]["one_off_cost"]
    series = {
        "cumulative_profit": d.profit.cumsum().to_numpy() - one_off,
        "active": d.active.to_numpy(dtype=float),
        "cumulative_revenue": d.revenue.cumsum().to_numpy(),
    }
    return run_kpis(result.summary, result.segments), series


def _run_all(
    tasks: list[tuple[str, dict[str, Any]]],
    jobs: int,
    progress: bool | None,
    constants: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every task on joblib's worker processes; results in task order whatever the jobs."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    outputs = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_run_one)(cfg, jobs != 1) for _, cfg in tasks
    )
    rows, daily = [], []
    bar = tqdm(total=len(tasks), unit="run", desc="cxsim-compare", disable=_disabled(progress))
    with bar:
        for (name, cfg), (kpis, series) in zip(tasks, outputs, strict=True):
            key = {"scenario": name, "seed": cfg["seed"], "replication": cfg["replication"]}
            drawn = {f"{uncertainty.COLUMN}{k}": get_key(cfg, k) for k in constants}
            rows.append({**key, **kpis, **drawn})
            daily.append(pd.DataFrame({**key, "day": np.arange(len(series["active"])), **series}))
            bar.update(1)
    return pd.DataFrame(rows), pd.concat(daily, ignore_index=True)


def _disabled(progress: bool | None) -> bool | None:
    """tqdm's `disable`: None shows the bar only on a terminal."""
    return None if progress is None else not progress


def _pairs(runs: pd.DataFrame, baseline: str, name: str, columns: list[str]) -> pd.DataFrame:
    """Scenario runs matched with the baseline run of the same seed and replication."""
    merged = runs[runs.scenario == name].merge(
        runs[runs.scenario == baseline], on=["seed", "replication"], suffixes=("", "_base")
    )
    n = int((runs.scenario == name).sum())
    if len(merged) != n or n < 2:
        raise ConfigError(
            f"paired comparison: scenario {name} needs at least 2 runs, each with a baseline "
            f"run of the same seed and replication; {len(merged)} of {n} have one"
        )
    return merged[[*columns, *(f"{c}_base" for c in columns)]]


@dataclass
class Comparison:
    """A baseline and scenarios compared: every run, the differences and their intervals."""

    runs: pd.DataFrame  # one row per run: scenario, seed, replication, KPIs, scenario_cost
    differences: pd.DataFrame  # scenario x KPI (and roi): means, difference, 95% interval
    over_time: pd.DataFrame  # scenario x series x day: mean difference and 95% interval
    baseline: str
    paired: bool
    about: dict[str, dict[str, Any]] = field(default_factory=dict)  # description and costs
    uncertainty: pd.DataFrame | None = None  # with priors: sim.studies.uncertainty.verdict_table
    priors: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)  # version, code, seeds, overrides

    @classmethod
    def from_runs(
        cls,
        runs: pd.DataFrame,
        daily: pd.DataFrame | None = None,
        baseline: str = "baseline",
        paired: bool = True,
        about: dict[str, dict[str, Any]] | None = None,
    ) -> "Comparison":
        """Differences from a table of runs (one row per run, the columns of `runs`)."""
        names = [s for s in pd.unique(runs.scenario) if s != baseline]
        if baseline not in set(runs.scenario):
            found = ", ".join(map(str, pd.unique(runs.scenario)))
            raise ConfigError(f"no runs of the baseline {baseline!r}; scenarios found: {found}")
        rows = []
        kpis = list(KPIS)
        for name in names:
            if paired:
                pairs = _pairs(runs, baseline, name, [*kpis, "scenario_cost"])
                scen = {k: pairs[k].to_numpy() for k in [*kpis, "scenario_cost"]}
                base = {k: pairs[f"{k}_base"].to_numpy() for k in [*kpis, "scenario_cost"]}
            else:
                scen = {k: runs.loc[runs.scenario == name, k].to_numpy() for k in runs.columns}
                base = {k: runs.loc[runs.scenario == baseline, k].to_numpy() for k in runs.columns}
            n = len(scen["profit"])
            for k in kpis:
                diff, low, high = (
                    mean_interval(scen[k] - base[k]) if paired else welch_interval(scen[k], base[k])
                )
                rows.append(
                    {
                        "scenario": name,
                        "kpi": k,
                        "baseline_mean": float(np.mean(base[k])),
                        "scenario_mean": float(np.mean(scen[k])),
                        "difference": diff,
                        "ci_low": low,
                        "ci_high": high,
                        "runs": n,
                    }
                )
            extra_cost = float(np.mean(scen["scenario_cost"]) - np.mean(base["scenario_cost"]))
            profit = rows[-len(kpis) + kpis.index("profit")]
            # ROI = (benefit - cost) / cost, and profit is already net of the cost: the
            # extra cost is fixed by the config, so ROI's interval is profit's, scaled.
            scale = 1.0 / extra_cost if extra_cost > 0 else float("nan")
            rows.append(
                {
                    "scenario": name,
                    "kpi": "roi",
                    "baseline_mean": float("nan"),
                    "scenario_mean": float("nan"),
                    "difference": profit["difference"] * scale,
                    "ci_low": profit["ci_low"] * scale,
                    "ci_high": profit["ci_high"] * scale,
                    "runs": n,
                }
            )
        differences = pd.DataFrame(rows)
        over_time = (
            _over_time(daily, baseline, names, paired) if daily is not None else pd.DataFrame()
        )
        about = dict(about or {})
        for name in [baseline, *names]:
            cost = float(runs.loc[runs.scenario == name, "scenario_cost"].mean())
            about.setdefault(name, {"description": name, "total_cost": cost})
            about[name].setdefault("total_cost", cost)
        return cls(runs, differences, over_time, baseline, paired, about)

    @property
    def scenarios(self) -> list[str]:
        return list(pd.unique(self.differences.scenario))

    def difference(self, scenario: str, kpi: str) -> tuple[float, float, float]:
        """(difference, ci_low, ci_high) of one KPI of one scenario."""
        row = self.differences[
            (self.differences.scenario == scenario) & (self.differences.kpi == kpi)
        ]
        if row.empty:
            raise KeyError(f"no difference for scenario {scenario!r} and KPI {kpi!r}")
        r = row.iloc[0]
        return float(r.difference), float(r.ci_low), float(r.ci_high)

    def service_lines(self, scenario: str) -> list[str]:
        """The service centre under the scenario and the baseline: service level (with the
        difference's 95% interval) and agent occupancy; nothing without a service centre."""
        cols = ["service_level", "service_occupancy"]
        if not set(cols) <= set(self.runs.columns):
            return []
        if self.paired:
            pairs = _pairs(self.runs, self.baseline, scenario, cols)
            scen, base = pairs[cols], pairs[[f"{c}_base" for c in cols]].set_axis(cols, axis=1)
            diff, low, high = mean_interval((scen - base).service_level.to_numpy())
        else:
            scen = self.runs.loc[self.runs.scenario == scenario, cols]
            base = self.runs.loc[self.runs.scenario == self.baseline, cols]
            diff, low, high = welch_interval(scen.service_level.to_numpy(),
                                             base.service_level.to_numpy())
        if scen.isna().any().any() or base.isna().any().any():
            return []
        seconds = self.about.get(self.baseline, {}).get("service_level_seconds", 20)

        def points(x: float) -> str:
            return f"{100 * x:+.1f}".replace("-", "\u2212")

        return [
            f"- service centre: {scen.service_level.mean():.0%} of calls answered within "
            f"{seconds:g} s (baseline {base.service_level.mean():.0%}; "
            f"{points(diff)} points, {points(low)} to {points(high)}); agents busy "
            f"{scen.service_occupancy.mean():.0%} of their hours (baseline "
            f"{base.service_occupancy.mean():.0%})"
        ]

    def text(self) -> str:
        """The plain-language summary, in Markdown, to paste into a slide or a memo."""
        text = summary_text(self)
        if self.uncertainty is not None:
            text += uncertainty.verdict_text(self.uncertainty, self.priors or {})
        return text

    def plot(self, folder: str | Path | None = None) -> dict[str, "Figure"]:
        """The comparison figures; written as PNGs into folder/plots when a folder is given."""
        return comparison_figures(self, folder)

    def save(self, folder: str | Path, plots: bool = True) -> Path:
        """Every table (parquet and csv), summary.md and, on request, the plots."""
        folder = Path(folder)
        names = ("runs", "differences", "over_time")
        for name in (*names, "uncertainty") if self.uncertainty is not None else names:
            table: pd.DataFrame = getattr(self, name)
            write_atomic(folder / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp))
            write_atomic(folder / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
        text = self.text()
        write_atomic(folder / "summary.md", lambda tmp: tmp.write_text(text))
        html = report_html(self)
        write_atomic(folder / "report.html", lambda tmp: tmp.write_text(html))
        if plots:
            self.plot(folder)
        return folder


def _over_time(daily: pd.DataFrame, baseline: str, names: list[str], paired: bool) -> pd.DataFrame:
    """Mean difference from the baseline of each daily series, with its 95% interval by day."""
    out = []

    def matrix(name: str, series: str) -> pd.DataFrame:
        part = daily[daily.scenario == name]
        return part.pivot_table(index=["seed", "replication"], columns="day", values=series)

    for name in names:
        for series in SERIES:
            scen, base = matrix(name, series), matrix(baseline, series)
            if paired:
                scen, base = scen.align(base, join="inner", axis=0)
                d = scen.to_numpy() - base.to_numpy()
                mean = d.mean(axis=0)
                half = (
                    stats.t.ppf(0.975, len(d) - 1) * d.std(axis=0, ddof=1) / np.sqrt(len(d))
                    if len(d) > 1
                    else np.full(d.shape[1], np.nan)
                )
            else:
                a, b = scen.to_numpy(), base.to_numpy()
                mean = a.mean(axis=0) - b.mean(axis=0)
                va, vb = a.var(axis=0, ddof=1) / len(a), b.var(axis=0, ddof=1) / len(b)
                se = np.sqrt(va + vb)
                with np.errstate(invalid="ignore", divide="ignore"):
                    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
                half = np.where(se > 0, stats.t.ppf(0.975, np.nan_to_num(df, nan=1.0)) * se, 0.0)
            out.append(
                pd.DataFrame(
                    {
                        "scenario": name,
                        "series": series,
                        "day": scen.columns.to_numpy(),
                        "difference": mean,
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                    }
                )
            )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def compare_sweep(sweep_dir: str | Path, baseline: str = "baseline") -> Comparison:
    """Compare the scenarios of a finished `cxsim --multirun scenario=... replication=...` sweep.

    Runs are paired by seed and replication; every other parameter must be the same in
    all jobs (filter the table and use Comparison.from_runs to compare within groups).
    """
    from omegaconf import OmegaConf


    sweep_dir = Path(sweep_dir)
    table = gather(sweep_dir)
    finished = table[table.status == "finished"]
    if finished.empty:
        raise ConfigError(f"no finished jobs in the sweep {sweep_dir}")
    params = [
        c for c in table.attrs.get(PARAMS_META, []) if c not in ("scenario", *RESERVED, "seed")
    ]
    varying = [c for c in params if finished[c].nunique(dropna=False) > 1]
    if varying:
        raise ConfigError(
            f"the sweep varies {', '.join(varying)} besides scenario, seed and replication; "
            "compare a sweep over scenario and replication only, or filter its table "
            "(sim.studies.sweep.gather) and use Comparison.from_runs"
        )
    columns = ["scenario", "seed", "replication", *KPIS, *DESCRIPTIVE, "scenario_cost"]
    runs = finished[columns].reset_index(drop=True)
    daily = read_daily(sweep_dir, finished)
    about = {}
    for name, part in finished.groupby("scenario", sort=False):
        cfg = OmegaConf.to_container(
            OmegaConf.load(sweep_dir / part.job_dir.iloc[0] / ".hydra" / "config.yaml")
        )
        about[name] = _describe(Scenario(name, (f"scenario={name}",)), cfg)
    cmp = Comparison.from_runs(runs, daily, baseline=baseline, paired=True, about=about)
    cmp.provenance = stamp(sweep=str(sweep_dir), seed=sorted(map(int, runs.seed.unique())),
                           replications=sorted(map(int, runs.replication.unique())))
    return cmp
