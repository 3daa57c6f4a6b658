"""The customer-experience model: a Mesa model whose step is one day.

The day loop, in the order the code runs (MODEL.md section 2):

1. Acquisition, win-back and the market's turnover: prospects adopt through advertising
   and referrals (praise heard yesterday); lapsed customers may return, or leave the
   market, a newcomer prospect taking their place. A new customer's first episode begins
   today at journey.start.
2. Journey: active customers due for an episode begin one at journey.repeat_start.
   Everybody in an episode is at today's touchpoint.
3. Experience and problems: each visit is perceived (segment pillar weights, complexity, noise) and
   felt as performance (against the scale's midpoint) plus disconfirmation of the
   customer's expectation for that touchpoint (zone of tolerance, prospect theory beyond
   it); the expectation adapts, anchored. A visit perceived below problems.failure_quality
   went wrong: the customer contacts support (journey.support) or suffers in silence; at
   support, a resolved problem repairs part of the failure in memory (service recovery).
   Cost to serve and revenue of the visit are booked.
4. Memory: the episode's peak and end are updated; the next touchpoint is drawn, and
   an episode that reaches `end` is remembered (peak-end) into attitude; finished
   episodes may be followed by a survey.
5. Churn: a daily hazard from attitude, switching cost and loyalty (or, for
   subscriptions, the hazard accumulated since the last renewal, applied there).
6. Record: attitude fades towards the customer's baseline (before the day's experience);
   daily figures are written by index.
7. Word of mouth: customers whose episode ended delighted or pained tell their contacts,
   in order of person id; hearers' attitudes (and prospects' expectations) shift tonight.

Steps 1-2 run in sim.engine.kernels.begin_day, then the service centre
(sim.mechanisms.support_calls) simulates the support calls, then steps 3-7 run in
sim.engine.kernels.live_day.
"""

import math
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from sim.config.footprint import AGENT_HANDLES_AUTO_MAX, check_memory
from sim.config.schema import PILLARS, lapsed_on_day_0, validate
from sim.engine.agents import Customer
from sim.engine.kernels import (
    BLOCKS,
    BUYER_WINDOW_DAYS,
    JourneyArrays,
    Keys,
    Params,
    begin_day,
    count_latest_purchases,
    live_day,
)
from sim.engine.kernels import Network as KernelNetwork
from sim.engine.record import Daily
from sim.engine.state import COHORT_DAYS, initial_state
from sim.errors import ConfigError, stop_if_interrupted
from sim.mechanisms.churn import cumulative_baseline_hazard, logit, onboarding_log_odds
from sim.mechanisms.experience import (
    failure_chance,
    perceived_quality,
    settled_expectation,
    value_shift,
)
from sim.mechanisms.journey import Journey
from sim.mechanisms.memory import RULES, attitude_baseline, daily_fade
from sim.mechanisms.network import Network, build_network
from sim.mechanisms.support_calls import SupportCalls
from sim.mechanisms.word_of_mouth import review_factor
from sim.rng import day_key, stream_generator, stream_key

PARALLEL_FROM = 200_000  # people from which population.parallel=auto uses numba's threads


class CXModel(mesa.Model):
    """Customers living through journeys, remembering, churning and paying, one day a step."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        self.cfg = validate(cfg)
        check_memory(self.cfg)  # refuse before allocating what cannot fit
        self.journey = Journey.from_config(self.cfg["journey"])
        super().__init__(rng=self.cfg["seed"])
        c = self.cfg
        self.days = c["days"]
        self.segment_names = tuple(c["segments"])
        segs = list(c["segments"].values())
        weights = np.array([[s["pillar_weights"][p] for p in PILLARS] for s in segs])
        weights /= weights.sum(axis=1, keepdims=True)
        j = self.journey
        product = c["product"]
        unknown = [n for n in product["used_at"] if n not in j.names]
        if unknown and product["features"] != product["market_features"]:
            raise ConfigError(
                f"product.used_at: {unknown[0]!r} is not a touchpoint of journey {j.name!r}; "
                f"name where the product is used among: {', '.join(j.names)}"
            )
        mean, sd = perceived_quality(
            j.quality,
            j.spread,
            j.complexity,
            weights,
            c["experience"]["complexity_penalty"],
            c["experience"]["perception_noise_sd"],
        )
        mean = mean + value_shift(j, segs, c["money"], product,
                                  c["experience"]["complexity_penalty"])
        extra_features = product["features"] - product["market_features"]
        # e^700 is near the largest double; the chance of buying is capped at 1 anyway
        self._attraction = float(np.exp(min(700.0, product["attraction_per_feature"]
                                            * extra_features)))
        self._feature_expectation = product["expectation_per_feature"] * extra_features
        pop = c["population"]
        shares = np.array([s["share"] for s in segs])
        # the journey as customers walk it on average, problems' detours to support included
        self.walked = walked = j.with_problems(shares @ failure_chance(mean, sd, c["problems"])
                                 * c["problems"]["contact_share"])
        self.support = SupportCalls.from_config(
            c["service_centre"], walked, weights, pop["customers"], self.days
        )
        cost = j.cost.copy()
        if self.support is not None:
            cost[self.support.touchpoint] = 0.0  # the agents' hourly cost carries it instead
        daily_discount = (1.0 + c["money"]["annual_discount_rate"]) ** (1.0 / 365.0)
        exp = c["experience"]
        norm = np.where(np.isnan(j.norm), exp["market_norm"], j.norm)
        norm_offset = norm - exp["market_norm"]
        seg_expectation = np.array([s["expectation"] for s in segs])
        anchor = np.clip(seg_expectation[:, None] + norm_offset[None, :], 0.0, 10.0)
        settled = settled_expectation(mean, anchor, exp["expectation_adaptation"],
                                      exp["expectation_anchoring"])
        backed = self.support is not None and self.support.touchpoint == j.support
        resolution = (self.support.centre["first_contact_resolution"] if backed
                      else c["problems"]["resolution_rate"])
        starts = _preferred_starts(j, segs)
        baseline = attitude_baseline(mean, sd, settled, j, starts, c["memory"]["rule"], exp,
                                     c["problems"], resolution)
        self.arrays = JourneyArrays(
            perceived_mean=mean,
            perceived_sd=sd,
            weight=j.weight,
            cost=cost,
            price=j.price * c["money"]["price_index"],
            renewal=j.renewal,
            norm_offset=norm_offset,
            attitude_baseline=baseline,
            segment_expectation=seg_expectation,
            segment_expectation_sd=np.array([s["expectation_sd"] for s in segs]),
            transition_cum=j.transition_cum,
            start_cum=j.start_cum,
            repeat_start_cum=starts,
            discount=daily_discount ** -np.arange(self.days, dtype=np.float64),
            onboarding=onboarding_log_odds(c["churn"]["onboarding_extra_log_odds"],
                                           c["churn"]["onboarding_half_life_days"]),
        )
        self.params = _params(c, j, self.support)
        lapsed = lapsed_on_day_0(pop)
        self.network = _social_network(c, pop["customers"] + pop["prospects"] + lapsed)
        self.state = initial_state(
            c["seed"],
            c["replication"],
            pop["customers"],
            pop["prospects"],
            lapsed,
            c["segments"],
            c["churn"],
            c["memory"],
            c["nps"],
            j.episode_interval_days,
            j.fixed_interval,
            norm_offset,
            mean,
            exp["expectation_adaptation"],
            exp["expectation_anchoring"],
            baseline,
            walked.visits_per_episode(),
            pop,
            _sorting(c, baseline, self.arrays.onboarding),
        )
        cohorts = 2 + self.days // COHORT_DAYS
        self.daily = Daily.allocate(self.days, j.n, len(segs), cohorts, BLOCKS, BUYER_WINDOW_DAYS,
                                    c["output"]["record_messages"])
        self.daily.cohort_size[0] = pop["customers"]
        count_latest_purchases(self.state.last_purchase_day, self.daily.latest_purchase[0])
        self._stream_keys = tuple(
            stream_key(c["seed"], name, c["replication"]) for name in Keys._fields
        )
        self._service_stream = stream_key(c["seed"], "service", c["replication"])
        self._shift = np.zeros(self.n_people)  # today's quality shift of support callers
        self._callers = np.zeros(0, dtype=np.int64)
        wom = c["word_of_mouth"]
        most = max(wom["positive_contacts"], wom["negative_contacts"], 1)
        self._scratch = np.zeros((2, most), dtype=np.int64)  # word of mouth's working space
        self._net = KernelNetwork(self.network.indptr, self.network.indices)
        self._talkers = np.zeros(self.n_people, dtype=np.int64)  # who talks today (live_day)
        mode = pop["parallel"]
        # threads pay off for large markets only: a small day is over before they wake up
        self.parallel = mode == "on" or (mode == "auto" and self.n_people >= PARALLEL_FROM)
        self.day = 0
        handles = pop["agent_handles"]
        self._handles: list[Customer] = []
        if handles == "all" or (handles == "auto" and self.n_people <= AGENT_HANDLES_AUTO_MAX):
            self._handles = list(
                Customer.create_agents(self, self.n_people, index=np.arange(self.n_people))
            )

    def _service_key(self, day: int) -> np.uint64:
        return np.uint64(day_key(self._service_stream, day))

    @property
    def review_average(self) -> float:
        """Star average of all public reviews so far: what prospects read before buying."""
        rev, d, t = self.cfg["reviews"], self.daily, self.day
        stars = rev["initial_average"] * rev["initial_count"] + d.review_stars[:t].sum()
        count = rev["initial_count"] + d.reviews[:t].sum()
        return float(stars / count) if count else rev["neutral_stars"]

    @property
    def n_people(self) -> int:
        return int(self.state.status.shape[0])

    def customer(self, index: int) -> Customer:
        """A handle on one person, whether or not handles were created up front."""
        if not 0 <= index < self.n_people:
            raise IndexError(f"customer index must be in [0, {self.n_people - 1}]; got {index}")
        if self._handles:
            return self._handles[index]
        return Customer(self, index)

    def step(self) -> None:
        """One day, in the order documented at the top of this module."""
        stop_if_interrupted()  # a Ctrl-C that a library swallowed still stops the run
        if self.day >= self.days:
            raise RuntimeError(f"the run has {self.days} days and all have been simulated")
        day = self.day
        keys = Keys(*(np.uint64(day_key(k, day)) for k in self._stream_keys))
        rev = self.cfg["reviews"]
        stars = self.review_average
        # what prospects read (reviews) and see (the product's capability) before buying
        review_sales = self._attraction * review_factor(stars, rev["neutral_stars"],
                                                        rev["sales_sensitivity"])
        review_expectation = (rev["expectation_per_star"] * (stars - rev["neutral_stars"])
                              + self._feature_expectation)
        s, p, j, d = self.state, self.params, self.arrays, self.daily
        begin_day(day, s, p, j, keys, d, review_sales, review_expectation, self.parallel)
        if self.support is not None:
            self._shift[self._callers] = 0.0
            self._callers = self.support.serve(day, self._service_key(day), s, self._shift)
        live_day(day, s, p, j, keys, d, self._shift, self._net, self._scratch, self._talkers,
                 self.parallel)
        self.day += 1
        self.running = self.day < self.days


def _preferred_starts(j: Journey, segments: list[dict]) -> np.ndarray:
    """Where each segment's repeat episodes begin: journey.repeat_start tilted by e^(points)
    toward the channels the segment finds convenient (segments x touchpoints, cumulative)."""
    base = np.diff(j.repeat_start_cum, prepend=0.0)
    out = np.empty((len(segments), j.n))
    for g, seg in enumerate(segments):
        tilt = np.array([np.exp(seg["channel_convenience"][ch]) for ch in j.channel])
        p = base * tilt
        out[g] = np.cumsum(p / p.sum())
        out[g, np.flatnonzero(p)[-1]:] = 1.0  # exactly 1 from the last possible start
    return out


def _sorting(c: Mapping[str, Any], baseline: np.ndarray, onboarding: np.ndarray):
    """The day-0 base's cumulative baseline hazard by segment and tenure, when frailty sorts
    it (None otherwise): tenures up to 20 times their mean cover all but e^-20 of them, and
    a century covers any business (longer tenures read the last column)."""
    churn = c["churn"]
    if churn["frailty_sd"] == 0.0 or c["population"]["customers"] == 0:
        return None
    days = min(math.ceil(20 * churn["initial_tenure_mean_days"]), 36500) + 1
    sensitivity = np.array([s["churn_sensitivity"] for s in c["segments"].values()])
    return cumulative_baseline_hazard(churn, baseline, sensitivity, onboarding, days)


def _social_network(c: Mapping[str, Any], n: int) -> Network:
    """The market's social network; empty when nobody talks or influence is fully mixed."""
    net, wom = c["network"], c["word_of_mouth"]
    silent = wom["positive_contacts"] == 0 and wom["negative_contacts"] == 0
    if silent or net["kind"] == "fully_mixed":
        return Network(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    rng = stream_generator(c["seed"], "network", c["replication"])
    customers = np.arange(n) < c["population"]["customers"]  # the day-0 base: ids 0..C-1
    return build_network(net["kind"], n, net["mean_degree"], rng, net["rewire_prob"],
                         net["path"], net["homophily"], customers)


def _params(c: Mapping[str, Any], j: Journey, support: SupportCalls | None) -> Params:
    exp, mem, churn, surv = c["experience"], c["memory"], c["churn"], c["survey"]
    wom, problems = c["word_of_mouth"], c["problems"]
    hazard = churn["daily_hazard_at_neutral"]
    return Params(
        ad_rate=c["acquisition"]["ad_rate_per_day"],
        cost_per_acquisition=c["acquisition"]["cost_per_acquisition"],
        winback_rate=churn["winback_rate_per_day"],
        winback_cost=churn["winback_cost"],
        lapsed_exit=1.0 / c["population"]["lapsed_exit_days"],
        interval_days=j.episode_interval_days,
        fixed_interval=j.fixed_interval,
        churn_at_renewal=j.churn_at_renewal,
        alpha=exp["alpha"],
        loss_aversion=exp["loss_aversion"],
        performance_weight=exp["performance_weight"],
        performance_reference=exp["performance_reference"],
        tolerance_zone=exp["tolerance_zone"],
        tolerance_slope=exp["tolerance_slope"],
        adaptation=exp["expectation_adaptation"],
        anchoring=exp["expectation_anchoring"],
        delight_threshold=exp["delight_threshold"],
        pain_threshold=exp["pain_threshold"],
        memory_rule=RULES.index(mem["rule"]),
        episode_weight=mem["episode_weight"],
        fade=daily_fade(mem["half_life_days"]),
        churn_base_logit=logit(hazard),
        attitude_sensitivity=churn["attitude_sensitivity"],
        switching_cost=churn["switching_cost"],
        loyalty_per_year=churn["loyalty_per_year"],
        spend_elasticity=c["money"]["spend_satisfaction_elasticity"],
        nps_at_neutral=c["nps"]["at_neutral"],
        nps_per_unit=c["nps"]["per_attitude_unit"],
        survey_invite=surv["invite_share"],
        survey_base_logit=logit(surv["response_rate_at_neutral"]),
        survey_slope=surv["response_slope"],
        survey_curvature=surv["response_curvature"],
        referral_rate=c["acquisition"]["referral_rate"],
        intent_sensitivity=c["acquisition"]["intent_sensitivity"],
        wom_positive_contacts=wom["positive_contacts"],
        wom_negative_contacts=wom["negative_contacts"],
        wom_positive_threshold=wom["positive_threshold"],
        wom_negative_threshold=wom["negative_threshold"],
        wom_attitude=wom["attitude_per_message"],
        wom_negative_weight=wom["negative_message_weight"],
        wom_expectation=wom["expectation_per_message"],
        weak_tie_share=1.0 if c["network"]["kind"] == "fully_mixed" else wom["weak_tie_share"],
        fully_mixed=c["network"]["kind"] == "fully_mixed",
        review_share=c["reviews"]["post_share"],
        callback_touchpoint=-1 if support is None else support.touchpoint,
        support_touchpoint=j.support,
        failure_quality=problems["failure_quality"],
        contact_share=problems["contact_share"],
        resolution_rate=problems["resolution_rate"],
        recovery_repair=problems["recovery_repair"],
        recovery_bonus=problems["recovery_bonus"] if problems["recovery_paradox"] else 0.0,
        referral_cost=c["acquisition"]["cost_per_referral"],
        spend_growth_per_year=c["money"]["spend_growth_per_year"],
        cost_decline_per_year=c["money"]["cost_to_serve_decline_per_year"],
        tenure_effect_years=c["money"]["tenure_effect_years"],
        frailty_sd=churn["frailty_sd"],
        episode_rate_sd=c["population"]["episode_rate_sd"],
    )
