"""Decisions under parameter uncertainty: behavioural constants drawn from priors.

A comparison with priors (`compare(..., priors=PRIORS)`, `cxsim-compare --uncertain`) draws
each constant once per replication and gives the draw to the baseline and to every
scenario of that replication, so the pair still shares its random numbers and its
world: the paired difference is the scenario's effect in one plausible world, and the
spread of the differences over replications includes what we do not know about people,
not only simulation noise. A scenario that changes a constant itself (a loyalty programme
raising churn.switching_cost) keeps its change on top of the draw.

The summary then says which constants the verdict hinges on (Spearman's rank correlation
of the paired profit difference with each drawn constant) and the probability that the
scenario pays (the share of replications whose paired profit difference is positive).

A prior is written `kind:args`: `uniform:low:high`, `triangular:low:mode:high`,
`normal:mean:sd` (cut to what sim/config/schema.py allows) or `fixed:value` (a single value:
the comparison is then exactly the paired comparison at that value).
"""

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import ConfigError
from sim.studies.batch import declared_bounds, get_key, set_key

KINDS = {"uniform": 2, "triangular": 3, "normal": 2, "fixed": 1}
COLUMN = "prior:"  # prefix of the drawn constants' columns in a comparison's runs table

# Documented priors of the behavioural constants (what the literature leaves open):
PRIORS: dict[str, str] = {
    # Tversky & Kahneman (1992) 2.25; meta-analysis of 607 estimates (Brown, Imai, Vieider
    # & Camerer 2024) puts the mean near 2 with most estimates between 1 and 3
    "experience.loss_aversion": "triangular:1.0:2.0:3.0",
    # T&K 0.88; later fits 0.5-1 (Booij, van Praag & van de Kuilen 2010)
    "experience.alpha": "uniform:0.6:1.0",
    # how long a customer's attitude lasts: months to a year (no consensus)
    "memory.half_life_days": "uniform:90:365",
    # how much one remembered episode moves attitude
    "memory.episode_weight": "uniform:0.15:0.45",
    # word of mouth: per-message influence on attitude and referral conversion (Bass q)
    "word_of_mouth.attitude_per_message": "uniform:0.01:0.06",
    "acquisition.referral_rate": "uniform:0.02:0.08",
    # churn sensitivity to attitude (log-odds per unit)
    "churn.attitude_sensitivity": "uniform:0.8:1.6",
    # the direct effect of performance on satisfaction (default 0.25 per quality point;
    # Churchill & Surprenant 1982 found it dominant for durables, weaker for services)
    "experience.performance_weight": "uniform:0.1:0.4",
    # the zone of tolerance's half-width in quality points (default 0.9; Parasuraman,
    # Zeithaml & Berry 1994 measured zones ~0.6-1.0 wide on a 9-point scale, half each side)
    "experience.tolerance_zone": "uniform:0.5:1.3",
}


@dataclass(frozen=True)
class Prior:
    """A distribution of one constant, cut to the bounds sim/config/schema.py declares for it."""

    key: str
    kind: str
    args: tuple[float, ...]

    @classmethod
    def parse(cls, key: str, spec: "str | Prior") -> "Prior":
        if isinstance(spec, Prior):
            return spec
        kind, *rest = str(spec).split(":")
        if kind not in KINDS:
            raise ConfigError(
                f"prior of {key}: kind must be one of {', '.join(KINDS)}; got {spec!r} "
                "(e.g. uniform:1:3, triangular:1:2:3, normal:2.25:0.3, fixed:2.25)"
            )
        try:
            args = tuple(float(a) for a in rest)
        except ValueError:
            args = ()
        if len(args) != KINDS[kind] or not np.isfinite(args).all():
            raise ConfigError(f"prior of {key}: {kind} takes {KINDS[kind]} numbers; got {spec!r}")
        low, high = declared_bounds(key)
        if kind == "uniform" and args[0] >= args[1]:
            raise ConfigError(f"prior of {key}: uniform needs low < high; got {spec!r}")
        if kind == "triangular" and not (args[0] <= args[1] <= args[2] and args[0] < args[2]):
            raise ConfigError(f"prior of {key}: triangular needs low <= mode <= high, low < high;"
                              f" got {spec!r}")
        if kind == "normal" and args[1] < 0:
            raise ConfigError(f"prior of {key}: normal needs sd >= 0; got {spec!r}")
        support = (args[0], args[-1]) if kind in ("uniform", "triangular", "fixed") else ()
        for v in support:
            if (low is not None and v < low) or (high is not None and v > high):
                lo = "-inf" if low is None else f"{low:g}"
                hi = "inf" if high is None else f"{high:g}"
                raise ConfigError(f"prior of {key}: {spec!r} goes outside what the model "
                                  f"allows ([{lo}, {hi}])")
        return cls(key, kind, args)

    def draw(self, rng: np.random.Generator) -> float:
        a = self.args
        if self.kind == "fixed":
            return a[0]
        if self.kind == "uniform":
            return float(rng.uniform(a[0], a[1]))
        if self.kind == "triangular":
            return float(rng.triangular(a[0], a[1], a[2]))
        low, high = declared_bounds(self.key)
        return float(np.clip(rng.normal(a[0], a[1]), low, high))


def parse_priors(priors: Mapping[str, "str | Prior"]) -> dict[str, Prior]:
    if not priors:
        raise ConfigError("priors: name at least one constant with a prior")
    return {k: Prior.parse(k, v) for k, v in priors.items()}


def draw(priors: Mapping[str, Prior], seed: int, replication: int) -> dict[str, float]:
    """The constants of one replication: each from its own stream of (seed, replication,
    key), so adding a prior leaves the other constants' draws unchanged."""
    out = {}
    for key, prior in priors.items():
        seq = np.random.SeedSequence(
            entropy=int(seed), spawn_key=(int(replication), zlib.crc32(f"prior:{key}".encode()))
        )
        out[key] = prior.draw(np.random.default_rng(seq))
    return out


def apply(cfg: dict[str, Any], baseline: Mapping[str, Any], values: Mapping[str, float]) -> None:
    """Set the drawn constants in a run's config; a scenario's own change of a constant
    (its value minus the baseline's) is kept on top of the draw, within the declared bounds."""
    for key, value in values.items():
        shift = get_key(cfg, key) - get_key(baseline, key)
        low, high = declared_bounds(key)
        v = value + shift if shift else value
        v = min(v, high) if high is not None else v
        v = max(v, low) if low is not None else v
        set_key(cfg, key, v)


def verdict_table(runs: pd.DataFrame, baseline: str, kpi: str = "profit") -> pd.DataFrame:
    """For each scenario: probability it pays, the range of its effect over the drawn worlds,
    and the rank correlation of its paired effect with each drawn constant."""
    constants = [c for c in runs.columns if c.startswith(COLUMN)]
    base = runs[runs.scenario == baseline].set_index(["seed", "replication"])
    rows = []
    for name in [s for s in pd.unique(runs.scenario) if s != baseline]:
        scen = runs[runs.scenario == name].set_index(["seed", "replication"])
        diff = (scen[kpi] - base[kpi].reindex(scen.index)).to_numpy()
        world = scen[constants]
        row: dict[str, Any] = {
            "scenario": name,
            "kpi": kpi,
            "probability_pays": float(np.mean(diff > 0)),
            "effect_p05": float(np.percentile(diff, 5)),
            "effect_median": float(np.median(diff)),
            "effect_p95": float(np.percentile(diff, 95)),
            "runs": len(diff),
        }
        for c in constants:
            x = world[c].to_numpy()
            key = c.removeprefix(COLUMN)
            if np.ptp(x) == 0 or np.ptp(diff) == 0:
                row[f"rho:{key}"] = float("nan")
            else:
                row[f"rho:{key}"] = float(stats.spearmanr(x, diff).statistic)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_text(table: pd.DataFrame, priors: Mapping[str, Prior]) -> str:
    """Markdown lines: probability each scenario pays and the constants its verdict hinges on."""
    lines = ["", "## Under parameter uncertainty", "",
             "Constants drawn per replication (shared by baseline and scenarios): "
             + ", ".join(f"{k} ~ {p.kind}({', '.join(f'{a:g}' for a in p.args)})"
                         for k, p in priors.items()) + ".", ""]
    for r in table.to_dict("records"):
        rhos = {k: v for k, v in r.items() if k.startswith("rho:") and np.isfinite(v)}
        top = sorted(rhos.items(), key=lambda kv: -abs(kv[1]))[:3]
        hinge = ", ".join(f"{k.removeprefix('rho:')} (rho {v:+.2f})" for k, v in top) or "none"
        lines.append(
            f"- **{r['scenario']}** pays (more profit than the baseline) in "
            f"{100 * r['probability_pays']:.0f}% of {r['runs']} drawn worlds; its profit effect "
            f"ranges {r['effect_p05']:+,.0f} to {r['effect_p95']:+,.0f} (5th-95th percentile). "
            f"The verdict hinges most on: {hinge}."
        )
    return "\n".join(lines) + "\n"
