"""The one visit rule (sim.mechanisms.visit): problems, contact and service recovery, used by
the day loop and by the attitude baseline alike."""

import copy

import numpy as np
import pytest

from sim import CXModel, Simulation
from sim.config.schema import PILLARS
from sim.mechanisms import memory
from sim.mechanisms.visit import Episode, ProblemRule, visit
from sim.rng import uniform
from tests.builders import one_touchpoint_journey, single_segment

KEY = np.uint64(12345)


def _visit(q, m=-1.0, at_support=False, problem=False, resolves=False, support=1,
           contact_share=1.0, memory=(0.0, 0.0, 0.0, 0, 0.0)):
    """visit() with failure below 5, repair 0.8, bonus 0.5; the Episode flattened."""
    rule = ProblemRule(support, 5.0, contact_share, 0.8, 0.5)
    m, problem, contact, worse, episode = visit(q, m, 1.0, at_support, problem, resolves, rule,
                                                KEY, 0, 3, Episode(*memory))
    return (m, problem, contact, worse, *episode)


def test_a_visit_below_the_failure_quality_opens_a_problem_and_may_contact_support():
    m, problem, contact, worse, peak, last, total, count, worst = _visit(q=4.0)
    assert (problem, contact, worse) == (True, True, True)
    assert (m, peak, last, total, count, worst) == (-1.0, -1.0, -1.0, -1.0, 1, -1.0)
    assert _visit(q=4.0, support=-1)[2] is False  # no support touchpoint: nobody to contact
    assert _visit(q=4.0, contact_share=0.0)[2] is False
    assert _visit(q=6.0)[1:3] == (False, False)  # met the need: no problem


def test_the_contact_is_one_draw_of_the_callers_stream():
    u = uniform(KEY, 0, 3)
    assert _visit(q=4.0, contact_share=u + 1e-9)[2] is True
    assert _visit(q=4.0, contact_share=u - 1e-9)[2] is False


def test_a_resolved_problem_repairs_the_worst_moment_and_adds_the_bonus():
    memory = (-2.0, -2.0, -2.0, 1, -2.0)  # one visit so far, the failure (felt -2)
    m, problem, contact, _, peak, last, total, count, worst = _visit(
        q=7.0, m=0.5, at_support=True, problem=True, resolves=True, memory=memory)
    assert problem is False
    assert contact is False
    assert m == pytest.approx(0.5 + 0.5)  # the moment plus the recovery bonus
    assert worst == pytest.approx(-0.4)  # 80% of the failure taken back
    assert peak == pytest.approx(1.0)  # the repaired failure (-0.4) is no longer the peak
    assert total == pytest.approx(-2.0 + 1.6 + 1.0)
    assert (count, last) == (2, m)
    unresolved = _visit(q=7.0, m=0.5, at_support=True, problem=True, memory=memory)
    assert unresolved[1] is True
    assert unresolved[6] == pytest.approx(-1.5)


def test_support_visited_without_a_problem_repairs_nothing():
    memory = (-2.0, -2.0, -2.0, 1, -2.0)
    out = _visit(q=7.0, m=0.5, at_support=True, problem=False, resolves=True, memory=memory)
    assert (out[0], out[8]) == (0.5, -2.0)  # no bonus, the worst moment stays


def _support_journey(spread: float) -> dict:
    """A shop whose visits sometimes fail (quality 6 +- spread), and a support desk."""
    j = one_touchpoint_journey(quality=6.0, spread=spread)
    j["support"] = "help"
    j["touchpoints"]["help"] = {
        **copy.deepcopy(j["touchpoints"]["shop"]), "quality": dict.fromkeys(PILLARS, 7.0),
        "spread": 0.5,
    }
    return j


@pytest.fixture
def settled_cfg(cfg):
    """A closed market with fixed expectations: no acquisition, turnover or word of mouth,
    one segment alike in everything, expectations at their anchor from day 0 (no adaptation),
    no service centre (support resolves with problems.resolution_rate)."""
    c = copy.deepcopy(cfg)
    c["journey"] = _support_journey(spread=1.5)
    c["segments"] = single_segment(expectation=6.5)
    c["population"].update(customers=3000, prospects=0, episode_rate_sd=0.0)
    c["days"] = 240
    c["experience"]["expectation_adaptation"] = 0.0
    c["experience"]["perception_noise_sd"] = 0.0
    c["acquisition"].update(ad_rate_per_day=0.0, referral_rate=0.0)
    c["churn"].update(daily_hazard_at_neutral=1e-9, winback_rate_per_day=0.0, frailty_sd=0.0)
    c["word_of_mouth"].update(positive_contacts=0, negative_contacts=0)
    c["service_centre"]["enabled"] = False
    c["problems"].update(contact_share=0.8, resolution_rate=0.9, recovery_repair=0.8)
    return c


def test_the_day_loop_settles_on_the_baseline_the_same_rule_computes(settled_cfg, monkeypatch):
    """With expectations fixed at their anchor, remembered episodes in the day loop and the
    baseline's simulated ones are drawn from one distribution, so the customers' mean
    attitude settles on the baseline (it fades toward it and moves toward each episode).

    The baseline is itself a Monte Carlo mean of BASELINE_EPISODES episodes on one fixed
    stream: its error is measured by recomputing it (numba's pure-Python function) on 24
    other streams. Tolerance: 4 standard errors of the difference, from the spread of 4
    replications of the day loop (each the mean of days 120-239, attitudes settled) and of
    the 24 baselines. The baseline without service recovery (repair 0) must miss it by far,
    so the test can tell a rule that disagrees.
    """
    means = []
    for rep in range(4):
        daily = Simulation({**settled_cfg, "replication": rep}).run().daily
        means.append(daily["mean_attitude"].iloc[120:].mean())
    monkeypatch.setattr(memory, "_mean_remembered", memory._mean_remembered.py_func)
    baselines = []
    for key in range(1, 25):
        monkeypatch.setattr(memory, "_BASELINE_KEY", np.uint64((0x9E3779B97F4A7C15 * key) % 2**64))
        baselines.append(float(CXModel(settled_cfg).arrays.attitude_baseline[0]))
    se = np.sqrt(np.var(means, ddof=1) / len(means) + np.var(baselines, ddof=1) / len(baselines))
    gap = np.mean(means) - np.mean(baselines)
    assert abs(gap) < 4 * se, (np.mean(means), np.mean(baselines), se)
    unrepaired = copy.deepcopy(settled_cfg)
    unrepaired["problems"]["recovery_repair"] = 0.0
    shift = np.mean(baselines) - float(CXModel(unrepaired).arrays.attitude_baseline[0])
    assert shift > 3 * 4 * se, (shift, se)  # recovery matters far beyond the tolerance
