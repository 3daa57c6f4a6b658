"""CDNOW: calibrate the retail journey to real purchase records, predict a holdout, and compare
with a BG/NBD model fitted to the same weeks (Fader, Hardie & Lee 2005).

The data: CDNOW's master file (23,570 customers who first bought in January-March 1997,
every purchase until June 1998: 78 weeks), read from the `lifetimes` package's wheel
(lifetimes/datasets/CDNOW_master.txt), no network. Same-day purchases are one transaction,
as in Fader, Hardie & Lee. Time is calendar time, as in their paper: week 1 begins on
1 January 1997; weeks 1-39 are the calibration period and weeks 40-78 the holdout. Two
series are tracked week by week:

- cumulative repeat transactions per customer (every purchase after a customer's first);
- the share of customers still buying: those who bought in the 13 weeks up to the end of
  the week, from week 26 on (CDNOW's last first purchase fell in week 12, so from week 26
  every purchase in the window is a repeat purchase; before, the share counts arrivals).

Both models see weeks 1-39 only and predict weeks 40-78:

- cxsim: the retail journey with the cohort as its day-0 customers (no prospects, no
  ex-customers, no win-back, tenure 0, so day 0 is everybody's first purchase), people
  differing in how often they buy (population.episode_rate_sd) and in how likely they are
  to leave (churn.frailty_sd). A run is in each customer's own time; the calendar series
  is the sum over CDNOW's first-purchase days of the run's series shifted by that day
  (CalendarSeries), which is exact for independent customers (word of mouth between them
  is the approximation). Its episode interval, the two spreads and the neutral churn
  hazard are calibrated (sim.studies.calibrate, Optuna TPE, common random numbers) to both series
  over weeks 1-39.
- BG/NBD (lifetimes.BetaGeoFitter) on each customer's frequency, recency and age T at the
  end of week 39. Its cumulative repeats are its expected purchases; its share of buyers
  comes from simulating the fitted model (lifetimes' own generator of transactions uses
  APIs pandas 2 removed).

    .venv/bin/python experiments/cdnow.py              # ~3 minutes on 2 cores
    .venv/bin/python experiments/cdnow.py --quick      # a smoke run (tests)
    .venv/bin/python experiments/cdnow.py --homogeneous --out experiments/output/cdnow_homogeneous

Writes OUT/cdnow.csv (week, data and both models for each series), OUT/errors.csv and
OUT/cdnow.png, and prints the holdout errors.
"""

import argparse
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

CALIBRATION_WEEKS = 39
WEEKS = 78
DAYS = 7 * WEEKS  # 1997-01-01 .. 1998-06-30
WINDOW_DAYS = 91  # "still buying": a purchase in the last 13 weeks (sim's buyers_13w)
START = pd.Timestamp("1997-01-01")
SERIES = ("cumulative_repeat", "buyers_13w")
FIRST_WEEK = {"cumulative_repeat": 1, "buyers_13w": 26}  # the share counts repeat buyers from 26
LABELS = {"cumulative_repeat": "cumulative repeat transactions per customer",
          "buyers_13w": "share of customers still buying (a purchase in the last 13 weeks)"}
PARAMETERS = {
    "journey.episode_interval_days": (20.0, 600.0),
    "population.episode_rate_sd": (0.0, 2.0),
    "churn.daily_hazard_at_neutral": (0.0002, 0.02),
    "churn.frailty_sd": (0.0, 2.5),
    "churn.onboarding_extra_log_odds": (0.0, 5.0),
}
HETEROGENEITY = ("population.episode_rate_sd", "churn.frailty_sd")


def load_cdnow() -> pd.DataFrame:
    """CDNOW's transactions (customer_id, date, cds, dollars, day), same-day purchases merged;
    day: days since 1 January 1997."""
    path = files("lifetimes") / "datasets" / "CDNOW_master.txt"
    raw = pd.read_csv(str(path), sep=r"\s+", header=0,
                      names=["customer_id", "date", "cds", "dollars"], dtype={"date": str})
    raw["date"] = pd.to_datetime(raw.date, format="%Y%m%d")
    t = raw.groupby(["customer_id", "date"], as_index=False)[["cds", "dollars"]].sum()
    t["day"] = (t.date - START).dt.days
    t["first"] = t.groupby("customer_id").day.transform("min")
    return t


def week_ends() -> np.ndarray:
    """Calendar day on which each week 1..78 ends."""
    return 7 * np.arange(1, WEEKS + 1) - 1


def observed(t: pd.DataFrame) -> pd.DataFrame:
    """Both series of the data by calendar week."""
    n = t.customer_id.nunique()
    ends = week_ends()
    repeat = np.sort(t.day[t.day > t["first"]].to_numpy())
    cumulative = np.searchsorted(repeat, ends, side="right") / n
    ids = t.customer_id.astype("category").cat.codes.to_numpy()
    bought = np.zeros((n, DAYS), dtype=bool)
    bought[ids, t.day.to_numpy()] = True
    buyers = buyers_share(bought, ends)
    return pd.DataFrame({"week": np.arange(1, WEEKS + 1), "cumulative_repeat": cumulative,
                         "buyers_13w": buyers})


def buyers_share(bought: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Share of people (rows) with a purchase (True) in the WINDOW_DAYS up to each end day."""
    count = np.concatenate([np.zeros((bought.shape[0], 1), dtype=np.int16),
                            np.cumsum(bought, axis=1, dtype=np.int16)], axis=1)
    return np.array([((count[:, e + 1] - count[:, max(0, e + 1 - WINDOW_DAYS)]) > 0).mean()
                     for e in ends])


def arrivals(t: pd.DataFrame) -> np.ndarray:
    """Customers whose first purchase fell on each calendar day (index = day)."""
    first = t.groupby("customer_id")["first"].first().to_numpy()
    return np.bincount(first, minlength=DAYS)[:DAYS].astype(float)


class CalendarSeries:
    """A run of the cohort in its own time, turned into a calendar series (picklable measure).

    The run's customers all made their first purchase on day 0. A customer whose first
    purchase fell on calendar day f contributes the run's per-customer series at day D - f
    to calendar day D: the calendar series is the convolution of the arrival counts with
    the run's series, over all customers.
    """

    def __init__(self, arrivals: np.ndarray, series: str):
        self.arrivals, self.series = np.asarray(arrivals, dtype=float), series

    def __call__(self, result) -> np.ndarray:
        n = result.config["population"]["customers"]
        d = result.daily
        if self.series == "cumulative_repeat":
            own = np.cumsum(np.where(d.day > 0, d.purchases, 0)) / n  # day 0: the first purchase
        else:
            own = d.buyers_13w.to_numpy(dtype=float) / n
        return np.convolve(self.arrivals, own)[:DAYS] / self.arrivals.sum()


def bgnbd(t: pd.DataFrame, seed: int = 0, simulated: int = 50_000) -> pd.DataFrame:
    """BG/NBD fitted to calendar weeks 1-39; both series by week, and its parameters."""
    from lifetimes import BetaGeoFitter

    end = 7 * CALIBRATION_WEEKS - 1
    cal = t[t.day <= end]
    first = cal.groupby("customer_id")["first"].first()
    repeat = cal[cal.day > cal["first"]].groupby("customer_id").day
    summary = pd.DataFrame({"first": first})
    summary["frequency"] = repeat.size().reindex(first.index, fill_value=0)
    summary["recency"] = ((repeat.max() - first).reindex(first.index) / 7.0).fillna(0.0)
    summary["T"] = (end - first) / 7.0
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(summary.frequency, summary.recency, summary["T"])
    ends = week_ends()
    counts = summary.groupby("first").size()
    cumulative = np.zeros(WEEKS)
    for f, n in counts.items():
        age = np.clip((ends - f) / 7.0, 0.0, None)
        cumulative += n * np.where(ends >= f, fitter.expected_number_of_purchases_up_to_time(age),
                                   0.0)
    r, alpha, a, b = (float(fitter.params_[k]) for k in ("r", "alpha", "a", "b"))
    rng = np.random.default_rng(seed)
    starts = rng.choice(counts.index.to_numpy(), size=simulated, p=counts / counts.sum())
    buyers = buyers_share(_bgnbd_purchases(rng, starts, r, alpha, a, b), ends)
    table = pd.DataFrame({"cumulative_repeat": cumulative / len(summary), "buyers_13w": buyers})
    table.attrs["parameters"] = {"r": r, "alpha": alpha, "a": a, "b": b}
    return table


def _bgnbd_purchases(rng, starts, r, alpha, a, b) -> np.ndarray:
    """Purchase days (people x days, True: bought; the first purchase included) of customers
    simulated from BG/NBD: purchase rate lambda ~ Gamma(r, 1/alpha) a week, Poisson
    purchasing while alive, death right after each repeat purchase with p ~ Beta(a, b)
    (Fader, Hardie & Lee 2005)."""
    n = starts.size
    lam = rng.gamma(r, 1.0 / alpha, size=n) / 7.0  # per day
    p = rng.beta(a, b, size=n)
    bought = np.zeros((n, DAYS), dtype=bool)
    bought[np.arange(n), starts] = True
    now = starts.astype(float)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        now = now + rng.exponential(1.0, size=n) / lam
        alive &= now < DAYS
        idx = np.flatnonzero(alive)
        bought[idx, np.floor(now[idx]).astype(int)] = True
        alive &= rng.random(n) >= p
    return bought


def cxsim_fit(data: pd.DataFrame, arrival: np.ndarray, customers: int, trials: int,
              replications: int, jobs: int, folder: Path, homogeneous: bool = False
              ) -> tuple[pd.DataFrame, dict]:
    """The retail journey calibrated to weeks 1-39 of both series; both series by week.

    homogeneous: everybody buys at one rate and has one frailty (the two spreads stay 0 and
    are not fitted): the ablation that shows what the heterogeneity is worth.
    """
    from sim.studies.batch import Batch
    from sim.studies.calibrate import Observed, calibrate

    base = [f"population.customers={customers}", "population.prospects=0",
            "population.lapsed_per_customer=0", "churn.winback_rate_per_day=0",
            "churn.initial_tenure_mean_days=0", f"days={DAYS}", "output.plots=false"]
    measures = {s: CalendarSeries(arrival, s) for s in SERIES}
    ends = week_ends()
    obs = pd.concat([
        pd.DataFrame({"measure": s, "day": ends[cal.week - 1], "value": cal[s]})
        for s in SERIES
        for cal in [data[(data.week >= FIRST_WEEK[s]) & (data.week <= CALIBRATION_WEEKS)]]
    ], ignore_index=True)
    parameters = {k: r for k, r in PARAMETERS.items()
                  if not (homogeneous and k in HETEROGENEITY)}
    fit = calibrate(obs, parameters, base, trials=trials, replications=replications, jobs=jobs,
                    folder=folder, measures=measures)
    every = pd.concat([pd.DataFrame({"measure": s, "day": ends, "value": 0.0}) for s in SERIES],
                      ignore_index=True)
    table = Batch(base).run([fit.best], replications=replications, jobs=jobs,
                            measure=Observed(every, measures))
    sims = table[[f"obs_{i}" for i in range(len(every))]].mean().to_numpy()
    return pd.DataFrame({s: sims[i * WEEKS:(i + 1) * WEEKS] for i, s in enumerate(SERIES)}), \
        fit.best


def errors(table: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute percentage error by model, series and period; error in the last week."""
    rows = []
    for series in SERIES:
        for model in ("bgnbd", "cxsim"):
            shown = table.week >= FIRST_WEEK[series]
            for part, sel in ((f"calibration (weeks {FIRST_WEEK[series]}-39)",
                               shown & (table.week <= CALIBRATION_WEEKS)),
                              ("holdout (weeks 40-78)", table.week > CALIBRATION_WEEKS)):
                data = table[f"data_{series}"][sel]
                err = table[f"{model}_{series}"][sel] - data
                rows.append({"series": series, "model": model, "period": part,
                             "mape_percent": float(100 * np.mean(np.abs(err) / data)),
                             "error_at_end_percent": float(100 * err.iloc[-1] / data.iloc[-1])})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="experiments/output/cdnow")
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("-r", "--replications", type=int, default=2)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny model, 3 trials")
    parser.add_argument("--homogeneous", action="store_true",
                        help="ablation: no spread of purchase rates or frailty")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.trials, args.replications = 300, 3, 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t = load_cdnow()
    n = t.customer_id.nunique()
    data = observed(t)
    bg = bgnbd(t)
    model, best = cxsim_fit(data, arrivals(t), args.customers, args.trials, args.replications,
                            args.jobs, out / "calibration", args.homogeneous)
    table = pd.DataFrame({"week": data.week})
    for s in SERIES:
        table[f"data_{s}"] = data[s]
        table[f"bgnbd_{s}"] = bg[s]
        table[f"cxsim_{s}"] = model[s]
    table.to_csv(out / "cdnow.csv", index=False)
    errs = errors(table)
    errs.to_csv(out / "errors.csv", index=False)
    plot(table, out / "cdnow.png", n, best)
    print(f"CDNOW: {n:,} customers, {len(t):,} transactions, calendar weeks 1-{WEEKS}")
    print("BG/NBD: " + ", ".join(f"{k}={v:.4g}" for k, v in bg.attrs["parameters"].items()))
    print("cxsim calibrated: " + ", ".join(f"{k}={v:.4g}" for k, v in best.items()))
    print(errs.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"results: {out}")


def plot(table: pd.DataFrame, path: Path, n: int, best: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for ax, s in zip(axes, SERIES, strict=True):
        part = table[table.week >= FIRST_WEEK[s]]
        ax.plot(part.week, part[f"data_{s}"], color="black", lw=2, label="CDNOW data")
        ax.plot(part.week, part[f"bgnbd_{s}"], "--", color="#DD8452", label="BG/NBD")
        ax.plot(part.week, part[f"cxsim_{s}"], color="#4C72B0", label="cxsim (calibrated)")
        ax.axvspan(CALIBRATION_WEEKS + 0.5, WEEKS + 0.5, color="grey", alpha=0.08, lw=0)
        ax.text(CALIBRATION_WEEKS + 1.5, 0.03, "holdout: predicted", color="grey",
                transform=ax.get_xaxis_transform())
        ax.set_xlim(0, WEEKS + 1)
        ax.set_ylim(0, None)
        ax.set_xlabel("week (week 1 begins 1 January 1997)")
        ax.set_title(LABELS[s], fontsize=10)
    axes[1].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[0].legend(loc="upper left")
    fig.suptitle(f"CDNOW ({n:,} customers): both models fitted to weeks 1-39, predicting "
                 f"40-{WEEKS}", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
