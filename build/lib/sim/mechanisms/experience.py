"""Experience: what a customer perceives at a touchpoint and how it feels.

Perceived quality q is the segment's pillar weights applied to the touchpoint's six
pillar qualities (KPMG's pillars, seed 001), minus effort for complexity, plus noise.

The felt value of a visit has two parts (docs/model.md, "Experience"):

    v = performance_weight x (q - r)  +  D(q - e)

- a performance term: quality above the reference r (the scale's midpoint by default: needs
  just met) feels good in itself, the more so the better
  (performance drives satisfaction directly, not only through disconfirmation: Oliver 1980;
  Churchill & Surprenant 1982);
- disconfirmation D of the gap d = q - e to the customer's expectation e for this
  touchpoint, with a zone of tolerance (Zeithaml, Berry & Parasuraman 1993): inside
  |d| <= zone the gap is felt weakly (slope zone_slope); beyond it, the excess is valued by
  prospect theory (Tversky & Kahneman 1992), concave for gains, convex and steeper for
  losses. With zone = 0 and performance_weight = 0 this is pure prospect-theory
  disconfirmation.

Expectations are per touchpoint and adapt partially, anchored: after a visit,
e <- e + adaptation (q - e) + anchoring (anchor - e), where the anchor is the customer's
own standard for that touchpoint: their standard (segment expectation, shifted by reviews
and word of mouth before they bought) plus how the touchpoint's market norm differs from
the market as a whole (a touchpoint's `norm` in the journey, experience.market_norm).
So expectations settle between experience and the anchor, and a firm better than its
market stays better in its customers' eyes.
"""

import numpy as np
from numba import njit
from scipy.stats import norm

from sim.config.schema import PILLARS

TIME_EFFORT = PILLARS.index("time_effort")


@njit(cache=True)
def prospect_value(d: float, alpha: float, loss_aversion: float) -> float:
    """Prospect-theory value of a gain or loss d: d^a for gains, -lambda(-d)^a for losses."""
    if d >= 0.0:
        return d**alpha
    return -loss_aversion * (-d) ** alpha


@njit(cache=True)
def disconfirmation_value(
    d: float, zone: float, zone_slope: float, alpha: float, loss_aversion: float
) -> float:
    """Felt value of a gap d = perceived - expected, with a zone of tolerance of half-width zone.

    Inside the zone the gap is felt linearly at zone_slope; the part beyond it by prospect
    theory. Continuous in d, and monotone increasing.
    """
    if d > zone:
        return zone_slope * zone + prospect_value(d - zone, alpha, loss_aversion)
    if d < -zone:
        return -zone_slope * zone + prospect_value(d + zone, alpha, loss_aversion)
    return zone_slope * d


@njit(cache=True)
def felt_value(
    q: float,
    expected: float,
    reference: float,
    performance_weight: float,
    zone: float,
    zone_slope: float,
    alpha: float,
    loss_aversion: float,
) -> float:
    """Felt value of a visit perceived at q by a customer who expected `expected`."""
    return performance_weight * (q - reference) + disconfirmation_value(
        q - expected, zone, zone_slope, alpha, loss_aversion
    )


@njit(cache=True, inline="always")
def adapted_expectation(
    expected: float, q: float, anchor: float, adaptation: float, anchoring: float
) -> float:
    """Expectation for the next visit: moves toward what was perceived, pulled to the anchor."""
    e = expected + adaptation * (q - expected) + anchoring * (anchor - expected)
    return min(10.0, max(0.0, e))


def settled_expectation(
    mean_quality: np.ndarray, anchor: np.ndarray, adaptation: float, anchoring: float
) -> np.ndarray:
    """Where adapted_expectation settles on average: the mix of experience and anchor."""
    total = adaptation + anchoring
    if total <= 0.0:
        return np.asarray(anchor, dtype=float).copy()
    return (adaptation * mean_quality + anchoring * anchor) / total


def failure_chance(mean: np.ndarray, sd: np.ndarray, problems: dict) -> np.ndarray:
    """Chance that a visit goes wrong: perceived below problems.failure_quality, for
    perceived quality normal with this mean and sd (segments x touchpoints)."""
    return norm.cdf((problems["failure_quality"] - mean) / np.maximum(sd, 1e-12))


def value_shift(journey, segments: list[dict], money: dict, product: dict,
                complexity_penalty: float) -> np.ndarray:
    """Quality points added to each (segment, touchpoint) by price, channel and product.

    - Value for money at paying touchpoints: -price_sensitivity x 10 x (price_index /
      reference_price_index - 1), per segment (a 10% price rise costs a segment with
      sensitivity 1 one quality point at checkout).
    - Channel convenience: the segment's points for the touchpoint's channel.
    - The product in use (product.used_at): usefulness x ln(features / market_features)
      - complexity_penalty x complexity_per_feature x (features - market_features).
    """
    n_seg, n_tp = len(segments), journey.n
    shift = np.zeros((n_seg, n_tp))
    premium = money["price_index"] / money["reference_price_index"] - 1.0
    paying = journey.price > 0.0
    for g, seg in enumerate(segments):
        shift[g, paying] -= seg["price_sensitivity"] * 10.0 * premium
        for t, channel in enumerate(journey.channel):
            shift[g, t] += seg["channel_convenience"][channel]
    extra = product["features"] - product["market_features"]
    if extra == 0:  # the market's product: nothing to add (used_at need not name touchpoints)
        return shift
    in_use = product["usefulness"] * np.log(product["features"] / product["market_features"]) - (
        complexity_penalty * product["complexity_per_feature"] * extra)
    for name in product["used_at"]:
        shift[:, journey.names.index(name)] += in_use
    return shift


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
