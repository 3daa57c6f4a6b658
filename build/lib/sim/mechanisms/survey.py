"""What the company can observe: NPS answers and surveys with non-response bias.

Every customer has a likelihood-to-recommend answer 0-10 (promoters 9-10, passives
7-8, detractors 0-6; Reichheld 2003). The true NPS counts every active customer.
A survey only hears those invited who choose to answer. The chance of answering is a
logistic function of attitude, rising (slope > 0), falling (slope < 0) or U-shaped
(curvature > 0): Mazor et al. (2002) found response rising with satisfaction, and
online reviews come mostly from the very pleased and the very displeased (Hu, Pavlou &
Zhang 2009). So the observed NPS and CSAT are biased and noisy, as in practice.
"""

import math

import numpy as np
from numba import njit

# The answer is the propensity rounded half up and clipped to 0-10, so a propensity
# >= 8.5 answers 9 or 10 (promoter) and one < 6.5 answers 6 or less (detractor).
PROMOTER_FROM, DETRACTOR_BELOW = 8.5, 6.5


@njit(cache=True, inline="always")
def nps_propensity(attitude: float, at_neutral: float, per_unit: float, offset: float) -> float:
    """Unrounded likelihood to recommend of a customer with this attitude."""
    return at_neutral + per_unit * attitude + offset


@njit(cache=True)
def nps_answer(attitude: float, at_neutral: float, per_unit: float, offset: float) -> int:
    """Likelihood-to-recommend answer 0-10 of a customer with this attitude (rounded half up)."""
    x = math.floor(nps_propensity(attitude, at_neutral, per_unit, offset) + 0.5)
    return int(min(10.0, max(0.0, x)))


@njit(cache=True)
def nps_answers(
    attitude: np.ndarray, offset: np.ndarray, at_neutral: float, per_unit: float
) -> np.ndarray:
    """nps_answer for every person."""
    out = np.empty(attitude.shape[0], dtype=np.int8)
    for i in range(attitude.shape[0]):
        out[i] = nps_answer(attitude[i], at_neutral, per_unit, offset[i])
    return out


@njit(cache=True)
def response_probability(attitude: float, base_logit: float, slope: float, curvature: float
                         ) -> float:
    """Chance that an invited customer answers: logit = base + slope a + curvature a^2."""
    return 1.0 / (1.0 + math.exp(-(base_logit + slope * attitude + curvature * attitude**2)))


def nps(promoters: float, detractors: float, total: float) -> float:
    """Net Promoter Score in points (-100..100); NaN when nobody answered."""
    return 100.0 * (promoters - detractors) / total if total > 0 else float("nan")
