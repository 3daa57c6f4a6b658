"""The day loop's hot path: numba kernels over the struct of arrays.

Each kernel walks every person once and calls the mechanism functions
(sim.mechanisms: experience, memory, churn, survey, word_of_mouth) in the order
documented in sim.engine.model. Draws come from named counter-based streams (sim.rng): draw k
of stream s for person i on day t is fixed, whatever else happens, which gives common
random numbers between scenarios.

People are split into BLOCKS fixed blocks of consecutive ids that run in parallel
(numba prange). Each block sums its daily figures in its own tally row; the rows are
added in block order afterwards, so the numbers do not depend on how many threads ran
them. Word of mouth writes into other people's inboxes, so messages are sent after the
parallel part, in order of person id. Daily figures are written by index into
preallocated arrays (sim.engine.record.Daily).
"""

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.engine.state import (
    ACTIVE,
    COHORT_DAYS,
    LAPSED,
    NEVER,
    NO_TOUCHPOINT,
    PROSPECT,
    log_multiplier,
)
from sim.mechanisms.churn import daily_hazard
from sim.mechanisms.experience import adapted_expectation, felt_value
from sim.mechanisms.memory import remembered
from sim.mechanisms.survey import (
    DETRACTOR_BELOW,
    PROMOTER_FROM,
    nps_answer,
    nps_propensity,
    response_probability,
)
from sim.mechanisms.visit import Episode, ProblemRule, visit
from sim.mechanisms.word_of_mouth import contacts, stars
from sim.rng import normal, pick, uniform


class Params(NamedTuple):
    """Scalar parameters, already converted to per-day and log-odds units."""

    ad_rate: float
    cost_per_acquisition: float
    winback_rate: float
    winback_cost: float
    lapsed_exit: float  # daily chance that a lapsed customer leaves (a newcomer replaces them)
    interval_days: float
    fixed_interval: bool
    churn_at_renewal: bool
    alpha: float
    loss_aversion: float
    performance_weight: float
    performance_reference: float
    tolerance_zone: float
    tolerance_slope: float
    adaptation: float
    anchoring: float
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
    survey_slope: float
    survey_curvature: float
    referral_rate: float
    intent_sensitivity: float
    wom_positive_contacts: int
    wom_negative_contacts: int
    wom_positive_threshold: float
    wom_negative_threshold: float
    wom_attitude: float
    wom_negative_weight: float
    wom_expectation: float
    weak_tie_share: float
    fully_mixed: bool
    review_share: float
    callback_touchpoint: int  # the support touchpoint backed by the service centre, or -1
    support_touchpoint: int  # where customers with a problem go (journey.support), or -1
    failure_quality: float  # a visit perceived below this went wrong (a problem)
    contact_share: float  # share of customers with a problem who contact support
    resolution_rate: float  # chance support resolves a problem when no service centre backs it
    recovery_repair: float  # share of the failure's pain a resolved problem takes back
    recovery_bonus: float  # felt value a resolved problem adds to the support moment (paradox)
    referral_cost: float  # acquisition cost of a referred customer (instead of the ad CAC)
    spend_growth_per_year: float  # spend grows by this share per year of tenure...
    cost_decline_per_year: float  # ...and the cost to serve falls by this share...
    tenure_effect_years: float  # ...up to this many years of tenure
    frailty_sd: float  # sd of the log churn-odds multiplier of a newcomer (0: all alike)
    episode_rate_sd: float  # sd of the log episode-rate multiplier of a newcomer (0: all alike)


class JourneyArrays(NamedTuple):
    perceived_mean: np.ndarray  # (segments, touchpoints)
    perceived_sd: np.ndarray  # (segments, touchpoints)
    weight: np.ndarray
    cost: np.ndarray
    price: np.ndarray
    renewal: np.ndarray
    norm_offset: np.ndarray  # (touchpoints,) norm - experience.market_norm: shifts the anchor
    attitude_baseline: np.ndarray  # (segments,) where an active customer's attitude fades to
    segment_expectation: np.ndarray  # (segments,) mean and sd of a newcomer's standard (0-10)
    segment_expectation_sd: np.ndarray
    transition_cum: np.ndarray  # (touchpoints, touchpoints + 1), last column = end
    start_cum: np.ndarray
    repeat_start_cum: np.ndarray  # (segments, touchpoints): channel preference shapes the path
    discount: np.ndarray  # (days,) discount factor of day t to day 0
    onboarding: np.ndarray  # churn log-odds added at tenure t days (churn.onboarding_log_odds)


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
    """The social network as CSR arrays (sim.mechanisms.network.Network); empty when fully mixed."""

    indptr: np.ndarray
    indices: np.ndarray


# Draw indices within a stream, per person and day. Fixed numbers, so that adding a
# draw to one mechanism never shifts the draws of another.
J_START, J_GAP, J_NEXT, J_CONTACT = 0, 1, 2, 3
E_QUALITY, E_RESOLVED = 0, 2  # draws of the experience stream (the quality normal uses 0 and 1)


@njit(cache=True, inline="always")
def _begin_episode(s, i, tp):
    s.touchpoint[i] = tp
    s.episode_peak[i] = 0.0
    s.episode_last[i] = 0.0
    s.episode_sum[i] = 0.0
    s.episode_count[i] = 0
    s.episode_worst[i] = 0.0
    s.episode_worst_tp[i] = NO_TOUCHPOINT


@njit(cache=True, inline="always")
def _resolved(s, i, tp, day, p, k):
    """Did today's support contact resolve the problem? The service centre decides for the
    touchpoint it backs (an unresolved caller has a callback scheduled after today)."""
    if tp == p.callback_touchpoint:
        return s.callback_day[i] <= day
    return uniform(k.experience, i, E_RESOLVED) < p.resolution_rate


@njit(cache=True, inline="always")
def _open_cohort(s, i, day, tally):
    """A person acquired for the first time in the run opens (joins) today's cohort."""
    if s.cohort[i] < 0:
        s.cohort[i] = 1 + day // COHORT_DAYS
        s.first_day[i] = day
        tally[B_FIRST_ACQUIRED] += 1


@njit(cache=True, inline="always")
def _newcomer(s, i, j, z, p, z_frailty, z_rate, latest):
    """Person i left the market; a newcomer of the same segment takes their place (and their
    ties in the social network), with a fresh standard, frailty and episode rate (drawn as
    in sim.engine.state.heterogeneity, unsorted) and no history."""
    seg = s.segment[i]
    if p.frailty_sd > 0.0:
        s.churn_frailty[i] = log_multiplier(p.frailty_sd, z_frailty)
    if p.episode_rate_sd > 0.0:
        s.episode_rate[i] = np.exp(log_multiplier(p.episode_rate_sd, z_rate))
    s.status[i] = PROSPECT
    s.expectation[i] = min(10.0, max(0.0, j.segment_expectation[seg]
                                     + j.segment_expectation_sd[seg] * z))
    s.attitude[i] = 0.0
    s.cohort[i] = -1
    s.first_day[i] = 0
    s.revenue[i] = 0.0
    s.cost[i] = 0.0
    s.revenue_pv[i] = 0.0
    s.episodes[i] = 0
    s.churns[i] = 0
    s.praise_heard[i] = 0
    _latest_purchase(s, i, NEVER, latest)


BLOCKS = 64  # fixed partition of the people: results do not depend on the thread count

# Columns of begin_day's per-block tally.
(B_NEW, B_WON_BACK, B_REFERRALS, B_COST_ACQUISITION, B_FIRST_ACQUIRED, B_EXITS,
 B_EXIT_CUSTOMERS, B_EXIT_PROMOTERS, B_EXIT_DETRACTORS, B_EXIT_REVENUE,
 B_EXIT_COST, B_PURCHASES) = range(12)  # fmt: skip
BEGIN_TALLIES = 12
BUYER_WINDOW_DAYS = 91  # buyers_13w: people whose latest purchase began in the last 13 weeks
FAR_DAYS = 1_000_000  # a gap beyond any run (days <= 36,500): a very rare buyer's next episode


@njit(cache=True)
def _record(d, day, sender, receiver, positive):
    """Keep one word-of-mouth message, while the record has room (else count it as missed)."""
    n = d.message_count[0]
    if n < d.messages.shape[0]:
        d.messages[n, 0] = day
        d.messages[n, 1] = sender
        d.messages[n, 2] = receiver
        d.messages[n, 3] = 1 if positive else -1
        d.message_count[0] = n + 1
    else:
        d.message_count[1] += 1


@njit(cache=True, inline="always")
def _latest_purchase(s, i, day, latest):
    """Person i's latest purchase is now on `day` (NEVER: none). latest counts, for this block
    of people, those whose latest purchase fell on each day (index day + BUYER_WINDOW_DAYS;
    index 0: earlier, or never), so buyers_13w is a sum over the window, not a pass over
    everybody."""
    latest[_latest_bin(s.last_purchase_day[i])] -= 1
    latest[_latest_bin(day)] += 1
    s.last_purchase_day[i] = day


@njit(cache=True, inline="always")
def _latest_bin(day):
    """The index in a latest-purchase count of a latest purchase on `day` (see above)."""
    return max(day, -BUYER_WINDOW_DAYS) + BUYER_WINDOW_DAYS


@njit(cache=True)
def count_latest_purchases(last_purchase_day, latest):
    """Day 0's latest-purchase counts (as _latest_purchase keeps them) of everybody."""
    for i in range(last_purchase_day.size):
        latest[_latest_bin(last_purchase_day[i])] += 1

# Columns of live_day's per-block tally.
(L_ACTIVE, L_PROSPECTS, L_LAPSED, L_PROMOTERS, L_DETRACTORS, L_ATTITUDE, L_EXPECTATION,
 L_CHURNED, L_REVENUE, L_COST_SERVICE, L_EPISODES, L_DELIGHTED, L_PAINED, L_SATISFIED,
 L_INVITED, L_RESPONSES, L_SURVEY_PROMOTERS, L_SURVEY_DETRACTORS, L_SURVEY_SATISFIED,
 L_REVIEWS, L_REVIEW_STARS) = range(21)  # fmt: skip
LIVE_TALLIES = 21
# Rows of the per-block touchpoint and segment tallies.
TP_VISITS, TP_FELT, TP_DELIGHT, TP_PAIN = range(4)
SEG_ACTIVE, SEG_REVENUE, SEG_COST, SEG_CHURNED = range(4)


@njit(cache=True, inline="always")
def _block(b, n):
    """People [lo, hi) of block b."""
    return b * n // BLOCKS, (b + 1) * n // BLOCKS


@njit(cache=True, inline="always")
def _cohort_start(c):
    """First day of cohort c's acquisition window (the day-0 base: day 0)."""
    return 0 if c == 0 else (c - 1) * COHORT_DAYS


@njit(cache=True)
def _begin_block(lo, hi, day, s, p, j, k, review_sales, review_expectation, tally, latest):
    for i in range(lo, hi):
        status = s.status[i]
        if status == PROSPECT:
            heard_pos = s.praise_heard[i]  # praise heard yesterday: referrals (Bass's q)
            s.praise_heard[i] = 0
            # Advertising and each positive message heard are independent chances:
            # P(adopt) = 1 - (1 - ad)(1 - q)^H
            missed = 1.0 if heard_pos == 0 else (1.0 - p.referral_rate) ** heard_pos
            ad = min(1.0, p.ad_rate * review_sales)
            a = s.attitude[i]
            u = uniform(k.acquisition, i, 0)
            # exp(intent x attitude) <= 1 when attitude <= 0: most prospects are decided
            # without computing it
            if a > 0.0 or u < 1.0 - (1.0 - ad) * missed:
                ad = min(1.0, ad * np.exp(p.intent_sensitivity * a))
            if u < 1.0 - (1.0 - ad) * missed:
                cost = p.cost_per_acquisition
                if u >= ad:  # advertising alone would not have done it
                    tally[B_REFERRALS] += 1
                    cost = p.referral_cost
                s.expectation[i] = min(10.0, max(0.0, s.expectation[i] + review_expectation))
                for tp in range(j.norm_offset.shape[0]):
                    s.tp_expectation[i, tp] = min(10.0, max(0.0, s.expectation[i]
                                                             + j.norm_offset[tp]))
                s.status[i] = ACTIVE
                s.acquired_day[i] = day
                _open_cohort(s, i, day, tally)
                s.cost[i] += cost
                tally[B_NEW] += 1
                tally[B_COST_ACQUISITION] += cost
                _begin_episode(s, i, pick(j.start_cum, uniform(k.journey, i, J_START)))
                s.next_episode_day[i] = day + _interval(p, s.episode_rate[i])
                _latest_purchase(s, i, day, latest)
                tally[B_PURCHASES] += 1
        elif status == LAPSED:
            if uniform(k.winback, i, 0) < p.winback_rate:
                s.status[i] = ACTIVE
                s.acquired_day[i] = day
                _open_cohort(s, i, day, tally)  # a customer from before the run, back
                s.renewal_survival[i] = 1.0
                s.cost[i] += p.winback_cost
                tally[B_WON_BACK] += 1
                tally[B_COST_ACQUISITION] += p.winback_cost
                _begin_episode(s, i, pick(j.repeat_start_cum[s.segment[i]],
                                          uniform(k.journey, i, J_START)))
                s.next_episode_day[i] = day + _interval(p, s.episode_rate[i])
                _latest_purchase(s, i, day, latest)
                tally[B_PURCHASES] += 1
            elif uniform(k.winback, i, 1) < p.lapsed_exit:
                x = nps_propensity(s.attitude[i], p.nps_at_neutral, p.nps_per_unit,
                                   s.nps_offset[i])
                tally[B_EXITS] += 1
                if s.cohort[i] >= 0:  # a customer during the run: counted in nps_ever
                    tally[B_EXIT_CUSTOMERS] += 1
                    tally[B_EXIT_PROMOTERS] += x >= PROMOTER_FROM
                    tally[B_EXIT_DETRACTORS] += x < DETRACTOR_BELOW
                tally[B_EXIT_REVENUE] += s.revenue[i]
                tally[B_EXIT_COST] += s.cost[i]
                _newcomer(s, i, j, normal(k.winback, i, 2), p, normal(k.winback, i, 3),
                          normal(k.winback, i, 4), latest)
        elif s.touchpoint[i] == NO_TOUCHPOINT and 0 <= s.callback_day[i] <= day:
            # an unresolved issue: the customer calls support again
            _begin_episode(s, i, p.callback_touchpoint)
            s.problem[i] = 1
            s.callback_day[i] = -1
        elif s.touchpoint[i] == NO_TOUCHPOINT and s.next_episode_day[i] <= day:
            _begin_episode(s, i, pick(j.repeat_start_cum[s.segment[i]],
                                      uniform(k.journey, i, J_START)))
            _latest_purchase(s, i, day, latest)
            tally[B_PURCHASES] += 1
            if p.fixed_interval:
                s.next_episode_day[i] = day + max(1, round(p.interval_days))


@njit(cache=True, parallel=True)
def _begin_blocks_parallel(day, s, p, j, k, review_sales, review_expectation, tally, latest):
    n = s.status.shape[0]
    for b in prange(BLOCKS):
        lo, hi = _block(b, n)
        _begin_block(lo, hi, day, s, p, j, k, review_sales, review_expectation, tally[b],
                     latest[b])


@njit(cache=True)
def _begin_blocks_serial(day, s, p, j, k, review_sales, review_expectation, tally, latest):
    n = s.status.shape[0]
    for b in range(BLOCKS):
        lo, hi = _block(b, n)
        _begin_block(lo, hi, day, s, p, j, k, review_sales, review_expectation, tally[b],
                     latest[b])


@njit(cache=True)
def begin_day(day, s, p, j, k, d, review_sales, review_expectation, parallel):
    """Steps 1-2 of the day: acquisition (advertising, referrals), win-back, episodes that begin.

    review_sales multiplies prospects' response to advertising (the review average read
    before buying); review_expectation is what it adds to a new customer's expectation.
    parallel runs the blocks on numba's threads (worth it for large markets only).
    After this kernel, s.touchpoint holds the touchpoint each person visits today.
    """
    tally = np.zeros((BLOCKS, BEGIN_TALLIES))
    if parallel:
        _begin_blocks_parallel(day, s, p, j, k, review_sales, review_expectation, tally,
                               d.latest_purchase)
    else:
        _begin_blocks_serial(day, s, p, j, k, review_sales, review_expectation, tally,
                             d.latest_purchase)
    total = np.zeros(BEGIN_TALLIES)
    for b in range(BLOCKS):  # in block order: the same sums whatever the thread count
        total += tally[b]
    d.new[day] = total[B_NEW]
    d.won_back[day] = total[B_WON_BACK]
    d.purchases[day] = total[B_PURCHASES]
    d.referrals[day] = total[B_REFERRALS]
    d.cost_acquisition[day] = total[B_COST_ACQUISITION]
    d.first_acquired[day] = total[B_FIRST_ACQUIRED]
    d.exits[day] = total[B_EXITS]
    d.exit_customers[day] = total[B_EXIT_CUSTOMERS]
    d.exit_revenue[day] = total[B_EXIT_REVENUE]
    d.exit_cost[day] = total[B_EXIT_COST]
    d.exit_promoters[day] = total[B_EXIT_PROMOTERS]
    d.exit_detractors[day] = total[B_EXIT_DETRACTORS]
    d.cohort_size[1 + day // COHORT_DAYS] += total[B_FIRST_ACQUIRED]


@njit(cache=True, inline="always")
def _interval(p, rate):
    """Days until a new customer's first repeat episode: their own mean interval (renewals
    keep the journey's)."""
    if p.fixed_interval:
        return max(1, round(p.interval_days))
    return max(1, round(min(p.interval_days / rate, FAR_DAYS)))


@njit(cache=True, inline="always")
def _gap(p, u, rate):
    """Days until the next episode: geometric with the person's mean (the journey's interval
    over their episode rate; at least 1)."""
    interval = p.interval_days / rate
    if interval <= 1.0:
        return 1
    return 1 + int(min(np.log(1.0 - u) / np.log(1.0 - 1.0 / interval), FAR_DAYS))


@njit(cache=True)
def _live_block(lo, hi, day, s, p, j, k, quality_shift, tally, tp_tally, seg_tally,
                cohort_tally, churn_tally, talkers):
    """live_day for people [lo, hi); returns how many of them talk (listed in talkers)."""
    n_tp = j.weight.shape[0]
    n_talkers = 0
    for i in range(lo, hi):
        if s.status[i] == PROSPECT:
            s.attitude[i] *= p.fade  # what a prospect heard fades toward indifference
            tally[L_PROSPECTS] += 1
            continue
        if s.status[i] == LAPSED:  # a lost customer keeps the attitude they left with
            tally[L_LAPSED] += 1
            continue
        seg = s.segment[i]
        base = j.attitude_baseline[seg]
        a = base + (s.attitude[i] - base) * p.fade
        tp = s.touchpoint[i]
        renewal_today = False
        if tp >= 0:
            # Experience: performance against the reference, plus disconfirmation of
            # this touchpoint's expectation (zone of tolerance, prospect theory beyond it).
            q = (
                j.perceived_mean[seg, tp]
                + j.perceived_sd[seg, tp] * normal(k.experience, i, E_QUALITY)
                + quality_shift[i]
            )
            e = s.tp_expectation[i, tp]
            v = felt_value(q, e, p.performance_reference, p.performance_weight, p.tolerance_zone,
                           p.tolerance_slope, p.alpha, p.loss_aversion)
            # Problems, the contact with support and service recovery, into the episode's
            # memory (running peak, end, sum and worst moment): sim.mechanisms.visit.
            at_support = tp == p.support_touchpoint
            resolves = at_support and s.problem[i] != 0 and _resolved(s, i, tp, day, p, k)
            _, problem, contact, worse, ep = visit(
                q, j.weight[tp] * v, j.weight[tp], at_support, s.problem[i] != 0, resolves,
                ProblemRule(p.support_touchpoint, p.failure_quality, p.contact_share,
                            p.recovery_repair, p.recovery_bonus),
                k.journey, i, J_CONTACT,
                Episode(s.episode_peak[i], s.episode_last[i], s.episode_sum[i],
                        s.episode_count[i], s.episode_worst[i]))
            s.episode_peak[i], s.episode_last[i], s.episode_sum[i] = ep.peak, ep.last, ep.total
            s.episode_count[i], s.episode_worst[i] = ep.count, ep.worst
            s.problem[i] = problem
            if worse:
                s.episode_worst_tp[i] = tp
            s.tp_expectation[i, tp] = adapted_expectation(
                e, q, s.expectation[i] + j.norm_offset[tp], p.adaptation, p.anchoring)
            tally[L_EXPECTATION] += e
            tp_tally[TP_VISITS, tp] += 1
            tp_tally[TP_FELT, tp] += v
            if v > p.delight_threshold:
                tp_tally[TP_DELIGHT, tp] += 1
            elif v < p.pain_threshold:
                tp_tally[TP_PAIN, tp] += 1
            # Money of the visit: spend grows and the cost to serve falls with tenure.
            years = min(p.tenure_effect_years, (day - s.acquired_day[i]) / 365.0)
            c = j.cost[tp] * (1.0 - p.cost_decline_per_year * years)
            s.cost[i] += c
            tally[L_COST_SERVICE] += c
            seg_tally[SEG_COST, seg] += c
            if j.price[tp] > 0.0:
                r = (j.price[tp] * s.spend_multiplier[i] * max(0.0, 1.0 + p.spend_elasticity * a)
                     * (1.0 + p.spend_growth_per_year * years))
                s.revenue[i] += r
                s.revenue_pv[i] += r * j.discount[day]
                tally[L_REVENUE] += r
                seg_tally[SEG_REVENUE, seg] += r
            renewal_today = j.renewal[tp]
            # Next touchpoint, or the end of the episode.
            if contact:
                nxt = p.support_touchpoint
            else:
                nxt = pick(j.transition_cum[tp], uniform(k.journey, i, J_NEXT))
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
                s.problem[i] = 0  # resolved, suffered in silence, or left for a callback
                tally[L_EPISODES] += 1
                if score > p.delight_threshold:
                    tally[L_DELIGHTED] += 1
                elif score < p.pain_threshold:
                    tally[L_PAINED] += 1
                satisfied = stars(score) >= 4  # top-2-box: 4 or 5 on a 1-5 satisfaction scale
                if satisfied:
                    tally[L_SATISFIED] += 1
                if not p.fixed_interval:
                    s.next_episode_day[i] = day + _gap(p, uniform(k.journey, i, J_GAP),
                                                        s.episode_rate[i])
                if uniform(k.survey, i, 0) < p.survey_invite:
                    tally[L_INVITED] += 1
                    if uniform(k.survey, i, 1) < response_probability(
                        a, p.survey_base_logit, p.survey_slope, p.survey_curvature
                    ):
                        tally[L_RESPONSES] += 1
                        ans = nps_answer(a, p.nps_at_neutral, p.nps_per_unit, s.nps_offset[i])
                        if ans >= 9:
                            tally[L_SURVEY_PROMOTERS] += 1
                        elif ans <= 6:
                            tally[L_SURVEY_DETRACTORS] += 1
                        if satisfied:
                            tally[L_SURVEY_SATISFIED] += 1
                # Word of mouth: the delighted and the pained talk (sent after the blocks).
                if score > p.wom_positive_threshold and p.wom_positive_contacts > 0:
                    talkers[lo + n_talkers] = i + 1
                    n_talkers += 1
                elif score < p.wom_negative_threshold and p.wom_negative_contacts > 0:
                    talkers[lo + n_talkers] = -(i + 1)
                    n_talkers += 1
                # Public review (zero moment of truth for tomorrow's prospects).
                if uniform(k.reviews, i, 0) < p.review_share:
                    tally[L_REVIEWS] += 1
                    tally[L_REVIEW_STARS] += stars(score)
            else:
                s.touchpoint[i] = nxt
        # Churn: a daily hazard, or at renewal only (the hazard accumulated since the last one).
        tenure = day - s.acquired_day[i]
        h = daily_hazard(
            a,
            p.churn_base_logit + (s.churn_frailty[i] if p.frailty_sd > 0.0 else 0.0),
            p.attitude_sensitivity * s.churn_sensitivity[i],
            p.switching_cost,
            p.loyalty_per_year,
            tenure,
            j.onboarding[tenure] if tenure < j.onboarding.shape[0] else 0.0,
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
            tally[L_CHURNED] += 1
            tally[L_LAPSED] += 1
            seg_tally[SEG_CHURNED, seg] += 1
            worst = s.episode_worst_tp[i]
            if worst >= 0 and s.episode_worst[i] < p.pain_threshold:
                churn_tally[worst] += 1
            else:
                churn_tally[n_tp] += 1
            continue
        # Daily record of an active customer.
        c = s.cohort[i]
        tally[L_ACTIVE] += 1
        seg_tally[SEG_ACTIVE, seg] += 1
        cohort_tally[c, s.first_day[i] - _cohort_start(c)] += 1
        tally[L_ATTITUDE] += a
        x = nps_propensity(a, p.nps_at_neutral, p.nps_per_unit, s.nps_offset[i])
        tally[L_PROMOTERS] += x >= PROMOTER_FROM  # branch-free: the category is unpredictable
        tally[L_DETRACTORS] += x < DETRACTOR_BELOW
    return n_talkers


# The serial and parallel block loops are two functions, not one compiled twice: numba's
# on-disk cache keeps one build per function, and would hand one mode the other's code.
@njit(cache=True, parallel=True)
def _live_blocks_parallel(day, s, p, j, k, quality_shift, tally, tp_tally, seg_tally,
                          cohort_tally, churn_tally, talkers, n_talkers):
    n = s.status.shape[0]
    for b in prange(BLOCKS):
        lo, hi = _block(b, n)
        n_talkers[b] = _live_block(lo, hi, day, s, p, j, k, quality_shift, tally[b],
                                   tp_tally[b], seg_tally[b], cohort_tally[b], churn_tally[b],
                                   talkers)


@njit(cache=True)
def _live_blocks_serial(day, s, p, j, k, quality_shift, tally, tp_tally, seg_tally,
                        cohort_tally, churn_tally, talkers, n_talkers):
    n = s.status.shape[0]
    for b in range(BLOCKS):
        lo, hi = _block(b, n)
        n_talkers[b] = _live_block(lo, hi, day, s, p, j, k, quality_shift, tally[b],
                                   tp_tally[b], seg_tally[b], cohort_tally[b], churn_tally[b],
                                   talkers)


@njit(cache=True)
def live_day(day, s, p, j, k, d, quality_shift, net, scratch, talkers, parallel):
    """Steps 3-7 of the day for every active customer: experience, memory, word of mouth,
    money, churn.

    quality_shift adds to the perceived quality of today's visit (the service centre
    uses it for waiting time); zeros otherwise. net is the social network; scratch is
    (2, largest number of contacts a customer tells); talkers has room for everybody
    (it lists who talks today, id + 1 for praise, -(id + 1) for complaints). parallel
    runs the blocks on numba's threads.
    """
    n = s.status.shape[0]
    n_tp = j.weight.shape[0]
    n_seg = d.segment_active.shape[1]
    n_cohorts = d.cohort_active.shape[0]
    tally = np.zeros((BLOCKS, LIVE_TALLIES))
    tp_tally = np.zeros((BLOCKS, 4, n_tp))
    seg_tally = np.zeros((BLOCKS, 4, n_seg))
    cohort_tally = np.zeros((BLOCKS, n_cohorts, COHORT_DAYS), dtype=np.int64)
    churn_tally = np.zeros((BLOCKS, n_tp + 1), dtype=np.int64)
    n_talkers = np.zeros(BLOCKS, dtype=np.int64)
    if parallel:
        _live_blocks_parallel(day, s, p, j, k, quality_shift, tally, tp_tally, seg_tally,
                              cohort_tally, churn_tally, talkers, n_talkers)
    else:
        _live_blocks_serial(day, s, p, j, k, quality_shift, tally, tp_tally, seg_tally,
                            cohort_tally, churn_tally, talkers, n_talkers)
    # Sums in block order: the same numbers whatever the thread count.
    t = np.zeros(LIVE_TALLIES)
    tps = np.zeros((4, n_tp))
    segs = np.zeros((4, n_seg))
    for b in range(BLOCKS):
        t += tally[b]
        tps += tp_tally[b]
        segs += seg_tally[b]
        for tp in range(n_tp + 1):
            d.churn_attributed[tp] += churn_tally[b, tp]
        for c in range(n_cohorts):
            for o in range(COHORT_DAYS):
                if cohort_tally[b, c, o]:
                    d.cohort_active[c, day - _cohort_start(c) - o] += cohort_tally[b, c, o]
    d.active[day] = t[L_ACTIVE]
    d.prospects[day] = t[L_PROSPECTS]
    d.lapsed[day] = t[L_LAPSED]
    d.promoters[day] = t[L_PROMOTERS]
    d.detractors[day] = t[L_DETRACTORS]
    d.attitude_sum[day] = t[L_ATTITUDE]
    d.expectation_sum[day] = t[L_EXPECTATION]
    d.churned[day] = t[L_CHURNED]
    d.revenue[day] = t[L_REVENUE]
    d.cost_service[day] = t[L_COST_SERVICE]
    d.episodes[day] = t[L_EPISODES]
    d.episodes_delighted[day] = t[L_DELIGHTED]
    d.episodes_pained[day] = t[L_PAINED]
    d.satisfied_episodes[day] = t[L_SATISFIED]
    d.survey_invited[day] = t[L_INVITED]
    d.survey_responses[day] = t[L_RESPONSES]
    d.survey_promoters[day] = t[L_SURVEY_PROMOTERS]
    d.survey_detractors[day] = t[L_SURVEY_DETRACTORS]
    d.survey_satisfied[day] = t[L_SURVEY_SATISFIED]
    d.reviews[day] = t[L_REVIEWS]
    d.review_stars[day] = t[L_REVIEW_STARS]
    d.buyers_13w[day] = d.latest_purchase[:, day + 1 : day + 1 + BUYER_WINDOW_DAYS].sum()
    d.tp_visits[day] = tps[TP_VISITS]
    d.tp_felt[day] = tps[TP_FELT]
    d.tp_delight[day] = tps[TP_DELIGHT]
    d.tp_pain[day] = tps[TP_PAIN]
    d.segment_active[day] = segs[SEG_ACTIVE]
    d.segment_revenue[day] = segs[SEG_REVENUE]
    d.segment_cost[day] = segs[SEG_COST]
    d.segment_churned[day] = segs[SEG_CHURNED]
    # Word of mouth, in order of person id: the delighted tell k+ contacts, the pained k-.
    chosen, targets = scratch[0], scratch[1]
    reached = 0
    for b in range(BLOCKS):
        lo = b * n // BLOCKS
        for q in range(n_talkers[b]):
            who = talkers[lo + q]
            positive = who > 0
            i = who - 1 if positive else -who - 1
            k_msgs = p.wom_positive_contacts if positive else p.wom_negative_contacts
            told = contacts(i, k_msgs, k.word_of_mouth, net.indptr, net.indices,
                            p.fully_mixed, p.weak_tie_share, n, chosen, targets)
            for m in range(told):
                reached += _hear(targets[m], positive, day, s, p)
                if d.messages.shape[0] > 0:  # output.record_messages
                    _record(d, day, i, targets[m], positive)
            if positive:
                d.wom_positive[day] += told
            else:
                d.wom_negative[day] += told
    d.wom_reached[day] = reached


@njit(cache=True, inline="always")
def _hear(t, positive, day, s, p):
    """Person t hears a message; returns 1 if it is the first they hear today."""
    sign = 1.0 if positive else -1.0
    s.attitude[t] += p.wom_attitude if positive else -p.wom_negative_weight * p.wom_attitude
    if s.status[t] == PROSPECT:
        s.expectation[t] = min(10.0, max(0.0, s.expectation[t] + sign * p.wom_expectation))
        if positive:
            s.praise_heard[t] += 1
    if s.last_heard_day[t] == day:
        return 0
    s.last_heard_day[t] = day
    return 1
