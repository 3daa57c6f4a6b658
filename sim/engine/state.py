"""The market as a struct of arrays: one numpy array per attribute, indexed by person id.

Everybody in the market (customers, prospects, lapsed customers) has a fixed id for
the whole run, so an id is always a position; status says who is who. Mesa
`Customer` agents (sim.engine.agents) are handles onto these arrays.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numba import njit

from sim.mechanisms.experience import settled_expectation
from sim.rng import stream_generator

if TYPE_CHECKING:
    from sim.mechanisms.journey import Journey

PROSPECT, ACTIVE, LAPSED = 0, 1, 2
STATUS_NAMES = ("prospect", "active", "lapsed")
NO_TOUCHPOINT = -1
NEVER = -1_000_000  # last_purchase_day of somebody who has not bought
COHORT_DAYS = 30  # customers acquired in the same 30 days form a cohort; cohort 0 is the day-0 base


class State(NamedTuple):
    status: np.ndarray  # int8: PROSPECT, ACTIVE, LAPSED
    segment: np.ndarray  # int8
    expectation: np.ndarray  # 0-10: the person's own standard (segment, reviews, word of mouth)
    tp_expectation: np.ndarray  # float32 (people, touchpoints): expectation at each touchpoint
    attitude: np.ndarray  # felt-value units, 0 = neutral
    touchpoint: np.ndarray  # int16: touchpoint visited today, NO_TOUCHPOINT outside episodes
    next_episode_day: np.ndarray  # int32: day the next episode begins
    episode_peak: np.ndarray  # most intense moment of the current episode (signed)
    episode_last: np.ndarray  # last moment
    episode_sum: np.ndarray
    episode_count: np.ndarray  # int16: moments so far
    episode_worst: np.ndarray  # most negative felt value of the episode
    episode_worst_tp: np.ndarray  # int16: where it happened (pain attribution)
    acquired_day: np.ndarray  # int32: day of the latest acquisition (negative: before the run)
    first_day: np.ndarray  # int32: day of the first acquisition in the run (0 for the day-0 base)
    cohort: np.ndarray  # int16: -1 for people never acquired
    spend_multiplier: np.ndarray
    churn_sensitivity: np.ndarray
    nps_offset: np.ndarray  # individual answer style
    renewal_survival: (
        np.ndarray
    )  # chance of having stayed since the last renewal (at_renewal churn)
    revenue: np.ndarray
    cost: np.ndarray  # cost to serve and to acquire
    revenue_pv: np.ndarray  # revenue discounted to day 0
    episodes: np.ndarray  # int32
    churns: np.ndarray  # int16
    praise_heard: np.ndarray  # int32: positive messages a prospect heard since this morning
    last_heard_day: np.ndarray  # int32: last day the person heard word of mouth (-1: never)
    callback_day: np.ndarray  # int32: day an unresolved customer calls support again (-1: none)
    problem: np.ndarray  # int8: 1 while the current episode has an unresolved problem
    churn_frailty: np.ndarray  # float32: log of the person's churn-odds multiplier (mean 1)
    episode_rate: np.ndarray  # float32: the person's episode rate / the journey's (mean 1)
    last_purchase_day: np.ndarray  # int32: day the latest purchase episode began (NEVER: none)


class Sizes(NamedTuple):
    """How many people of each kind the day-0 market holds (ids in this order)."""

    customers: int
    prospects: int
    lapsed: int


class Settling(NamedTuple):
    """Where the model keeps the day-0 base: what it sets expectations and attitudes to."""

    norm_offset: np.ndarray  # (touchpoints,) the touchpoint's norm against market_norm
    mean_quality: np.ndarray  # (segments, touchpoints) mean perceived quality
    adaptation: float  # experience.expectation_adaptation
    anchoring: float  # experience.expectation_anchoring
    attitude_baseline: np.ndarray  # (segments,) sim.mechanisms.memory.attitude_baseline
    visits_per_episode: np.ndarray  # (touchpoints,) expected visits of an episode
    cumulative_hazard: np.ndarray | None  # (segments, tenure days), when frailty sorts


def initial_state(cfg: Mapping[str, Any], journey: "Journey", sizes: Sizes,
                  settling: Settling) -> State:
    """Draw the day-0 market: the customer base, then prospects, then lapsed ex-customers.

    The base starts where the model keeps it: each customer's expectation at a touchpoint
    is settled between what the touchpoint delivers to their segment (mean_quality,
    segments x touchpoints) and their anchor (their standard + norm_offset), where
    adaptation and anchoring balance (sim.mechanisms.experience.settled_expectation); attitude is
    spread around the segment's baseline (sim.mechanisms.memory.attitude_baseline). Episodes are
    under way in the share of days a customer spends in one, L / cycle (L the expected
    visits of an episode), each at a touchpoint drawn by its share of visits, so day 0
    already has purchases.
    Prospects expect their anchor.

    Each person's churn frailty and episode rate (sim.engine.state.heterogeneity) come from a
    stream of their own, so that without heterogeneity every other draw is unchanged.
    """
    seed, replication = cfg["seed"], cfg["replication"]
    segments, churn, memory, nps = cfg["segments"], cfg["churn"], cfg["memory"], cfg["nps"]
    population = cfg["population"]
    customers, prospects, lapsed = sizes
    journey_interval_days = journey.episode_interval_days
    fixed_interval = journey.fixed_interval
    (norm_offset, mean_quality, adaptation, anchoring, attitude_baseline, visits_per_episode,
     cumulative_hazard) = settling
    rng = stream_generator(seed, "population", replication)
    n = customers + prospects + lapsed
    shares = np.array([s["share"] for s in segments.values()])
    seg = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    seg_expect = np.array([s["expectation"] for s in segments.values()])
    seg_expect_sd = np.array([s["expectation_sd"] for s in segments.values()])
    seg_spend = np.array([s["spend_multiplier"] for s in segments.values()])
    seg_sens = np.array([s["churn_sensitivity"] for s in segments.values()])

    status = np.full(n, PROSPECT, dtype=np.int8)
    status[:customers] = ACTIVE
    status[customers + prospects:] = LAPSED
    experienced = status != PROSPECT
    expectation = np.clip(seg_expect[seg] + seg_expect_sd[seg] * rng.standard_normal(n), 0, 10)
    anchor = np.clip(expectation[:, None] + norm_offset[None, :], 0.0, 10.0)
    tp_expectation = anchor.astype(np.float32)
    tp_expectation[experienced] = np.clip(
        settled_expectation(mean_quality[seg[experienced]], anchor[experienced], adaptation,
                            anchoring), 0.0, 10.0
    )
    attitude = np.zeros(n)
    attitude[experienced] = attitude_baseline[seg[experienced]] + memory[
        "initial_attitude_sd"
    ] * rng.standard_normal(int(experienced.sum()))
    # spend varies within a segment: lognormal around the segment's multiplier, mean kept
    spend_sd = np.array([s["spend_sd"] for s in segments.values()])[seg]
    spend = seg_spend[seg] * np.exp(spend_sd * rng.standard_normal(n) - 0.5 * spend_sd**2)
    tenure = rng.exponential(churn["initial_tenure_mean_days"], size=n)
    acquired = np.where(status == ACTIVE, -np.ceil(tenure), 0).astype(np.int32)
    het = stream_generator(seed, "heterogeneity", replication)
    frailty, rate = heterogeneity(
        het, n,
        float(churn["frailty_sd"]), float(population["episode_rate_sd"]),
        exposure(cumulative_hazard, seg, np.where(status == ACTIVE, np.ceil(tenure), 0)),
    )
    interval = journey_interval_days if fixed_interval else journey_interval_days / rate
    if fixed_interval:
        first = rng.integers(0, max(1, round(journey_interval_days)), size=n)
    else:
        first = np.minimum(rng.geometric(np.minimum(1.0, 1.0 / interval), size=n) - 1,
                           1_000_000)  # a very rare buyer: beyond any run, within int32
    length = float(visits_per_episode.sum())
    cycle = (np.maximum(interval, length) if fixed_interval else length - 1.0 + interval)
    in_episode = (status == ACTIVE) & (rng.random(n) < np.minimum(1.0, length / cycle))
    touchpoint = np.full(n, -1, dtype=np.int16)
    touchpoint[in_episode] = rng.choice(
        visits_per_episode.size, size=int(in_episode.sum()), p=visits_per_episode / length
    )
    if fixed_interval:  # the episode under way began within the last interval
        first[in_episode] = np.maximum(first[in_episode], 1)
    # the latest purchase of the day-0 base: the backward recurrence time of its episodes
    # (as long as the forward one, for geometric gaps), within its tenure (tenure 0: day 0)
    since = np.minimum(het.geometric(np.minimum(1.0, 1.0 / interval), size=n) - 1,
                       np.ceil(tenure))
    last_purchase = np.where(status == ACTIVE, -since, NEVER).astype(np.int32)
    cohort = np.where(status == ACTIVE, 0, -1).astype(np.int16)
    return State(
        status=status,
        segment=seg,
        expectation=expectation,
        tp_expectation=tp_expectation,
        attitude=attitude,
        touchpoint=touchpoint,
        next_episode_day=first.astype(np.int32),
        episode_peak=np.zeros(n),
        episode_last=np.zeros(n),
        episode_sum=np.zeros(n),
        episode_count=np.zeros(n, dtype=np.int16),
        episode_worst=np.zeros(n),
        episode_worst_tp=np.full(n, -1, dtype=np.int16),
        acquired_day=acquired,
        first_day=np.zeros(n, dtype=np.int32),
        cohort=cohort,
        spend_multiplier=spend,
        churn_sensitivity=seg_sens[seg],
        nps_offset=nps["individual_sd"] * rng.standard_normal(n),
        renewal_survival=np.ones(n),
        revenue=np.zeros(n),
        cost=np.zeros(n),
        revenue_pv=np.zeros(n),
        episodes=np.zeros(n, dtype=np.int32),
        churns=np.zeros(n, dtype=np.int16),
        praise_heard=np.zeros(n, dtype=np.int32),
        last_heard_day=np.full(n, -1, dtype=np.int32),
        callback_day=np.full(n, -1, dtype=np.int32),
        problem=np.zeros(n, dtype=np.int8),
        churn_frailty=frailty,
        episode_rate=rate,
        last_purchase_day=last_purchase,
    )


@njit(cache=True)
def log_multiplier(sd, z):
    """log m for a lognormal multiplier m with mean 1 and sd of log m = sd, from normals z
    (arrays at set-up, one person's normal when a newcomer arrives)."""
    return sd * z - 0.5 * sd * sd


def exposure(cumulative_hazard: np.ndarray | None, seg: np.ndarray, tenure: np.ndarray):
    """Each person's cumulative baseline hazard over their tenure (0 without a table)."""
    if cumulative_hazard is None:
        return np.zeros(seg.size)
    days = np.minimum(tenure.astype(np.int64), cumulative_hazard.shape[1] - 1)
    return cumulative_hazard[seg, days]


def heterogeneity(
    rng: np.random.Generator, n: int, frailty_sd: float, rate_sd: float, exposure: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Persistent differences between people: churn frailty and episode rate.

    Frailty: the log of a lognormal multiplier of the odds of leaving, mean multiplier 1, sd
    of its log `frailty_sd` (Vaupel, Manton & Stallard 1979; sBG's heterogeneity in Fader &
    Hardie 2007). A cohort then sorts itself: the frail leave first, so its hazard falls
    with time although nobody's own hazard does. The day-0 base has already sorted: a
    customer has survived their tenure, whose cumulative hazard at their segment's baseline
    attitude is H (`exposure`), so their frailty is drawn from the prior reweighted by the
    survival exp(-m H) (rejection sampling: redraw while a uniform exceeds it).
    Episode rate: a lognormal multiplier of how often a person starts an episode, mean 1,
    sd of its log `rate_sd` (heterogeneous purchase rates: Ehrenberg's NBD; BG/NBD).
    """
    frailty = np.zeros(n, dtype=np.float32)
    if frailty_sd > 0.0:
        log_m = log_multiplier(frailty_sd, rng.standard_normal(n))
        todo = np.flatnonzero(rng.random(n) >= np.exp(-np.exp(log_m) * exposure))
        # a round accepts with probability E[exp(-m H)] (about 0.1 for the longest tenures
        # of the default market): 200 rounds leave nobody; anyone left keeps the last draw
        for _ in range(200):
            if todo.size == 0:
                break
            log_m[todo] = log_multiplier(frailty_sd, rng.standard_normal(todo.size))
            keep = rng.random(todo.size) < np.exp(-np.exp(log_m[todo]) * exposure[todo])
            todo = todo[~keep]
        frailty = log_m.astype(np.float32)
    rate = np.ones(n, dtype=np.float32)
    if rate_sd > 0.0:
        rate = np.exp(log_multiplier(rate_sd, rng.standard_normal(n))).astype(np.float32)
    return frailty, rate
