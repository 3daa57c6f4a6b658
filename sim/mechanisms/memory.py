"""Memory: how an episode is remembered and how attitude carries across episodes.

Within an episode people remember by the peak-end rule (Kahneman, Fredrickson,
Schreiber & Redelmeier 1993): the remembered value is about the mean of the most
intense moment and the last one, not the sum or the average. Across episodes,
attitude is an exponentially weighted memory of remembered episodes. Between episodes
it fades, with a half-life in days, toward the customer's own baseline: the attitude the
business's typical performance would leave (attitude_baseline), not toward a fixed 0.
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.mechanisms.experience import felt_value
from sim.mechanisms.visit import Episode, ProblemRule, visit
from sim.rng import normal, pick, uniform

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
    """Share of the distance to the baseline that attitude keeps each day."""
    return 0.5 ** (1.0 / half_life_days)


BASELINE_EPISODES = 4096  # simulated episodes per segment for attitude_baseline
_BASELINE_KEY = np.uint64(0x6A09E667F3BCC908)  # a fixed stream: the baseline is a property of
# the config, the same for every seed and replication
MAX_EPISODE_VISITS = 800  # 5 draws a visit within the counter stream's 4096


class Felt(NamedTuple):
    """The constants of how a visit is felt (sim.mechanisms.experience.felt_value)."""

    reference: float
    performance_weight: float
    zone: float
    zone_slope: float
    alpha: float
    loss_aversion: float


@njit(cache=True)
def _mean_remembered(mean, sd, expected, weight, transition_cum, repeat_start_cum, rule,
                     felt, problems, resolution):
    """Mean remembered value of simulated repeat episodes, walked as the day loop walks them:
    the same visit rule (sim.mechanisms.visit: problems, detours to support, service
    recovery), with draws of a fixed stream of its own. felt: Felt; problems: ProblemRule;
    resolution: the chance support resolves a problem."""
    n_tp = weight.shape[0]
    total = 0.0
    for n in range(BASELINE_EPISODES):
        tp = pick(repeat_start_cum, uniform(_BASELINE_KEY, n, 0))
        memory = Episode(0.0, 0.0, 0.0, 0, 0.0)
        problem = False
        while memory.count < MAX_EPISODE_VISITS:
            count = memory.count
            q = mean[tp] + sd[tp] * normal(_BASELINE_KEY, n, 5 * count + 1)
            m = weight[tp] * felt_value(q, expected[tp], felt.reference, felt.performance_weight,
                                        felt.zone, felt.zone_slope, felt.alpha,
                                        felt.loss_aversion)
            at_support = tp == problems.support
            resolves = (at_support and problem
                        and uniform(_BASELINE_KEY, n, 5 * count + 4) < resolution)
            m, problem, contact, _, memory = visit(q, m, weight[tp], at_support, problem,
                                                   resolves, problems, _BASELINE_KEY, n,
                                                   5 * count + 3, memory)
            if contact:
                tp = problems.support
            else:
                tp = pick(transition_cum[tp], uniform(_BASELINE_KEY, n, 5 * memory.count))
            if tp == n_tp:
                break
        total += remembered(memory.peak, memory.last, memory.total, memory.count, rule)
    return total / BASELINE_EPISODES


def attitude_baseline(mean: np.ndarray, sd: np.ndarray, expected: np.ndarray, journey,
                      starts: np.ndarray, rule: str, experience: dict, problems: dict,
                      resolution: float) -> np.ndarray:
    """Attitude the business's typical performance leaves, one value per segment.

    The mean remembered value of a repeat episode, for customers whose expectations have
    settled (expected: segments x touchpoints), over BASELINE_EPISODES simulated
    episodes with the journey's paths (starts: each segment's cumulative repeat-start
    probabilities), its problems and their recovery (resolved with
    probability `resolution`), and the visit-to-visit spread of quality (mean, sd:
    segments x touchpoints). Attitude, which moves toward each remembered episode, settles
    around it; between episodes it fades toward it.
    """
    e, pr = experience, problems
    felt = Felt(e["performance_reference"], e["performance_weight"], e["tolerance_zone"],
                e["tolerance_slope"], e["alpha"], e["loss_aversion"])
    rule_of_problems = ProblemRule(
        journey.support, pr["failure_quality"], pr["contact_share"], pr["recovery_repair"],
        pr["recovery_bonus"] if pr["recovery_paradox"] else 0.0)
    return np.array([
        _mean_remembered(mean[g], sd[g], expected[g], journey.weight, journey.transition_cum,
                         starts[g], RULES.index(rule), felt, rule_of_problems, resolution)
        for g in range(mean.shape[0])
    ])
