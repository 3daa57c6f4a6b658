"""95% intervals of a mean and of a difference of means (Student's t, Welch).

At the bottom of the reporting side: comparisons and sweeps both use them.
"""

import numpy as np
from scipy import stats


def mean_interval(d: np.ndarray) -> tuple[float, float, float]:
    """Mean of d and its 95% Student-t interval (NaN bounds for fewer than 2 values)."""
    d = np.asarray(d, dtype=float)
    mean = float(d.mean()) if len(d) else float("nan")
    if len(d) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(d) - 1) * float(d.std(ddof=1)) / np.sqrt(len(d))
    return mean, mean - half, mean + half


def welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """mean(a) - mean(b) and its 95% Welch interval: two independent samples."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * se
    return diff, diff - half, diff + half
