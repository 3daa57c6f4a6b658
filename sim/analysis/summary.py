"""The headline figures of a run (summary.json): retention, churn, revenue, profit, NPS,
CSAT, the service centre's level and occupancy, and projected customer lifetime value.

Each figure is defined by its formula here (README, "KPIs"; docs/model.md).
"""

import numpy as np
import pandas as pd

from sim.engine.record import Daily
from sim.mechanisms.survey import nps


def projected_clv(margin_per_day, daily_churn_rate, annual_discount_rate: float):
    """Closed-form CLV for constant churn c: m (1 + r) / (r + c), r the daily discount rate.

    Convention: a customer active on day t earns the day's margin m, then may churn at
    the end of the day (tests/test_classical.py). Works on numbers and arrays. With no
    discounting and no churn (r + c = 0) the sum does not converge: the CLV is NaN there
    (null in summary.json, with the reason in `clv_notes`), never inf.
    """
    r = (1.0 + annual_discount_rate) ** (1.0 / 365.0) - 1.0
    denominator = r + np.asarray(daily_churn_rate, dtype=np.float64)
    safe = np.where(denominator > 0, denominator, 1.0)
    clv = np.where(denominator > 0, np.asarray(margin_per_day) * (1.0 + r) / safe, np.nan)
    return clv if clv.ndim else float(clv)


CLV_NOTE = (
    "not finite: no churn observed and money.annual_discount_rate is 0, so the lifetime "
    "value has no finite sum; give a discount rate above 0 or simulate longer"
)


CLV_NOTE_EMPTY = "undefined: the segment had no customers in the run"


def clv_notes(segments: pd.DataFrame) -> dict[str, str]:
    """Why a segment's projected CLV is null in summary.json (empty when all are finite)."""
    bad = ~np.isfinite(segments.projected_clv.to_numpy(dtype=float))
    empty = segments.customer_days.to_numpy() == 0
    return {
        name: CLV_NOTE_EMPTY if none else CLV_NOTE
        for name, none in zip(segments.segment[bad], empty[bad], strict=True)
    }


def customer_retention_rate(daily: pd.DataFrame, start_customers: int, days: int) -> float:
    """Customer retention rate over days [0, days): (E - N) / S, at least 0.

    S: customers at the start, E: customers at the end, N: customers gained during the
    period (new and won back). Counts every customer, whenever acquired, so a better
    experience for new customers shows here too (the day-0 base alone would hide it).
    Since E = S + N - churned, it is 1 - churned / S, which falls below 0 when more
    customers leave during the period than there were at its start (reported as 0).
    """
    if start_customers <= 0:
        return float("nan")
    period = daily.iloc[:days]
    gained = float(period.new.sum() + period.won_back.sum())
    return max(0.0, (float(period.active.iloc[-1]) - gained) / start_customers)


def new_customer_retention(cohorts: pd.DataFrame, age_days: int) -> float:
    """Share of customers acquired during the run still active `age_days` after joining,
    over every cohort whose members reached that age (NaN if none did)."""
    at_age = cohorts[(cohorts.cohort > 0) & (cohorts.age_days == age_days)]
    size = float(at_age["size"].sum())
    return float(at_age.active.sum()) / size if size > 0 else float("nan")


def monthly_churn_rate(daily: pd.DataFrame) -> float:
    """Churn over 30 days at the run's daily rate (churned per customer-day at risk)."""
    at_risk = float(daily.active.sum() + daily.churned.sum())
    if at_risk <= 0:
        return float("nan")
    return 1.0 - (1.0 - float(daily.churned.sum()) / at_risk) ** 30


def summary_figures(
    daily: pd.DataFrame, cohorts: pd.DataFrame, customers: pd.DataFrame, start_customers: int
) -> dict[str, float]:
    """Headline figures of a run, the ones a strategist reads first (README, "KPIs")."""
    last = daily.iloc[-1]
    base = cohorts[cohorts.cohort == 0]
    horizon = min(365, len(daily))
    recent = daily.iloc[-90:]
    responses = float(recent.survey_responses.sum())
    episodes = float(daily.episodes.sum())
    # everybody who was a customer during the run: those still in the market, and those
    # who left it (counted as they answered when they left)
    ever = customers[customers.cohort >= 0]
    ever_count = len(ever) + float(daily.exit_customers.sum())
    sent_negative = float(daily.wom_negative.sum())
    new_days = 180 if len(daily) >= 365 else max(1, len(daily) // 2)
    return {
        "active_customers": int(last.active),
        "retention_days": horizon,
        "retention": customer_retention_rate(daily, start_customers, horizon),
        "base_retention": float(base.retention.iloc[horizon - 1]) if len(base) else float("nan"),
        "new_retention_days": new_days,
        "new_retention": new_customer_retention(cohorts, new_days),
        "new_retention_90d": new_customer_retention(cohorts, 90),
        "new_retention_180d": new_customer_retention(cohorts, 180),
        "churn_rate_monthly": monthly_churn_rate(daily),
        "revenue": float(daily.revenue.sum()),
        "profit": float(daily.profit.sum()),
        "nps": float(last.nps),
        "nps_ever": nps(
            float((ever.nps_answer >= 9).sum() + daily.exit_promoters.sum()),
            float((ever.nps_answer <= 6).sum() + daily.exit_detractors.sum()),
            ever_count,
        ),
        "nps_survey_90d": nps(
            float(recent.survey_promoters.sum()), float(recent.survey_detractors.sum()), responses
        ),
        "csat": float((recent.csat * recent.episodes).sum() / recent.episodes.sum())
        if recent.episodes.sum()
        else float("nan"),
        "csat_survey_90d": float(recent.survey_satisfied.sum() / responses)
        if responses
        else float("nan"),
        "pained_episodes": float(daily.episodes_pained.sum()) / episodes
        if episodes
        else float("nan"),
        "mean_attitude": float(last.mean_attitude),
        "new_customers": int(daily.new.sum()),
        "won_back": int(daily.won_back.sum()),
        "churned": int(daily.churned.sum()),
        "wom_positive_to_negative": float(daily.wom_positive.sum()) / sent_negative
        if sent_negative
        else float("nan"),
        **service_figures(daily),
    }


def service_figures(daily: pd.DataFrame) -> dict[str, float]:
    """The service centre over the run: share of all calls answered within the threshold
    (each day weighted by its calls) and agent occupancy (each day weighted by its
    agent-hours, i.e. its agent cost); NaN without a service centre."""
    calls = daily.service_calls.to_numpy(dtype=float)
    hours = daily.cost_service_centre.to_numpy(dtype=float)
    level = daily.service_level.to_numpy(dtype=float)
    busy = daily.service_occupancy.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ok, staffed = ~np.isnan(level) & (calls > 0), ~np.isnan(busy) & (hours > 0)
        return {
            "service_level": float((level[ok] * calls[ok]).sum() / calls[ok].sum())
            if ok.any() else float("nan"),
            "service_occupancy": float(
                (busy[staffed] * hours[staffed]).sum() / hours[staffed].sum()
            ) if staffed.any() else float("nan"),
        }


def message_counts(d: Daily, capacity: int) -> dict[str, int]:
    """Summary entries of a run that records messages (none when it does not)."""
    if capacity == 0:
        return {}
    return {"messages_recorded": int(d.message_count[0]),
            "messages_not_recorded": int(d.message_count[1])}
