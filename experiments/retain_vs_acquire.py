"""Is keeping a customer cheaper than winning one? Measured from model runs, with intervals.

Two small nudges to the market, each compared with the baseline under common random
numbers (replication r of every arm draws the same random numbers):

    keep  churn.switching_cost + KEEP_STEP: every customer's daily churn log-odds fall a
          little, so some customers who would have left stay (a retention nudge)
    win   acquisition.ad_rate_per_day x (1 + WIN_STEP): a little more advertising, so some
          prospects who would not have bought do (an acquisition nudge, paying the CAC for
          each customer it wins, and the referral reward for those they bring)

Neither nudge carries a hand-set programme cost. From the paired differences over the
run (default 730 days):

    value_kept      profit per extra customer kept (fewer churn events): what keeping one
                    more customer is worth, i.e. the most a retention action may cost
    value_won       profit per extra customer won, before acquisition costs
    cost_to_win     acquisition spend per extra customer won (ads and referral rewards)
    net_value_won   value_won - cost_to_win
    cost_to_replace acquisition spend that wins back the profit of one lost customer:
                    cost_to_win x value_kept / value_won
    kept_per_won    value_kept / net_value_won: one kept customer is worth this many won

Under the defaults, customers are worth more the longer they stay (spend grows, the cost
to serve falls, early tenure is the riskiest: configs/config.yaml, Reichheld & Sasser
1990), so a kept customer is worth more than a new one *as a result of the model*.
Each figure is a ratio of mean differences; its 95% interval is a percentile bootstrap
over the replications (the replication is resampled, keeping each arm's pairing).

    .venv/bin/python experiments/retain_vs_acquire.py                    # 10 replications
    .venv/bin/python experiments/retain_vs_acquire.py -r 20 -j 2 -o retain days=1095
    .venv/bin/python experiments/retain_vs_acquire.py money.spend_growth_per_year=0

Writes retain_vs_acquire.csv and .json (the figures, intervals and settings) and
retain_vs_acquire.png into the output folder (default retain_vs_acquire/).
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.config import load_config
from sim.errors import ConfigError
from sim.studies.scenarios import check_config

KEEP_STEP = 0.1  # log-odds of daily churn removed by the retention nudge (~10% less churn)
WIN_STEP = 0.2  # relative rise in the advertising rate of the acquisition nudge
BOOTSTRAP = 4000
FIGURES = {
    "value_kept": "profit per extra customer kept",
    "value_won": "profit per extra customer won, before acquisition costs",
    "cost_to_win": "acquisition spend per extra customer won",
    "net_value_won": "profit per extra customer won, after acquisition costs",
    "cost_to_replace": "acquisition spend to replace the profit of one lost customer",
    "kept_per_won": "one kept customer is worth this many won ones (net)",
}


def _run(cfg: dict) -> dict[str, float]:
    import numba

    from sim.simulation import Simulation

    numba.set_num_threads(1)
    result = Simulation(cfg).run()
    d = result.daily
    return {
        "profit": float(d.profit.sum()),
        "churned": float(d.churned.sum()),
        "new": float(d.new.sum()),
        "cost_acquisition": float(d.cost_acquisition.sum()),
    }


def arm_configs(overrides: list[str]) -> dict[str, dict]:
    """The baseline and the two nudges, composed and checked before any run."""
    base = check_config(load_config(overrides))
    switching = base["churn"]["switching_cost"] + KEEP_STEP
    ad_rate = base["acquisition"]["ad_rate_per_day"] * (1 + WIN_STEP)
    if ad_rate > 1:
        raise ConfigError("acquisition.ad_rate_per_day is too high to raise by "
                          f"{WIN_STEP:.0%}; got {base['acquisition']['ad_rate_per_day']:g}")
    arms = {
        "baseline": base,
        "keep": load_config([*overrides, f"churn.switching_cost={switching!r}"]),
        "win": load_config([*overrides, f"acquisition.ad_rate_per_day={ad_rate!r}"]),
    }
    for cfg in arms.values():
        check_config(cfg)
    return arms


def measure(overrides: list[str], replications: int = 10, jobs: int = 1) -> pd.DataFrame:
    """One row per arm and replication: profit, churn events, new customers, acquisition spend."""
    if replications < 2:
        raise ConfigError(f"replications must be at least 2; got {replications}")
    arms = arm_configs(overrides)
    tasks = []
    for arm, cfg in arms.items():
        for r in range(replications):
            c = dict(cfg)
            c["replication"] = cfg["replication"] + r  # the same r in every arm: paired
            tasks.append((arm, r, c))
    out = Parallel(n_jobs=jobs)(delayed(_run)(c) for _, _, c in tasks)
    return pd.DataFrame([{"arm": a, "replication": r, **o} for (a, r, _), o in zip(tasks, out,
                                                                                    strict=True)])


def _figures(d: dict[str, np.ndarray]) -> dict[str, float]:
    """The figures from per-replication paired differences (arrays over replications)."""
    kept = -d["keep_churned"].mean()
    won = d["win_new"].mean()
    value_kept = d["keep_profit"].mean() / kept
    cost_to_win = d["win_cost_acquisition"].mean() / won
    net_value_won = d["win_profit"].mean() / won
    value_won = net_value_won + cost_to_win
    return {
        "value_kept": value_kept,
        "value_won": value_won,
        "cost_to_win": cost_to_win,
        "net_value_won": net_value_won,
        "cost_to_replace": cost_to_win * value_kept / value_won,
        "kept_per_won": value_kept / net_value_won,
        "extra_kept": kept,
        "extra_won": won,
    }


def summarise(runs: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Each figure with its 95% percentile-bootstrap interval over replications."""
    wide = runs.pivot(index="replication", columns="arm")
    diffs = {}
    for arm in ("keep", "win"):
        for col in ("profit", "churned", "new", "cost_acquisition"):
            diffs[f"{arm}_{col}"] = (wide[(col, arm)] - wide[(col, "baseline")]).to_numpy()
    point = _figures(diffs)
    rng = np.random.default_rng(seed)
    n = len(wide)
    draws = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(BOOTSTRAP):
            pick = rng.integers(0, n, n)
            draws.append(_figures({k: v[pick] for k, v in diffs.items()}))
    boot = pd.DataFrame(draws)
    rows = []
    for name, value in point.items():
        low, high = np.nanpercentile(boot[name], [2.5, 97.5])
        rows.append({"figure": name, "estimate": value, "ci_low": low, "ci_high": high,
                     "meaning": FIGURES.get(name, "extra customers per run" if "extra" in name
                                            else "")})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path) -> None:
    """Money per customer, kept vs won, with 95% intervals."""
    names = ["value_kept", "value_won", "cost_to_win", "net_value_won", "cost_to_replace"]
    t = table.set_index("figure").loc[names]
    fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
    y = np.arange(len(names))[::-1]
    colours = ["tab:green", "tab:blue", "tab:red", "tab:blue", "tab:red"]
    ax.barh(y, t.estimate, color=colours, alpha=0.75)
    ax.errorbar(t.estimate, y, xerr=[t.estimate - t.ci_low, t.ci_high - t.estimate],
                fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, [FIGURES[n] for n in names], fontsize=8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("currency per customer (95% interval)")
    ratio = t.loc["value_kept", "estimate"] / max(t.loc["net_value_won", "estimate"], 1e-9)
    ax.set_title(f"Keeping vs winning one more customer\na kept one is worth {ratio:.1f} won ones "
                 "(after acquisition costs)", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", help="key=value applied to every run")
    parser.add_argument("-r", "--replications", type=int, default=10)
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("-o", "--output", default="retain_vs_acquire")
    args = parser.parse_args(argv)
    overrides = list(args.overrides)
    if not any(o.startswith("days=") for o in overrides):
        overrides.insert(0, "days=730")
    try:
        runs = measure(overrides, args.replications, args.jobs)
    except ConfigError as e:
        sys.exit(f"retain_vs_acquire: error: {e}")
    table = summarise(runs)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "retain_vs_acquire.csv", index=False)
    (folder / "retain_vs_acquire.json").write_text(json.dumps(
        {"overrides": overrides, "replications": args.replications, "keep_step": KEEP_STEP,
         "win_step": WIN_STEP, "figures": table.to_dict(orient="records")}, indent=2))
    plot(table, folder / "retain_vs_acquire.png")
    days = load_config(overrides)["days"]
    print(f"retain vs acquire over {days} days, "
          f"{args.replications} paired replications (95% bootstrap intervals):")
    for row in table.itertuples():
        print(f"  {row.figure:16s} {row.estimate:12,.2f}  ({row.ci_low:,.2f} to {row.ci_high:,.2f})"
              f"  {row.meaning}")
    print(f"results: {folder}")


if __name__ == "__main__":
    main()
