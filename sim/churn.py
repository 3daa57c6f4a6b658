"""Churn and loyalty: a daily hazard that rises as attitude falls.

The log-odds of leaving on a given day fall with attitude (logistic hazard), with
the switching cost (a loyalty programme, contracts) and with loyalty, which grows
with tenure for customers who are satisfied. Subscription journeys apply the hazard
accumulated since the last renewal at the renewal touchpoint only.
"""

import math

from numba import njit


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@njit(cache=True)
def daily_hazard(
    attitude: float,
    base_logit: float,
    sensitivity: float,
    switching_cost: float,
    loyalty_per_year: float,
    tenure_days: float,
) -> float:
    """Probability of churning today."""
    x = base_logit - sensitivity * attitude - switching_cost
    if attitude > 0.0:
        x -= loyalty_per_year * (tenure_days / 365.0) * attitude
    return 1.0 / (1.0 + math.exp(-x))
