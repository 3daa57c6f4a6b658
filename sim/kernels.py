"""The day loop's hot path: numba kernels over the struct of arrays.

Each kernel walks every person once and calls the mechanism functions
(sim.experience, sim.memory, sim.churn, sim.survey) in the order documented in
sim.model. Draws come from named counter-based streams (sim.rng): draw k of
stream s for person i on day t is fixed, whatever else happens, which gives
common random numbers between scenarios. Daily figures are written by index into
preallocated arrays (sim.results.Daily).
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.churn import daily_hazard
from sim.experience import felt_value
from sim.memory import remembered
from sim.population import ACTIVE, COHORT_DAYS, LAPSED, NO_TOUCHPOINT, PROSPECT
from sim.rng import normal, uniform
from sim.survey import (
    DETRACTOR_BELOW,
    PROMOTER_FROM,
    nps_answer,
    nps_propensity,
    response_probability,
)
from sim.word_of_mouth import send, stars


class Params(NamedTuple):
    """Scalar parameters, already converted to per-day and log-odds units."""

    ad_rate: float
    cost_per_acquisition: float
    winback_rate: float
    winback_cost: float
    interval_days: float
    fixed_interval: bool
    churn_at_renewal: bool
    alpha: float
    loss_aversion: float
    adaptation: float
    delight_threshold: float
    pain_threshold: float
    memory_rule: int
    episode_weight: float
    fade: float
    churn_base_logit: float
    attitude_sensitivity: float
    switching_cost: float
    loyalty_per_year: float
    spend_elasticity: float
    nps_at_neutral: float
    nps_per_unit: float
    survey_invite: float
    survey_base_logit: float
    survey_bias: float
    referral_rate: float
    intent_sensitivity: float
    wom_positive_contacts: int
    wom_negative_contacts: int
    wom_positive_threshold: float
    wom_negative_threshold: float
    wom_attitude: float
    wom_expectation: float
    weak_tie_share: float
    fully_mixed: bool
    review_share: float
    callback_touchpoint: int  # the support touchpoint backed by the service centre, or -1


class JourneyArrays(NamedTuple):
    perceived_mean: np.ndarray  # (segments, touchpoints)
    perceived_sd: np.ndarray  # (segments, touchpoints)
    weight: np.ndarray
    cost: np.ndarray
    price: np.ndarray
    renewal: np.ndarray
    transition_cum: np.ndarray  # (touchpoints, touchpoints + 1), last column = end
    start_cum: np.ndarray
    repeat_start_cum: np.ndarray
    discount: np.ndarray  # (days,) discount factor of day t to day 0


class Keys(NamedTuple):
    """Stream keys of one day (sim.rng.day_key)."""

    acquisition: np.uint64
    winback: np.uint64
    journey: np.uint64
    experience: np.uint64
    churn: np.uint64
    survey: np.uint64
    word_of_mouth: np.uint64
    reviews: np.uint64


class Network(NamedTuple):
    """The social network as CSR arrays (sim.network.Network); empty when fully mixed."""

    indptr: np.ndarray
    indices: np.ndarray


# Draw indices within a stream, per person and day. Fixed numbers, so that adding a
# draw to one mechanism never shifts the draws of another.
J_START, J_GAP, J_NEXT = 0, 1, 2


@njit(cache=True, inline="always")
def _pick(cum, u):
    """Index of the first cumulative probability above u."""
    j = 0
    while u >= cum[j]:
        j += 1
    return j


@njit(cache=True, inline="always")
def _begin_episode(s, i, tp):
    s.touchpoint[i] = tp
    s.episode_peak[i] = 0.0
    s.episode_last[i] = 0.0
    s.episode_sum[i] = 0.0
    s.episode_count[i] = 0
    s.episode_worst[i] = 0.0
    s.episode_worst_tp[i] = NO_TOUCHPOINT


@njit(cache=True)
def begin_day(day, s, p, j, k, d, review_sales, review_expectation):
    """Steps 1-2 of the day: word of mouth heard, acquisition, win-back, episodes that begin.

    review_sales multiplies prospects' response to advertising (the review average read
    before buying); review_expectation is what it adds to a new customer's expectation.
    After this kernel, s.touchpoint holds the touchpoint each person visits today.
    """
    reached = 0
    for i in range(s.status.shape[0]):
        status = s.status[i]
        heard_pos = s.inbox_pos[i]
        if heard_pos or s.inbox_neg[i]:
            # Word of mouth sent yesterday is heard this morning.
            net = heard_pos - s.inbox_neg[i]
            s.attitude[i] += p.wom_attitude * net
            if status == PROSPECT:
                e = s.expectation[i] + p.wom_expectation * net
                s.expectation[i] = min(10.0, max(0.0, e))
            s.inbox_pos[i] = 0
            s.inbox_neg[i] = 0
            reached += 1
        if status == PROSPECT:
            ad = p.ad_rate * review_sales
            if s.attitude[i] != 0.0:
                ad *= np.exp(p.intent_sensitivity * s.attitude[i])
            u = uniform(k.acquisition, i, 0)
            if u < ad + p.referral_rate * heard_pos:
                if u >= ad:
                    d.referrals[day] += 1
                s.expectation[i] = min(10.0, max(0.0, s.expectation[i] + review_expectation))
                s.status[i] = ACTIVE
                s.acquired_day[i] = day
                if s.cohort[i] < 0:
                    c = 1 + day // COHORT_DAYS
                    s.cohort[i] = c
                    s.first_day[i] = day
                    d.cohort_size[c] += 1
                    d.first_acquired[day] += 1
                s.cost[i] += p.cost_per_acquisition
                d.new[day] += 1
                d.cost_acquisition[day] += p.cost_per_acquisition
                _begin_episode(s, i, _pick(j.start_cum, uniform(k.journey, i, J_START)))
                s.next_episode_day[i] = day + max(1, round(p.interval_days))
        elif status == LAPSED:
            if uniform(k.winback, i, 0) < p.winback_rate:
                s.status[i] = ACTIVE
                s.acquired_day[i] = day
                s.renewal_survival[i] = 1.0
                s.cost[i] += p.winback_cost
                d.won_back[day] += 1
                d.cost_acquisition[day] += p.winback_cost
                _begin_episode(s, i, _pick(j.repeat_start_cum, uniform(k.journey, i, J_START)))
                s.next_episode_day[i] = day + max(1, round(p.interval_days))
        elif s.touchpoint[i] == NO_TOUCHPOINT and 0 <= s.callback_day[i] <= day:
            # an unresolved issue: the customer calls support again
            _begin_episode(s, i, p.callback_touchpoint)
            s.callback_day[i] = -1
        elif s.touchpoint[i] == NO_TOUCHPOINT and s.next_episode_day[i] <= day:
            _begin_episode(s, i, _pick(j.repeat_start_cum, uniform(k.journey, i, J_START)))
            if p.fixed_interval:
                s.next_episode_day[i] = day + max(1, round(p.interval_days))
    d.wom_reached[day] = reached


@njit(cache=True, inline="always")
def _gap(p, u):
    """Days until the next episode: geometric with the configured mean (at least 1)."""
    if p.interval_days <= 1.0:
        return 1
    return 1 + int(np.log(1.0 - u) / np.log(1.0 - 1.0 / p.interval_days))


@njit(cache=True)
def live_day(day, s, p, j, k, d, quality_shift, net, scratch):
    """Steps 3-7 of the day for every active customer: experience, memory, word of mouth,
    money, churn.

    quality_shift adds to the perceived quality of today's visit (the service centre
    uses it for waiting time); zeros otherwise. net is the social network; scratch has
    room for the largest number of contacts a customer tells.
    """
    n_people = s.status.shape[0]
    n_tp = j.weight.shape[0]
    # the most frequent daily figures are summed in locals (registers), written once
    prospects = lapsed = active = promoters = detractors = 0
    attitude_sum = expectation_sum = 0.0
    for i in range(s.status.shape[0]):
        if s.status[i] != ACTIVE:
            s.attitude[i] *= p.fade
            if s.status[i] == PROSPECT:
                prospects += 1
            else:
                lapsed += 1
            continue
        a = s.attitude[i] * p.fade
        seg = s.segment[i]
        tp = s.touchpoint[i]
        renewal_today = False
        if tp >= 0:
            # Experience: perceived quality against expectation, felt by prospect theory.
            q = (
                j.perceived_mean[seg, tp]
                + j.perceived_sd[seg, tp] * normal(k.experience, i, 0)
                + quality_shift[i]
            )
            v = felt_value(q - s.expectation[i], p.alpha, p.loss_aversion)
            m = j.weight[tp] * v
            s.expectation[i] += p.adaptation * (q - s.expectation[i])
            # Memory within the episode: running peak, end, sum and worst moment.
            if abs(m) > abs(s.episode_peak[i]):
                s.episode_peak[i] = m
            s.episode_last[i] = m
            s.episode_sum[i] += m
            s.episode_count[i] += 1
            if m < s.episode_worst[i]:
                s.episode_worst[i] = m
                s.episode_worst_tp[i] = tp
            d.tp_visits[day, tp] += 1
            d.tp_felt[day, tp] += v
            if v > p.delight_threshold:
                d.tp_delight[day, tp] += 1
            elif v < p.pain_threshold:
                d.tp_pain[day, tp] += 1
            # Money of the visit.
            c = j.cost[tp]
            s.cost[i] += c
            d.cost_service[day] += c
            d.segment_cost[day, seg] += c
            if j.price[tp] > 0.0:
                r = j.price[tp] * s.spend_multiplier[i] * max(0.0, 1.0 + p.spend_elasticity * a)
                s.revenue[i] += r
                s.revenue_pv[i] += r * j.discount[day]
                d.revenue[day] += r
                d.segment_revenue[day, seg] += r
            renewal_today = j.renewal[tp]
            # Next touchpoint, or the end of the episode.
            nxt = _pick(j.transition_cum[tp], uniform(k.journey, i, J_NEXT))
            if nxt == n_tp:
                score = remembered(
                    s.episode_peak[i],
                    s.episode_last[i],
                    s.episode_sum[i],
                    s.episode_count[i],
                    p.memory_rule,
                )
                a += p.episode_weight * (score - a)
                s.episodes[i] += 1
                s.touchpoint[i] = NO_TOUCHPOINT
                d.episodes[day] += 1
                if score > p.delight_threshold:
                    d.episodes_delighted[day] += 1
                elif score < p.pain_threshold:
                    d.episodes_pained[day] += 1
                if not p.fixed_interval:
                    s.next_episode_day[i] = day + _gap(p, uniform(k.journey, i, J_GAP))
                if uniform(k.survey, i, 0) < p.survey_invite:
                    d.survey_invited[day] += 1
                    if uniform(k.survey, i, 1) < response_probability(
                        a, p.survey_base_logit, p.survey_bias
                    ):
                        d.survey_responses[day] += 1
                        ans = nps_answer(a, p.nps_at_neutral, p.nps_per_unit, s.nps_offset[i])
                        if ans >= 9:
                            d.survey_promoters[day] += 1
                        elif ans <= 6:
                            d.survey_detractors[day] += 1
                        if score > 0.0:
                            d.survey_satisfied[day] += 1
                if score > 0.0:
                    d.satisfied_episodes[day] += 1
                # Word of mouth: the delighted tell k+ contacts, the pained k-.
                if score > p.wom_positive_threshold and p.wom_positive_contacts > 0:
                    d.wom_positive[day] += send(
                        i, p.wom_positive_contacts, True, k.word_of_mouth, net.indptr,
                        net.indices, p.fully_mixed, p.weak_tie_share, n_people, scratch,
                        s.inbox_pos, s.inbox_neg,
                    )
                elif score < p.wom_negative_threshold and p.wom_negative_contacts > 0:
                    d.wom_negative[day] += send(
                        i, p.wom_negative_contacts, False, k.word_of_mouth, net.indptr,
                        net.indices, p.fully_mixed, p.weak_tie_share, n_people, scratch,
                        s.inbox_pos, s.inbox_neg,
                    )
                # Public review (zero moment of truth for tomorrow's prospects).
                if uniform(k.reviews, i, 0) < p.review_share:
                    d.reviews[day] += 1
                    d.review_stars[day] += stars(score)
            else:
                s.touchpoint[i] = nxt
        # Churn: a daily hazard, or at renewal only (the hazard accumulated since the last one).
        h = daily_hazard(
            a,
            p.churn_base_logit,
            p.attitude_sensitivity * s.churn_sensitivity[i],
            p.switching_cost,
            p.loyalty_per_year,
            day - s.acquired_day[i],
        )
        churned = False
        if p.churn_at_renewal:
            s.renewal_survival[i] *= 1.0 - h
            if renewal_today:
                churned = uniform(k.churn, i, 0) >= s.renewal_survival[i]
                s.renewal_survival[i] = 1.0
        else:
            churned = uniform(k.churn, i, 0) < h
        s.attitude[i] = a
        if churned:
            s.status[i] = LAPSED
            s.touchpoint[i] = NO_TOUCHPOINT
            s.callback_day[i] = -1
            s.churns[i] += 1
            d.churned[day] += 1
            d.segment_churned[day, seg] += 1
            worst = s.episode_worst_tp[i]
            if worst >= 0 and s.episode_worst[i] < p.pain_threshold:
                d.churn_attributed[worst] += 1
            else:
                d.churn_attributed[n_tp] += 1
            lapsed += 1
            continue
        # Daily record of an active customer.
        active += 1
        d.segment_active[day, seg] += 1
        d.cohort_active[s.cohort[i], day - s.first_day[i]] += 1
        attitude_sum += a
        expectation_sum += s.expectation[i]
        x = nps_propensity(a, p.nps_at_neutral, p.nps_per_unit, s.nps_offset[i])
        promoters += x >= PROMOTER_FROM  # branch-free: the category is unpredictable
        detractors += x < DETRACTOR_BELOW
    d.prospects[day] = prospects
    d.lapsed[day] = lapsed
    d.active[day] = active
    d.promoters[day] = promoters
    d.detractors[day] = detractors
    d.attitude_sum[day] = attitude_sum
    d.expectation_sum[day] = expectation_sum
