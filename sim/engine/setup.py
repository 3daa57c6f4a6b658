"""The set-up of a run, one function read top to bottom in the order it runs.

`build(cfg)` refuses bad input and what cannot fit before anything is allocated, then
derives, in turn: what each segment perceives at each touchpoint (pillar weights, spread,
complexity, value for money), the journey as customers walk it on average (problems'
detours to support), the service centre, the settled expectations and the attitude
baseline they leave, the arrays and constants the kernels read, the social network, the
day-0 market and the daily record. sim.engine.model.CXModel holds what it returns and
steps it one day at a time.
"""

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from sim.config.footprint import check_memory
from sim.config.schema import PILLARS, lapsed_on_day_0, validate
from sim.engine.kernels import (
    BLOCKS,
    BUYER_WINDOW_DAYS,
    JourneyArrays,
    Keys,
    Params,
    count_latest_purchases,
)
from sim.engine.kernels import Network as KernelNetwork
from sim.engine.record import Daily
from sim.engine.state import COHORT_DAYS, Settling, Sizes, State, initial_state
from sim.errors import ConfigError
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
from sim.rng import stream_generator, stream_key

PARALLEL_FROM = 200_000  # people from which population.parallel=auto uses numba's threads


class World(NamedTuple):
    """Everything a run starts from: what CXModel holds and the kernels read."""

    cfg: dict[str, Any]  # the validated config
    journey: Journey
    walked: Journey  # the journey as walked on average, problems' detours included
    support: SupportCalls | None  # the service centre, when one backs support
    arrays: JourneyArrays
    params: Params
    network: Network
    state: State
    daily: Daily
    stream_keys: tuple[np.uint64, ...]  # one per kernel stream (Keys' fields)
    service_stream: np.uint64
    attraction: float  # the product's pull on prospects: e^(attraction x extra features)
    feature_expectation: float  # what extra features add to a prospect's expectation
    parallel: bool  # numba's threads for the day loop


def build(cfg: Mapping[str, Any]) -> World:
    """Validate `cfg` and set up the day-0 market it describes."""
    c = validate(cfg)
    check_memory(c)  # refuse before allocating what cannot fit
    j = Journey.from_config(c["journey"])
    _check_product(c["product"], j)
    segs = list(c["segments"].values())
    exp, pop, problems = c["experience"], c["population"], c["problems"]

    # What each segment perceives at each touchpoint (segments x touchpoints).
    weights = np.array([[s["pillar_weights"][p] for p in PILLARS] for s in segs])
    weights /= weights.sum(axis=1, keepdims=True)
    mean, sd = perceived_quality(j.quality, j.spread, j.complexity, weights,
                                 exp["complexity_penalty"], exp["perception_noise_sd"])
    mean = mean + value_shift(j, segs, c["money"], c["product"], exp["complexity_penalty"])

    # The journey as customers walk it on average, problems' detours to support included,
    # and the service centre sized for it.
    shares = np.array([s["share"] for s in segs])
    walked = j.with_problems(shares @ failure_chance(mean, sd, problems)
                             * problems["contact_share"])
    support = SupportCalls.from_config(c["service_centre"], walked, weights, pop["customers"],
                                       c["days"])

    # Settled expectations, and the attitude baseline the business's performance leaves.
    norm = np.where(np.isnan(j.norm), exp["market_norm"], j.norm)
    norm_offset = norm - exp["market_norm"]
    seg_expectation = np.array([s["expectation"] for s in segs])
    anchor = np.clip(seg_expectation[:, None] + norm_offset[None, :], 0.0, 10.0)
    settled = settled_expectation(mean, anchor, exp["expectation_adaptation"],
                                  exp["expectation_anchoring"])
    backed = support is not None and support.touchpoint == j.support
    resolution = (support.centre["first_contact_resolution"] if backed
                  else problems["resolution_rate"])
    starts = _preferred_starts(j, segs)
    baseline = attitude_baseline(mean, sd, settled, j, starts, c["memory"]["rule"], exp,
                                 problems, resolution)

    # What the kernels read: the journey as arrays, and the constants of every mechanism.
    cost = j.cost.copy()
    if support is not None:
        cost[support.touchpoint] = 0.0  # the agents' hourly cost carries it instead
    daily_discount = (1.0 + c["money"]["annual_discount_rate"]) ** (1.0 / 365.0)
    arrays = JourneyArrays(
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
        discount=daily_discount ** -np.arange(c["days"], dtype=np.float64),
        onboarding=onboarding_log_odds(c["churn"]["onboarding_extra_log_odds"],
                                       c["churn"]["onboarding_half_life_days"]),
    )
    params = _params(c, j, support)

    # The social network, then the day-0 market on it.
    lapsed = lapsed_on_day_0(pop)
    sizes = Sizes(pop["customers"], pop["prospects"], lapsed)
    network = _social_network(c, sum(sizes))
    settling = Settling(
        norm_offset=norm_offset,
        mean_quality=mean,
        adaptation=exp["expectation_adaptation"],
        anchoring=exp["expectation_anchoring"],
        attitude_baseline=baseline,
        visits_per_episode=walked.visits_per_episode(),
        cumulative_hazard=_sorting(c, baseline, arrays.onboarding),
    )
    state = initial_state(c, j, sizes, settling)

    # The daily record, with day 0's counts.
    cohorts = 2 + c["days"] // COHORT_DAYS
    daily = Daily.allocate(c["days"], j.n, len(segs), cohorts, BLOCKS, BUYER_WINDOW_DAYS,
                           c["output"]["record_messages"])
    daily.cohort_size[0] = pop["customers"]
    count_latest_purchases(state.last_purchase_day, daily.latest_purchase[0])

    product = c["product"]
    extra_features = product["features"] - product["market_features"]
    n_people = int(state.status.shape[0])
    mode = pop["parallel"]
    return World(
        cfg=c,
        journey=j,
        walked=walked,
        support=support,
        arrays=arrays,
        params=params,
        network=network,
        state=state,
        daily=daily,
        stream_keys=tuple(stream_key(c["seed"], name, c["replication"])
                          for name in Keys._fields),
        service_stream=stream_key(c["seed"], "service", c["replication"]),
        # e^700 is near the largest double; the chance of buying is capped at 1 anyway
        attraction=float(np.exp(min(700.0, product["attraction_per_feature"]
                                    * extra_features))),
        feature_expectation=product["expectation_per_feature"] * extra_features,
        # threads pay off for large markets only: a small day is over before they wake up
        parallel=mode == "on" or (mode == "auto" and n_people >= PARALLEL_FROM),
    )


def kernel_network(network: Network) -> KernelNetwork:
    """The social network as the kernels read it (CSR arrays)."""
    return KernelNetwork(network.indptr, network.indices)


def _check_product(product: Mapping[str, Any], j: Journey) -> None:
    unknown = [n for n in product["used_at"] if n not in j.names]
    if unknown and product["features"] != product["market_features"]:
        raise ConfigError(
            f"product.used_at: {unknown[0]!r} is not a touchpoint of journey {j.name!r}; "
            f"name where the product is used among: {', '.join(j.names)}"
        )


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
