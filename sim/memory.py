"""Memory: how an episode is remembered and how attitude carries across episodes.

Within an episode people remember by the peak-end rule (Kahneman, Fredrickson,
Schreiber & Redelmeier 1993): the remembered value is about the mean of the most
intense moment and the last one, not the sum or the average. Across episodes,
attitude is an exponentially weighted memory of remembered episodes that fades
towards neutral with a half-life in days.
"""

from collections.abc import Sequence

import numpy as np
from numba import njit

RULES = ("peak_end", "mean", "sum")
PEAK_END, MEAN, SUM = 0, 1, 2


@njit(cache=True)
def remembered(peak: float, last: float, total: float, count: int, rule: int) -> float:
    """Remembered value of an episode from its running statistics."""
    if count == 0:
        return 0.0
    if rule == PEAK_END:
        return 0.5 * (peak + last)
    if rule == MEAN:
        return total / count
    return total


def remember_episode(moments: Sequence[float], rule: str = "peak_end") -> float:
    """Remembered value of a whole episode given its moments (for notebooks and tests)."""
    peak = 0.0
    for m in moments:
        if abs(m) > abs(peak):
            peak = m
    last = moments[-1] if len(moments) else 0.0
    return remembered(peak, last, float(np.sum(moments)), len(moments), RULES.index(rule))


def daily_fade(half_life_days: float) -> float:
    """Factor by which attitude moves towards neutral each day."""
    return 0.5 ** (1.0 / half_life_days)
