"""Experience: what a customer perceives at a touchpoint and how it feels.

Perceived quality is the segment's pillar weights applied to the touchpoint's six
pillar qualities (KPMG's pillars, seed 001), minus effort for complexity, plus noise.
What is felt is not the quality but the gap to expectation (expectation
disconfirmation, Oliver 1980), valued by prospect theory's value function
(Tversky & Kahneman 1992): concave for gains, convex and steeper for losses.
"""

import numpy as np
from numba import njit

from sim.params import PILLARS

TIME_EFFORT = PILLARS.index("time_effort")


@njit(cache=True)
def felt_value(d: float, alpha: float, loss_aversion: float) -> float:
    """Prospect-theory value of a disconfirmation d: d^a for gains, -lambda(-d)^a for losses."""
    if d >= 0.0:
        return d**alpha
    return -loss_aversion * (-d) ** alpha


def perceived_quality(
    quality: np.ndarray,
    spread: np.ndarray,
    complexity: np.ndarray,
    pillar_weights: np.ndarray,
    complexity_penalty: float,
    noise_sd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of perceived quality for each (segment, touchpoint).

    quality: (touchpoints, 6); pillar_weights: (segments, 6), rows summing to 1.
    The spread is shared by a touchpoint's pillars (one draw per visit), so the sd of the
    weighted sum is the spread itself; perception noise adds independently.
    """
    q = quality.copy()
    q[:, TIME_EFFORT] -= complexity_penalty * complexity
    mean = pillar_weights @ q.T
    sd = np.sqrt(spread**2 + noise_sd**2)
    return mean, np.broadcast_to(sd, mean.shape).copy()
