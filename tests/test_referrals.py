"""Referrals as independent chances, through the model's own day loop.

A prospect who heard H positive messages yesterday adopts today with probability
1 - (1 - p)(1 - q)^H: advertising and each message are independent chances. For small q
this is Bass's p + qH (tests/test_word_of_mouth.py); on a network where every customer
tells each contact once, it is an independent cascade, i.e. bond percolation with
occupation probability q (Newman 2002).
"""

import copy
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from sim.engine.model import CXModel
from sim.simulation import Simulation
from tests.builders import one_touchpoint_journey, single_segment


def _word_of_mouth_only(cfg: dict, customers: int, prospects: int, days: int) -> dict:
    """Adoption by referrals alone: no churn, no experience effects on adoption, no reviews;
    every customer is delighted by each visit of a one-touchpoint journey and praises."""
    cfg["population"].update(customers=customers, prospects=prospects, agent_handles="none",
                             lapsed_per_customer=0.0, lapsed_exit_days=1e9)  # a closed market
    cfg["days"] = days
    cfg["service_centre"]["enabled"] = False
    cfg["segments"] = single_segment(expectation=7.0)
    cfg["experience"].update(perception_noise_sd=0.0, expectation_adaptation=0.0)
    cfg["churn"].update(daily_hazard_at_neutral=1e-12, winback_rate_per_day=0.0,
                        attitude_sensitivity=0.0, onboarding_extra_log_odds=0.0)
    cfg["word_of_mouth"].update(negative_contacts=0, attitude_per_message=0.0,
                                expectation_per_message=0.0, positive_threshold=-9.0,
                                negative_threshold=-10.0, weak_tie_share=0.0)
    cfg["reviews"]["post_share"] = 0.0
    return cfg


def test_several_messages_are_independent_chances(default_cfg):
    """Fully mixed, every customer tells one random person a day, so a prospect hears
    H ~ Binomial(A, 1/n) messages from yesterday's A customers and adopts with
    probability 1 - (1-p) E(1-q)^H = 1 - (1-p)(1 - q/n)^A. With q = 0.5 the linear rule
    p + qA/n (capped at 1) would give up to 25% more adoptions a day. Summed innovations
    over the days divided by their standard deviation are standard normal (martingale
    central limit): within 4 for the independent rule, while the linear rule is off by
    far more (the test can tell them apart)."""
    cfg = _word_of_mouth_only(copy.deepcopy(default_cfg), 2000, 18000, 30)
    cfg["journey"] = one_touchpoint_journey(quality=9.0)
    cfg["network"]["kind"] = "fully_mixed"
    p, q, n = 0.001, 0.5, 20000
    cfg["acquisition"].update(ad_rate_per_day=p, referral_rate=q)
    cfg["word_of_mouth"]["positive_contacts"] = 1
    d = Simulation(cfg).run().daily
    prospects = np.concatenate([[18000], d.prospects.to_numpy()[:-1]])
    talkers = np.concatenate([[0], d.active.to_numpy()[:-1]])  # no messages before day 0

    def z(hazard):
        return (d.new.sum() - (prospects * hazard).sum()) / np.sqrt(
            (prospects * hazard * (1 - hazard)).sum())

    assert abs(z(1 - (1 - p) * (1 - q / n) ** talkers)) < 4
    assert z(np.minimum(1.0, p + q * talkers / n)) < -10


def _cascade(default_cfg, n: int, k: float, q: float, seeds: int, seed: int) -> int:
    """People reached by word of mouth from `seeds` customers on a random graph of mean
    degree k, each customer telling every contact once (one episode each), each message
    converting with probability q: the seeds' clusters in bond percolation with T = q."""
    cfg = _word_of_mouth_only(copy.deepcopy(default_cfg), seeds, n - seeds, 80)
    cfg["seed"] = seed
    cfg["journey"] = one_touchpoint_journey(quality=9.0, interval_days=3650)
    cfg["network"].update(kind="random", mean_degree=k)
    cfg["acquisition"].update(ad_rate_per_day=0.0, referral_rate=q)
    cfg["word_of_mouth"]["positive_contacts"] = 1000  # everybody they know
    model = CXModel(cfg)
    model.state.next_episode_day[:seeds] = 0  # the seeds talk on day 0, then never again
    while model.running and model.day < model.days:
        model.step()
    assert model.daily.new[-10:].sum() == 0  # the cascade is over
    return int(model.daily.active[-1])


@pytest.mark.parametrize("q", [0.5, 0.75])
def test_word_of_mouth_cascade_reaches_the_giant_component(default_cfg, q):
    """Above the threshold (kq > 1) the cascade reaches the giant cluster of percolation
    theory, S = 1 - exp(-k q S) of the market (Newman 2002), plus the seeds' small
    clusters (a few people each). Tolerance 0.02: the finite-size spread of S over
    graphs of 20,000 people is ~0.003-0.005 (tests/test_network.py), and 20 seeds'
    small clusters add < 0.005."""
    n, k = 20_000, 4.0
    reached = _cascade(default_cfg, n, k, q, seeds=20, seed=3) / n
    theory = brentq(lambda s: s - 1 + math.exp(-k * q * s), 1e-9, 1.0)
    assert reached == pytest.approx(theory, abs=0.02)


def test_word_of_mouth_cascade_dies_out_below_the_threshold(default_cfg):
    """Below the threshold (kq = 0.5) each seed reaches a finite cluster of mean
    1 / (1 - kq) = 2 people (a branching process with Poisson(kq) offspring), with
    variance kq / (1 - kq)^3 = 4 per seed: over 400 seeds the mean is 2 within 4 standard
    errors (4 x 2 / sqrt(400) = 0.4; overlaps of clusters in 20,000 people are rarer than
    that)."""
    n, k, seeds = 20_000, 4.0, 400
    reached = _cascade(default_cfg, n, k, 0.5 / k, seeds=seeds, seed=4)
    assert reached / seeds == pytest.approx(1 / (1 - 0.5), abs=0.4)
