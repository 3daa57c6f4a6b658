"""Tenure economics: early tenure is the riskiest, long-standing customers spend more and
cost less to serve, referred customers cost a referral reward instead of the ad CAC."""

import copy
import itertools
import math

import numpy as np
import pytest

from sim.engine.model import CXModel
from sim.errors import ConfigError
from sim.mechanisms.churn import ONBOARDING_NEGLIGIBLE, logit, onboarding_log_odds
from sim.simulation import Simulation
from tests.builders import one_touchpoint_journey, single_segment


def test_the_onboarding_term_halves_every_half_life():
    table = onboarding_log_odds(1.4, 60.0)
    assert table[0] == 1.4
    assert table[60] == pytest.approx(0.7)
    assert table[120] == pytest.approx(0.35)
    assert table[-2] > ONBOARDING_NEGLIGIBLE >= table[-1]  # longer tenures add nothing
    assert onboarding_log_odds(0.0, 60.0).tolist() == [0.0]


@pytest.fixture
def flat(default_cfg):
    """Churn that depends on tenure only (attitude has no say), no win-back, no talk."""
    cfg = copy.deepcopy(default_cfg)
    cfg["population"].update(customers=1000, prospects=30000, agent_handles="none",
                             lapsed_per_customer=0.0, lapsed_exit_days=1e9)  # a closed market
    cfg["days"] = 150
    cfg["journey"] = one_touchpoint_journey(quality=7.0, price=10.0)
    cfg["journey"]["touchpoints"]["shop"]["cost"] = 4.0
    cfg["service_centre"]["enabled"] = False
    cfg["segments"] = single_segment()
    cfg["churn"].update(daily_hazard_at_neutral=0.001, attitude_sensitivity=0.0,
                        loyalty_per_year=0.0, winback_rate_per_day=0.0,
                        onboarding_extra_log_odds=2.0, onboarding_half_life_days=30.0)
    cfg["acquisition"].update(ad_rate_per_day=0.004, referral_rate=0.0)
    cfg["word_of_mouth"].update(positive_contacts=0, negative_contacts=0)
    cfg["reviews"]["post_share"] = 0.0
    cfg["money"]["spend_satisfaction_elasticity"] = 0.0
    return cfg


def test_new_customers_churn_by_the_onboarding_hazard(flat):
    """A customer acquired on day d faces hazard logistic(logit(h0) + x 2^(-t/H)) at
    tenure t, from the day they join: the first cohort's retention at 60 days is the
    product of (1 - hazard) over tenures 0..60, within 4 binomial standard errors
    (cohort ~3,000: SE ~0.008); without the term it would be ~0.94, not ~0.79."""
    cohorts = Simulation(flat).run().cohorts
    first = cohorts[(cohorts.cohort == 1) & (cohorts.age_days == 60)].iloc[0]
    extra = onboarding_log_odds(2.0, 30.0)
    hazard = 1 / (1 + np.exp(-(logit(0.001) + extra[:61])))
    expected = float(np.prod(1 - hazard))
    se = math.sqrt(expected * (1 - expected) / first["size"])
    assert first.retention == pytest.approx(expected, abs=4 * se)
    assert expected < 0.97 ** 2 * (1 - 0.001) ** 61


def test_early_tenure_is_the_riskiest(flat):
    """Under the same random numbers, the onboarding term costs new customers far more
    than it costs the day-0 base (tenure ~540 days on average, so most are past it)."""
    on = Simulation(copy.deepcopy(flat)).run()
    flat["churn"]["onboarding_extra_log_odds"] = 0.0
    off = Simulation(flat).run()

    def retention(result, cohort):
        c = result.cohorts
        return c[(c.cohort == cohort) & (c.age_days == 60)].retention.iloc[0]

    new_loss = retention(off, 1) - retention(on, 1)
    base_loss = retention(off, 0) - retention(on, 0)
    assert new_loss > 0.1
    assert new_loss > 3 * base_loss


def test_spend_grows_and_cost_to_serve_falls_with_tenure(flat):
    """Each visit earns price x (1 + g min(years, Y)) and costs cost x (1 - d min(years, Y)),
    years being the tenure on the day of the visit: the run's revenue and cost to serve
    are exactly those sums over every active customer-day (one visit a day)."""
    flat["money"].update(spend_growth_per_year=0.2, cost_to_serve_decline_per_year=0.1,
                         tenure_effect_years=2.0)
    flat["acquisition"]["ad_rate_per_day"] = 0.0
    flat["churn"]["daily_hazard_at_neutral"] = 1e-12
    flat["days"] = 30
    model = CXModel(flat)
    acquired = model.state.acquired_day[:1000].astype(float)
    for _ in range(flat["days"]):
        model.step()
    years = np.minimum(2.0, (np.arange(30)[None, :] - acquired[:, None]) / 365.0)
    assert model.daily.revenue.sum() == pytest.approx((10.0 * (1 + 0.2 * years)).sum(), rel=1e-9)
    assert model.daily.cost_service.sum() == pytest.approx((4.0 * (1 - 0.1 * years)).sum(),
                                                           rel=1e-9)


def test_cost_to_serve_cannot_fall_below_zero(flat):
    flat["money"].update(cost_to_serve_decline_per_year=0.3, tenure_effect_years=5)
    with pytest.raises(ConfigError, match=r"money.cost_to_serve_decline_per_year x "
                                          r"money.tenure_effect_years must be at most 1"):
        CXModel(flat)


def test_referred_customers_cost_the_referral_reward(cfg):
    """Every acquisition is charged once: ad-won customers the CAC, referred ones
    acquisition.cost_per_referral, returning ones the win-back cost, exactly, every day."""
    cfg["acquisition"].update(cost_per_acquisition=35.0, cost_per_referral=10.0,
                              referral_rate=0.2)
    d = Simulation(cfg).run().daily
    assert d.referrals.sum() > 0
    expected = ((d.new - d.referrals) * 35.0 + d.referrals * 10.0
                + d.won_back * cfg["churn"]["winback_cost"])
    assert np.allclose(d.cost_acquisition, expected)


def test_more_advertising_never_brings_fewer_new_customers(cfg):
    """Monotonicity under common random numbers, averaged over 3 replications: new
    customers do not fall as advertising rises (a prospect's acquisition draw is the same
    in every run, and a higher rate only adds adopters; referrals from them add more)."""
    means = []
    for rate in (0.0005, 0.001, 0.0015, 0.003):
        runs = []
        for r in range(3):
            c = copy.deepcopy(cfg)
            c["acquisition"]["ad_rate_per_day"] = rate
            c["replication"] = r
            runs.append(Simulation(c).run().summary["new_customers"])
        means.append(np.mean(runs))
    assert all(b >= a for a, b in itertools.pairwise(means)), means
    assert means[-1] > means[0]


def test_with_the_defaults_new_customers_retain_worse_than_the_tenured_base(default_cfg):
    """MODEL.md pattern 5, as a direction: in the default market (with twice the
    prospects, for larger cohorts), customers won in the first six months keep to their
    first anniversary less often than the day-0 base (tenure ~1.5 years) keeps a year,
    because early tenure is the riskiest. Pooled over the six cohorts (~3,000 people) the
    gap's standard error is ~0.01; it must exceed 0.02 (it is ~0.05)."""
    cfg = copy.deepcopy(default_cfg)
    cfg["days"] = 560
    cfg["population"].update(prospects=20000, agent_handles="none")
    c = Simulation(cfg).run().cohorts
    year = c[c.age_days == 364]
    base = year[year.cohort == 0].retention.iloc[0]
    new = year[year.cohort.between(1, 6)]
    assert new.active.sum() / new["size"].sum() < base - 0.02
