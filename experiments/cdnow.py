"""CDNOW: calibrate the retail journey to real purchase records, predict a holdout, and compare
with a BG/NBD model fitted to the same weeks (Fader, Hardie & Lee 2005).

The data: CDNOW's master file (23,570 customers who first bought in January-March 1997,
every purchase until June 1998), read from the `lifetimes` package's wheel
(lifetimes/datasets/CDNOW_master.txt), no network. Same-day purchases are one transaction,
as in Fader, Hardie & Lee.

The model's customers all begin on day 0, so the data are aligned on each customer's own
time since their first purchase (week w = days 7w-6..7w after it); every customer is
observed for the first H weeks (H = 65: the last cohort joined at the end of March 1997).
Both models see weeks 1-39 and predict weeks 40-H:

- cxsim: the retail journey with the cohort as its day-0 customers (no prospects, no
  win-back, tenure 0), its episode interval and churn constants calibrated (sim.calibrate,
  Optuna TPE) to the cumulative repeat transactions per customer by week;
- BG/NBD (lifetimes.BetaGeoFitter) on each customer's weeks 1-39 (frequency, recency, T=39).

    .venv/bin/python experiments/cdnow.py              # ~3 minutes on 2 cores
    .venv/bin/python experiments/cdnow.py --quick      # a smoke run (tests)

Writes OUT/cdnow.csv (week, data, BG/NBD, cxsim), OUT/errors.csv and OUT/cdnow.png, and
prints the holdout errors.
"""

import argparse
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

CALIBRATION_WEEKS = 39


def load_cdnow() -> pd.DataFrame:
    """CDNOW's transactions (customer_id, date, cds, dollars), same-day purchases merged."""
    path = files("lifetimes") / "datasets" / "CDNOW_master.txt"
    raw = pd.read_csv(str(path), sep=r"\s+", header=0,
                      names=["customer_id", "date", "cds", "dollars"], dtype={"date": str})
    raw["date"] = pd.to_datetime(raw.date, format="%Y%m%d")
    return raw.groupby(["customer_id", "date"], as_index=False)[["cds", "dollars"]].sum()


def aligned(transactions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Days since each customer's first purchase, and the weeks every customer is observed."""
    first = transactions.groupby("customer_id").date.transform("min")
    t = transactions.assign(t=(transactions.date - first).dt.days)
    end = transactions.date.max()
    weeks = int((end - first.max()).days // 7)
    return t, weeks


def cumulative_repeat(t: pd.DataFrame, weeks: int) -> np.ndarray:
    """Cumulative repeat transactions per customer at the end of weeks 1..weeks."""
    n = t.customer_id.nunique()
    repeat = t.t[t.t > 0].to_numpy()
    return np.array([(repeat <= 7 * w).sum() / n for w in range(1, weeks + 1)])


def bgnbd(t: pd.DataFrame, weeks: int) -> np.ndarray:
    """BG/NBD fitted to each customer's first 39 weeks; its cumulative repeats per customer."""
    from lifetimes import BetaGeoFitter

    cal = t[t.t <= 7 * CALIBRATION_WEEKS]
    repeat = cal[cal.t > 0].groupby("customer_id").t
    summary = pd.DataFrame({"frequency": repeat.size(), "recency": repeat.max() / 7.0})
    summary = summary.reindex(t.customer_id.unique(), fill_value=0.0)
    summary["T"] = float(CALIBRATION_WEEKS)
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(summary.frequency, summary.recency, summary["T"])
    return np.array([fitter.expected_number_of_purchases_up_to_time(w)
                     for w in range(1, weeks + 1)], dtype=float)


def cxsim_fit(observed: np.ndarray, weeks: int, customers: int, trials: int, replications: int,
              jobs: int, folder: Path) -> tuple[np.ndarray, dict]:
    """The retail journey calibrated to the first 39 weeks; its cumulative repeats per customer."""
    from sim.batch import Batch
    from sim.calibrate import Observed, calibrate

    base = [f"population.customers={customers}", "population.prospects=0",
            "churn.winback_rate_per_day=0", "churn.initial_tenure_mean_days=0",
            f"days={7 * weeks}", "output.plots=false"]
    measure = "cumulative_episodes_per_customer"
    data = pd.DataFrame({"measure": measure, "day": [7 * w - 1 for w in range(1, 40)],
                         "value": observed[:CALIBRATION_WEEKS]})
    fit = calibrate(data, {"journey.episode_interval_days": (20.0, 400.0),
                           "churn.daily_hazard_at_neutral": (0.0002, 0.02),
                           "churn.attitude_sensitivity": (0.0, 3.0)},
                    base, trials=trials, replications=replications, jobs=jobs, folder=folder)
    every_week = pd.DataFrame({"measure": measure, "day": [7 * w - 1 for w in range(1, weeks + 1)],
                               "value": 0.0})
    table = Batch(base).run([fit.best], replications=replications, jobs=jobs,
                            measure=Observed(every_week))
    return table[[f"obs_{i}" for i in range(weeks)]].mean().to_numpy(), fit.best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="experiments/output/cdnow")
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("-r", "--replications", type=int, default=2)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny model, 3 trials")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.trials, args.replications = 300, 3, 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t, weeks = aligned(load_cdnow())
    n = t.customer_id.nunique()
    observed = cumulative_repeat(t, weeks)
    bg = bgnbd(t, weeks)
    model, best = cxsim_fit(observed, weeks, args.customers, args.trials, args.replications,
                            args.jobs, out / "calibration")
    week = np.arange(1, weeks + 1)
    table = pd.DataFrame({"week": week, "data": observed, "bgnbd": bg, "cxsim": model})
    table.to_csv(out / "cdnow.csv", index=False)
    rows = []
    for name in ("bgnbd", "cxsim"):
        for part, sel in (("calibration (weeks 1-39)", week <= CALIBRATION_WEEKS),
                          (f"holdout (weeks 40-{weeks})", week > CALIBRATION_WEEKS)):
            data = table.data[sel]
            err = table[name][sel] - data
            rows.append({"model": name, "period": part,
                         "mape_percent": float(100 * np.mean(np.abs(err) / data)),
                         "error_at_end_percent": float(100 * err.iloc[-1] / data.iloc[-1])})
    errors = pd.DataFrame(rows)
    errors.to_csv(out / "errors.csv", index=False)
    plot(table, weeks, out / "cdnow.png", n, best)
    print(f"CDNOW: {n:,} customers, {len(t):,} transactions, weeks since first purchase 1-{weeks}")
    print("cxsim calibrated: " + ", ".join(f"{k}={v:.4g}" for k, v in best.items()))
    print(errors.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"results: {out}")


def plot(table: pd.DataFrame, weeks: int, path: Path, n: int, best: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    weekly = table[["data", "bgnbd", "cxsim"]].diff().fillna(table[["data", "bgnbd", "cxsim"]])
    for ax, frame, title in ((axes[0], table, "cumulative repeat transactions per customer"),
                             (axes[1], weekly.assign(week=table.week),
                              "weekly repeat transactions per customer")):
        ax.plot(frame.week, frame.data, color="black", lw=2, label="CDNOW data")
        ax.plot(frame.week, frame.bgnbd, "--", color="#DD8452", label="BG/NBD")
        ax.plot(frame.week, frame.cxsim, color="#4C72B0", label="cxsim (calibrated)")
        ax.axvline(CALIBRATION_WEEKS + 0.5, color="grey", ls=":")
        ax.text(CALIBRATION_WEEKS + 1, ax.get_ylim()[1] * 0.95, "holdout", color="grey",
                va="top")
        ax.set_xlabel("weeks since first purchase")
        ax.set_title(title)
    axes[0].legend(loc="upper left")
    fig.suptitle(f"CDNOW ({n:,} customers): both models fitted to weeks 1-39, predicting "
                 f"40-{weeks}", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
