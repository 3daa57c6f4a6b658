"""The real-data experiments: CDNOW from the lifetimes wheel (no network) and Fader & Hardie's
contractual curves; their benchmarks reproduce the published figures."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments"))

import cdnow  # noqa: E402
import contractual  # noqa: E402


def test_cdnow_ships_in_the_lifetimes_wheel():
    """23,570 customers, all first buying in January-March 1997, followed for 78 weeks
    (Fader, Hardie & Lee 2005)."""
    t = cdnow.load_cdnow()
    assert t.customer_id.nunique() == 23570
    assert len(t) == 67591  # same-day purchases merged
    assert t["first"].min() == 0
    assert t["first"].max() <= 89
    assert t.day.max() == cdnow.DAYS - 1  # 30 June 1998: week 78 ends
    data = cdnow.observed(t)
    assert len(data) == 78
    assert (np.diff(data.cumulative_repeat) >= 0).all()
    # from week 26 every purchase in the 13-week window is a repeat purchase: the share of
    # buyers is below 1 and falls as customers stop buying
    late = data[data.week >= 26].buyers_13w
    assert late.max() < 0.3
    assert late.iloc[-1] < late.iloc[0]
    assert cdnow.arrivals(t).sum() == 23570


def test_bgnbd_simulation_matches_its_expected_purchases():
    """The BG/NBD simulator behind the share of buyers agrees with lifetimes' closed form:
    mean repeat purchases in 39 weeks for a given (r, alpha, a, b), within 3 standard errors."""
    from lifetimes import BetaGeoFitter

    r, alpha, a, b = 0.25, 4.8, 0.72, 2.16
    rng = np.random.default_rng(1)
    n = 40_000
    bought = cdnow._bgnbd_purchases(rng, np.zeros(n, dtype=int), r, alpha, a, b)
    repeats = bought[:, 1:273].sum(axis=1)  # days 1-272: 39 weeks after the first purchase
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    expected = float(fitter.expected_number_of_purchases_up_to_time(272 / 7))
    se = repeats.std() / np.sqrt(n)
    # same-day purchases merge into one (as in the data): a small undercount, within 2%
    assert abs(repeats.mean() - expected) < 3 * se + 0.02 * expected, (repeats.mean(), expected)


def test_calendar_series_shifts_each_cohort_by_its_first_purchase_day():
    """Calendar day D gets the own-time series at D - f from each customer who arrived on f."""

    class Run:
        def __init__(self):
            self.config = {"population": {"customers": 2}}
            self.daily = pd.DataFrame({"day": range(5), "purchases": [2, 1, 0, 1, 0],
                                       "buyers_13w": [2, 2, 1, 1, 0]})

    arrivals = np.zeros(cdnow.DAYS)
    arrivals[[0, 2]] = [3, 1]  # 3 customers on day 0, 1 on day 2
    rep = cdnow.CalendarSeries(arrivals, "cumulative_repeat")(Run())
    own = np.array([0, 0.5, 0.5, 1.0, 1.0])  # day 0's purchases are the first ones
    assert rep[:5] == pytest.approx((3 * own + np.r_[0, 0, own[:3]]) / 4)
    buy = cdnow.CalendarSeries(arrivals, "buyers_13w")(Run())
    own_b = np.array([1, 1, 0.5, 0.5, 0])
    assert buy[:5] == pytest.approx((3 * own_b + np.r_[0, 0, own_b[:3]]) / 4)


def test_sbg_reproduces_fader_and_hardies_estimates():
    """Their paper reports alpha=0.704, beta=1.182 (regular) and 0.668, 3.806 (high end)."""
    for name, (a, b) in {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}.items():
        alpha, beta, curve = contractual.sbg_fit(contractual.SURVIVORS[name])
        assert alpha == pytest.approx(a, abs=0.005)
        assert beta == pytest.approx(b, abs=0.01)
        assert curve[0] == 1.0


def test_cdnow_experiment_runs_end_to_end(tmp_path):
    """Smoke run of the whole pipeline (tiny model, 3 trials): tables and figure written."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "cdnow.py"), "--quick", "-j", "1",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "cdnow.csv")
    assert len(table) == 78
    for series in cdnow.SERIES:
        assert {f"data_{series}", f"bgnbd_{series}", f"cxsim_{series}"} <= set(table.columns)
    errors = pd.read_csv(tmp_path / "errors.csv")
    bg = errors[(errors.model == "bgnbd") & errors.period.str.startswith("holdout")
                & (errors.series == "cumulative_repeat")]
    assert bg.mape_percent.iloc[0] < 5  # BG/NBD's holdout fit on CDNOW is known to be close
    assert (tmp_path / "cdnow.png").exists()
