"""Where the model reduces to a classical one (MODEL.md section 6), it must reproduce it."""

import numpy as np
import pytest

from sim.engine.model import CXModel
from sim.mechanisms.memory import remember_episode
from sim.simulation import Simulation
from tests.builders import one_touchpoint_journey, single_segment


@pytest.fixture
def constant_churn_cfg(cfg):
    """Experience and tenure effects off: churn depends on neither attitude nor tenure,
    spend is constant.

    Every customer buys once a day (price r) and churns with probability c at the end of
    each day; nobody is acquired or won back.
    """
    cfg["population"].update(customers=20000, prospects=0, lapsed_per_customer=0.0,
                             lapsed_exit_days=1e9, agent_handles="none")  # a closed market
    cfg["days"] = 150
    cfg["journey"] = one_touchpoint_journey(price=10.0)
    cfg["service_centre"]["enabled"] = False  # the journey has no support touchpoint
    cfg["segments"] = single_segment()
    cfg["churn"].update(
        daily_hazard_at_neutral=0.01,
        attitude_sensitivity=0.0,
        switching_cost=0.0,
        loyalty_per_year=0.0,
        winback_rate_per_day=0.0,
        onboarding_extra_log_odds=0.0,  # no early-tenure risk: the hazard is constant
    )
    cfg["money"].update(spend_satisfaction_elasticity=0.0, spend_growth_per_year=0.0,
                        cost_to_serve_decline_per_year=0.0)
    cfg["acquisition"]["ad_rate_per_day"] = 0.0
    return cfg


def test_constant_churn_gives_geometric_survival(constant_churn_cfg):
    """With a constant daily churn c, the share still active after t days is (1-c)^t.

    Tolerance: 4 standard errors of a binomial share, sqrt(p(1-p)/N), at each checked day.
    """
    n, c = 20000, 0.01
    result = Simulation(constant_churn_cfg).run()
    for t in (1, 10, 50, 100, 150):
        expected = (1 - c) ** t
        observed = result.daily.active.iloc[t - 1] / n
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(observed - expected) < 4 * se, (t, observed, expected)


def test_discounted_revenue_matches_closed_form_clv(constant_churn_cfg):
    """Mean discounted revenue per customer equals the closed-form CLV.

    Convention: a customer active on day t (t = 0, 1, ...) pays r that day, then may churn
    at the end of the day; day t is discounted by (1+d)^-t. So CLV = r sum_t q^t with
    q = (1-c)/(1+d): over a horizon of T days r (1 - q^T)/(1 - q), and r (1+d)/(d+c)
    for ever. Tolerance: 4 standard errors of the mean over customers.
    """
    r, c, days = 10.0, 0.01, 150
    d = 1.10 ** (1 / 365) - 1  # money.annual_discount_rate = 0.10
    result = Simulation(constant_churn_cfg).run()
    customers = result.customers
    q = (1 - c) / (1 + d)
    expected = r * (1 - q**days) / (1 - q)
    observed = customers.revenue_pv.mean()
    se = customers.revenue_pv.std() / np.sqrt(len(customers))
    assert abs(observed - expected) < 4 * se, (observed, expected, se)
    # the projected (infinite-horizon) CLV of the segment table uses the same convention on
    # the margin (gross margin 0.45 x revenue, no cost to serve here); its error comes from
    # the estimated churn rate (relative se ~ 1/sqrt(churn events))
    seg = result.segments.iloc[0]
    clv_forever = 0.45 * r * (1 + d) / (d + c)
    events = result.daily.churned.sum()
    assert abs(seg.projected_clv - clv_forever) < 4 * clv_forever / np.sqrt(events)


def test_peak_end_ranks_the_cold_hand_trials_as_kahneman_found():
    """Kahneman et al. (1993): 60 s of painful cold water, versus the same 60 s plus 30 s
    in which the water warms slightly. People preferred to repeat the longer trial.

    Pain grows with exposure (moments -6, -7, -8), and the extra 30 s is milder (-7.5).
    Peak-end remembers the long trial as less unpleasant; the sum and the mean of the
    moments rank it worse, as a 'total discomfort' view would.
    """
    short = [-6.0, -7.0, -8.0]
    long = [-6.0, -7.0, -8.0, -7.5]
    assert remember_episode(long, "peak_end") > remember_episode(short, "peak_end")
    assert remember_episode(long, "sum") < remember_episode(short, "sum")
    assert remember_episode(long, "mean") < remember_episode(short, "mean")
    assert remember_episode(short, "peak_end") == pytest.approx(-8.0)
    assert remember_episode(long, "peak_end") == pytest.approx(-7.75)


def _attitude_after_one_episode(cfg, quality: float, rule: str = "peak_end") -> float:
    cfg["population"].update(customers=1, prospects=0, agent_handles="none")
    cfg["days"] = 1
    cfg["journey"] = one_touchpoint_journey(quality=quality)
    cfg["service_centre"]["enabled"] = False
    cfg["segments"] = single_segment(expectation=7.0)
    # pure prospect-theory disconfirmation: no performance term, no zone, fixed expectations
    cfg["experience"].update(perception_noise_sd=0.0, expectation_adaptation=0.0,
                             expectation_anchoring=0.0, performance_weight=0.0, tolerance_zone=0.0)
    cfg["memory"].update(initial_attitude_sd=0.0, rule=rule, half_life_days=1e15)
    cfg["churn"]["daily_hazard_at_neutral"] = 1e-9
    cfg["word_of_mouth"].update(positive_contacts=0, negative_contacts=0)
    model = CXModel(cfg)
    model.state.attitude[0] = 0.0  # a customer starting neutral
    model.step()
    return float(model.state.attitude[0])


def test_a_gain_and_an_equal_loss_move_attitude_in_the_ratio_of_loss_aversion(cfg):
    """Quality one point above expectation, then one point below: the loss moves attitude
    lambda = 2.25 times as far (Tversky & Kahneman 1992), exactly (no noise)."""
    gain = _attitude_after_one_episode(dict(cfg), quality=8.0)
    loss = _attitude_after_one_episode(dict(cfg), quality=6.0)
    assert gain > 0 > loss
    assert -loss / gain == pytest.approx(2.25, rel=1e-12)


def test_attitude_update_is_the_episode_weight_times_felt_value(cfg):
    """Attitude moves by memory.episode_weight x the remembered value (0.3 x 2^0.88)."""
    gain = _attitude_after_one_episode(cfg, quality=9.0)
    assert gain == pytest.approx(0.3 * 2.0**0.88, rel=1e-12)
