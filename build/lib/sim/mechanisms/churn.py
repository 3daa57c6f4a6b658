"""Churn and loyalty: a daily hazard that rises as attitude falls.

The log-odds of leaving on a given day fall with attitude (logistic hazard), with
the switching cost (a loyalty programme, contracts) and with loyalty, which grows
with tenure for customers who are satisfied. Early tenure is the riskiest time: an
onboarding term adds log-odds that halve every `onboarding_half_life_days` of tenure
(new customers have not yet formed a habit or sunk effort into the relationship;
Reichheld & Sasser 1990). Subscription journeys apply the hazard accumulated since
the last renewal at the renewal touchpoint only.
"""

import math

import numpy as np
from numba import njit

ONBOARDING_NEGLIGIBLE = 1e-4  # log-odds below which the onboarding term is dropped


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def onboarding_log_odds(extra_log_odds: float, half_life_days: float) -> np.ndarray:
    """Extra churn log-odds by whole day of tenure (index = tenure in days).

    extra_log_odds at tenure 0, halving every half_life_days; the table ends where the
    term falls below ONBOARDING_NEGLIGIBLE (longer tenures add nothing), so the kernel
    looks it up instead of computing a power for every customer every day.
    """
    if extra_log_odds <= ONBOARDING_NEGLIGIBLE:
        return np.zeros(1)
    length = 1 + math.ceil(half_life_days * math.log2(extra_log_odds / ONBOARDING_NEGLIGIBLE))
    with np.errstate(over="ignore"):  # a half-life of a fraction of a day: 0.5^inf = 0
        return extra_log_odds * 0.5 ** (np.arange(length) / half_life_days)


@njit(cache=True)
def daily_hazard(
    attitude: float,
    base_logit: float,
    sensitivity: float,
    switching_cost: float,
    loyalty_per_year: float,
    tenure_days: float,
    onboarding: float = 0.0,
) -> float:
    """Probability of churning today; onboarding is the tenure's extra log-odds."""
    x = base_logit - sensitivity * attitude - switching_cost + onboarding
    if attitude > 0.0:
        x -= loyalty_per_year * (tenure_days / 365.0) * attitude
    return 1.0 / (1.0 + math.exp(-x))


def cumulative_baseline_hazard(
    churn: dict, attitude: np.ndarray, sensitivity: np.ndarray, onboarding: np.ndarray,
    days: int,
) -> np.ndarray:
    """Cumulative hazard by segment (rows) and whole day of tenure (columns, 0..days) of a
    customer who keeps their segment's baseline attitude: H[g, t] = sum of the daily hazards
    of tenure days 0..t-1. It tells how much sorting the day-0 base has been through
    (sim.engine.state.heterogeneity draws their frailty given that they survived it).
    """
    return _cumulative_hazard(
        logit(churn["daily_hazard_at_neutral"]), churn["attitude_sensitivity"] * sensitivity,
        churn["switching_cost"], churn["loyalty_per_year"], attitude, onboarding, days,
    )


@njit(cache=True)
def _cumulative_hazard(base_logit, sensitivity, switching_cost, loyalty_per_year, attitude,
                       onboarding, days):
    """cumulative_baseline_hazard's sums, each day's hazard from daily_hazard."""
    out = np.zeros((attitude.size, days + 1))
    for g in range(attitude.size):
        total = 0.0
        for t in range(days):
            extra = onboarding[t] if t < onboarding.size else 0.0
            total += daily_hazard(attitude[g], base_logit, sensitivity[g], switching_cost,
                                  loyalty_per_year, float(t), extra)
            out[g, t + 1] = total
    return out
