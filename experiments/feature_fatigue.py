"""Feature fatigue: which feature count maximises what a customer is worth?

Capability attracts before purchase, but in use each feature helps less than the one before
and adds complexity (Thompson, Hamilton & Rust 2005). This experiment runs the default
market at several feature counts (product.features), R paired replications each (common
random numbers), and reports new customers, CLV per customer and profit with 95% intervals,
the count that maximises CLV, and a figure.

    .venv/bin/python experiments/feature_fatigue.py                      # 4..20 features
    .venv/bin/python experiments/feature_fatigue.py --features 6,10,14 --replications 3 \
        --customers 2000 --days 180 --out /tmp/ff                        # a quick look
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.analysis.kpis import run_kpis
from sim.analysis.plots import save_figure
from sim.config import load_config
from sim.simulation import Simulation
from sim.studies.compare import mean_interval

FIGURES = {"new_customers": "new customers", "clv": "CLV per customer", "profit": "profit"}


def run(features: list[int], replications: int, overrides: list[str]) -> pd.DataFrame:
    """One row per (features, replication): the KPIs of that run."""
    rows = []
    for f in features:
        for r in range(replications):
            cfg = load_config([*overrides, f"product.features={f}", f"replication={r}",
                               "output.plots=false"])
            result = Simulation(cfg).run()
            rows.append({"features": f, "replication": r,
                         **run_kpis(result.summary, result.segments)})
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval of each figure per feature count."""
    rows = []
    for f, part in runs.groupby("features"):
        row = {"features": f}
        for k in FIGURES:
            mid, low, high = mean_interval(part[k].to_numpy())
            row.update({k: mid, f"{k}_low": low, f"{k}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    for ax, (k, label) in zip(fig.subplots(1, 3), FIGURES.items(), strict=True):
        ax.plot(table.features, table[k], "o-", color="tab:blue")
        ax.fill_between(table.features, table[f"{k}_low"], table[f"{k}_high"], alpha=0.25,
                        color="tab:blue", lw=0)
        best = table.features[table[k].idxmax()]
        ax.axvline(best, color="grey", ls="--", lw=1)
        ax.set_title(f"{label} (best: {best} features)")
        ax.set_xlabel("product features (market: 10)")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax.grid(alpha=0.3)
    fig.suptitle("Feature fatigue: capability attracts, complexity costs in use (mean, 95% band)")
    return fig


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", default="4,6,8,10,12,14,16,20",
                    help="comma-separated feature counts (default: %(default)s)")
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--customers", type=int, default=10000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--out", default="experiments/out/feature_fatigue")
    args = ap.parse_args(argv)
    features = [int(x) for x in args.features.split(",")]
    prospects = round(0.7 * args.customers)
    overrides = [f"population.customers={args.customers}",
                 f"population.prospects={prospects}", f"days={args.days}"]
    table = summarise(run(features, args.replications, overrides))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "feature_fatigue.csv", index=False)
    save_figure(figure(table), out / "feature_fatigue.png")
    with pd.option_context("display.width", 120, "display.precision", 1):
        print(table[["features", *FIGURES]].to_string(index=False))
    best = {k: int(table.features[table[k].idxmax()]) for k in FIGURES}
    print(f"most new customers at {best['new_customers']} features; highest CLV at "
          f"{best['clv']}; highest profit at {best['profit']} (figure: {out}/feature_fatigue.png)")
    return table


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
